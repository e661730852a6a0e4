// The ACPI parser's way in, against hostile input: RSDP checksums, lengths and the scan
// fallback; RSDT/XSDT choice, length, duplicates and garbage entries; every SDT's length and
// checksum. Each corruption gets its own status and names the table at fault.
#include <rootstock/acpi/acpi_info.hpp>
#include <rootstock/acpi/root_table.hpp>

#include <algorithm>
#include <catch2/catch_test_macros.hpp>
#include <memory>
#include <vector>

#include "acpi_test_support.hpp"
#include "fake_phys.hpp"

using namespace rootstock::acpi;
using namespace rootstock::testing;

namespace {

constexpr uint64_t kFreeAddress = 0x00200000;  // unused by the fixtures

// Parses `fx` from its RSDP; `info` is on the heap (MadtInfo is several KiB). Unless a test
// makes a table claim more bytes than it has, no read may cross from one table into the next.
Status parse(const AcpiFixture& fx, std::unique_ptr<AcpiInfo>& info, bool check_regions = true) {
  FakePhys phys;
  fx.install(phys);
  info = std::make_unique<AcpiInfo>();
  const Status s = parse_acpi(phys, fx.rsdp, *info);
  if (check_regions) CHECK(fx.reads_stay_in_regions(phys));
  return s;
}

AcpiFixture q35() {
  return AcpiFixture::load("q35_smp4_epyc.bin");
}

}  // namespace

TEST_CASE("acpi: every status has its own description", "[acpi]") {
  CHECK(std::string(describe(Status::kOk)) == "ok");
  CHECK(std::string(describe(Status::kMadtEntryTooShort)).find("MADT") != std::string::npos);
  CHECK(std::string(describe(static_cast<Status>(250))) == "unknown ACPI status");
  for (unsigned a = 0; a <= static_cast<unsigned>(Status::kS5Ambiguous); ++a) {
    for (unsigned b = 0; b < a; ++b) {
      CHECK(std::string(describe(static_cast<Status>(a))) !=
            std::string(describe(static_cast<Status>(b))));
    }
  }
}

TEST_CASE("acpi: RSDP checksums, signature and length", "[acpi][rsdp]") {
  std::unique_ptr<AcpiInfo> info;
  SECTION("bad checksum over the first 20 bytes") {
    AcpiFixture fx = q35();
    fx.rsdp_bytes()[9] ^= 0x20;  // an OEM ID letter
    CHECK(parse(fx, info) == Status::kRsdpBadChecksum);
    CHECK(info->fault.table == Signature::kNone);
    CHECK(info->fault.paddr == fx.rsdp);
  }
  SECTION("bad signature") {
    AcpiFixture fx = q35();
    fx.rsdp_bytes()[0] = 'X';
    fix_checksum(fx.rsdp_bytes(), 8, 20);
    CHECK(parse(fx, info) == Status::kRsdpBadSignature);
  }
  SECTION("unreadable RSDP address") {
    FakePhys phys;
    AcpiInfo a;
    CHECK(parse_acpi(phys, 0xf5250, a) == Status::kRsdpUnreadable);
  }
  SECTION("revision 2: bad extended checksum, valid first checksum") {
    ByteVec r = make_rsdp(2, 0, 0x1000);
    r[24] ^= 1;  // the XSDT address: outside the 20-byte checksum
    FakePhys phys;
    phys.add(0xf0000, r);
    RsdpInfo out;
    CHECK(read_rsdp(phys, 0xf0000, out) == Status::kRsdpBadExtendedChecksum);
  }
  SECTION("revision 2: length below 36 or absurd") {
    for (uint64_t len : {uint64_t{20}, uint64_t{35}, uint64_t{0x10000}, uint64_t{0xffffffff}}) {
      ByteVec r = make_rsdp(2, 0, 0x1000);
      put_le(r, 20, len, 4);
      fix_checksum(r, 32);
      FakePhys phys;
      phys.add(0xf0000, r);
      RsdpInfo out;
      CHECK(read_rsdp(phys, 0xf0000, out) == Status::kRsdpBadLength);
    }
  }
  SECTION("revision 2 cut short after 20 bytes") {
    ByteVec r = make_rsdp(2, 0, 0x1000);
    r.resize(20);
    FakePhys phys;
    phys.add(0xf0000, r);
    RsdpInfo out;
    CHECK(read_rsdp(phys, 0xf0000, out) == Status::kRsdpUnreadable);
  }
  SECTION("no root table") {
    FakePhys phys;
    phys.add(0xf0000, make_rsdp(0, 0, 0));
    AcpiInfo a;
    CHECK(parse_acpi(phys, 0xf0000, a) == Status::kNoRootTable);
  }
}

