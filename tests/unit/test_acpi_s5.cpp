// \_S5 in the DSDT: the AML encodings firmware uses for Name(_S5, Package(){a, b, ...}), and
// malformed, non-constant, out-of-range and ambiguous definitions refused with their status.
#include <rootstock/acpi/acpi_info.hpp>
#include <rootstock/acpi/aml_s5.hpp>

#include <algorithm>
#include <catch2/catch_test_macros.hpp>
#include <memory>

#include "acpi_test_support.hpp"
#include "fake_phys.hpp"

using namespace rootstock::acpi;
using namespace rootstock::testing;

namespace {

constexpr uint64_t kDsdtAddress = 0x30000;

// Some AML around the definition under test, as in a real DSDT (a Scope with a name in it).
const ByteVec kBefore = {0x10, 0x0a, 0x5c, 0x5f, 0x53, 0x42, 0x5f,  // Scope (\_SB_) {
                         0x08, 0x41, 0x42, 0x43, 0x44, 0x01};       //   Name (ABCD, One) }
const ByteVec kAfter = {0x14, 0x08, 0x5f, 0x50, 0x54, 0x53, 0x01, 0xa3, 0xa3};  // Method(_PTS)

// NameOp "_S5_" PackageOp PkgLength(covering `body` + NumElements) NumElements body.
ByteVec s5(uint8_t elements, const ByteVec& body) {
  return Bytes().u8(0x08).str("_S5_").u8(0x12).u8(body.size() + 2).u8(elements).raw(body);
}

Status scan(const ByteVec& aml, SleepState& out) {
  const ByteVec t = make_sdt("DSDT", 2, Bytes().raw(kBefore).raw(aml).raw(kAfter));
  FakePhys phys;
  phys.add(kDsdtAddress, t);
  Table dsdt;
  REQUIRE(load_table(phys, kDsdtAddress, Signature::kDsdt, 0, dsdt) == Status::kOk);
  const Status s = find_s5(phys, dsdt, out);
  CHECK(phys.all_reads_within(kDsdtAddress, t.size()));
  return s;
}

}  // namespace

TEST_CASE("s5: constant integer encodings", "[acpi][s5]") {
  SleepState st;
  SECTION("QEMU: ZeroOp elements") {
    REQUIRE(scan(s5(4, {0x00, 0x00, 0x00, 0x00}), st) == Status::kOk);
    CHECK(st.present);
    CHECK(st.slp_typa == 0);
    CHECK(st.slp_typb == 0);
  }
  SECTION("BytePrefix elements") {
    REQUIRE(scan(s5(4, {0x0a, 0x07, 0x0a, 0x05, 0x00, 0x00}), st) == Status::kOk);
    CHECK(st.slp_typa == 7);
    CHECK(st.slp_typb == 5);
  }
  SECTION("OneOp and WordPrefix") {
    REQUIRE(scan(s5(2, {0x01, 0x0b, 0x06, 0x00}), st) == Status::kOk);
    CHECK(st.slp_typa == 1);
    CHECK(st.slp_typb == 6);
  }
  SECTION("DWord- and QWordPrefix") {
    REQUIRE(scan(s5(2, Bytes().u8(0x0c).u32(3).u8(0x0e).u64(4)), st) == Status::kOk);
    CHECK(st.slp_typa == 3);
    CHECK(st.slp_typb == 4);
  }
  SECTION("root-prefixed name: Name(\\_S5, ...)") {
    ByteVec aml = s5(2, {0x0a, 0x05, 0x0a, 0x05});
    aml.insert(aml.begin() + 1, 0x5c);
    REQUIRE(scan(aml, st) == Status::kOk);
    CHECK(st.slp_typa == 5);
  }
  SECTION("one element: SLP_TYPa in the low byte, SLP_TYPb in the next (ACPICA)") {
    REQUIRE(scan(s5(1, {0x0b, 0x05, 0x03}), st) == Status::kOk);
    CHECK(st.slp_typa == 5);
    CHECK(st.slp_typb == 3);
  }
  SECTION("two-byte PkgLength") {
    Bytes body;
    body.u8(0x0a).u8(5).u8(0x0a).u8(6);
    for (int i = 0; i < 70; ++i) body.u8(0x00);  // 74 element bytes: PkgLength 77 needs 2 bytes
    const size_t len = body.vec().size() + 3;    // PkgLength (2) + NumElements (1) + elements
    const ByteVec aml =
        Bytes().u8(0x08).str("_S5_").u8(0x12).u8(0x40 | (len & 0xf)).u8(len >> 4).u8(72).raw(body);
    REQUIRE(scan(aml, st) == Status::kOk);
    CHECK(st.slp_typa == 5);
    CHECK(st.slp_typb == 6);
  }
  SECTION("the same definition twice (e.g. in If and Else) is fine") {
    const ByteVec d = s5(2, {0x0a, 0x05, 0x0a, 0x05});
    REQUIRE(scan(Bytes().raw(d).raw(d), st) == Status::kOk);
    CHECK(st.slp_typa == 5);
  }
}

