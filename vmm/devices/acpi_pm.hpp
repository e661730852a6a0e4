// The child's ACPI fixed-feature hardware (ACPI 6.5, 4.8.3): the PM1a event block (PM1_STS and
// PM1_EN), the PM1a control block (PM1_CNT) and the power management timer, at the ports the FADT
// names (vmm/acpi/acpi_builder.hpp states the promise this device keeps). There is no SMI_CMD:
// the platform is always in ACPI mode, so SCI_EN reads 1. The only sleep state is S5, soft-off;
// S1-S4 writes are ignored (the DSDT offers none of them, so a guest that writes one is wrong).
// Register and bit names are the specification's.
#pragma once

#include <stdint.h>

#include <concepts>
#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

#include "vmm/devices.hpp"
#include "vmm/error.hpp"

namespace rootstock::vmm {
class Board;  // board.hpp
}

namespace rootstock::vmm::devices {

namespace acpi_pm {

/// PM1 Status register bits (4.8.3.1.1, table 4.16); each is cleared by writing 1 to it.
enum class Pm1Sts : uint16_t {
  kTmrSts = 1u << 0,  ///< the PM timer's bit 31 changed
  kBmSts = 1u << 4,
  kGblSts = 1u << 5,
  kPwrbtnSts = 1u << 8,  ///< the fixed power button was pressed
  kSlpbtnSts = 1u << 9,
  kRtcSts = 1u << 10,
  kPciexpWakeSts = 1u << 14,
  kWakSts = 1u << 15,  ///< woken from a sleep state (never here: nothing sleeps but S5)
};

/// PM1 Enable register bits (4.8.3.1.2, table 4.17).
enum class Pm1En : uint16_t {
  kTmrEn = 1u << 0,
  kGblEn = 1u << 5,  ///< must read back as written, or ACPICA reports an error
  kPwrbtnEn = 1u << 8,
  kSlpbtnEn = 1u << 9,
  kRtcEn = 1u << 10,
  kPciexpWakeDis = 1u << 14,
};

/// PM1 Control register bits (4.8.3.2.1, table 4.18).
enum class Pm1Cnt : uint16_t {
  kSciEn = 1u << 0,   ///< 1: SCI, 0: SMI; hardwired to 1 here
  kBmRld = 1u << 1,   ///< kept for the guest to read back
  kGblRls = 1u << 2,  ///< write-only; there is no BIOS to notify, so it does nothing
  kSlpTyp = 7u << 10,
  kSlpEn = 1u << 13,  ///< write-only: enters the sleep state SLP_TYP names
};
inline constexpr unsigned kSlpTypShift = 10;

/// The PM timer's rate (4.8.3.3): 3.579545 MHz, the NTSC colour burst the PC inherited.
inline constexpr uint64_t kPmTimerHz = 3'579'545;

/// The register value of one or more bits of the same register.
template <typename E, typename... More>
  requires std::is_enum_v<E> && std::same_as<std::underlying_type_t<E>, uint16_t> &&
           (std::same_as<E, More> && ...)
constexpr uint16_t bits(E first, More... more) {
  return static_cast<uint16_t>((std::to_underlying(first) | ... | std::to_underlying(more)));
}

/// Where the three register blocks sit; the defaults are AcpiConfig's.
struct Ports {
  uint16_t pm1a_evt = 0x600;  ///< PM1_STS at +0, PM1_EN at +2
  uint16_t pm1a_cnt = 0x604;  ///< PM1_CNT
  uint16_t pm_tmr = 0x608;    ///< PM_TMR, 32 bits (FADT TMR_VAL_EXT)
};

}  // namespace acpi_pm

/// The PM1a event and control blocks and the PM timer. The owner adds it to the bus for all three
/// ranges (it gets absolute ports). Not thread-safe: the owner serialises port accesses,
/// press_power_button(), advance() and the getters.
class AcpiPm final : public PortIoHandler {
 public:
  /// Nanoseconds on a monotonic clock the owner chooses (tests use a variable).
  using ClockFn = std::function<uint64_t()>;
  /// Gets the new SCI level each time it changes (never twice the same level).
  using SciFn = std::function<void(bool level)>;
  /// The guest asked for soft-off (S5); the access that asked returns Next::kStop.
  using PowerOffFn = std::function<void()>;

  /// The blocks after a power-on: all status and enable bits clear, the timer at 0 now. The
  /// callbacks run inside out(), in(), press_power_button() and advance(); they must not call
  /// those back.
  AcpiPm(acpi_pm::Ports ports, ClockFn clock, SciFn sci, PowerOffFn power_off);

  /// A guest OUT of 1, 2 or 4 bytes, taken byte by byte as the registers lie in port space;
  /// bytes outside the three blocks are dropped.
  Next out(uint16_t port, uint8_t size, uint32_t value) override;
  /// A guest IN, split like out(); bytes outside the blocks read 0xff.
  uint32_t in(uint16_t port, uint8_t size) override;

  /// The appliance's graceful power-off: sets PWRBTN_STS, an SCI if the guest enabled
  /// PWRBTN_EN. Linux's button driver answers with an orderly shutdown ending in S5.
  void press_power_button();

  /// Brings TMR_STS up to date with the clock; the owner calls it at next_event_ns().
  void advance();
  /// When TMR_STS next needs setting while TMR_EN is set (so that the SCI is due then), in the
  /// clock's nanoseconds; nothing while TMR_EN is clear or TMR_STS already pending.
  [[nodiscard]] std::optional<uint64_t> next_event_ns() const;

  /// The PM timer's count now: 32 bits of 3.579545 MHz ticks since construction.
  [[nodiscard]] uint32_t timer_value() const;
  [[nodiscard]] uint16_t pm1_status() const { return sts_; }
  [[nodiscard]] uint16_t pm1_enable() const { return en_; }
  [[nodiscard]] bool sci_level() const { return sci_level_; }
  /// Byte accesses to ports outside the blocks (wide accesses at a block's end make these).
  [[nodiscard]] uint64_t stray_accesses() const { return stray_; }

 private:
  /// Ticks since construction, not wrapped.
  [[nodiscard]] uint64_t ticks() const;
  /// Sets TMR_STS if bit 31 of the count changed since last looked at.
  void sync_timer();
  /// Applies a (partial) write of the bytes in `mask` of PM1_CNT; true for soft-off.
  [[nodiscard]] bool write_cnt(uint16_t value, uint16_t mask);
  void update_sci();

  acpi_pm::Ports ports_;
  ClockFn clock_;
  SciFn sci_;
  PowerOffFn power_off_;

  uint64_t epoch_ns_;
  uint64_t timer_epochs_seen_ = 0;  ///< ticks >> 31 when TMR_STS was last brought up to date
  uint16_t sts_ = 0;
  uint16_t en_ = 0;
  uint16_t cnt_ = 0;  ///< the readable bits the guest wrote (BM_RLD, SLP_TYP)
  bool sci_level_ = false;
  uint64_t stray_ = 0;
};

/// The PM1a blocks and the PM timer at the ports the board's ACPI tables name, the SCI on the
/// line of their SCI_INT (a level on GSI 9 by default), soft-off ending the VM, and the board's
/// power button.
[[nodiscard]] Result<void> plug_acpi_pm(Board& board);

}  // namespace rootstock::vmm::devices
