// Every child partition and the calls that change them (docs/hypercalls.md §5–§6), over the
// frame table: each call's checks in the documented order, then its changes, so a refused call
// changes nothing. Arch-neutral and hardware-free (the Machine and VpArch seams): host-tested
// path by path. One lock serializes every call but the guest execution of VP_RUN.
#pragma once

#include <stdint.h>

#include <rootstock/hypercall_abi.h>

#include "lib/spinlock.hpp"
#include "partition/frame_table.hpp"
#include "partition/machine.hpp"
#include "partition/partition.hpp"
#include "partition/vp_arch.hpp"

namespace hv {

/// What a call returns besides its outputs: the result word's fields.
struct CallResult {
  uint16_t status = RS_STATUS_SUCCESS;
  uint64_t detail = 0;     ///< pages to deposit, or 1 + the failing element
  uint16_t reps_done = 0;  ///< rep calls: first element not done
};

/// PARTITION_QUERY's outputs.
struct PartitionInfo {
  uint64_t vps = 0, mapped_pages = 0, deposited_pages = 0, deposited_used = 0;
};

/// A VP that VP_RUN may enter: what begin_run() hands to the caller.
struct RunTicket {
  Partition* partition = nullptr;
  ChildVp* vp = nullptr;
  void* state = nullptr;            ///< the VMCB
  rs_run_page* run_page = nullptr;  ///< hv's view of the root's run page
  bool report_pause = false;        ///< RS_VP_RUN_REPORT_PAUSE
};

/// The child partitions.
class Partitions {
 public:
  /// Most child partitions at once.
  static constexpr uint16_t kCapacity = 64;
  /// 4 KiB pages PARTITION_DESTROY unmaps in one invocation before it answers PARTIAL
  /// (docs/hypercalls.md §3): 32 MiB of child memory, well under a millisecond on hardware.
  static constexpr uint64_t kDestroyPagesPerCall = 8192;

  /// `storage` holds kCapacity partitions (hv: a static array).
  Partitions(FrameTable& table, Machine& machine, VpArch& arch)
      : table_(table), machine_(machine), arch_(arch) {}
  Partitions(const Partitions&) = delete;
  Partitions& operator=(const Partitions&) = delete;

  CallResult create(uint64_t flags, uint64_t& id);
  CallResult destroy(uint64_t id);
  CallResult query(uint64_t id, PartitionInfo& out);

  /// `in` is hv's own copy of the input page; `input_pfn` the page itself (never an element).
  CallResult map(const rs_hc_map_gpa_input& in, uint64_t input_pfn, uint16_t start, uint16_t count);
  CallResult unmap(uint64_t id, uint64_t gpa_base, uint64_t flags, uint16_t start, uint16_t count);
  CallResult deposit(const rs_hc_deposit_input& in, uint64_t input_pfn, uint16_t start,
                     uint16_t count);
  CallResult withdraw(const rs_hc_withdraw_input& in, uint16_t start, uint16_t count,
                      rs_hc_withdraw_output& out);

  CallResult vp_create(uint64_t id, uint64_t vp_index, uint64_t run_page);
  CallResult vp_destroy(uint64_t id, uint64_t vp_index);
  CallResult get_registers(const rs_hc_get_registers_input& in, uint16_t start, uint16_t count,
                           rs_hc_get_registers_output& out);
  CallResult set_registers(const rs_hc_set_registers_input& in, uint16_t start, uint16_t count);
  CallResult inject(uint64_t id, uint64_t vp_index, uint64_t event);
  /// PARTITION_INTERRUPT: a GSI edge or level, or an MSI, into the child's interrupt
  /// controller; `wake` gets the VPs it reached that are not in VP_RUN's guest loop.
  CallResult interrupt(uint64_t id, uint64_t flags, uint64_t argument, uint64_t& wake);
  /// PARTITION_DOORBELL: adds or removes one of the partition's doorbells.
  CallResult doorbell(uint64_t id, uint64_t gpa, uint64_t flags, uint64_t value);

