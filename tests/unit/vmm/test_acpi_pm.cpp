// The ACPI fixed hardware the child's FADT promises (vmm/acpi/acpi_builder.hpp): PM1 status
// and enable with the SCI they raise, the power button the appliance presses, soft-off through
// PM1_CNT, the PM timer against the owner's clock, and the reset register at 0xCF9.
#include <catch2/catch_test_macros.hpp>
#include <vector>

#include "vmm/acpi/acpi_builder.hpp"
#include "vmm/devices/acpi_pm.hpp"
#include "vmm/devices/reset_port.hpp"

using namespace rootstock::vmm;
using namespace rootstock::vmm::devices;
using namespace rootstock::vmm::devices::acpi_pm;

namespace {

constexpr uint16_t kSts = 0x600;
constexpr uint16_t kEn = 0x602;
constexpr uint16_t kCnt = 0x604;
constexpr uint16_t kTmr = 0x608;
constexpr uint64_t kStart = 123'456'789;  // the clock is not at 0 when the device is made

/// The first nanosecond after kStart at which the timer has counted `ticks`.
uint64_t at_ticks(uint64_t ticks) {
  using Wide = unsigned __int128;
  return kStart +
         static_cast<uint64_t>((Wide{ticks} * 1'000'000'000 + kPmTimerHz - 1) / kPmTimerHz);
}

uint16_t slp(uint8_t type) {
  return static_cast<uint16_t>(type << kSlpTypShift | bits(Pm1Cnt::kSlpEn));
}

/// The PM blocks at the FADT's default ports, with the SCI and power-off recorded.
struct Rig {
  uint64_t now = kStart;
  std::vector<bool> sci;
  int power_offs = 0;
  AcpiPm pm{Ports{}, [this] { return now; }, [this](bool level) { sci.push_back(level); },
            [this] { ++power_offs; }};

  uint16_t in16(uint16_t port) { return static_cast<uint16_t>(pm.in(port, 2)); }
  void out16(uint16_t port, uint16_t value) { REQUIRE(pm.out(port, 2, value) == Next::kContinue); }
};

}  // namespace

TEST_CASE("acpi_pm: power-on state; SCI_EN reads 1 and GBL_EN sticks") {
  Rig rig;
  CHECK(rig.in16(kSts) == 0);
  CHECK(rig.in16(kEn) == 0);
  CHECK(rig.in16(kCnt) == bits(Pm1Cnt::kSciEn));
  // ACPICA's acpi_ev_install_sci_handler path enables GBL_EN and checks it reads back.
  rig.out16(kEn, bits(Pm1En::kGblEn, Pm1En::kPwrbtnEn));
  CHECK(rig.in16(kEn) == bits(Pm1En::kGblEn, Pm1En::kPwrbtnEn));
  // Writing SCI_EN 0 does not leave ACPI mode: there is no SMI_CMD to go back through.
  rig.out16(kCnt, 0);
  CHECK(rig.in16(kCnt) == bits(Pm1Cnt::kSciEn));
  // One 32-bit access reaches PM1_STS and PM1_EN together.
  CHECK(rig.pm.in(kSts, 4) == uint32_t{bits(Pm1En::kGblEn, Pm1En::kPwrbtnEn)} << 16);
  CHECK(rig.sci.empty());
}

TEST_CASE("acpi_pm: power button sets PWRBTN_STS, write 1 clears it, SCI follows STS & EN") {
  Rig rig;
  rig.pm.press_power_button();
  CHECK(rig.in16(kSts) == bits(Pm1Sts::kPwrbtnSts));
  CHECK(rig.sci.empty());  // not enabled yet
  rig.out16(kEn, bits(Pm1En::kPwrbtnEn));
  CHECK(rig.sci == std::vector<bool>{true});
  CHECK(rig.pm.sci_level());
  // Writing 0s (or other bits) leaves it; writing 1 to it clears it and drops the SCI.
  rig.out16(kSts, 0);
  rig.out16(kSts, static_cast<uint16_t>(~bits(Pm1Sts::kPwrbtnSts)));
  CHECK(rig.in16(kSts) == bits(Pm1Sts::kPwrbtnSts));
  CHECK(rig.sci == std::vector<bool>{true});
  rig.out16(kSts, bits(Pm1Sts::kPwrbtnSts));
  CHECK(rig.in16(kSts) == 0);
  CHECK(rig.sci == std::vector<bool>{true, false});
  // Pressed again while enabled: the SCI rises at once; disabling the enable drops it.
  rig.pm.press_power_button();
  rig.pm.press_power_button();
  CHECK(rig.sci == std::vector<bool>{true, false, true});
  rig.out16(kEn, 0);
  CHECK(rig.sci == std::vector<bool>{true, false, true, false});
  CHECK(rig.in16(kSts) == bits(Pm1Sts::kPwrbtnSts));
  // A byte write to the high byte of PM1_STS clears bit 8 too.
  REQUIRE(rig.pm.out(kSts + 1, 1, 0x01) == Next::kContinue);
  CHECK(rig.in16(kSts) == 0);
}

TEST_CASE("acpi_pm: SLP_EN with SLP_TYP = S5 asks for power-off and stops the run loop") {
  Rig rig;
  CHECK(rig.pm.out(kCnt, 2, slp(rootstock::vmm::acpi::kS5SleepType)) == Next::kStop);
  CHECK(rig.power_offs == 1);
  // SLP_TYP reads back, SLP_EN does not.
  CHECK(rig.in16(kCnt) ==
        (rootstock::vmm::acpi::kS5SleepType << kSlpTypShift | bits(Pm1Cnt::kSciEn)));
}

TEST_CASE("acpi_pm: ACPICA's two-step sleep write and a byte write both reach S5") {
  Rig rig;
  // acpi_hw_legacy_sleep(): SLP_TYP first, then the same value with SLP_EN.
  const auto typ = static_cast<uint16_t>(rootstock::vmm::acpi::kS5SleepType << kSlpTypShift);
  rig.out16(kCnt, typ);
  CHECK(rig.power_offs == 0);
  CHECK(rig.pm.out(kCnt, 2, typ | bits(Pm1Cnt::kSlpEn)) == Next::kStop);
  CHECK(rig.power_offs == 1);
  // The high byte alone carries SLP_EN and SLP_TYP.
  CHECK(rig.pm.out(kCnt + 1, 1, slp(rootstock::vmm::acpi::kS5SleepType) >> 8) == Next::kStop);
  CHECK(rig.power_offs == 2);
}

TEST_CASE("acpi_pm: other sleep types and SLP_TYP without SLP_EN are ignored") {
  Rig rig;
  for (uint8_t type = 0; type < 8; ++type) {
    if (type == rootstock::vmm::acpi::kS5SleepType) continue;
    CHECK(rig.pm.out(kCnt, 2, slp(type)) == Next::kContinue);
  }
  CHECK(rig.pm.out(kCnt, 2, rootstock::vmm::acpi::kS5SleepType << kSlpTypShift) == Next::kContinue);
  CHECK(rig.power_offs == 0);
}

TEST_CASE("acpi_pm: the PM timer counts 3.579545 MHz of the owner's clock and wraps at 32 bits") {
  Rig rig;
  CHECK(rig.pm.in(kTmr, 4) == 0);
  rig.now = kStart + 1'000'000'000;
  CHECK(rig.pm.in(kTmr, 4) == kPmTimerHz);
  rig.now = at_ticks(1'000'000) - 1;
  CHECK(rig.pm.in(kTmr, 4) == 999'999);
  rig.now = at_ticks(1'000'000);
  CHECK(rig.pm.in(kTmr, 4) == 1'000'000);
  // Byte and word reads see the same count.
  CHECK((rig.pm.in(kTmr, 1) & 0xff) == (1'000'000 & 0xff));  // bytes above `size` are ignored
  CHECK((rig.pm.in(kTmr + 2, 2) & 0xffff) == 1'000'000 >> 16);
  // Writes do nothing to it.
  REQUIRE(rig.pm.out(kTmr, 4, 0) == Next::kContinue);
  CHECK(rig.pm.in(kTmr, 4) == 1'000'000);
  // Past 2^32 ticks (20 minutes) the count wraps.
  rig.now = at_ticks((uint64_t{1} << 32) + 5);
  CHECK(rig.pm.in(kTmr, 4) == 5);
  CHECK(rig.pm.timer_value() == 5);
}

TEST_CASE("acpi_pm: TMR_STS on each change of bit 31, an SCI with TMR_EN when it is due") {
  Rig rig;
  CHECK_FALSE(rig.pm.next_event_ns());  // TMR_EN clear
  rig.out16(kEn, bits(Pm1En::kTmrEn));
  const auto due = rig.pm.next_event_ns();
  REQUIRE(due);
  CHECK(*due == at_ticks(uint64_t{1} << 31));
  rig.now = *due - 1;
  rig.pm.advance();
  CHECK(rig.sci.empty());
  rig.now = *due;
  rig.pm.advance();
  CHECK(rig.sci == std::vector<bool>{true});
  CHECK(rig.in16(kSts) == bits(Pm1Sts::kTmrSts));
  CHECK_FALSE(rig.pm.next_event_ns());  // pending already
  rig.out16(kSts, bits(Pm1Sts::kTmrSts));
  CHECK(rig.sci == std::vector<bool>{true, false});
  // The next change is bit 31 going back to 0, at the wrap.
  REQUIRE(rig.pm.next_event_ns());
  CHECK(*rig.pm.next_event_ns() == at_ticks(uint64_t{1} << 32));
  // Without TMR_EN the status is still set (4.8.3.1.1), only no SCI.
  rig.out16(kEn, 0);
  rig.now = at_ticks(uint64_t{1} << 32);
  CHECK(rig.in16(kSts) == bits(Pm1Sts::kTmrSts));
  CHECK(rig.sci == std::vector<bool>{true, false});
}

TEST_CASE("acpi_pm: ports around the blocks are not its registers") {
  Rig rig;
  CHECK(rig.pm.in(0x606, 2) == 0xffff'ffff);
  CHECK(rig.pm.out(0x606, 2, 0x1234) == Next::kContinue);
  CHECK(rig.pm.stray_accesses() == 4);
  // A dword at the PM1_CNT port spills into two stray bytes; the register still gets its two.
  CHECK(rig.pm.in(kCnt, 4) == 0xffff'0000u + bits(Pm1Cnt::kSciEn));
  CHECK(rig.pm.stray_accesses() == 6);
}

TEST_CASE("reset_port: a byte with RST_CPU at 0xCF9 resets and stops the run loop") {
  int resets = 0;
  ResetPort port{rootstock::vmm::acpi::kResetPort, [&] { ++resets; }};
  CHECK(port.out(0xcf9, 1, rootstock::vmm::acpi::kResetValue) == Next::kStop);
  CHECK(resets == 1);
  CHECK(port.in(0xcf9, 1) == 0x02);  // SYS_RST kept, RST_CPU reads 0
  // Linux's reboot=pci: first SYS_RST alone (no reset), then with RST_CPU.
  CHECK(port.out(0xcf9, 1, 0x02) == Next::kContinue);
  CHECK(resets == 1);
  CHECK(port.out(0xcf9, 1, 0x0e) == Next::kStop);
  CHECK(resets == 2);
  CHECK(port.resets() == 2);
  // Wider accesses and other ports are not RST_CNT.
  CHECK(port.out(0xcf9, 2, 0x06) == Next::kContinue);
  CHECK(port.out(0xcf9, 4, 0x06) == Next::kContinue);
  CHECK(port.out(0xcf8, 1, 0x06) == Next::kContinue);
  CHECK(port.in(0xcf9, 2) == 0xffff'ffff);
  CHECK(resets == 2);
}
