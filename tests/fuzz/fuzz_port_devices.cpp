// Fuzzes the VMM's port I/O devices (vmm/devices/: UART 16550, PIT 8254 with port 61h, CMOS
// RTC, ACPI PM blocks, the reset port) on one I/O bus at the ports LinuxVm gives them, with
// arbitrary sequences of guest INs and OUTs, clock steps, serial input and power-button presses.
//
// Input: bytes 0-7: the wall clock (seconds since 1970, for the RTC; see wall_clock()); then
// operations, each an opcode byte and its operands (see step()). A port is a byte: the low 3 bits
// pick a device's base, the next 3 an offset from it (0xff: a raw 16-bit port follows). Checked:
// the interrupt outputs (UART, PIT channel 0, SCI) report each new level once, never the same level
// twice (their documented contract); after advance(), a device's next event is strictly later than
// now (a programmed timer always makes progress); the reset and power-off callbacks come only with
// an access that returns kStop or from the power button path.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "vmm/devices/acpi_pm.hpp"
#include "vmm/devices/cmos_rtc.hpp"
#include "vmm/devices/pit8254.hpp"
#include "vmm/devices/reset_port.hpp"
#include "vmm/devices/uart16550.hpp"
#include "vmm/io_bus.hpp"

using namespace rootstock::vmm;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool done() const { return at_ >= size_; }
  uint8_t u8() { return at_ < size_ ? data_[at_++] : 0; }
  uint16_t u16() { return static_cast<uint16_t>(u8() | u8() << 8); }
  uint32_t u32() { return u16() | uint32_t{u16()} << 16; }
  uint64_t u64() { return u32() | uint64_t{u32()} << 32; }
  std::span<const uint8_t> bytes(size_t n) {
    n = n < size_ - at_ ? n : size_ - at_;
    const std::span<const uint8_t> s(data_ + at_, n);
    at_ += n;
    return s;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t at_ = 0;
};

// An interrupt output whose callback must alternate levels; it starts low.
struct Line {
  bool level = false;
  void set(bool next) {
    check(next != level);
    level = next;
  }
};

constexpr uint16_t kCom1 = 0x3f8;
constexpr uint16_t kPit = 0x40;
constexpr uint16_t kPortB = 0x61;
constexpr uint16_t kCmos = 0x70;
constexpr uint16_t kReset = 0xcf9;
constexpr devices::acpi_pm::Ports kPm{};
constexpr uint16_t kBases[8] = {kCom1,  kPit,         kPortB,       kCmos,
                                kReset, kPm.pm1a_evt, kPm.pm1a_cnt, kPm.pm_tmr};

struct Bench {
  uint64_t now_ns = 0;
  int64_t wall = 0;
  Line uart_irq, pit_irq, sci;
  unsigned resets = 0, power_offs = 0;

  devices::Uart16550 uart{kCom1, [](uint8_t) {}, [this](bool l) { uart_irq.set(l); }};
  devices::AcpiPm pm{kPm, [this] { return now_ns; }, [this](bool l) { sci.set(l); },
                     [this] { ++power_offs; }};
  devices::Pit8254 pit{[this] { return now_ns; }, [this](bool l) { pit_irq.set(l); }};
  devices::ResetPort reset{kReset, [this] { ++resets; }};
  devices::CmosRtc rtc{[this] { return wall; }};
  IoBus bus;

  Bench() {
    check(bus.add(kCom1, devices::Uart16550::kPortCount, uart).has_value());
    check(bus.add(kPm.pm1a_evt, 4, pm).has_value());
    check(bus.add(kPm.pm1a_cnt, 2, pm).has_value());
    check(bus.add(kPm.pm_tmr, 4, pm).has_value());
    check(bus.add(kReset, 1, reset).has_value());
    check(bus.add(kPit, 4, pit).has_value());
    check(bus.add(kPortB, 1, pit).has_value());
    check(bus.add(kCmos, 2, rtc).has_value());
  }

  static uint16_t port(Reader& in) {
    const uint8_t b = in.u8();
    if (b == 0xff) return in.u16();
    return static_cast<uint16_t>(kBases[b & 7] + (b >> 3 & 7));
  }
  static uint8_t size(Reader& in) {
    static constexpr uint8_t kSizes[3] = {1, 2, 4};
    return kSizes[in.u8() % 3];
  }

  // The root's wall clock, which the guest does not choose: any second from 1970 to past the
  // year 6000.
  static int64_t wall_clock(Reader& in) {
    return static_cast<int64_t>(in.u64() & ((uint64_t{1} << 37) - 1));
  }

  static void after_advance(std::optional<uint64_t> next, uint64_t now) {
    if (next) check(*next > now);
  }

  void step(Reader& in) {
    switch (in.u8() % 6) {
      case 0: {
        const uint16_t p = port(in);
        const uint8_t s = size(in);
        const unsigned before = resets + power_offs;
        const Next next = bus.out(p, s, in.u32());
        if (resets + power_offs != before) check(next == Next::kStop);
        break;
      }
      case 1: {
        const uint16_t p = port(in);
        (void)bus.in(p, size(in));
        break;
      }
      case 2: {
        // The clock moves on by up to ~2^31 ns scaled by up to 2^15: seconds to hours.
        now_ns += uint64_t{in.u16()} << (in.u8() % 32);
        pit.advance();
        after_advance(pit.next_event_ns(), now_ns);
        pm.advance();
        after_advance(pm.next_event_ns(), now_ns);
        break;
      }
      case 3:
        (void)uart.receive(in.bytes(in.u8() % 32));
        break;
      case 4:
        pm.press_power_button();
        break;
      case 5:
        wall = wall_clock(in);
        break;
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Reader in(data, size);
  Bench bench;
  bench.wall = Bench::wall_clock(in);
  for (unsigned steps = 0; !in.done() && steps < 2048; ++steps) bench.step(in);
  return 0;
}