TEST_CASE("acpi: RSDP scan fallback", "[acpi][rsdp]") {
  SECTION("nothing in the BIOS area") {
    FakePhys phys;
    phys.add(0xe0000, ByteVec(0x20000, 0));
    RsdpInfo out;
    CHECK(find_rsdp(phys, out) == Status::kRsdpNotFound);
  }
  SECTION("no memory at all") {
    FakePhys phys;
    RsdpInfo out;
    CHECK(find_rsdp(phys, out) == Status::kRsdpNotFound);
  }
  SECTION("only a corrupt candidate: its failure is reported") {
    ByteVec area(0x20000, 0);
    ByteVec r = make_rsdp(0, 0x1000, 0);
    r[10] ^= 1;
    std::copy(r.begin(), r.end(), area.begin() + 0x15250);
    FakePhys phys;
    phys.add(0xe0000, area);
    RsdpInfo out;
    CHECK(find_rsdp(phys, out) == Status::kRsdpBadChecksum);
  }
  SECTION("a corrupt candidate, then a valid one") {
    ByteVec area(0x20000, 0);
    ByteVec bad = make_rsdp(0, 0x1000, 0);
    bad[10] ^= 1;
    const ByteVec good = make_rsdp(2, 0x2000, 0x3000);
    std::copy(bad.begin(), bad.end(), area.begin() + 0x100);
    std::copy(good.begin(), good.end(), area.begin() + 0x1fff0 - 0x30);
    FakePhys phys;
    phys.add(0xe0000, area);
    RsdpInfo out;
    REQUIRE(find_rsdp(phys, out) == Status::kOk);
    CHECK(out.paddr == 0xfffc0);
    CHECK(out.revision == 2);
    CHECK(out.xsdt_address == 0x3000);
  }
  SECTION("a signature off the 16-byte grid is not an RSDP") {
    ByteVec area(0x20000, 0);
    const ByteVec r = make_rsdp(0, 0x1000, 0);
    std::copy(r.begin(), r.end(), area.begin() + 0x108);
    FakePhys phys;
    phys.add(0xe0000, area);
    RsdpInfo out;
    CHECK(find_rsdp(phys, out) == Status::kRsdpNotFound);
  }
  SECTION("in the first KiB of the EBDA") {
    ByteVec bda(0x100, 0);
    put_le(bda, 0x0e, 0x9fc0, 2);  // the word at 0x40E: EBDA segment, so the EBDA is 0x9FC00
    ByteVec ebda(0x400, 0);
    const ByteVec r = make_rsdp(0, 0x1000, 0);
    std::copy(r.begin(), r.end(), ebda.begin() + 0x40);
    FakePhys phys;
    phys.add(0x400, bda);
    phys.add(0x9fc00, ebda);
    RsdpInfo out;
    REQUIRE(find_rsdp(phys, out) == Status::kOk);
    CHECK(out.paddr == 0x9fc40);
  }
}

