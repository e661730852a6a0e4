// The child's 8254 PIT: Linux's TSC calibration through channel 2 and port 0x61
// (arch/x86/kernel/tsc.c), channel 0's interrupts at the owner's clock without drift, and the
// latch, read-back and access modes of the 82C54 datasheet.
#include <algorithm>
#include <catch2/catch_test_macros.hpp>
#include <utility>
#include <vector>

#include "vmm/devices/pit8254.hpp"

using namespace rootstock::vmm;
using namespace rootstock::vmm::devices;
using namespace rootstock::vmm::devices::pit8254;

namespace {

constexpr uint64_t kStart = 987'654'321;
constexpr uint8_t kOut2 = std::to_underlying(PortB::kTimer2Out);

/// The first nanosecond after kStart at which the PIT has counted `ticks`.
uint64_t at_ticks(uint64_t ticks) {
  using Wide = unsigned __int128;
  return kStart + static_cast<uint64_t>((Wide{ticks} * 1'000'000'000 + kInputHz - 1) / kInputHz);
}

struct Rig {
  uint64_t now = kStart;
  std::vector<bool> irq;
  Pit8254 pit{[this] { return now; }, [this](bool level) { irq.push_back(level); }};

  void outb(uint8_t value, uint16_t port) { REQUIRE(pit.out(port, 1, value) == Next::kContinue); }
  uint8_t inb(uint16_t port) { return static_cast<uint8_t>(pit.in(port, 1)); }
  uint16_t read16(uint16_t port) {
    const uint8_t lo = inb(port);
    return static_cast<uint16_t>(inb(port) << 8 | lo);
  }
  void write16(uint16_t port, uint16_t count) {
    outb(static_cast<uint8_t>(count), port);
    outb(static_cast<uint8_t>(count >> 8), port);
  }
  [[nodiscard]] uint64_t rises() const {
    return static_cast<uint64_t>(std::count(irq.begin(), irq.end(), true));
  }
  /// Linux's gate-up for channel 2 (tsc.c: "Set the Gate high, disable speaker").
  void gate2_high() { outb(static_cast<uint8_t>((inb(kPortB) & ~0x02) | 0x01), kPortB); }
};

}  // namespace

TEST_CASE("pit8254: Linux's quick_pit_calibrate sees channel 2's MSB count down") {
  Rig rig;
  CHECK((rig.inb(kPortB) & ~std::to_underlying(PortB::kRefreshCycle)) == 0);
  rig.gate2_high();
  rig.outb(0xb0, 0x43);  // counter 2, LSB then MSB, mode 0, binary
  rig.write16(0x42, 0xffff);
  // pit_expect_msb(): reads LSB then MSB without a latch, about a microsecond apart.
  unsigned expected_msb = 0xff;
  uint64_t reads = 0;
  while (expected_msb > 0xf0) {
    rig.now += 1'000;
    rig.inb(0x42);
    const uint8_t msb = rig.inb(0x42);
    ++reads;
    REQUIRE(msb <= expected_msb);
    REQUIRE(msb + 1 >= expected_msb);  // one step at a time: 256 ticks are 214 us
    expected_msb = msb;
  }
  CHECK(reads > 2000);  // ~15 * 214 us at 1 us a read
  CHECK((rig.inb(kPortB) & kOut2) == 0);
  // The count is exact against the clock, both bytes.
  rig.now = at_ticks(0x1234);
  CHECK(rig.read16(0x42) == 0xffff - 0x1234);
}

TEST_CASE("pit8254: pit_calibrate_tsc waits for OUT2 to rise at terminal count in mode 0") {
  Rig rig;
  rig.gate2_high();
  rig.outb(0xb0, 0x43);
  constexpr uint16_t kLatch = 1'193'182 / (1000 / 10);  // 10 ms
  rig.write16(0x42, kLatch);
  uint64_t polls = 0;
  while ((rig.inb(kPortB) & kOut2) == 0) {
    rig.now += 1'000;
    ++polls;
    REQUIRE(polls < 20'000);
  }
  CHECK(rig.now >= at_ticks(kLatch));
  CHECK(rig.now < at_ticks(kLatch) + 1'000);
  // OUT stays high while the counter wraps on past 0.
  rig.now = at_ticks(kLatch + 5);
  CHECK((rig.inb(kPortB) & kOut2) != 0);
  CHECK(rig.read16(0x42) == 0x10000 - 5);
  CHECK(rig.irq.empty());  // channel 2 has no interrupt
}

TEST_CASE("pit8254: GATE2 low holds a mode 0 count; the bits of port 0x61 read back") {
  Rig rig;
  rig.outb(0xb0, 0x43);
  rig.write16(0x42, 1000);
  rig.now = at_ticks(500);
  CHECK(rig.read16(0x42) == 1000);  // gate low since reset: not counting
  rig.outb(0x03, kPortB);           // gate and speaker data
  CHECK((rig.inb(kPortB) & 0x0f) == 0x03);
  rig.now = at_ticks(600);
  CHECK(rig.read16(0x42) == 900);
  rig.outb(0x00, kPortB);
  rig.now = at_ticks(5000);
  CHECK(rig.read16(0x42) == 900);
  CHECK((rig.inb(kPortB) & kOut2) == 0);
  rig.outb(0x01, kPortB);
  rig.now = at_ticks(5000 + 900);
  CHECK((rig.inb(kPortB) & kOut2) != 0);
}

TEST_CASE("pit8254: channel 0 in mode 2 interrupts every period for 100000 periods, no drift") {
  Rig rig;
  CHECK_FALSE(rig.pit.next_event_ns());
  rig.outb(0x34, 0x43);  // counter 0, LSB then MSB, mode 2 (Linux's periodic PIT)
  constexpr uint64_t kPeriod = (1'193'182 + 500) / 1000;  // LATCH for HZ=1000
  rig.write16(0x40, kPeriod);
  CHECK(rig.irq == std::vector<bool>{true});  // OUT high after the mode 2 control word
  rig.irq.clear();
  for (uint64_t k = 1; k <= 100'000; ++k) {
    const auto due = rig.pit.next_event_ns();
    REQUIRE(due);
    REQUIRE(*due == at_ticks(k * kPeriod));
    if (k % 10'000 == 1) {  // one tick early: OUT is in its low tick, no rising edge yet
      rig.now = *due - 1;
      rig.pit.advance();
      REQUIRE(rig.rises() == k - 1);
      REQUIRE_FALSE(rig.pit.irq0_level());
    }
    rig.now = *due;
    rig.pit.advance();
    REQUIRE(rig.rises() == k);
  }
  CHECK(rig.irq.back());
  CHECK(rig.pit.missed_irq0_edges() == 0);
  // 100000 periods of 1193 ticks: 99.98 s of the clock, to the nanosecond.
  CHECK(rig.now - kStart == (100'000 * kPeriod * 1'000'000'000 + kInputHz - 1) / kInputHz);
}

TEST_CASE("pit8254: mode 3 cadence, and a late host timer gives one edge and counts the rest") {
  Rig rig;
  rig.outb(0x36, 0x43);  // counter 0, mode 3
  rig.write16(0x40, 1000);
  rig.irq.clear();
  rig.now = at_ticks(500);  // second half: OUT low
  rig.pit.advance();
  CHECK(rig.irq == std::vector<bool>{false});
  CHECK(*rig.pit.next_event_ns() == at_ticks(1000));
  rig.now = at_ticks(5300);  // five rising edges passed
  rig.pit.advance();
  CHECK(rig.irq == std::vector<bool>{false, true});
  CHECK(rig.pit.missed_irq0_edges() == 4);
  CHECK(*rig.pit.next_event_ns() == at_ticks(6000));
}

TEST_CASE("pit8254: channel 0 one-shot in mode 0 raises IRQ0 once") {
  Rig rig;
  rig.outb(0x30, 0x43);  // Linux's pit_set_oneshot / shutdown control word
  rig.write16(0x40, 1000);
  CHECK(rig.irq.empty());  // OUT low in mode 0, and it was low
  CHECK(*rig.pit.next_event_ns() == at_ticks(1000));
  rig.now = at_ticks(1000);
  rig.pit.advance();
  CHECK(rig.irq == std::vector<bool>{true});
  CHECK_FALSE(rig.pit.next_event_ns());
  // A new control word takes OUT low again.
  rig.outb(0x30, 0x43);
  CHECK(rig.irq == std::vector<bool>{true, false});
}

TEST_CASE("pit8254: counter latch, LSB-only and MSB-only access") {
  Rig rig;
  rig.outb(0x34, 0x43);
  rig.write16(0x40, 1000);
  rig.now = at_ticks(100);
  rig.outb(0x00, 0x43);  // latch counter 0
  rig.now = at_ticks(300);
  rig.outb(0x00, 0x43);  // a second latch before reading is ignored
  CHECK(rig.read16(0x40) == 900);
  CHECK(rig.read16(0x40) == 700);  // latch released: live count
  // Counter 1, LSB only, mode 2.
  rig.outb(0x54, 0x43);
  rig.outb(0x80, 0x41);
  rig.now += 1;
  CHECK(rig.inb(0x41) == 0x80);
  // Counter 1, MSB only: count 0x0200, reads give the MSB.
  rig.outb(0x64, 0x43);
  rig.outb(0x02, 0x41);
  CHECK(rig.inb(0x41) == 0x02);
  CHECK(rig.inb(0x41) == 0x02);
}

TEST_CASE("pit8254: read-back latches status then count") {
  Rig rig;
  rig.outb(0x34, 0x43);
  // Before the count: NULL COUNT, OUT high (mode 2), the control bits.
  rig.outb(0xe2, 0x43);  // read-back status only, counter 0
  CHECK(rig.inb(0x40) == (0x80 | 0x40 | 0x34));
  rig.write16(0x40, 1000);
  rig.now = at_ticks(250);
  rig.outb(0xc2, 0x43);  // count and status, counter 0
  rig.now = at_ticks(400);
  CHECK(rig.inb(0x40) == (0x80 | 0x34));
  CHECK(rig.read16(0x40) == 750);
  CHECK(rig.read16(0x40) == 600);
}

TEST_CASE("pit8254: accesses wider than a byte and foreign ports are ignored") {
  Rig rig;
  CHECK(rig.pit.out(0x43, 2, 0x34) == Next::kContinue);
  CHECK(rig.pit.out(0x40, 4, 0x1234) == Next::kContinue);
  CHECK_FALSE(rig.pit.next_event_ns());
  CHECK(rig.pit.in(0x40, 2) == 0xffff'ffff);
  CHECK(rig.pit.in(0x61, 4) == 0xffff'ffff);
  CHECK(rig.pit.in(0x44, 1) == 0xffff'ffff);
  CHECK(rig.pit.bad_accesses() == 5);
  CHECK(rig.inb(0x43) == 0xff);  // control word register is write-only
  CHECK(rig.irq.empty());
}
