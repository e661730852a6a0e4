// The x87/SSE/AVX register state hv switches between the root and a child (Intel SDM vol. 1,
// chapter 13 "Managing State Using the XSAVE Feature Set"; AMD APM vol. 2, 11.5). VMRUN and
// #VMEXIT switch none of it, nor XCR0: without hv a child would run on the root thread's vector
// registers and leave its own in them.
#pragma once

#include <stdint.h>

namespace hv::x86 {

/// Bytes of one save area hv keeps: a child VP's, and each CPU's for the root.
inline constexpr uint32_t kXsaveAreaBytes = 4096;
/// XCR0 after RESET: x87 only (SDM vol. 1, 13.3).
inline constexpr uint64_t kXcr0Reset = 1;
/// XCR0 bits (SDM vol. 1, 13.1).
namespace xcr0 {
inline constexpr uint64_t kX87 = 1ull << 0, kSse = 1ull << 1, kAvx = 1ull << 2;
inline constexpr uint64_t kAvx512 = 7ull << 5;  ///< opmask, ZMM_Hi256, Hi16_ZMM: all or none
}  // namespace xcr0

/// Whether a child may write `value` to XCR0 with XSETBV (SDM vol. 2C, XSETBV: x87 set, AVX
/// only with SSE, AVX-512 all three and only with AVX), within `allowed`.
bool valid_child_xcr0(uint64_t value, uint64_t allowed);

/// Puts a child's first state into a zeroed area: FCW 037Fh and MXCSR 1F80h, as after RESET
/// (SDM vol. 3A, table 10-1).
void init_child_area(void* area);

/// What the CPU offers, read once (xsave_init()).
struct XsaveFeatures {
  bool xsave = false;            ///< CPUID.1:ECX.XSAVE; without it FXSAVE/FXRSTOR (512 bytes)
  uint64_t supported = 0;        ///< XCR0 bits the CPU supports (CPUID.(0Dh,0):EDX:EAX)
  uint64_t child_mask = 0;       ///< the bits a child may set: user states that fit kXsaveAreaBytes
  uint32_t child_max_bytes = 0;  ///< the standard-format size of every child_mask state
  uint64_t fits_mask = 0;  ///< supported states that fit kXsaveAreaBytes: what hv saves of the root
};

/// What CPUID says, read at the first call (hv makes it at boot, before the APs run: see
/// init_hypercalls()); the same on every CPU.
const XsaveFeatures& xsave_features();
/// xsave_features(), and CR4.OSXSAVE set in hv's own CR4 (XGETBV/XSETBV/XSAVE need it in host
/// mode). Call on every CPU before its first child runs.
const XsaveFeatures& xsave_init();

/// The standard-format size of the states in `xcr0` (CPUID.(0Dh,i) offsets and sizes).
uint32_t xsave_size(uint64_t xcr0);

uint64_t read_xcr0();
void write_xcr0(uint64_t value);

/// Saves the states in `mask` (with XCR0 as it is now) to the 64-byte-aligned `area`.
void save_state(void* area, uint64_t mask);
/// Loads them back; a component the area's header marks as never saved gets its initial
/// state (SDM 13.8), so a zeroed area is a valid first state.
void restore_state(const void* area, uint64_t mask);

}  // namespace hv::x86
