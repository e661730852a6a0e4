// CPUID (AMD APM vol. 3, appendix E; Intel SDM vol. 2A, CPUID): the features hv checks.
#pragma once

#include <stdint.h>

namespace hv::x86 {

/// The four result registers of one CPUID leaf.
struct CpuidResult {
  uint32_t eax, ebx, ecx, edx;
};

inline CpuidResult cpuid(uint32_t leaf, uint32_t subleaf = 0) {
  CpuidResult r;
  asm volatile("cpuid"
               : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
               : "a"(leaf), "c"(subleaf));
  return r;
}

/// CPUID leaves and bits hv uses.
namespace cpuid_bit {
inline constexpr uint32_t kLeafFeatures = 0x1;
inline constexpr uint32_t kFeaturesEcxVmx = 1u << 5;
inline constexpr uint32_t kFeaturesEcxX2apic = 1u << 21;
inline constexpr uint32_t kFeaturesEcxHypervisor = 1u << 31;
inline constexpr uint32_t kLeafExtMax = 0x80000000;
inline constexpr uint32_t kLeafExtFeatures = 0x80000001;
inline constexpr uint32_t kExtFeaturesEcxSvm = 1u << 2;
inline constexpr uint32_t kExtFeaturesEdxNx = 1u << 20;
inline constexpr uint32_t kLeafSvm = 0x8000000a;  ///< APM vol. 3, E.4.9
inline constexpr uint32_t kSvmEdxNpt = 1u << 0;
inline constexpr uint32_t kSvmEdxNrips = 1u << 3;
inline constexpr uint32_t kSvmEdxPauseFilter = 1u << 10;
inline constexpr uint32_t kSvmEdxPauseFilterThreshold = 1u << 12;
}  // namespace cpuid_bit

/// Whether the CPU has the no-execute page bit (CPUID 0x80000001 EDX.NX).
inline bool nx_supported() {
  return cpuid(cpuid_bit::kLeafExtMax).eax >= cpuid_bit::kLeafExtFeatures &&
         (cpuid(cpuid_bit::kLeafExtFeatures).edx & cpuid_bit::kExtFeaturesEdxNx) != 0;
}

/// The vendor of this CPU, from CPUID leaf 0.
enum class Vendor { kAmd, kIntel, kOther };

inline Vendor cpu_vendor() {
  const CpuidResult r = cpuid(0);
  // "AuthenticAMD" / "GenuineIntel" in EBX, EDX, ECX: compare the EBX word ("Auth" / "Genu").
  constexpr uint32_t kAuth = 0x68747541;
  constexpr uint32_t kGenu = 0x756e6547;
  if (r.ebx == kAuth) return Vendor::kAmd;
  if (r.ebx == kGenu) return Vendor::kIntel;
  return Vendor::kOther;
}

}  // namespace hv::x86
