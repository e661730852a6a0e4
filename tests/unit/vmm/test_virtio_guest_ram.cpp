// The guest RAM seam (vmm/virtio/guest_ram.hpp): MappedGuestRam over GuestMemory blocks, and the
// tests' FakeGuestRam, refuse every range not wholly inside one block of guest RAM, however the
// address and length are chosen, and touch nothing when they do.
#include <array>
#include <catch2/catch_test_macros.hpp>
#include <cstring>
#include <limits>
#include <vector>

#include "tests/unit/vmm/fake_guest_ram.hpp"
#include "vmm/guest_memory.hpp"
#include "vmm/virtio/guest_ram.hpp"
#include "vmm/virtio/mapped_guest_ram.hpp"

using namespace rootstock::vmm;
using namespace rootstock::vmm::virtio;
using rootstock::test::FakeGuestRam;

namespace {

constexpr uint64_t kLow = 0x10000;  // 64 KiB of low RAM
constexpr uint64_t kLowSize = 0x10000;
constexpr uint64_t kHigh = 0x20000;  // right after it: a separate block
constexpr uint64_t kHighSize = 0x2000;
constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

// The same refusals, whichever implementation: RAM is [kLow, kLow + kLowSize) and, for the
// mapped one, [kHigh, kHigh + kHighSize) beside it.
void check_refusals(GuestRam& ram) {
  CHECK(ram.contains(kLow, kLowSize));
  CHECK(ram.contains(kLow + kLowSize - 1, 1));
  CHECK(ram.contains(kLow + kLowSize, 0));
  CHECK_FALSE(ram.contains(kLow - 1, 1));
  CHECK_FALSE(ram.contains(kLow - 1, 2));
  CHECK_FALSE(ram.contains(kLow + 8, kMax - 4));  // gpa + length wraps
  CHECK_FALSE(ram.contains(kMax, 2));
  CHECK_FALSE(ram.contains(0, 0));

  std::array<uint8_t, 8> out{};
  out.fill(0xee);
  auto below = ram.read(kLow - 4, out);
  REQUIRE_FALSE(below);
  CHECK(below.error().gpa == kLow - 4);
  CHECK(below.error().length == 8);
  CHECK(out[0] == 0xee);  // nothing copied
  CHECK_FALSE(ram.read(kMax - 3, out));
  CHECK_FALSE(ram.write(kMax - 3, out));
  CHECK_FALSE(ram.load_acquire_u16(kLow + 1));  // misaligned index field
  CHECK_FALSE(ram.store_release_u16(kLow + 1, 1));
  CHECK_FALSE(ram.load_acquire_u16(kLow - 2));
  CHECK_FALSE(ram.load_acquire_u16(kMax - 1));
}

}  // namespace

TEST_CASE("virtio guest RAM: MappedGuestRam reads and writes inside a block, refuses the rest") {
  auto low = GuestMemory::allocate(kLow, kLowSize);
  auto high = GuestMemory::allocate(kHigh, kHighSize);
  REQUIRE(low);
  REQUIRE(high);
  MappedGuestRam ram({&*low, &*high});
  check_refusals(ram);

  // A range across the two blocks is refused, though both halves are RAM: a buffer is one
  // contiguous host range or nothing.
  CHECK(ram.contains(kHigh, kHighSize));
  CHECK_FALSE(ram.contains(kHigh - 4, 8));
  CHECK_FALSE(ram.contains(kHigh + kHighSize - 1, 2));
  std::array<uint8_t, 8> across{};
  CHECK_FALSE(ram.write(kHigh - 4, across));

  const std::array<uint8_t, 4> data = {1, 2, 3, 4};
  REQUIRE(ram.write(kHigh + 0x10, data));
  CHECK(std::memcmp(high->host().data() + 0x10, data.data(), 4) == 0);
  std::array<uint8_t, 4> back{};
  REQUIRE(ram.read(kHigh + 0x10, back));
  CHECK(back == data);
  REQUIRE(ram.write(kLow + kLowSize, std::span<const uint8_t>()));  // empty, at the end

  REQUIRE(ram.store_release_u16(kLow + 0x100, 0xbeef));
  CHECK(low->host()[0x100] == 0xef);  // little-endian, as the rings are
  CHECK(low->host()[0x101] == 0xbe);
  auto loaded = ram.load_acquire_u16(kLow + 0x100);
  REQUIRE(loaded);
  CHECK(*loaded == 0xbeef);

  struct Pair {
    uint32_t a;
    uint16_t b;
  };
  REQUIRE(write_object(ram, kHigh, Pair{7, 9}));
  auto pair = read_object<Pair>(ram, kHigh);
  REQUIRE(pair);
  CHECK(pair->a == 7);
  CHECK(pair->b == 9);
  CHECK_FALSE(read_object<Pair>(ram, kHigh + kHighSize - 4));
}

TEST_CASE("virtio guest RAM: the tests' fake refuses as the real one and counts refusals") {
  FakeGuestRam ram(kLow, kLowSize);
  check_refusals(ram);
  CHECK(ram.refused() == 7);

  ram.record_writes(true);
  const std::array<uint8_t, 3> data = {9, 8, 7};
  REQUIRE(ram.write(kLow + 5, data));
  REQUIRE(ram.store_release_u16(kLow + 8, 0x1234));
  const auto writes = ram.take_writes();
  REQUIRE(writes.size() == 2);
  CHECK(writes[0].gpa == kLow + 5);
  CHECK(writes[0].length == 3);
  CHECK(writes[1].gpa == kLow + 8);
  CHECK(ram.take_writes().empty());
  CHECK(ram.peek<uint16_t>(kLow + 8) == 0x1234);
  CHECK(ram.bytes()[5] == 9);
}
