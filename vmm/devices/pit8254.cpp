#include "vmm/devices/pit8254.hpp"

#include <utility>

#include "vmm/board.hpp"

namespace rootstock::vmm::devices {

using namespace pit8254;

namespace {

constexpr uint64_t kNsPerSecond = 1'000'000'000;
/// Port B bit 4 toggles at each DRAM refresh request, every 15.085 us on a PC/AT.
constexpr uint64_t kRefreshPeriodNs = 15'085;
constexpr uint32_t kFullCount = 0x10000;  ///< what a count of 0 means in binary
constexpr uint8_t kEmptyBus = 0xff;

constexpr uint8_t bit(ControlWord field) {
  return std::to_underlying(field);
}
constexpr uint8_t bit(ReadBack field) {
  return std::to_underlying(field);
}
constexpr uint8_t bit(Status field) {
  return std::to_underlying(field);
}
constexpr uint8_t bit(PortB field) {
  return std::to_underlying(field);
}

uint8_t lsb(uint16_t value) {
  return static_cast<uint8_t>(value);
}
uint8_t msb(uint16_t value) {
  return static_cast<uint8_t>(value >> 8);
}

/// Modes 1 and 5 count from a rising edge of GATE; the others count while GATE is high
/// (82C54, Table 3 "Gate Pin Operations Summary").
bool gate_triggered(uint8_t mode) {
  return mode == 1 || mode == 5;
}
bool periodic(uint8_t mode) {
  return mode == 2 || mode == 3;
}

}  // namespace

Pit8254::Pit8254(ClockFn clock, IrqFn irq)
    : clock_(std::move(clock)), irq_(std::move(irq)), epoch_ns_(clock_()) {
  channels_[2].gate = false;  // port 0x61 bit 0 is 0 after reset
}

Next Pit8254::out(uint16_t port, uint8_t size, uint32_t value) {
  const uint8_t byte = static_cast<uint8_t>(value);
  if (size != 1) {
    ++bad_;
  } else if (port == kPortB) {
    port_b_ = byte & bit(PortB::kWritable);
    set_gate(channels_[2], (byte & bit(PortB::kTimer2Gate)) != 0);
  } else if (port >= kBase && port - kBase < kPortCount) {
    const auto reg = static_cast<Reg>(port - kBase);
    if (reg == Reg::kControl) {
      write_control(byte);
    } else {
      write_counter(channels_[std::to_underlying(reg)], byte);
    }
  } else {
    ++bad_;
  }
  advance();
  return Next::kContinue;
}

uint32_t Pit8254::in(uint16_t port, uint8_t size) {
  advance();
  if (size != 1) {
    ++bad_;
    return ~uint32_t{0};
  }
  if (port == kPortB) {
    const uint64_t ns = clock_() - epoch_ns_;
    uint8_t value = port_b_;
    if ((ns / kRefreshPeriodNs) % 2 != 0) value |= bit(PortB::kRefreshCycle);
    if (out(channels_[2], now_tick())) value |= bit(PortB::kTimer2Out);
    return value;
  }
  if (port >= kBase && port - kBase < kPortCount) {
    const auto reg = static_cast<Reg>(port - kBase);
    if (reg == Reg::kControl) return kEmptyBus;  // write-only (82C54, Table 1: "No-Operation")
    return read_counter(channels_[std::to_underlying(reg)]);
  }
  ++bad_;
  return ~uint32_t{0};
}

void Pit8254::advance() {
  Channel& ch = channels_[0];
  const uint64_t now = now_tick();
  const uint64_t total = rises(ch, elapsed(ch, now));
  if (total > ch.rises_reported) {
    // The edge an edge-triggered pin needs, even if OUT has been high at both looks.
    missed_ += total - ch.rises_reported - 1;
    ch.rises_reported = total;
    set_irq(false);
    set_irq(true);
  }
  set_irq(out(ch, now));
}

std::optional<uint64_t> Pit8254::next_event_ns() const {
  const Channel& ch = channels_[0];
  if (!counting(ch)) return {};
  const std::optional<uint64_t> at = rise_at(ch, ch.rises_reported + 1);
  if (!at) return {};
  return tick_to_ns(ch.start_tick + *at);
}

uint64_t Pit8254::now_tick() const {
  using Wide = unsigned __int128;
  const uint64_t ns = clock_() - epoch_ns_;
  return static_cast<uint64_t>(Wide{ns} * kInputHz / kNsPerSecond);
}

uint64_t Pit8254::tick_to_ns(uint64_t tick) const {
  // The first nanosecond now_tick() reads `tick` at: edges land on exact multiples of the
  // period in ticks, so a periodic interrupt never accumulates rounding.
  using Wide = unsigned __int128;
  return epoch_ns_ + static_cast<uint64_t>((Wide{tick} * kNsPerSecond + kInputHz - 1) / kInputHz);
}

void Pit8254::write_control(uint8_t value) {
  const uint8_t select = static_cast<uint8_t>(value >> kSelectShift);
  if (select == kSelectReadBack) {
    read_back(value);
    return;
  }
  Channel& ch = channels_[select];
  const auto access = static_cast<Access>((value & bit(ControlWord::kAccess)) >> kAccessShift);
  if (access == Access::kLatch) {
    // Counter latch command (82C54, "Counter Latch Command"): a second latch before the first
    // is read is ignored.
    if (!ch.latched_count) {
      ch.latched_count = counter_value(ch, now_tick());
      ch.latched_msb_next = false;
    }
    return;
  }
  // A control word resets the counter's logic and sets OUT to the mode's initial state; the
  // counter waits for a new count (82C54, "Mode Definitions").
  uint8_t mode = static_cast<uint8_t>((value & bit(ControlWord::kMode)) >> kModeShift);
  if (mode > 5) mode -= 4;  // 110 and 111 are modes 2 and 3 (M2 is "don't care" there)
  ch.control = value & static_cast<uint8_t>(bit(ControlWord::kAccess) | bit(ControlWord::kMode) |
                                            bit(ControlWord::kBcd));
  ch.mode = mode;
  ch.access = access;
  ch.null_count = true;
  ch.loaded = false;
  ch.armed = false;
  ch.held = 0;
  ch.write_msb_next = false;
  ch.read_msb_next = false;
  ch.latched_count.reset();
  ch.latched_status.reset();
  ch.rises_reported = 0;
}

void Pit8254::read_back(uint8_t value) {
  // Read-back command (82C54, Figure 10): latch count and/or status of each selected counter;
  // what is already latched and unread stays as it is.
  const uint64_t now = now_tick();
  constexpr std::array<ReadBack, 3> kSelects = {ReadBack::kCnt0, ReadBack::kCnt1, ReadBack::kCnt2};
  for (size_t i = 0; i < channels_.size(); ++i) {
    if ((value & bit(kSelects[i])) == 0) continue;
    Channel& ch = channels_[i];
    if ((value & bit(ReadBack::kNotCount)) == 0 && !ch.latched_count) {
      ch.latched_count = counter_value(ch, now);
      ch.latched_msb_next = false;
    }
    if ((value & bit(ReadBack::kNotStatus)) == 0 && !ch.latched_status) {
      ch.latched_status = status(ch, now);
    }
  }
}

void Pit8254::write_counter(Channel& ch, uint8_t byte) {
  switch (ch.access) {
    case Access::kLsb:
      load_count(ch, byte);
      break;
    case Access::kMsb:
      load_count(ch, uint32_t{byte} << 8);
      break;
    case Access::kLsbMsb:
      if (!ch.write_msb_next) {
        ch.write_lsb = byte;
        ch.write_msb_next = true;
        // Mode 0: "writing the first byte disables counting", OUT goes (or stays) low.
        if (ch.mode == 0) ch.armed = false;
      } else {
        ch.write_msb_next = false;
        load_count(ch, uint32_t{ch.write_lsb} | uint32_t{byte} << 8);
      }
      break;
    case Access::kLatch:  // never stored: a latch command does not change the access mode
      break;
  }
}

uint8_t Pit8254::read_counter(Channel& ch) {
  // Status first, then the latched count, then the live count (82C54, "Read-Back Command").
  if (ch.latched_status) {
    const uint8_t value = *ch.latched_status;
    ch.latched_status.reset();
    return value;
  }
  const bool latched = ch.latched_count.has_value();
  const uint16_t count = latched ? *ch.latched_count : counter_value(ch, now_tick());
  bool& msb_next = latched ? ch.latched_msb_next : ch.read_msb_next;
  uint8_t value = 0;
  bool done = true;
  switch (ch.access) {
    case Access::kLsb:
    case Access::kLatch:
      value = lsb(count);
      break;
    case Access::kMsb:
      value = msb(count);
      break;
    case Access::kLsbMsb:
      value = msb_next ? msb(count) : lsb(count);
      done = msb_next;
      msb_next = !msb_next;
      break;
  }
  if (latched && done) ch.latched_count.reset();
  return value;
}

void Pit8254::load_count(Channel& ch, uint32_t count) {
  // The count goes to the counting element at once (the datasheet's one CLK later is left
  // out). In modes 2 and 3 a new count written while counting restarts the period here,
  // where the chip would finish the current one first: Linux writes a control word before
  // every count, which restarts it anyway.
  ch.count = count == 0 ? kFullCount : count;
  ch.null_count = false;
  ch.loaded = true;
  ch.rises_reported = 0;
  ch.held = 0;
  if (gate_triggered(ch.mode)) return;  // waits for a rising edge of GATE
  ch.armed = true;
  ch.start_tick = now_tick();
}

void Pit8254::set_gate(Channel& ch, bool gate) {
  if (gate == ch.gate) return;
  const uint64_t now = now_tick();
  if (!gate) {
    if (counting(ch)) ch.held = now - ch.start_tick;
    ch.gate = false;
    return;
  }
  ch.gate = true;
  if (gate_triggered(ch.mode) || periodic(ch.mode)) {
    // A rising GATE triggers modes 1 and 5 and reloads modes 2 and 3 (82C54, Table 3).
    if (!ch.loaded) return;
    ch.armed = true;
    ch.start_tick = now;
    ch.held = 0;
    ch.rises_reported = 0;
  } else if (ch.armed) {
    ch.start_tick = now - ch.held;  // modes 0 and 4 go on from where they stopped
  }
}

uint64_t Pit8254::elapsed(const Channel& ch, uint64_t now) const {
  if (!ch.armed) return 0;
  return counting(ch) ? now - ch.start_tick : ch.held;
}

bool Pit8254::counting(const Channel& ch) const {
  return ch.armed && (ch.gate || gate_triggered(ch.mode));
}

uint16_t Pit8254::counter_value(const Channel& ch, uint64_t now) const {
  const uint64_t n = ch.count;
  if (!ch.armed) return static_cast<uint16_t>(n);
  const uint64_t d = elapsed(ch, now);
  switch (ch.mode) {
    case 2:
      return static_cast<uint16_t>(n - d % n);
    case 3: {
      // Decrements by two through each half-period (82C54, "Mode 3"); for an odd count the
      // halves are (N + 1) / 2 and (N - 1) / 2 ticks long, each counting down from N - 1.
      const uint64_t phase = d % n;
      const uint64_t first_half = (n + 1) / 2;
      const uint64_t pos = phase < first_half ? phase : phase - first_half;
      return static_cast<uint16_t>((n & ~uint64_t{1}) - 2 * pos);
    }
    default:  // 0, 1, 4, 5: count down through zero and wrap to 0xffff
      return static_cast<uint16_t>(n - d);
  }
}

bool Pit8254::out(const Channel& ch, uint64_t now) const {
  if (!ch.armed) return ch.mode != 0;  // after a control word: low in mode 0, else high
  const uint64_t n = ch.count;
  const uint64_t d = elapsed(ch, now);
  switch (ch.mode) {
    case 0:  // interrupt on terminal count: high from the count reaching 0
    case 1:  // hardware one-shot: low from the trigger to terminal count
      return d >= n;
    case 2:  // rate generator: low for the one tick the count is 1
      return !ch.gate || d % n != n - 1;
    case 3:  // square wave: high for the first half-period
      return !ch.gate || d % n < (n + 1) / 2;
    default:  // 4, 5 (strobes): low for the one tick after the count reaches 0
      return d != n;
  }
}

uint64_t Pit8254::rises(const Channel& ch, uint64_t elapsed_ticks) const {
  if (!ch.armed) return 0;
  const uint64_t n = ch.count;
  switch (ch.mode) {
    case 0:
    case 1:
      return elapsed_ticks >= n ? 1 : 0;
    case 2:
    case 3:
      return elapsed_ticks / n;
    default:
      return elapsed_ticks >= n + 1 ? 1 : 0;
  }
}

std::optional<uint64_t> Pit8254::rise_at(const Channel& ch, uint64_t n) const {
  switch (ch.mode) {
    case 0:
    case 1:
      if (n == 1) return ch.count;
      return {};
    case 2:
    case 3:
      return n * ch.count;
    default:
      if (n == 1) return ch.count + 1;
      return {};
  }
}

uint8_t Pit8254::status(const Channel& ch, uint64_t now) const {
  uint8_t value = ch.control;
  if (out(ch, now)) value |= bit(Status::kOut);
  if (ch.null_count) value |= bit(Status::kNullCount);
  return value;
}

void Pit8254::set_irq(bool level) {
  if (level == irq_level_) return;
  irq_level_ = level;
  if (irq_) irq_(level);
}

Result<void> plug_pit(Board& board) {
  auto& pit = board.add_device<Pit8254>("pit", [&board] { return board.now_ns(); }, [](bool) {});
  if (auto r = board.add_ports(pit, kBase, kPortCount); !r) return r;
  return board.add_ports(pit, kPortB, 1);
}

}  // namespace rootstock::vmm::devices
