// A child partition and its virtual processors as hv keeps them (docs/hypercalls.md §5–§7):
// the deposits hv builds its structures from, the nested page tables, and each VP's state page
// (a VMCB on SVM) and run page. Plain data; partition/partitions.hpp changes it under its lock.
#pragma once

#include <stdint.h>

#include <rootstock/hypercall_abi.h>

#include "arch/x86/child_context.hpp"
#include "lib/spinlock.hpp"
#include "mm/page_table.hpp"
#include "mm/paging_policy.hpp"
#include "partition/deposit_pool.hpp"
#include "partition/doorbells.hpp"
#include "vcpu/exit.hpp"
#include "vioapic/vioapic.hpp"
#include "vlapic/vlapic.hpp"

namespace hv {

/// VP indices per partition: 0 .. kMaxVps - 1.
inline constexpr uint32_t kMaxVps = 64;
/// Child guest physical address width: 4-level nested paging covers 48 bits.
inline constexpr unsigned kChildGpaBits = 48;

using ChildNpt = PageTable<NptPaging, DepositPool>;

/// What the next VP_RUN must know about the last exit to apply the root's completion.
struct LastExit {
  uint32_t reason = RS_EXIT_NONE;
  uint8_t instruction_length = 0;  ///< 0: RS_RUN_COMPLETE_ADVANCE is not allowed
  uint8_t io_size = 0;             ///< an IN's size, for ADVANCE
  bool io_in = false;
};

/// One virtual processor of a child.
struct ChildVp {
  bool exists = false;
  uint64_t uid = 0;       ///< unique for the boot: a CPU that ran another VP last flushes
  bool running = false;   ///< in VP_RUN on some CPU
  bool shutdown = false;  ///< reported RS_EXIT_SHUTDOWN: never entered again
  uint64_t state_pa = 0;  ///< VMCB (deposited, in use)
  uint64_t xsave_pa = 0;  ///< the child's x87/SSE/AVX state while it is not on a CPU (deposited)
  uint64_t xcr0 = 1;      ///< XCR0 as the child set it (x87 only after RESET)
  uint64_t run_page_pa = 0;
  GuestRegisters regs{};  ///< the GPRs the VMCB does not hold
  LastExit last;
  uint64_t exit_count = 0;
  uint64_t pending_event = 0;  ///< an EVENTINJ-format event for the next entry, 0: none
  /// DR0-DR3, IA32_TSC_AUX and IA32_SPEC_CTRL as the child left them (on the CPU only while
  /// VP_RUN's loop runs it: arch/x86/child_context.hpp).
  x86::ChildContext context;

  // The VP's interrupt controller and what other VPs, the I/O APIC and the root asked of it:
  // under Partition::irq_lock (docs/hypercalls.md "Child interrupts").
  VirtualLapic lapic{VirtualLapicConfig{}};
  uint8_t activity = RS_ACTIVITY_RUNNING;  ///< RS_ACTIVITY_*
  bool nmi_pending = false;
  /// An NMI was injected and the child has not reached an IRET since: the next NMI waits
  /// (SDM vol. 3A, 6.7.1; on SVM hv tracks it with the IRET intercept).
  bool nmi_blocked = false;
  bool init_pending = false;  ///< INIT arrived: reset the registers at the next run
  bool sipi_pending = false;  ///< a STARTUP IPI arrived: start at sipi_vector:0000
  uint8_t sipi_vector = 0;
  bool in_guest = false;  ///< in VP_RUN's guest loop on `cpu`: a kick makes it look again
  uint32_t cpu = 0;
  /// The CPU whose TLB holds this VP's newest translations (~0: none yet). Only VP_RUN's loop
  /// on that CPU uses it, and a VP runs on one CPU at a time.
  uint32_t tlb_cpu = ~0u;
  uint64_t published_deadline = 0;  ///< the timer deadline the last return published
};

/// The I/O APIC's delivery sink (partition/child_interrupts.cpp).
void route_ioapic_delivery(void* partition, const IoApicDelivery& delivery);

/// One child partition.
struct Partition {
  Partition(FrameTable& table, Machine& machine, uint16_t owner_tag)
      : owner(owner_tag),
        deposits(table, machine, owner_tag),
        npt(deposits),
        ioapic(&route_ioapic_delivery, this) {}
  Partition(const Partition&) = delete;
  Partition& operator=(const Partition&) = delete;

  uint64_t id = 0;  ///< the ABI's partition id
  uint16_t owner;   ///< its frame-table owner tag (slot + 1)
  bool destroying = false;
  DepositPool deposits;
  ChildNpt npt;
  uint64_t mapped_pages = 0;  ///< 4 KiB pages mapped into the child
  uint32_t vp_count = 0;
  uint32_t running_vps = 0;
  ChildVp vps[kMaxVps];
  /// Guards every VP's interrupt state and the I/O APIC. Taken alone or inside the
  /// partitions' lock, never the other way round; nothing waits for another CPU under it.
  Spinlock irq_lock;
  VirtualIoApic ioapic;
  /// PARTITION_DOORBELL's table, under irq_lock (a VP's write looks it up from its exit).
  DoorbellTable doorbells;
  uint64_t reached = 0;  ///< VPs the I/O APIC's deliveries reached during the current call
};

}  // namespace hv
