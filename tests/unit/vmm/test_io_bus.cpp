// The child's port I/O bus: ranges routed to their devices, overlaps refused with both devices
// named, adjacent ranges allowed, unclaimed ports an empty bus.
#include <catch2/catch_test_macros.hpp>

#include <vector>

#include "vmm/io_bus.hpp"

using namespace rootstock::vmm;

namespace {

struct Recorder final : PortIoHandler {
  std::vector<uint16_t> ports;
  uint32_t answer = 0;
  Next out(uint16_t port, uint8_t, uint32_t) override {
    ports.push_back(port);
    return Next::kContinue;
  }
  uint32_t in(uint16_t port, uint8_t) override {
    ports.push_back(port);
    return answer;
  }
};

}  // namespace

TEST_CASE("io bus: each port reaches the device that owns it", "[vmm][bus]") {
  IoBus bus;
  Recorder uart, pm, last;
  uart.answer = 0x55;
  REQUIRE(bus.add(0x3f8, 8, uart));
  REQUIRE(bus.add(0x600, 16, pm));
  REQUIRE(bus.add(0xfff0, 16, last));  // up to the last port
  CHECK(bus.in(0x3f8, 1) == 0x55);
  CHECK(bus.out(0x3ff, 1, 1) == Next::kContinue);
  CHECK(bus.in(0x60f, 2) == 0);
  CHECK(bus.in(0xffff, 1) == 0);
  CHECK(uart.ports == std::vector<uint16_t>{0x3f8, 0x3ff});
  CHECK(pm.ports == std::vector<uint16_t>{0x60f});
  CHECK(last.ports == std::vector<uint16_t>{0xffff});
  // Around the ranges: nobody's.
  CHECK(bus.in(0x3f7, 1) == 0xffffffffu);
  CHECK(bus.in(0x400, 1) == 0xffffffffu);
  CHECK(bus.out(0x610, 1, 0) == Next::kContinue);
  CHECK(bus.in(0, 4) == 0xffffffffu);
  CHECK(bus.unclaimed() == 4);
}

TEST_CASE("io bus: overlapping and impossible ranges are refused; adjacent ones are not",
          "[vmm][bus]") {
  IoBus bus;
  Recorder a, b;
  REQUIRE(bus.add(0x3f8, 8, a, "com1"));
  const auto same = bus.add(0x3f8, 1, b, "other");
  REQUIRE_FALSE(same);
  CHECK(same.error().what == "io bus: ports 0x3f8-0x3f8 (other) overlaps 0x3f8-0x3ff (com1)");
  CHECK_FALSE(bus.add(0x3f0, 9, b));     // ends inside
  CHECK_FALSE(bus.add(0x3ff, 4, b));     // starts inside
  CHECK_FALSE(bus.add(0x3f0, 0x20, b));  // covers
  CHECK_FALSE(bus.add(0x100, 0, b));
  CHECK_FALSE(bus.add(0xfff0, 17, b));  // past 0xffff
  REQUIRE(bus.add(0x3f0, 8, b));        // right below is fine
  REQUIRE(bus.add(0x400, 1, b));        // and right above
  CHECK(bus.in(0x3f7, 1) == 0);
  CHECK(bus.in(0x400, 1) == 0);
  CHECK(b.ports == std::vector<uint16_t>{0x3f7, 0x400});
  CHECK(a.ports.empty());
}