TEST_CASE("acpi: XSDT preferred over RSDT when revision >= 2", "[acpi][rsdp][root]") {
  // The RSDT lists the real tables; the XSDT lists the same FADT and a MADT above 4 GiB with a
  // single CPU, so the CPU count tells which root table was used.
  AcpiFixture fx = q35();
  const ByteVec one_cpu =
      make_sdt("APIC", 3, Bytes().u32(0xfee00000).u32(1).u8(0).u8(8).u8(0).u8(7).u32(1));
  const uint64_t high_madt = 0x1'0000'0000;
  fx.regions[high_madt] = one_cpu;
  fx.regions[kFreeAddress] = make_root(8, {fx.address_of("FACP"), high_madt});
  std::unique_ptr<AcpiInfo> info;

  SECTION("revision 2 with an XSDT") {
    fx.rsdp_bytes() = make_rsdp(2, static_cast<uint32_t>(fx.address_of("RSDT")), kFreeAddress);
    REQUIRE(parse(fx, info) == Status::kOk);
    CHECK(info->xsdt);
    REQUIRE(info->madt.cpu_count == 1);
    CHECK(info->madt.cpus[0].apic_id == 7);
  }
  SECTION("revision 2 with a zero XSDT address uses the RSDT") {
    fx.rsdp_bytes() = make_rsdp(2, static_cast<uint32_t>(fx.address_of("RSDT")), 0);
    REQUIRE(parse(fx, info) == Status::kOk);
    CHECK_FALSE(info->xsdt);
    CHECK(info->madt.cpu_count == 4);
  }
  SECTION("a bad XSDT is an error, not a reason to fall back") {
    fx.rsdp_bytes() = make_rsdp(2, static_cast<uint32_t>(fx.address_of("RSDT")), kFreeAddress);
    fx.regions[kFreeAddress][20] ^= 1;
    CHECK(parse(fx, info) == Status::kTableBadChecksum);
    CHECK(info->fault.table == Signature::kXsdt);
    CHECK(info->fault.paddr == kFreeAddress);
  }
}

TEST_CASE("acpi: SDT length and checksum", "[acpi][sdt]") {
  AcpiFixture fx = q35();
  std::unique_ptr<AcpiInfo> info;
  SECTION("bad MADT checksum") {
    fx.table("APIC")[50] ^= 0x01;
    CHECK(parse(fx, info) == Status::kTableBadChecksum);
    CHECK(info->fault.table == Signature::kApic);
    CHECK(info->fault.paddr == fx.address_of("APIC"));
  }
  SECTION("bad RSDT checksum") {
    fx.table("RSDT")[10] ^= 0x01;
    CHECK(parse(fx, info) == Status::kTableBadChecksum);
    CHECK(info->fault.table == Signature::kRsdt);
  }
  SECTION("bad FADT checksum") {
    fx.table("FACP")[100] ^= 0x01;
    CHECK(parse(fx, info) == Status::kTableBadChecksum);
    CHECK(info->fault.table == Signature::kFacp);
  }
  SECTION("bad DSDT checksum") {
    fx.table("DSDT")[4000] ^= 0x01;
    CHECK(parse(fx, info) == Status::kTableBadChecksum);
    CHECK(info->fault.table == Signature::kDsdt);
    CHECK(info->fault.paddr == 0x1ffe0040);
  }
  SECTION("length smaller than the header") {
    for (uint32_t len : {0u, 1u, 35u}) {
      put_le(fx.table("APIC"), 4, len, 4);
      CHECK(parse(fx, info) == Status::kTableTooShort);
    }
  }
  SECTION("MADT shorter than its fixed part, checksum valid") {
    ByteVec& m = fx.table("APIC");
    m.resize(40);
    seal_sdt(m);
    CHECK(parse(fx, info) == Status::kTableTooShort);
  }
  SECTION("absurd length") {
    for (uint32_t len : {0x100001u, 0x80000000u, 0xffffffffu}) {
      put_le(fx.table("APIC"), 4, len, 4);
      CHECK(parse(fx, info) == Status::kTableTooLong);
    }
  }
  SECTION("length running into unreadable memory") {
    put_le(fx.table("APIC"), 4, 0x8000, 4);  // through the next tables, then nothing
    CHECK(parse(fx, info, /*check_regions=*/false) == Status::kTableTruncated);
  }
  SECTION("a table that would wrap around the address space") {
    ByteVec t = make_sdt("APIC", 3, ByteVec(8, 0));
    put_le(t, 4, 0x1000, 4);  // the header is readable, the length reaches past 2^64
    const uint64_t at = UINT64_MAX - (t.size() - 1);
    FakePhys phys;
    phys.add(at, t);
    Table out;
    CHECK(load_table(phys, at, Signature::kApic, 0, out) == Status::kTableAddressInvalid);
    CHECK(out.paddr == at);
    CHECK(load_table(phys, 0, Signature::kApic, 0, out) == Status::kTableAddressInvalid);
  }
  SECTION("RSDT pointing at a table with another signature") {
    put_le(fx.rsdp_bytes(), 16, fx.address_of("APIC"), 4);
    fix_checksum(fx.rsdp_bytes(), 8, 20);
    CHECK(parse(fx, info) == Status::kTableBadSignature);
    CHECK(info->fault.table == Signature::kRsdt);
  }
  SECTION("FADT pointing at a DSDT that is not one") {
    ByteVec& f = fx.table("FACP");
    put_le(f, 40, fx.address_of("HPET"), 4);
    put_le(f, 140, fx.address_of("HPET"), 8);
    fix_checksum(f, 9);
    CHECK(parse(fx, info) == Status::kTableBadSignature);
    CHECK(info->fault.table == Signature::kDsdt);
  }
}