  /// The child LAPIC's timer ratio: host TSC ticks per APIC bus tick for VPs created from now.
  void set_tsc_per_bus_tick(uint32_t ratio) { tsc_per_bus_tick_ = ratio; }
  /// The shortest periodic LAPIC timer period, in host TSC ticks, for VPs created from now
  /// (VirtualLapicConfig::min_periodic_tsc).
  void set_min_periodic_tsc(uint64_t ticks) { min_periodic_tsc_ = ticks; }

  /// VP_RUN's checks and the root's completion of the last exit (§7); on success the VP is
  /// marked running and `ticket` says what to enter. end_run() must follow.
  CallResult begin_run(uint64_t id, uint64_t vp_index, uint64_t flags, RunTicket& ticket);
  /// After the VP left the CPU: `exit` is what the run page now shows (RS_EXIT_NONE when the
  /// call returns INTERRUPTED), with the instruction length and IN size for the completion.
  void end_run(const RunTicket& ticket, const LastExit& exit);

  /// Copies [gpa, gpa + len) of a running VP's child (within one page) for the instruction
  /// fetch of an exit: false unless the GPA maps a frame that is this child's now.
  bool read_child(const RunTicket& ticket, uint64_t gpa, void* out, uint64_t len);
  /// Writes a call's output to the root page at `pa`, if it is still the root's (another CPU
  /// may have handed it over since the call's checks): false otherwise.
  bool write_root_page(uint64_t pa, uint64_t offset, const void* data, uint64_t len);
  /// Copies `len` bytes (at most a page) of the frame at `pa` into `out` under the lock, if
  /// the frame is still the root's; false (nothing copied) otherwise.
  bool read_root_page(uint64_t pa, void* out, uint64_t len);

  /// CHECK_INVARIANTS (§6); `hv_free`/`hv_used` come from hv's frame allocator.
  void check_invariants(rs_hc_invariants_output& out);

  uint16_t live() const;

 private:
  Partition* find(uint64_t id);
  Partition* slot(uint16_t index) { return reinterpret_cast<Partition*>(storage_[index]); }
  /// The partition for a call that changes it: INVALID_PARTITION_ID or BUSY (being destroyed).
  uint16_t changeable(uint64_t id, Partition*& p);
  /// The VP for a call on a created, not running VP of a changeable partition (`owner`: its
  /// partition), with the statuses in the documented order.
  uint16_t idle_vp(uint64_t id, uint64_t vp_index, ChildVp*& vp, Partition** owner = nullptr);
  void release_vp(Partition& p, ChildVp& vp);
  void give_back_deposits(Partition& p);
  uint16_t apply_completion(ChildVp& vp, rs_run_page& page);
  /// RS_REG_APIC_BASE, RS_REG_ACTIVITY and RS_REG_XCR0, which live in hv's VP, not its VMCB
  /// (partition_vp_registers.cpp).
  static bool vp_register(uint32_t name) {
    return name == RS_REG_APIC_BASE || name == RS_REG_ACTIVITY || name == RS_REG_XCR0;
  }
  uint16_t get_vp_register(Partition& p, const ChildVp& vp, uint32_t name,
                           rs_hc_register_value& out);
  uint16_t check_vp_register(Partition& p, const ChildVp& vp, uint32_t name,
                             const rs_hc_register_value& value);
  void set_vp_register(Partition& p, ChildVp& vp, uint32_t name, const rs_hc_register_value& value);
  static constexpr uint32_t kNoCpu = ~0u;

  FrameTable& table_;
  Machine& machine_;
  VpArch& arch_;
  Spinlock lock_;
  alignas(Partition) uint8_t storage_[kCapacity][sizeof(Partition)];
  bool used_[kCapacity] = {};
  uint64_t next_id_ = 1;
  uint64_t next_vp_uid_ = 1;
  uint32_t tsc_per_bus_tick_ = 1;
  uint64_t min_periodic_tsc_ = 0;
};

}  // namespace hv
