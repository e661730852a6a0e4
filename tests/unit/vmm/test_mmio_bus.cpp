// The child's MMIO bus: ranges routed to their devices by absolute address, overlaps refused with
// both devices named, adjacent ranges allowed up to the top of the address space, and an address
// nobody claims an empty bus (reads all ones, writes dropped, counted).
#include <catch2/catch_test_macros.hpp>

#include <limits>
#include <string>
#include <vector>

#include "vmm/mmio_bus.hpp"

using namespace rootstock::vmm;

namespace {

struct Recorder final : MmioHandler {
  std::vector<uint64_t> reads, writes;
  uint64_t answer = 0;
  Next next = Next::kContinue;
  uint64_t read(uint64_t gpa, uint8_t) override {
    reads.push_back(gpa);
    return answer;
  }
  Next write(uint64_t gpa, uint8_t, uint64_t) override {
    writes.push_back(gpa);
    return next;
  }
};

constexpr uint64_t kTop = std::numeric_limits<uint64_t>::max();

}  // namespace

TEST_CASE("mmio bus: each access reaches the device whose range holds its address", "[vmm][bus]") {
  MmioBus bus;
  Recorder hpet, virtio, top;
  hpet.answer = 0x8086a201;
  virtio.next = Next::kStop;
  REQUIRE(bus.add(0xfed00000, 0x400, hpet, "hpet"));
  REQUIRE(bus.add(0xd0000000, 0x200, virtio, "virtio-mmio"));
  REQUIRE(bus.add(kTop - 0xfff, 0x1000, top, "top page"));  // up to the last byte
  CHECK(bus.read(0xfed00000, 4) == 0x8086a201);
  CHECK(bus.read(0xfed003ff, 1) == 0x8086a201);
  CHECK(bus.write(0xd00001f8, 8, 1) == Next::kStop);  // the device's answer goes to the loop
  CHECK(bus.read(kTop, 1) == 0);
  CHECK(hpet.reads == std::vector<uint64_t>{0xfed00000, 0xfed003ff});  // absolute addresses
  CHECK(virtio.writes == std::vector<uint64_t>{0xd00001f8});
  CHECK(top.reads == std::vector<uint64_t>{kTop});
  CHECK(bus.unclaimed() == 0);
}

TEST_CASE("mmio bus: an address nobody claims reads all ones and drops writes, counted",
          "[vmm][bus]") {
  MmioBus bus;
  Recorder hpet;
  REQUIRE(bus.add(0xfed00000, 0x400, hpet, "hpet"));
  CHECK(bus.read(0xfecfffff, 4) == ~uint64_t{0});  // just below
  CHECK(bus.read(0xfed00400, 8) == ~uint64_t{0});  // just past
  CHECK(bus.write(0xfed00400, 4, 0x1234) == Next::kContinue);
  CHECK(bus.read(0, 1) == ~uint64_t{0});
  CHECK(hpet.reads.empty());
  CHECK(hpet.writes.empty());
  CHECK(bus.unclaimed() == 4);
  MmioBus empty;
  CHECK(empty.read(kTop, 2) == ~uint64_t{0});
  CHECK(empty.unclaimed() == 1);
}

TEST_CASE("mmio bus: overlapping, empty and wrapping ranges are refused; adjacent ones are not",
          "[vmm][bus]") {
  MmioBus bus;
  Recorder a, b;
  REQUIRE(bus.add(0x10000, 0x1000, a, "first"));
  const auto inside = bus.add(0x10800, 0x10, b, "second");
  REQUIRE_FALSE(inside);
  // The error names both ranges and both devices.
  CHECK(inside.error().what ==
        "mmio bus: 0x10800-0x1080f (second) overlaps 0x10000-0x10fff (first)");
  CHECK_FALSE(bus.add(0xf000, 0x1001, b, "second"));    // ends on the first byte
  CHECK_FALSE(bus.add(0x10fff, 0x10, b, "second"));     // starts on the last byte
  CHECK_FALSE(bus.add(0x0, 0x100000, b, "second"));     // covers
  CHECK_FALSE(bus.add(0x20000, 0, b, "second"));        // empty
  CHECK_FALSE(bus.add(kTop - 0xf, 0x11, b, "second"));  // past the top
  CHECK(bus.read(0x10800, 4) == 0);                     // nothing changed
  CHECK(a.reads == std::vector<uint64_t>{0x10800});
  CHECK(b.reads.empty());
  REQUIRE(bus.add(0xf000, 0x1000, b, "below"));   // ends right below
  REQUIRE(bus.add(0x11000, 0x1000, b, "above"));  // starts right after
  CHECK(bus.read(0xffff, 1) == 0);
  CHECK(bus.read(0x11000, 1) == 0);
  CHECK(b.reads == std::vector<uint64_t>{0xffff, 0x11000});
  CHECK(a.reads.size() == 1);
}