TEST_CASE("acpi: RSDT entries", "[acpi][root]") {
  AcpiFixture fx = q35();
  std::vector<uint64_t> entries = fx.rsdt_entries();
  REQUIRE(entries.size() == 5);
  std::unique_ptr<AcpiInfo> info;
  SECTION("the same table listed twice") {
    entries.push_back(fx.address_of("APIC"));
    fx.replace_rsdt(kFreeAddress, entries);
    CHECK(parse(fx, info) == Status::kRootTableDuplicateEntry);
    CHECK(info->fault.table == Signature::kRsdt);
    CHECK(info->fault.paddr == kFreeAddress);
  }
  SECTION("two MADTs at different addresses") {
    fx.regions[kFreeAddress + 0x1000] = fx.table("APIC");
    entries.push_back(kFreeAddress + 0x1000);
    fx.replace_rsdt(kFreeAddress, entries);
    CHECK(parse(fx, info) == Status::kTableDuplicate);
    CHECK(info->fault.table == Signature::kApic);
    CHECK(info->fault.paddr == kFreeAddress + 0x1000);
  }
  SECTION("a garbage, unreadable entry") {
    entries.insert(entries.begin(), 0xdead0000);
    fx.replace_rsdt(kFreeAddress, entries);
    CHECK(parse(fx, info) == Status::kTableUnreadable);
    CHECK(info->fault.paddr == 0xdead0000);
  }
  SECTION("null entries are skipped") {
    entries.insert(entries.begin(), 0);
    entries.push_back(0);
    fx.replace_rsdt(kFreeAddress, entries);
    CHECK(parse(fx, info) == Status::kOk);
  }
  SECTION("no MADT listed") {
    std::erase(entries, fx.address_of("APIC"));
    fx.replace_rsdt(kFreeAddress, entries);
    CHECK(parse(fx, info) == Status::kTableNotFound);
    CHECK(info->fault.table == Signature::kApic);
  }
  SECTION("no FADT listed") {
    std::erase(entries, fx.address_of("FACP"));
    fx.replace_rsdt(kFreeAddress, entries);
    CHECK(parse(fx, info) == Status::kTableNotFound);
    CHECK(info->fault.table == Signature::kFacp);
  }
  SECTION("length not a whole number of entries") {
    ByteVec& r = fx.table("RSDT");
    r.resize(r.size() + 2);
    seal_sdt(r);
    CHECK(parse(fx, info) == Status::kRootTableBadLength);
  }
  SECTION("more entries than the bound") {
    fx.replace_rsdt(kFreeAddress, std::vector<uint64_t>(kMaxRootEntries + 1, 0));
    CHECK(parse(fx, info) == Status::kRootTableTooManyEntries);
  }
  SECTION("as many entries as the bound, all distinct or null") {
    std::vector<uint64_t> many(kMaxRootEntries, 0);
    std::copy(entries.begin(), entries.end(), many.begin() + 100);
    fx.replace_rsdt(kFreeAddress, many);
    CHECK(parse(fx, info) == Status::kOk);
  }
}
