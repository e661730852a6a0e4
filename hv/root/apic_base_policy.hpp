// Which IA32_APIC_BASE writes the root may make. hv sends its TLB-flush and kick NMIs through
// each CPU's local APIC at the address the firmware left (cpu/tlb_shootdown.cpp): a root that
// moved the xAPIC page onto hv's memory, or disabled its APIC, would make hv write its ICR
// values into that memory or wait for ever for a flush that CPU never sees. So the root may
// switch its APIC from xAPIC to x2APIC mode (as Linux does at boot) and rewrite the value it
// has; disabling, relocating, leaving x2APIC mode, changing the BSP flag and setting reserved
// bits are refused with #GP and change nothing (docs/hypercalls.md §1).
#pragma once

#include <stdint.h>

#include "arch/x86/msr.hpp"

namespace hv::root {

/// The verdict on one WRMSR to IA32_APIC_BASE by the root.
enum class ApicBaseWrite : uint8_t {
  kAllowed,       ///< the same value, or xAPIC -> x2APIC
  kReservedBits,  ///< a bit outside BSP, EXTD, EN and the base address
  kDisable,       ///< EN cleared
  kRelocate,      ///< another xAPIC page address
  kBspFlag,       ///< the BSP flag changed
  kLeaveX2apic,   ///< x2APIC -> xAPIC (also illegal on hardware: SDM vol. 3A, 11.12.5)
  kNoX2apic,      ///< EXTD set on a CPU without x2APIC
};

/// Judges a write of `requested` while the register holds `current` (Intel SDM vol. 3A,
/// 11.12.1 and figure 11-26 for the legal mode transitions).
constexpr ApicBaseWrite judge_apic_base_write(uint64_t current, uint64_t requested,
                                              bool cpu_has_x2apic) {
  using namespace x86::apic_base;
  constexpr uint64_t kKnown = kBsp | kX2apicEnable | kEnable | kAddressMask;
  if ((requested & ~kKnown) != 0) return ApicBaseWrite::kReservedBits;
  if ((requested & kEnable) == 0) return ApicBaseWrite::kDisable;
  if ((requested & kAddressMask) != (current & kAddressMask)) return ApicBaseWrite::kRelocate;
  if ((requested & kBsp) != (current & kBsp)) return ApicBaseWrite::kBspFlag;
  const bool was_x2apic = (current & kX2apicEnable) != 0;
  const bool to_x2apic = (requested & kX2apicEnable) != 0;
  if (was_x2apic && !to_x2apic) return ApicBaseWrite::kLeaveX2apic;
  if (to_x2apic && !cpu_has_x2apic) return ApicBaseWrite::kNoX2apic;
  return ApicBaseWrite::kAllowed;
}

/// A short name of a refusal for hv's log.
constexpr const char* describe(ApicBaseWrite w) {
  switch (w) {
    case ApicBaseWrite::kAllowed:
      return "allowed";
    case ApicBaseWrite::kReservedBits:
      return "reserved bits set";
    case ApicBaseWrite::kDisable:
      return "would disable the APIC";
    case ApicBaseWrite::kRelocate:
      return "would move the xAPIC page";
    case ApicBaseWrite::kBspFlag:
      return "would change the BSP flag";
    case ApicBaseWrite::kLeaveX2apic:
      return "would leave x2APIC mode";
    case ApicBaseWrite::kNoX2apic:
      return "x2APIC mode on a CPU without x2APIC";
  }
  return "?";
}

}  // namespace hv::root
