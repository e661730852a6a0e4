// Model-specific registers hv reads and writes (AMD APM vol. 2, appendix A; Intel SDM vol. 4).
#pragma once

#include <stdint.h>

namespace hv::x86 {

/// MSR numbers, named after the manuals.
enum class Msr : uint32_t {
  kApicBase = 0x1b,    ///< IA32_APIC_BASE (APM 16.3.1)
  kSpecCtrl = 0x48,    ///< IA32_SPEC_CTRL: IBRS, STIBP, SSBD (AMD "Indirect Branch Control")
  kPredCmd = 0x49,     ///< IA32_PRED_CMD: bit 0 = IBPB (write only)
  kXss = 0xda0,        ///< IA32_XSS: supervisor state components of XSAVES (SDM vol. 1, 13.3)
  kX2apicIcr = 0x830,  ///< x2APIC interrupt command register (Intel SDM 10.12.9)
  kEfer = 0xc0000080,  ///< extended feature enable (APM 3.1.7)
  kFsBase = 0xc0000100,
  kGsBase = 0xc0000101,
  kTscAux = 0xc0000103,     ///< IA32_TSC_AUX: what RDTSCP and RDPID return in ECX / the register
  kVmCr = 0xc0010114,       ///< SVM control (APM 15.30.1)
  kVmHsavePa = 0xc0010117,  ///< host save area physical address (APM 15.30.4)
};

/// EFER bits (APM vol. 2, 3.1.7).
namespace efer {
inline constexpr uint64_t kSce = 1ull << 0;
inline constexpr uint64_t kLme = 1ull << 8;
inline constexpr uint64_t kLma = 1ull << 10;
inline constexpr uint64_t kNxe = 1ull << 11;
inline constexpr uint64_t kSvme = 1ull << 12;
}  // namespace efer

/// VM_CR bits (APM vol. 2, 15.30.1).
namespace vm_cr {
inline constexpr uint64_t kLock = 1ull << 3;
inline constexpr uint64_t kSvmDis = 1ull << 4;
}  // namespace vm_cr

/// IA32_APIC_BASE bits (APM vol. 2, 16.3.1; Intel SDM 10.12.1).
namespace apic_base {
inline constexpr uint64_t kBsp = 1ull << 8;
inline constexpr uint64_t kX2apicEnable = 1ull << 10;
inline constexpr uint64_t kEnable = 1ull << 11;
inline constexpr uint64_t kAddressMask = 0x000ffffffffff000ull;
}  // namespace apic_base

inline uint64_t rdmsr(Msr msr) {
  uint32_t lo, hi;
  asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(static_cast<uint32_t>(msr)));
  return (static_cast<uint64_t>(hi) << 32) | lo;
}

inline void wrmsr(Msr msr, uint64_t value) {
  asm volatile("wrmsr"
               :
               : "c"(static_cast<uint32_t>(msr)), "a"(static_cast<uint32_t>(value)),
                 "d"(static_cast<uint32_t>(value >> 32))
               : "memory");
}

}  // namespace hv::x86
