#include "vmm/devices/acpi_pm.hpp"

#include <utility>

#include "vmm/acpi/acpi_builder.hpp"
#include "vmm/board.hpp"

namespace rootstock::vmm::devices {

using namespace acpi_pm;

namespace {

constexpr uint64_t kNsPerSecond = 1'000'000'000;

/// The PM1_EN bits kept as written: all the enables of table 4.17.
constexpr uint16_t kEnBits = bits(Pm1En::kTmrEn, Pm1En::kGblEn, Pm1En::kPwrbtnEn, Pm1En::kSlpbtnEn,
                                  Pm1En::kRtcEn, Pm1En::kPciexpWakeDis);
/// The enables that raise the SCI with their status bit (PCIEXP_WAKE_DIS is a disable, and a
/// wake event only; 4.8.3.1.2).
constexpr uint16_t kSciEnables =
    bits(Pm1En::kTmrEn, Pm1En::kGblEn, Pm1En::kPwrbtnEn, Pm1En::kSlpbtnEn, Pm1En::kRtcEn);
/// The PM1_CNT bits that read back as written; SCI_EN reads 1, GBL_RLS and SLP_EN read 0.
constexpr uint16_t kCntKept = bits(Pm1Cnt::kBmRld, Pm1Cnt::kSlpTyp);

/// The register lengths in bytes (4.8.3: 16-bit PM1 registers, FADT TMR_VAL_EXT: 32-bit timer).
constexpr unsigned kPm1RegBytes = 2;
constexpr unsigned kTmrBytes = 4;
constexpr unsigned kTmrMsb = 31;

constexpr uint8_t kEmptyBus = 0xff;

/// Which register a port's byte belongs to, and which byte of it.
enum class Field : uint8_t { kNone, kSts, kEn, kCnt, kTmr };
struct Where {
  Field field = Field::kNone;
  unsigned byte = 0;
};

Where locate(const Ports& ports, uint32_t port) {
  const auto in = [port](uint32_t base, unsigned length) {
    return port >= base && port - base < length;
  };
  if (in(ports.pm1a_evt, kPm1RegBytes)) return {Field::kSts, port - ports.pm1a_evt};
  if (in(ports.pm1a_evt + kPm1RegBytes, kPm1RegBytes)) {
    return {Field::kEn, port - ports.pm1a_evt - kPm1RegBytes};
  }
  if (in(ports.pm1a_cnt, kPm1RegBytes)) return {Field::kCnt, port - ports.pm1a_cnt};
  if (in(ports.pm_tmr, kTmrBytes)) return {Field::kTmr, port - ports.pm_tmr};
  return {};
}

uint8_t byte_of(uint32_t value, unsigned byte) {
  return static_cast<uint8_t>(value >> (8 * byte));
}

}  // namespace

AcpiPm::AcpiPm(Ports ports, ClockFn clock, SciFn sci, PowerOffFn power_off)
    : ports_(ports),
      clock_(std::move(clock)),
      sci_(std::move(sci)),
      power_off_(std::move(power_off)),
      epoch_ns_(clock_()) {}

Next AcpiPm::out(uint16_t port, uint8_t size, uint32_t value) {
  uint16_t sts_clear = 0;
  uint16_t en_value = 0;
  uint16_t en_mask = 0;
  uint16_t cnt_value = 0;
  uint16_t cnt_mask = 0;
  for (unsigned i = 0; i < size && i < sizeof(value); ++i) {
    const Where where = locate(ports_, uint32_t{port} + i);
    const uint16_t byte = static_cast<uint16_t>(uint16_t{byte_of(value, i)} << (8 * where.byte));
    const uint16_t lane = static_cast<uint16_t>(0xffu << (8 * where.byte));
    switch (where.field) {
      case Field::kSts:
        sts_clear |= byte;
        break;
      case Field::kEn:
        en_value |= byte;
        en_mask |= lane;
        break;
      case Field::kCnt:
        cnt_value |= byte;
        cnt_mask |= lane;
        break;
      case Field::kTmr:  // read-only (4.8.3.3)
        break;
      case Field::kNone:
        ++stray_;
        break;
    }
  }
  // A carry of the timer before this write is seen first, so that the write can clear it.
  sync_timer();
  sts_ = static_cast<uint16_t>(sts_ & ~sts_clear);
  en_ = static_cast<uint16_t>((en_ & ~en_mask) | (en_value & en_mask & kEnBits));
  const bool soft_off = cnt_mask != 0 && write_cnt(cnt_value, cnt_mask);
  update_sci();
  if (!soft_off) return Next::kContinue;
  if (power_off_) power_off_();
  return Next::kStop;
}

uint32_t AcpiPm::in(uint16_t port, uint8_t size) {
  sync_timer();
  update_sci();
  const uint32_t timer = timer_value();
  const uint16_t cnt = static_cast<uint16_t>(cnt_ | bits(Pm1Cnt::kSciEn));
  uint32_t value = ~uint32_t{0};
  for (unsigned i = 0; i < size && i < sizeof(value); ++i) {
    const Where where = locate(ports_, uint32_t{port} + i);
    uint8_t byte = kEmptyBus;
    switch (where.field) {
      case Field::kSts:
        byte = byte_of(sts_, where.byte);
        break;
      case Field::kEn:
        byte = byte_of(en_, where.byte);
        break;
      case Field::kCnt:
        byte = byte_of(cnt, where.byte);
        break;
      case Field::kTmr:
        byte = byte_of(timer, where.byte);
        break;
      case Field::kNone:
        ++stray_;
        break;
    }
    value = (value & ~(uint32_t{0xff} << (8 * i))) | uint32_t{byte} << (8 * i);
  }
  return value;
}

void AcpiPm::press_power_button() {
  sts_ |= bits(Pm1Sts::kPwrbtnSts);
  update_sci();
}

void AcpiPm::advance() {
  sync_timer();
  update_sci();
}

std::optional<uint64_t> AcpiPm::next_event_ns() const {
  if ((en_ & bits(Pm1En::kTmrEn)) == 0 || (sts_ & bits(Pm1Sts::kTmrSts)) != 0) return {};
  // The first nanosecond at which ticks() reaches the next change of bit 31.
  using Wide = unsigned __int128;
  const Wide target = Wide{timer_epochs_seen_ + 1} << kTmrMsb;
  const Wide ns = (target * kNsPerSecond + kPmTimerHz - 1) / kPmTimerHz;
  return epoch_ns_ + static_cast<uint64_t>(ns);
}

uint32_t AcpiPm::timer_value() const {
  return static_cast<uint32_t>(ticks());
}

uint64_t AcpiPm::ticks() const {
  using Wide = unsigned __int128;
  const uint64_t ns = clock_() - epoch_ns_;
  return static_cast<uint64_t>(Wide{ns} * kPmTimerHz / kNsPerSecond);
}

void AcpiPm::sync_timer() {
  // TMR_STS is set whenever bit 31 changes, whatever TMR_EN says; TMR_EN only gates the SCI
  // (4.8.3.1.1). Several carries between two looks set it once, as they would on hardware.
  const uint64_t epochs = ticks() >> kTmrMsb;
  if (epochs == timer_epochs_seen_) return;
  timer_epochs_seen_ = epochs;
  sts_ |= bits(Pm1Sts::kTmrSts);
}

bool AcpiPm::write_cnt(uint16_t value, uint16_t mask) {
  const uint16_t merged = static_cast<uint16_t>((cnt_ & ~mask) | (value & mask));
  cnt_ = static_cast<uint16_t>(merged & kCntKept);
  if ((value & mask & bits(Pm1Cnt::kSlpEn)) == 0) return false;
  // SLP_EN enters the state SLP_TYP names (4.8.3.2.1). The DSDT has \_S5 only; any other
  // type (S0's 0 included) is a guest bug and is ignored rather than guessed at.
  const unsigned type = (merged & bits(Pm1Cnt::kSlpTyp)) >> kSlpTypShift;
  return type == acpi::kS5SleepType;
}

void AcpiPm::update_sci() {
  // SCI_EN is hardwired to 1, so the SCI is simply any enabled status (4.8.3.1, 4.8.3.2.1).
  const bool level = (sts_ & en_ & kSciEnables) != 0;
  if (level == sci_level_) return;
  sci_level_ = level;
  if (sci_) sci_(level);
}

Result<void> plug_acpi_pm(Board& board) {
  const acpi::AcpiConfig& p = board.platform();
  auto sci = board.isa_line(p.sci_irq);
  if (!sci) return std::unexpected(sci.error());
  InterruptLine& line = **sci;
  auto& pm = board.add_device<AcpiPm>(
      "acpi pm", Ports{p.pm1a_evt_port, p.pm1a_cnt_port, p.pm_tmr_port},
      [&board] { return board.now_ns(); },
      // The SCI is a level: the power button's (and the PM timer's) status holds it until the
      // child's ACPI driver clears it.
      [&line](bool level) { line.set(level); },
      [&board] { board.end(BoardEnd::kPowerOff, "ACPI S5"); });
  if (auto r = board.add_ports(pm, p.pm1a_evt_port, acpi::kPm1EvtLength); !r) return r;
  if (auto r = board.add_ports(pm, p.pm1a_cnt_port, acpi::kPm1CntLength); !r) return r;
  if (auto r = board.add_ports(pm, p.pm_tmr_port, acpi::kPmTmrLength); !r) return r;
  return board.set_power_button([&pm] { pm.with([](AcpiPm& m) { m.press_power_button(); }); });
}

}  // namespace rootstock::vmm::devices
