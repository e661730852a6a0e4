// FADT decoding: X_ fields preferred over the 32-bit ones when present and nonzero, ACPI 1.0
// tables without them, the reset register, and registers in address spaces hv cannot use.
#include <rootstock/acpi/fadt.hpp>

#include <catch2/catch_test_macros.hpp>
#include <cstring>

#include "acpi_test_support.hpp"
#include "fake_phys.hpp"

using namespace rootstock::acpi;
using namespace rootstock::testing;

namespace {

constexpr uint64_t kFadtAddress = 0x20000;

GenericAddress gas(AddressSpace space, uint8_t width, uint64_t address) {
  return {static_cast<uint8_t>(space), width, 0, 0, address};
}

// A full-length (ACPI 6.5) FADT like QEMU's q35 one; tests edit it before parsing.
Fadt qemu_like() {
  Fadt f{};
  f.dsdt = 0x7fe0040;
  f.sci_int = 9;
  f.pm1a_cnt_blk = 0x604;
  f.pm1_cnt_len = 2;
  f.flags = fadt_flags::kResetRegSup;
  f.reset_reg = gas(AddressSpace::kSystemIo, 8, 0xcf9);
  f.reset_value = 0x0f;
  f.x_dsdt = 0x7fe0040;
  f.x_pm1a_cnt_blk = gas(AddressSpace::kSystemIo, 16, 0x604);
  return f;
}

// Places `f`, cut to `length` bytes, as a sealed FADT and parses it.
Status parse(const Fadt& f, FadtInfo& out, uint32_t length = sizeof(Fadt)) {
  ByteVec t(sizeof(Fadt));
  std::memcpy(t.data(), &f, sizeof(Fadt));
  std::memcpy(t.data(), "FACP", 4);
  t[8] = length >= sizeof(Fadt) ? 6 : 1;
  t.resize(length);
  seal_sdt(t);
  FakePhys phys;
  phys.add(kFadtAddress, t);
  Table table;
  const Status s = load_table(phys, kFadtAddress, Signature::kFacp, 0, table);
  if (s != Status::kOk) return s;
  const Status p = parse_fadt(phys, table, out);
  CHECK(phys.all_reads_within(kFadtAddress, length));
  return p;
}

}  // namespace

TEST_CASE("fadt: X_ fields win when present and nonzero", "[acpi][fadt]") {
  Fadt f = qemu_like();
  FadtInfo info;
  SECTION("X_DSDT and X_PM1a_CNT_BLK") {
    f.x_dsdt = 0x1'2345'6000;
    f.x_pm1a_cnt_blk = gas(AddressSpace::kSystemMemory, 16, 0xfed0'0004);
    f.x_pm1b_cnt_blk = gas(AddressSpace::kSystemIo, 16, 0x704);
    REQUIRE(parse(f, info) == Status::kOk);
    CHECK(info.dsdt == 0x1'2345'6000);
    CHECK(info.pm1a_cnt.space == AddressSpace::kSystemMemory);
    CHECK(info.pm1a_cnt.address == 0xfed0'0004);
    CHECK(info.pm1b_cnt.address == 0x704);
  }
  SECTION("zero X_ fields fall back to the 32-bit ones") {
    f.x_dsdt = 0;
    f.x_pm1a_cnt_blk = {};
    f.pm1b_cnt_blk = 0x804;
    REQUIRE(parse(f, info) == Status::kOk);
    CHECK(info.dsdt == 0x7fe0040);
    CHECK(info.pm1a_cnt.space == AddressSpace::kSystemIo);
    CHECK(info.pm1a_cnt.address == 0x604);
    CHECK(info.pm1a_cnt.bit_width == 16);
    CHECK(info.pm1b_cnt.address == 0x804);
  }
  SECTION("ACPI 1.0 length: X_ fields past the end are ignored, whatever follows") {
    f.x_dsdt = 0xdead'beef;
    f.x_pm1a_cnt_blk = gas(AddressSpace::kSystemIo, 16, 0xbad);
    REQUIRE(parse(f, info, kFadtV1Length) == Status::kOk);
    CHECK(info.dsdt == 0x7fe0040);
    CHECK(info.pm1a_cnt.address == 0x604);
    CHECK_FALSE(info.reset_supported);
  }
  SECTION("a length that ends inside X_DSDT ignores X_DSDT") {
    f.x_dsdt = 0xdead'beef;
    REQUIRE(parse(f, info, 144) == Status::kOk);
    CHECK(info.dsdt == 0x7fe0040);
    CHECK(info.reset_supported);
  }
}

TEST_CASE("fadt: refused tables and registers", "[acpi][fadt]") {
  Fadt f = qemu_like();
  FadtInfo info;
  SECTION("shorter than ACPI 1.0's FADT") {
    CHECK(parse(f, info, kFadtV1Length - 1) == Status::kTableTooShort);
  }
  SECTION("no DSDT at all") {
    f.dsdt = 0;
    f.x_dsdt = 0;
    CHECK(parse(f, info) == Status::kFadtNoDsdt);
  }
  SECTION("PM1a control block in PCI configuration space") {
    f.x_pm1a_cnt_blk = gas(AddressSpace::kPciConfig, 16, 0x40);
    CHECK(parse(f, info) == Status::kFadtBadAddressSpace);
  }
  SECTION("I/O address beyond the 16-bit port space") {
    f.x_pm1a_cnt_blk = gas(AddressSpace::kSystemIo, 16, 0x10000);
    CHECK(parse(f, info) == Status::kFadtBadIoPort);
    f.x_pm1a_cnt_blk = gas(AddressSpace::kSystemIo, 16, 0xffff);  // 2 bytes from 0xFFFF
    CHECK(parse(f, info) == Status::kFadtBadIoPort);
    f.x_pm1a_cnt_blk = gas(AddressSpace::kSystemIo, 16, ~uint64_t{0});
    CHECK(parse(f, info) == Status::kFadtBadIoPort);
  }
  SECTION("reset register in the embedded controller's space") {
    f.reset_reg = gas(AddressSpace::kEmbeddedController, 8, 0x10);
    CHECK(parse(f, info) == Status::kFadtBadAddressSpace);
  }
  SECTION("reset register in PCI configuration space is fine") {
    f.reset_reg = gas(AddressSpace::kPciConfig, 8, 0x0001'0000'0040);
    REQUIRE(parse(f, info) == Status::kOk);
    CHECK(info.reset_supported);
    CHECK(info.reset_reg.space == AddressSpace::kPciConfig);
  }
  SECTION("without RESET_REG_SUP a bad reset register is ignored") {
    f.flags = 0;
    f.reset_reg = gas(AddressSpace::kEmbeddedController, 8, 0x10);
    REQUIRE(parse(f, info) == Status::kOk);
    CHECK_FALSE(info.reset_supported);
  }
}

TEST_CASE("fadt: hardware-reduced platforms", "[acpi][fadt]") {
  Fadt f = qemu_like();
  f.flags = fadt_flags::kHwReducedAcpi;
  f.pm1a_cnt_blk = 0;
  f.x_pm1a_cnt_blk = {};
  f.sleep_control_reg = gas(AddressSpace::kSystemIo, 8, 0x3b0);
  FadtInfo info;
  REQUIRE(parse(f, info) == Status::kOk);
  CHECK(info.hw_reduced);
  CHECK_FALSE(info.pm1a_cnt.present());
  CHECK(info.sleep_control.address == 0x3b0);
}
