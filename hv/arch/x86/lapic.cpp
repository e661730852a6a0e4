#include "arch/x86/lapic.hpp"

#include "arch/x86/msr.hpp"

namespace hv::x86 {
namespace {

// xAPIC register offsets in 32-bit words (Intel SDM table 10-1); x2APIC MSRs are
// 0x800 + offset/16 (Intel SDM table 10-6).
constexpr uint32_t kRegId = 0x20 / 4;
constexpr uint32_t kRegSpurious = 0xf0 / 4;
constexpr uint32_t kRegIcrLow = 0x300 / 4;
constexpr uint32_t kRegIcrHigh = 0x310 / 4;
constexpr uint32_t kMsrId = 0x802;
constexpr uint32_t kMsrSpurious = 0x80f;
constexpr uint32_t kSpuriousEnable = 1u << 8;
constexpr uint32_t kSpuriousVector = 0xff;

}  // namespace

uint64_t LocalApic::init(bool use_x2apic, uint64_t mmio_base) {
  x2apic_ = use_x2apic;
  mmio_ = reinterpret_cast<volatile uint32_t*>(mmio_base);
  return enable_this_cpu();
}

void LocalApic::restore_firmware_mode(uint64_t firmware_base) {
  const uint64_t now = rdmsr(Msr::kApicBase);
  const uint64_t mode_bits = apic_base::kEnable | apic_base::kX2apicEnable;
  if ((now & mode_bits) == (firmware_base & mode_bits)) return;
  if ((now & apic_base::kX2apicEnable) != 0) {
    wrmsr(Msr::kApicBase, now & ~mode_bits);  // x2APIC -> disabled
  }
  wrmsr(Msr::kApicBase, firmware_base);
}

uint64_t LocalApic::enable_this_cpu() {
  const uint64_t firmware = rdmsr(Msr::kApicBase);
  uint64_t base = firmware;
  base |= apic_base::kEnable;
  if (x2apic_) {
    base |= apic_base::kX2apicEnable;  // xAPIC -> x2APIC: EN must already be set (SDM 10.12.5)
  }
  wrmsr(Msr::kApicBase, base);
  if (x2apic_) {
    wrmsr(static_cast<Msr>(kMsrSpurious), kSpuriousEnable | kSpuriousVector);
  } else {
    mmio_[kRegSpurious] = kSpuriousEnable | kSpuriousVector;
  }
  return firmware;
}

uint32_t LocalApic::id() {
  if (x2apic_) {
    return static_cast<uint32_t>(rdmsr(static_cast<Msr>(kMsrId)));
  }
  return mmio_[kRegId] >> 24;
}

bool LocalApic::send_ipi(uint32_t apic_id, uint32_t command) {
  if (x2apic_) {
    // One 64-bit write; x2APIC has no delivery-status bit to poll (SDM 10.12.9).
    wrmsr(Msr::kX2apicIcr, (static_cast<uint64_t>(apic_id) << 32) | command);
    return true;
  }
  mmio_[kRegIcrHigh] = apic_id << 24;
  mmio_[kRegIcrLow] = command;  // the write of the low half sends
  for (int i = 0; i < 1000000; ++i) {
    if ((mmio_[kRegIcrLow] & icr::kDeliveryPending) == 0) {
      return true;
    }
    asm volatile("pause");
  }
  return false;
}

}  // namespace hv::x86
