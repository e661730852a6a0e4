#include "cpu/tlb_shootdown.hpp"

#include "arch/x86/msr.hpp"
#include "cpu/smp.hpp"

namespace hv {
namespace {

// Interrupt command register fields (Intel SDM vol. 3A, 11.6.1; x2APIC 11.12.9).
constexpr uint64_t kApicBaseX2apic = 1ull << 10;
constexpr uint64_t kApicBaseAddressMask = 0x000ffffffffff000ull;
constexpr uint32_t kDeliveryNmi = 4u << 8;
constexpr uint32_t kLevelAssert = 1u << 14;
constexpr uint32_t kDeliveryPending = 1u << 12;
constexpr uint32_t kXapicIcrLow = 0x300 / 4;
constexpr uint32_t kXapicIcrHigh = 0x310 / 4;

// The root may have moved its APIC between xAPIC and x2APIC mode: ask the MSR every time.
void send_nmi(uint32_t apic_id) {
  const uint64_t base = x86::rdmsr(x86::Msr::kApicBase);
  const uint32_t command = kDeliveryNmi | kLevelAssert;
  if ((base & kApicBaseX2apic) != 0) {
    x86::wrmsr(x86::Msr::kX2apicIcr, (uint64_t{apic_id} << 32) | command);
    return;
  }
  auto* apic = reinterpret_cast<volatile uint32_t*>(base & kApicBaseAddressMask);
  while ((apic[kXapicIcrLow] & kDeliveryPending) != 0) asm volatile("pause");
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
  __atomic_store_n(&c->kick_request, 1u, __ATOMIC_SEQ_CST);
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