TEST_CASE("s5: absent", "[acpi][s5]") {
  SleepState st;
  SECTION("no _S5_ at all") {
    REQUIRE(scan({}, st) == Status::kOk);
    CHECK_FALSE(st.present);
  }
  SECTION("_S5_ only as a reference, a string, or a non-package name") {
    const ByteVec aml = Bytes()
                            .u8(0x70)
                            .u8(0x5c)
                            .str("_S5_")
                            .u8(0x60)  // Store (\_S5, Local0)
                            .u8(0x0d)
                            .str("_S5_")
                            .u8(0x00)  // "_S5_"
                            .u8(0x08)
                            .str("_S5_")
                            .u8(0x0a)
                            .u8(0x05);  // Name (_S5, 5)
    REQUIRE(scan(aml, st) == Status::kOk);
    CHECK_FALSE(st.present);
  }
  SECTION("_S5_ as the very last bytes of the DSDT") {
    const ByteVec t = make_sdt("DSDT", 2, Bytes().raw(kBefore).u8(0x08).str("_S5_"));
    FakePhys phys;
    phys.add(kDsdtAddress, t);
    Table dsdt;
    REQUIRE(load_table(phys, kDsdtAddress, Signature::kDsdt, 0, dsdt) == Status::kOk);
    REQUIRE(find_s5(phys, dsdt, st) == Status::kOk);
    CHECK_FALSE(st.present);
  }
}

TEST_CASE("s5: malformed definitions", "[acpi][s5]") {
  SleepState st;
  SECTION("element is a name (needs an interpreter)") {
    CHECK(scan(s5(2, Bytes().str("SLPA").u8(0x00)), st) == Status::kS5BadElement);
  }
  SECTION("element is a method call / expression") {
    CHECK(scan(s5(2, {0x72, 0x01, 0x01, 0x00, 0x00}), st) == Status::kS5BadElement);
  }
  SECTION("value out of the 3-bit SLP_TYP range") {
    CHECK(scan(s5(2, {0x0a, 0x08, 0x00}), st) == Status::kS5ValueOutOfRange);
    CHECK(scan(s5(2, {0x00, 0xff}), st) == Status::kS5ValueOutOfRange);  // OnesOp
  }
  SECTION("no elements") {
    CHECK(scan(s5(0, {}), st) == Status::kS5BadPackage);
  }
  SECTION("PkgLength too small for the elements it claims") {
    ByteVec aml = s5(2, {0x0a, 0x05, 0x0a, 0x05});
    aml[6] = 3;  // covers PkgLength, NumElements and one byte of elements
    CHECK(scan(aml, st) == Status::kS5BadPackage);
    aml[6] = 1;  // does not even cover NumElements
    CHECK(scan(aml, st) == Status::kS5BadPackage);
  }
  SECTION("PkgLength past the end of the DSDT") {
    ByteVec aml = s5(2, {0x0a, 0x05, 0x0a, 0x05});
    aml[6] = 0x3f;
    const ByteVec t = make_sdt("DSDT", 2, Bytes().raw(kBefore).raw(aml));
    FakePhys phys;
    phys.add(kDsdtAddress, t);
    Table dsdt;
    REQUIRE(load_table(phys, kDsdtAddress, Signature::kDsdt, 0, dsdt) == Status::kOk);
    CHECK(find_s5(phys, dsdt, st) == Status::kS5BadPackage);
    CHECK(phys.all_reads_within(kDsdtAddress, t.size()));
  }
  SECTION("multi-byte PkgLength with bits 5-4 set") {
    ByteVec aml = s5(2, {0x0a, 0x05, 0x0a, 0x05});
    aml[6] = 0x70;
    aml.insert(aml.begin() + 7, 0x00);
    CHECK(scan(aml, st) == Status::kS5BadPackage);
  }
  SECTION("element runs past the package") {
    CHECK(scan(s5(2, {0x0a, 0x05, 0x0c, 0x01}), st) == Status::kS5BadPackage);
  }
  SECTION("two definitions with different values") {
    CHECK(scan(Bytes().raw(s5(2, {0x0a, 0x05, 0x0a, 0x05})).raw(s5(2, {0x0a, 0x07, 0x0a, 0x07})),
               st) == Status::kS5Ambiguous);
  }
}

TEST_CASE("s5: QEMU's DSDT patched through parse_acpi", "[acpi][s5][qemu]") {
  AcpiFixture fx = AcpiFixture::load("pc_smp1.bin");
  ByteVec& d = fx.table("DSDT");
  // QEMU: 08 "_S5_" 12 06 04 00 00 00 00; make the first two elements OneOp.
  const ByteVec name = Bytes().u8(0x08).str("_S5_").u8(0x12).u8(0x06).u8(0x04);
  const auto it = std::search(d.begin(), d.end(), name.begin(), name.end());
  REQUIRE(it != d.end());
  const auto at = static_cast<size_t>(it - d.begin()) + name.size();
  auto info = std::make_unique<AcpiInfo>();
  auto parse = [&] {
    fix_checksum(d, 9);
    FakePhys phys;
    fx.install(phys);
    return parse_acpi(phys, fx.rsdp, *info);
  };
  SECTION("values decoded") {
    d[at] = 0x01;
    d[at + 1] = 0x01;
    REQUIRE(parse() == Status::kOk);
    CHECK(info->s5.present);
    CHECK(info->s5.slp_typa == 1);
    CHECK(info->s5.slp_typb == 1);
  }
  SECTION("a bad element names the DSDT") {
    d[at] = 0x5b;  // ExtOpPrefix: not a constant
    REQUIRE(parse() == Status::kS5BadElement);
    CHECK(info->fault.table == Signature::kDsdt);
  }
  SECTION("no _S5_ in the DSDT") {
    d[at - 4] = 'X';  // "_S5_" -> "_SX_"
    REQUIRE(parse() == Status::kOk);
    CHECK_FALSE(info->s5.present);
  }
}
