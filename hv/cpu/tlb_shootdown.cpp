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

}  // namespace

void flush_guest_tlbs_everywhere() {
  PerCpu& self = this_cpu();
  self.must_flush = 1;
  for (uint32_t i = 0; i < cpu_count(); ++i) {
    PerCpu* c = cpu(i);
    if (c == &self || c == nullptr || c->online == 0) continue;
    __atomic_store_n(&c->flush_request, 1u, __ATOMIC_SEQ_CST);
    send_nmi(c->apic_id);
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
  // One NMI at a time: while a kick is on its way, the CPU will look at everything queued
  // before it anyway. A child flooding its siblings with IPIs thus sends that CPU at most one
  // NMI per guest exit it causes there, and the root's own NMIs are rarely merged with one.
  if (__atomic_exchange_n(&c->kick_request, 1u, __ATOMIC_SEQ_CST) != 0) return;
  send_nmi(c->apic_id);
}

void handle_nmi(PerCpu& cpu) {
  // A kick needs nothing more: its NMI exit already took the CPU out of the child.
  const bool kicked = __atomic_exchange_n(&cpu.kick_request, 0u, __ATOMIC_ACQ_REL) != 0;
  if (__atomic_exchange_n(&cpu.flush_request, 0u, __ATOMIC_ACQ_REL) != 0) {
    // Ours. Two NMIs at once arrive as one (SDM 11.6.1's NMIs are not queued): a root NMI that
    // coincides with a flush is not seen; NMIs for the root are rare (watchdog, perf) and
    // Linux tolerates a lost one.
    cpu.must_flush = 1;
    return;
  }
  if (kicked) return;
  cpu.nmi_for_root = 1;
}

bool take_flush(PerCpu& cpu) {
  if (cpu.must_flush == 0) return false;
  cpu.must_flush = 0;
  return true;
}

}  // namespace hv
