// The CMOS RTC (vmm/devices/cmos_rtc.hpp): time registers from the wall clock in BCD and
// binary, 24- and 12-hour modes, status registers, the index port's NMI bit.
#include <catch2/catch_test_macros.hpp>

#include "vmm/devices/cmos_rtc.hpp"

using namespace rootstock::vmm;
using namespace rootstock::vmm::devices;

namespace {

// 2026-11-25 21:07:09 UTC, a Wednesday.
constexpr int64_t kWednesdayEvening = 1795640829;

uint8_t read(CmosRtc& rtc, uint8_t index) {
  (void)rtc.out(cmos::kIndexPort, 1, index);
  return static_cast<uint8_t>(rtc.in(cmos::kDataPort, 1));
}

}  // namespace

TEST_CASE("CMOS RTC: the wall clock in BCD, 24-hour", "[vmm][rtc]") {
  CmosRtc rtc([] { return kWednesdayEvening; });
  CHECK(read(rtc, 0x00) == 0x09);
  CHECK(read(rtc, 0x02) == 0x07);
  CHECK(read(rtc, 0x04) == 0x21);
  CHECK(read(rtc, 0x06) == 4);  // Sunday = 1
  CHECK(read(rtc, 0x07) == 0x25);
  CHECK(read(rtc, 0x08) == 0x11);
  CHECK(read(rtc, 0x09) == 0x26);
  CHECK(read(rtc, 0x32) == 0x20);
  // The index port's bit 7 (NMI disable) does not change the register it selects.
  CHECK(read(rtc, 0x80 | 0x09) == 0x26);
}

TEST_CASE("CMOS RTC: binary and 12-hour modes", "[vmm][rtc]") {
  CmosRtc rtc([] { return kWednesdayEvening; });
  (void)rtc.out(cmos::kIndexPort, 1, 0x0b);
  (void)rtc.out(cmos::kDataPort, 1, cmos::kBBinary);  // binary, 12-hour
  CHECK(read(rtc, 0x00) == 9);
  CHECK(read(rtc, 0x04) == (9 | cmos::kHourPm));
  CHECK(read(rtc, 0x09) == 26);
  CHECK(read(rtc, 0x0b) == cmos::kBBinary);
}

TEST_CASE("CMOS RTC: status registers and RAM", "[vmm][rtc]") {
  CmosRtc rtc([] { return int64_t{0}; });
  CHECK(read(rtc, 0x0a) == cmos::kADefault);  // UIP clear
  CHECK(read(rtc, 0x0d) == cmos::kDValid);
  CHECK(read(rtc, 0x0c) == 0);
  (void)rtc.out(cmos::kIndexPort, 1, 0x0d);
  (void)rtc.out(cmos::kDataPort, 1, 0);  // read-only
  CHECK(read(rtc, 0x0d) == cmos::kDValid);
  (void)rtc.out(cmos::kIndexPort, 1, 0x0a);
  (void)rtc.out(cmos::kDataPort, 1, 0xa6);  // UIP is not writable
  CHECK(read(rtc, 0x0a) == 0x26);
  (void)rtc.out(cmos::kIndexPort, 1, 0x40);
  (void)rtc.out(cmos::kDataPort, 1, 0x5a);  // general-purpose RAM keeps what is written
  CHECK(read(rtc, 0x40) == 0x5a);
  CHECK(rtc.in(cmos::kIndexPort, 1) == 0xff);
  CHECK(rtc.in(cmos::kDataPort, 2) == 0xff);
  // 1970-01-01 was a Thursday: weekday 5.
  CHECK(read(rtc, 0x06) == 5);
  CHECK(read(rtc, 0x09) == 0x70);
  CHECK(read(rtc, 0x32) == 0x19);
}
