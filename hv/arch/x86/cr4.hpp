// CR4 bits (AMD APM vol. 2, 3.1.3; Intel SDM vol. 3A, 2.5) and which writes a child may make.
// A child's CR4 is intercepted on write because some bits reach state that VMRUN does not
// switch: CR4.PKE makes RDPKRU/WRPKRU read and write the root thread's PKRU, CR4.CET its shadow
// stack MSRs, CR4.VMXE/SMXE and bits the CPU lacks would make VMRUN refuse the VMCB.
#pragma once

#include <stdint.h>

namespace hv::x86::cr4 {

inline constexpr uint64_t kVme = 1ull << 0;
inline constexpr uint64_t kPvi = 1ull << 1;
inline constexpr uint64_t kTsd = 1ull << 2;
inline constexpr uint64_t kDe = 1ull << 3;
inline constexpr uint64_t kPse = 1ull << 4;
inline constexpr uint64_t kPae = 1ull << 5;
inline constexpr uint64_t kMce = 1ull << 6;
inline constexpr uint64_t kPge = 1ull << 7;
inline constexpr uint64_t kPce = 1ull << 8;
inline constexpr uint64_t kOsfxsr = 1ull << 9;
inline constexpr uint64_t kOsxmmexcpt = 1ull << 10;
inline constexpr uint64_t kUmip = 1ull << 11;
inline constexpr uint64_t kLa57 = 1ull << 12;
inline constexpr uint64_t kVmxe = 1ull << 13;
inline constexpr uint64_t kSmxe = 1ull << 14;
inline constexpr uint64_t kFsgsbase = 1ull << 16;
inline constexpr uint64_t kPcide = 1ull << 17;
inline constexpr uint64_t kOsxsave = 1ull << 18;
inline constexpr uint64_t kSmep = 1ull << 20;
inline constexpr uint64_t kSmap = 1ull << 21;
inline constexpr uint64_t kPke = 1ull << 22;
inline constexpr uint64_t kCet = 1ull << 23;

/// The bits any child may have (docs/hypercalls.md §8): the 486-era bits, FSGSBASE, PCIDE,
/// OSXSAVE, SMEP, SMAP. UMIP and LA57 come on top where the CPU has them. Never PKE, CET,
/// VMXE, SMXE (their CPUID bits are hidden from children).
inline constexpr uint64_t kChildBase = kVme | kPvi | kTsd | kDe | kPse | kPae | kMce | kPge | kPce |
                                       kOsfxsr | kOsxmmexcpt | kFsgsbase | kPcide | kOsxsave |
                                       kSmep | kSmap;

/// Changing one of these flushes the TLB, global entries included (SDM vol. 3A, 4.10.4.1).
inline constexpr uint64_t kFlushOnChange = kPse | kPae | kPge | kPcide | kSmep | kLa57;

/// Whether a MOV to CR4 of `next` is legal for a child whose CR4 is `now` (else #GP, nothing
/// changes): only `allowed` bits; in long mode PAE stays set and LA57 unchanged (APM vol. 2,
/// 14.6.1; SDM vol. 3A, 4.1.1); PCIDE goes from 0 to 1 only in long mode with CR3[11:0] = 0
/// (SDM vol. 3A, 4.10.1).
constexpr bool child_write_allowed(uint64_t now, uint64_t next, uint64_t allowed, bool long_mode,
                                   uint64_t cr3) {
  if ((next & ~allowed) != 0) return false;
  if (long_mode && ((next & kPae) == 0 || ((now ^ next) & kLa57) != 0)) return false;
  if ((now & kPcide) == 0 && (next & kPcide) != 0 && (!long_mode || (cr3 & 0xfff) != 0)) {
    return false;
  }
  return true;
}

}  // namespace hv::x86::cr4
