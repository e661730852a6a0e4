#include "arch/x86/xsave.hpp"

#include "arch/x86/cpuid.hpp"

namespace hv::x86 {
namespace {

constexpr uint32_t kLeafFeatures = 1, kLeafXsave = 0xd;
constexpr uint32_t kFeatEcxXsave = 1u << 26;
constexpr uint64_t kCr4Osxsave = 1ull << 18;
// The legacy region and the XSAVE header come first (SDM 13.4): 512 + 64 bytes.
constexpr uint32_t kLegacyAndHeader = 576;
// XCR0 bits for user state components a child may have: x87, SSE, AVX, MPX (3, 4), AVX-512
// (5-7). PKRU (9) needs CR4.PKE, which a child may not set; AMX (17, 18) does not fit a page.
constexpr uint64_t kChildCandidates = 0xff;

XsaveFeatures g_features;
bool g_ready = false;

uint64_t read_cr4() {
  uint64_t v = 0;
  asm volatile("mov %%cr4, %0" : "=r"(v));
  return v;
}

void write_cr4(uint64_t v) {
  asm volatile("mov %0, %%cr4" ::"r"(v) : "memory");
}

// The end of component i's region in the standard format (CPUID.(0Dh,i): EAX size, EBX offset).
uint32_t component_end(unsigned i) {
  if (i < 2) return kLegacyAndHeader;
  const CpuidResult c = cpuid(kLeafXsave, i);
  return c.ebx + c.eax;
}

}  // namespace

const XsaveFeatures& xsave_features() {
  if (!g_ready) {
    g_features.xsave = (cpuid(kLeafFeatures).ecx & kFeatEcxXsave) != 0;
    if (g_features.xsave) {
      const CpuidResult c = cpuid(kLeafXsave, 0);
      g_features.supported = (uint64_t{c.edx} << 32) | c.eax;
      uint64_t mask = 0;
      for (unsigned i = 0; i < 8; ++i) {
        const uint64_t bit = 1ull << i;
        if ((g_features.supported & bit & kChildCandidates) != 0 &&
            component_end(i) <= kXsaveAreaBytes) {
          mask |= bit;
        }
      }
      g_features.child_mask = mask;
      uint64_t fits = 0;
      for (unsigned i = 0; i < 64; ++i) {
        const uint64_t bit = 1ull << i;
        if ((g_features.supported & bit) != 0 && component_end(i) <= kXsaveAreaBytes) fits |= bit;
      }
      g_features.fits_mask = fits;
      g_features.child_max_bytes = xsave_size(mask);
    }
    g_ready = true;
  }
  return g_features;
}

const XsaveFeatures& xsave_init() {
  const XsaveFeatures& f = xsave_features();
  if (f.xsave && (read_cr4() & kCr4Osxsave) == 0) write_cr4(read_cr4() | kCr4Osxsave);
  return f;
}

bool valid_child_xcr0(uint64_t value, uint64_t allowed) {
  if ((value & xcr0::kX87) == 0 || (value & ~allowed) != 0) return false;
  if ((value & xcr0::kAvx) != 0 && (value & xcr0::kSse) == 0) return false;
  const uint64_t avx512 = value & xcr0::kAvx512;
  return avx512 == 0 || (avx512 == xcr0::kAvx512 && (value & xcr0::kAvx) != 0);
}

void init_child_area(void* area) {
  auto* bytes = static_cast<uint8_t*>(area);
  // FXSAVE layout (SDM vol. 1, table 10-2): FCW at byte 0, MXCSR at byte 24.
  bytes[0] = 0x7f;
  bytes[1] = 0x03;
  bytes[24] = 0x80;
  bytes[25] = 0x1f;
}

uint32_t xsave_size(uint64_t xcr0) {
  uint32_t end = kLegacyAndHeader;
  for (unsigned i = 2; i < 64; ++i) {
    if ((xcr0 & (1ull << i)) == 0) continue;
    const uint32_t e = component_end(i);
    if (e > end) end = e;
  }
  return end;
}

uint64_t read_xcr0() {
  uint32_t lo = 0, hi = 0;
  asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (uint64_t{hi} << 32) | lo;
}

void write_xcr0(uint64_t value) {
  asm volatile("xsetbv" ::"a"(static_cast<uint32_t>(value)),
               "d"(static_cast<uint32_t>(value >> 32)), "c"(0)
               : "memory");
}

void save_state(void* area, uint64_t mask) {
  if (!g_features.xsave) {
    asm volatile("fxsave64 (%0)" ::"r"(area) : "memory");
    return;
  }
  asm volatile("xsave64 (%0)" ::"r"(area), "a"(static_cast<uint32_t>(mask)),
               "d"(static_cast<uint32_t>(mask >> 32))
               : "memory");
}

void restore_state(const void* area, uint64_t mask) {
  if (!g_features.xsave) {
    asm volatile("fxrstor64 (%0)" ::"r"(area) : "memory");
    return;
  }
  asm volatile("xrstor64 (%0)" ::"r"(area), "a"(static_cast<uint32_t>(mask)),
               "d"(static_cast<uint32_t>(mask >> 32))
               : "memory");
}

}  // namespace hv::x86
