// The XCR0 values a child may set with XSETBV (hv/arch/x86/xsave.hpp; Intel SDM vol. 2C,
// XSETBV) and the first state hv gives a child's save area.
#include <catch2/catch_test_macros.hpp>

#include <cstdint>

#include "arch/x86/xsave.hpp"

using namespace hv::x86;

TEST_CASE("XSETBV: the XCR0 values a child may set", "[hv][xsave]") {
  constexpr uint64_t kAll = xcr0::kX87 | xcr0::kSse | xcr0::kAvx | xcr0::kAvx512;
  CHECK(valid_child_xcr0(xcr0::kX87, kAll));
  CHECK(valid_child_xcr0(xcr0::kX87 | xcr0::kSse, kAll));
  CHECK(valid_child_xcr0(xcr0::kX87 | xcr0::kSse | xcr0::kAvx, kAll));
  CHECK(valid_child_xcr0(kAll, kAll));
  CHECK_FALSE(valid_child_xcr0(0, kAll));                                      // x87 must stay set
  CHECK_FALSE(valid_child_xcr0(xcr0::kSse, kAll));                             // ... also here
  CHECK_FALSE(valid_child_xcr0(xcr0::kX87 | xcr0::kAvx, kAll));                // AVX without SSE
  CHECK_FALSE(valid_child_xcr0(xcr0::kX87 | xcr0::kSse | (1ull << 5), kAll));  // part of AVX-512
  CHECK_FALSE(valid_child_xcr0(xcr0::kX87 | xcr0::kSse | xcr0::kAvx512, kAll));  // without AVX
  // Beyond what hv allows (the CPU's, minus PKRU and what does not fit a page).
  CHECK_FALSE(valid_child_xcr0(xcr0::kX87 | xcr0::kSse | xcr0::kAvx, xcr0::kX87 | xcr0::kSse));
  CHECK_FALSE(valid_child_xcr0(xcr0::kX87 | (1ull << 9), kAll));  // PKRU: never a child's
}

TEST_CASE("XSAVE: a child's first state is FCW 037Fh and MXCSR 1F80h", "[hv][xsave]") {
  alignas(64) uint8_t area[kXsaveAreaBytes] = {};
  init_child_area(area);
  CHECK((area[0] | area[1] << 8) == 0x037f);
  CHECK((area[24] | area[25] << 8) == 0x1f80);
  // The XSAVE header (bytes 512-575) stays 0: every other state starts in its initial form.
  for (unsigned i = 512; i < 576; ++i) CHECK(area[i] == 0);
}
