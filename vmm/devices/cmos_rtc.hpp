// The PC's CMOS real-time clock at ports 70h/71h (Motorola MC146818A data sheet; the registers
// a PC's RTC keeps, as Linux's mc146818 driver reads them). The time is the root's wall clock
// at each read, so an update is never in progress (register A's UIP stays 0) and a read never
// sees a torn time. Without it a child's kernel polls UIP on an empty bus for seconds ("Unable
// to read current time from RTC").
#pragma once

#include <stdint.h>

#include <functional>

#include "vmm/devices.hpp"
#include "vmm/error.hpp"

namespace rootstock::vmm {
class Board;  // board.hpp
}

namespace rootstock::vmm::devices {

namespace cmos {
inline constexpr uint16_t kIndexPort = 0x70;  ///< bit 7: NMI disable; bits 6:0 the register
inline constexpr uint16_t kDataPort = 0x71;
/// Registers (MC146818A, "Address Map").
enum class Reg : uint8_t {
  kSeconds = 0x00,
  kMinutes = 0x02,
  kHours = 0x04,
  kWeekday = 0x06,  ///< 1 = Sunday
  kDay = 0x07,
  kMonth = 0x08,
  kYear = 0x09,
  kA = 0x0a,  ///< UIP (bit 7), divider and rate
  kB = 0x0b,  ///< SET (7), PIE (6), AIE (5), UIE (4), SQWE (3), DM binary (2), 24/12 (1), DSE (0)
  kC = 0x0c,  ///< interrupt flags: read-only, cleared by reading
  kD = 0x0d,  ///< VRT (bit 7): the RAM and time are valid
  kCentury = 0x32,  ///< the PC convention (ACPI FADT CENTURY names it)
};
inline constexpr uint8_t kRegisterCount = 128;
inline constexpr uint8_t kIndexMask = 0x7f;
inline constexpr uint8_t kADefault = 0x26;  ///< 32.768 kHz time base, 1024 Hz rate
inline constexpr uint8_t kBBinary = 1u << 2;
inline constexpr uint8_t kB24Hour = 1u << 1;
inline constexpr uint8_t kBDefault = kB24Hour;  ///< BCD, 24-hour
inline constexpr uint8_t kDValid = 1u << 7;
inline constexpr uint8_t kHourPm = 1u << 7;  ///< 12-hour mode: the hour's PM flag
}  // namespace cmos

/// A CMOS RTC with its 128 bytes of RAM. Not thread-safe: the owner serialises accesses.
class CmosRtc final : public PortIoHandler {
 public:
  /// Seconds since 1970-01-01 00:00:00 UTC.
  using WallClockFn = std::function<int64_t()>;

  explicit CmosRtc(WallClockFn wall_clock);

  /// OUT to 70h selects a register; OUT to 71h writes it (time registers: stored, but reads
  /// follow the wall clock; A: the divider and rate bits; C and D: read-only). Byte accesses
  /// only; others are dropped.
  Next out(uint16_t port, uint8_t size, uint32_t value) override;
  /// IN from 71h reads the selected register; from 70h, 0xff (write-only on a PC).
  uint32_t in(uint16_t port, uint8_t size) override;

 private:
  uint8_t read_register(uint8_t index) const;
  uint8_t encode(unsigned value) const;  // BCD or binary, as register B says

  WallClockFn wall_clock_;
  uint8_t index_ = 0;
  uint8_t ram_[cmos::kRegisterCount] = {};
};

/// The RTC at 70h/71h, on the board's wall clock.
[[nodiscard]] Result<void> plug_cmos_rtc(Board& board);

}  // namespace rootstock::vmm::devices
