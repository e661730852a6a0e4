// The root's memory map: hv's ranges become reserved holes in usable RAM, everything else is
// passed on as the firmware gave it.
#include <catch2/catch_test_macros.hpp>

#include "root/root_memory.hpp"

using rootstock::MemoryRange;
using rootstock::MemoryType;
using namespace hv::root;

namespace {
constexpr uint64_t kMiB = 1ull << 20;
}  // namespace

TEST_CASE("root map: hv's image and reservation are reserved holes in RAM", "[hv][root]") {
  const MemoryRange fw[] = {
      {0, 0x9fc00, MemoryType::kUsable},
      {0x9fc00, 0x400, MemoryType::kReserved},
      {0x100000, 512 * kMiB - 0x100000, MemoryType::kUsable},
      {0xfeffc000, 0x4000, MemoryType::kReserved},
  };
  const MemoryRange hv[] = {
      {0x100000, 6 * kMiB, MemoryType::kReserved},     // image + payload
      {448 * kMiB, 64 * kMiB, MemoryType::kReserved},  // reservation at the top
  };
  MemoryRange out[kMaxRootRanges];
  const size_t n = build_root_map(fw, 4, hv, 2, out, kMaxRootRanges);
  REQUIRE(n == 6);
  CHECK(out[0].type == MemoryType::kUsable);
  CHECK(out[1].base == 0x9fc00);
  CHECK(out[2].base == 0x100000);
  CHECK(out[2].length == 6 * kMiB);
  CHECK(out[2].type == MemoryType::kReserved);
  CHECK(out[3].base == 0x100000 + 6 * kMiB);
  CHECK(out[3].end() == 448 * kMiB);
  CHECK(out[3].type == MemoryType::kUsable);
  CHECK(out[4].base == 448 * kMiB);
  CHECK(out[4].length == 64 * kMiB);
  CHECK(out[4].type == MemoryType::kReserved);
  CHECK(out[5].base == 0xfeffc000);
  // Usable bytes: everything usable minus exactly hv's 70 MiB.
  uint64_t usable = 0;
  for (size_t i = 0; i < n; ++i) usable += out[i].type == MemoryType::kUsable ? out[i].length : 0;
  CHECK(usable == 0x9fc00 + 512 * kMiB - 0x100000 - 70 * kMiB);
}

TEST_CASE("root map: an hv range spanning two RAM ranges and a hole", "[hv][root]") {
  const MemoryRange fw[] = {
      {0, 16 * kMiB, MemoryType::kUsable},
      {16 * kMiB, 1 * kMiB, MemoryType::kAcpiNvs},
      {17 * kMiB, 15 * kMiB, MemoryType::kUsable},
  };
  const MemoryRange hv[] = {{8 * kMiB, 16 * kMiB, MemoryType::kReserved}};
  MemoryRange out[8];
  const size_t n = build_root_map(fw, 3, hv, 1, out, 8);
  REQUIRE(n == 5);
  CHECK(out[0].end() == 8 * kMiB);
  CHECK(out[1].type == MemoryType::kReserved);
  CHECK(out[1].end() == 16 * kMiB);
  CHECK(out[2].type == MemoryType::kAcpiNvs);
  CHECK(out[3].type == MemoryType::kReserved);
  CHECK(out[3].end() == 24 * kMiB);
  CHECK(out[4].base == 24 * kMiB);
  CHECK(out[4].type == MemoryType::kUsable);
}

TEST_CASE("root map: too many ranges for the table is an error, not a cut", "[hv][root]") {
  MemoryRange fw[4];
  for (int i = 0; i < 4; ++i) {
    fw[i] = {static_cast<uint64_t>(i) * 2 * kMiB, kMiB, MemoryType::kUsable};
  }
  MemoryRange out[4];
  CHECK(build_root_map(fw, 4, nullptr, 0, out, 3) == 0);
  CHECK(build_root_map(fw, 4, nullptr, 0, out, 4) == 4);
}

TEST_CASE("root map: is_usable needs one run of usable ranges", "[hv][root]") {
  const MemoryRange map[] = {
      {0, kMiB, MemoryType::kUsable},
      {kMiB, kMiB, MemoryType::kUsable},
      {2 * kMiB, kMiB, MemoryType::kReserved},
  };
  CHECK(is_usable(map, 3, 0x1000, kMiB));            // across two touching usable ranges
  CHECK_FALSE(is_usable(map, 3, kMiB, 2 * kMiB));    // into the reserved one
  CHECK_FALSE(is_usable(map, 3, 4 * kMiB, 0x1000));  // beyond the map
  CHECK_FALSE(is_usable(map, 3, 0, 0));
}
