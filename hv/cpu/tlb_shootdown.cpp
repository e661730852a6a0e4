#include "cpu/tlb_shootdown.hpp"

#include "arch/x86/lapic.hpp"
#include "arch/x86/msr.hpp"
#include "cpu/smp.hpp"

namespace hv {
namespace {

// xAPIC ICR registers in 32-bit words (Intel SDM vol. 3A, table 11-1).
constexpr uint32_t kXapicIcrLow = 0x300 / 4;
constexpr uint32_t kXapicIcrHigh = 0x310 / 4;

// Called in the root's context: the APIC is in the mode the root chose, which hv tracks
// (root_x2apic; the root cannot switch without hv, root/apic_base_policy.hpp), at the address
// the firmware left (the root cannot move it). Nothing here comes from the root's MSRs: a
// root-chosen base would make hv write its ICR values into whatever page the root named.
void send_nmi(uint32_t apic_id) {
  const PerCpu& self = this_cpu();
  const uint32_t command = x86::icr::kDeliveryNmi | x86::icr::kLevelAssert;
  if (self.root_x2apic != 0) {
    x86::wrmsr(x86::Msr::kX2apicIcr, (uint64_t{apic_id} << 32) | command);
    return;
  }
  auto* apic =
      reinterpret_cast<volatile uint32_t*>(self.firmware_apic_base & x86::apic_base::kAddressMask);
  while ((apic[kXapicIcrLow] & x86::icr::kDeliveryPending) != 0) asm volatile("pause");
  apic[kXapicIcrHigh] = apic_id << 24;
  apic[kXapicIcrLow] = command;
}

// Makes sure an NMI of hv's reaches `c` after the request just stored for it. At most one is on
// its way per CPU: its handler clears nmi_signalled before it looks at the requests, so a
// request stored while the flag was set is seen by that handler. A child flooding its siblings
// with IPIs thus costs a CPU at most one NMI per guest exit.
void signal(PerCpu& c) {
  if (__atomic_exchange_n(&c.nmi_signalled, 1u, __ATOMIC_SEQ_CST) == 0) send_nmi(c.apic_id);
}

}  // namespace

void flush_guest_tlbs_everywhere() {
  PerCpu& self = this_cpu();
  self.must_flush = 1;
  for (uint32_t i = 0; i < cpu_count(); ++i) {
    PerCpu* c = cpu(i);
    if (c == &self || c == nullptr || c->online == 0) continue;
    __atomic_store_n(&c->flush_request, 1u, __ATOMIC_SEQ_CST);
    signal(*c);
  }
  for (uint32_t i = 0; i < cpu_count(); ++i) {
    PerCpu* c = cpu(i);
    if (c == &self || c == nullptr || c->online == 0) continue;
    while (__atomic_load_n(&c->flush_request, __ATOMIC_ACQUIRE) != 0) asm volatile("pause");
  }
}

void kick_cpu(uint32_t index) {
  PerCpu* c = cpu(index);
  if (c == nullptr || c->online == 0 || c == &this_cpu()) return;
  signal(*c);  // a kick needs nothing more: its NMI exit takes the CPU out of the child
}

void send_root_nmi(uint32_t index) {
  PerCpu& self = this_cpu();
  PerCpu* c = cpu(index);
  if (c == nullptr || c->online == 0) return;
  if (c == &self) {
    self.nmi_for_root = 1;  // hv runs here now: the root gets it at its next entry
    return;
  }
  __atomic_store_n(&c->root_nmi_request, 1u, __ATOMIC_SEQ_CST);
  signal(*c);
}

void handle_nmi(PerCpu& cpu) {
  // Clear the signal first: a request stored after this point comes with an NMI of its own.
  const bool signalled = __atomic_exchange_n(&cpu.nmi_signalled, 0u, __ATOMIC_SEQ_CST) != 0;
  if (__atomic_exchange_n(&cpu.flush_request, 0u, __ATOMIC_SEQ_CST) != 0) cpu.must_flush = 1;
  if (__atomic_exchange_n(&cpu.root_nmi_request, 0u, __ATOMIC_SEQ_CST) != 0) cpu.nmi_for_root = 1;
  // An NMI hv did not send comes from this CPU's own sources (its performance counters, LINT1)
  // and is the root's. Two NMIs at once arrive as one (SDM 11.6.1: NMIs are not queued), so a
  // local NMI that coincides with one of hv's is merged into it and not seen, as it would be
  // with two local sources on bare metal. The root's NMI IPIs are never lost this way: they
  // are requests (send_root_nmi).
  if (!signalled) cpu.nmi_for_root = 1;
}

bool take_flush(PerCpu& cpu) {
  if (cpu.must_flush == 0) return false;
  cpu.must_flush = 0;
  return true;
}

}  // namespace hv
