#include "vmm/devices/cmos_rtc.hpp"

#include <chrono>

#include "vmm/board.hpp"

namespace rootstock::vmm::devices {
namespace {

using cmos::Reg;

constexpr uint8_t index_of(Reg r) {
  return static_cast<uint8_t>(r);
}

// The civil date and time of a Unix time (UTC), for the time registers.
struct Civil {
  unsigned second, minute, hour, weekday, day, month, year;
};

Civil civil(int64_t unix_seconds) {
  using namespace std::chrono;
  const sys_seconds t{seconds{unix_seconds}};
  const sys_days days = floor<std::chrono::days>(t);
  const year_month_day ymd{days};
  const hh_mm_ss hms{t - days};
  return {static_cast<unsigned>(hms.seconds().count()),
          static_cast<unsigned>(hms.minutes().count()),
          static_cast<unsigned>(hms.hours().count()),
          weekday{days}.c_encoding() + 1,  // the RTC counts Sunday as 1
          static_cast<unsigned>(ymd.day()),
          static_cast<unsigned>(ymd.month()),
          static_cast<unsigned>(static_cast<int>(ymd.year()))};
}

}  // namespace

CmosRtc::CmosRtc(WallClockFn wall_clock) : wall_clock_(std::move(wall_clock)) {
  ram_[index_of(Reg::kA)] = cmos::kADefault;
  ram_[index_of(Reg::kB)] = cmos::kBDefault;
  ram_[index_of(Reg::kD)] = cmos::kDValid;
}

uint8_t CmosRtc::encode(unsigned value) const {
  if ((ram_[index_of(Reg::kB)] & cmos::kBBinary) != 0) return static_cast<uint8_t>(value);
  return static_cast<uint8_t>(((value / 10) << 4) | (value % 10));
}

uint8_t CmosRtc::read_register(uint8_t index) const {
  const auto reg = static_cast<Reg>(index);
  switch (reg) {
    case Reg::kA:
      return ram_[index] & 0x7f;  // UIP never set: every read is a consistent snapshot
    case Reg::kC:
      return 0;  // no alarm, periodic or update interrupts are raised
    case Reg::kSeconds:
    case Reg::kMinutes:
    case Reg::kHours:
    case Reg::kWeekday:
    case Reg::kDay:
    case Reg::kMonth:
    case Reg::kYear:
    case Reg::kCentury:
      break;
    default:
      return ram_[index];
  }
  const Civil c = civil(wall_clock_());
  switch (reg) {
    case Reg::kSeconds:
      return encode(c.second);
    case Reg::kMinutes:
      return encode(c.minute);
    case Reg::kHours: {
      if ((ram_[index_of(Reg::kB)] & cmos::kB24Hour) != 0) return encode(c.hour);
      const unsigned h12 = c.hour % 12 == 0 ? 12 : c.hour % 12;
      return static_cast<uint8_t>(encode(h12) | (c.hour >= 12 ? cmos::kHourPm : 0));
    }
    case Reg::kWeekday:
      return encode(c.weekday);
    case Reg::kDay:
      return encode(c.day);
    case Reg::kMonth:
      return encode(c.month);
    case Reg::kYear:
      return encode(c.year % 100);
    default:
      return encode(c.year / 100);  // kCentury
  }
}

Next CmosRtc::out(uint16_t port, uint8_t size, uint32_t value) {
  if (size != 1) return Next::kContinue;
  const auto byte = static_cast<uint8_t>(value);
  if (port == cmos::kIndexPort) {
    index_ = byte & cmos::kIndexMask;  // the NMI-disable bit has no NMI source to gate here
  } else if (port == cmos::kDataPort) {
    const auto reg = static_cast<Reg>(index_);
    if (reg == Reg::kA) {
      ram_[index_] = byte & 0x7f;
    } else if (reg != Reg::kC && reg != Reg::kD) {
      ram_[index_] = byte;
    }
  }
  return Next::kContinue;
}

uint32_t CmosRtc::in(uint16_t port, uint8_t size) {
  if (size != 1 || port != cmos::kDataPort) return 0xff;
  return read_register(index_);
}

Result<void> plug_cmos_rtc(Board& board) {
  auto& rtc = board.add_device<CmosRtc>("cmos rtc", [&board] { return board.wall_seconds(); });
  return board.add_ports(rtc, cmos::kIndexPort, 2);
}

}  // namespace rootstock::vmm::devices
