// MADT decoding against hostile input: entries of length 0 or 1 (which would loop forever),
// entries past the table's end or shorter than their type, duplicate or broadcast APIC IDs,
// more CPUs / I/O APICs / overrides than hv holds; and the x2APIC, disabled, online-capable,
// NMI and address-override entries QEMU does not emit.
#include <rootstock/acpi/acpi_info.hpp>
#include <rootstock/acpi/madt.hpp>

#include <catch2/catch_test_macros.hpp>
#include <memory>

#include "acpi_test_support.hpp"
#include "fake_phys.hpp"

using namespace rootstock::acpi;
using namespace rootstock::testing;

namespace {

constexpr uint64_t kMadtAddress = 0x10000;

ByteVec lapic(uint8_t uid, uint8_t apic_id, uint32_t flags = 1) {
  return Bytes().u8(0).u8(8).u8(uid).u8(apic_id).u32(flags);
}
ByteVec x2apic(uint32_t x2apic_id, uint32_t uid, uint32_t flags = 1) {
  return Bytes().u8(9).u8(16).u16(0).u32(x2apic_id).u32(flags).u32(uid);
}
ByteVec ioapic(uint8_t id, uint32_t address, uint32_t gsi_base) {
  return Bytes().u8(1).u8(12).u8(id).u8(0).u32(address).u32(gsi_base);
}
ByteVec override_entry(uint8_t irq, uint32_t gsi, uint16_t flags = 0) {
  return Bytes().u8(2).u8(10).u8(0).u8(irq).u32(gsi).u16(flags);
}
ByteVec lapic_nmi(uint8_t uid, uint16_t flags, uint8_t lint) {
  return Bytes().u8(4).u8(6).u8(uid).u16(flags).u8(lint);
}
ByteVec x2apic_nmi(uint32_t uid, uint16_t flags, uint8_t lint) {
  return Bytes().u8(0xa).u8(12).u16(flags).u32(uid).u8(lint).zeros(3);
}
ByteVec address_override(uint64_t address) {
  return Bytes().u8(5).u8(12).u16(0).u64(address);
}

// A MADT (revision `revision`, LAPIC at 0xFEE00000, PC-AT compatible) holding `entries`.
struct MadtCase {
  Bytes entries;
  uint8_t revision = 3;

  MadtCase& add(const ByteVec& e) {
    entries.raw(e);
    return *this;
  }
  Status parse(MadtInfo& out, size_t* reads = nullptr) const {
    const ByteVec t = make_sdt("APIC", revision, Bytes().u32(0xfee00000).u32(1).raw(entries));
    FakePhys phys;
    phys.add(kMadtAddress, t);
    Table table;
    REQUIRE(load_table(phys, kMadtAddress, Signature::kApic, 44, table) == Status::kOk);
    const Status s = parse_madt(phys, table, out);
    CHECK(phys.all_reads_within(kMadtAddress, t.size()));
    if (reads != nullptr) *reads = phys.reads().size();
    return s;
  }
};

}  // namespace

TEST_CASE("madt: entry lengths 0 and 1 are refused, not looped on", "[acpi][madt]") {
  auto info = std::make_unique<MadtInfo>();
  for (uint8_t len : {uint8_t{0}, uint8_t{1}}) {
    MadtCase c;
    c.add(lapic(0, 0)).add(Bytes().u8(0x7f).u8(len).zeros(30));
    size_t reads = 0;
    CHECK(c.parse(*info, &reads) == Status::kMadtEntryTooShort);
    CHECK(reads < 20);
  }
}

TEST_CASE("madt: entries must stay inside the table", "[acpi][madt]") {
  auto info = std::make_unique<MadtInfo>();
  SECTION("length past the end") {
    CHECK(MadtCase().add(lapic(0, 0)).add(Bytes().u8(0).u8(20).zeros(6)).parse(*info) ==
          Status::kMadtEntryPastEnd);
  }
  SECTION("length 255 on the last entry") {
    ByteVec e = lapic(1, 1);
    e[1] = 255;
    CHECK(MadtCase().add(lapic(0, 0)).add(e).parse(*info) == Status::kMadtEntryPastEnd);
  }
  SECTION("a dangling byte after the last entry") {
    CHECK(MadtCase().add(lapic(0, 0)).add({0x00}).parse(*info) == Status::kMadtEntryPastEnd);
  }
  SECTION("a known type shorter than its structure") {
    ByteVec e = Bytes().u8(1).u8(8).u8(0).u8(0).u32(0xfec00000);  // I/O APIC needs 12
    CHECK(MadtCase().add(lapic(0, 0)).add(e).parse(*info) == Status::kMadtEntryShorterThanType);
  }
  SECTION("longer entries (later revisions) and unknown types are stepped over") {
    ByteVec longer = Bytes().raw(lapic(0, 0)).zeros(4);
    longer[1] = 12;
    const ByteVec gicc = Bytes().u8(0xb).u8(80).zeros(78);
    REQUIRE(MadtCase().add(longer).add(gicc).add(lapic(1, 1)).parse(*info) == Status::kOk);
    CHECK(info->cpu_count == 2);
  }
  SECTION("a MADT with no entries has no enabled CPU") {
    CHECK(MadtCase().parse(*info) == Status::kMadtNoEnabledCpu);
  }
}

TEST_CASE("madt: APIC IDs", "[acpi][madt]") {
  auto info = std::make_unique<MadtInfo>();
  SECTION("duplicate local APIC ID") {
    CHECK(MadtCase().add(lapic(0, 0)).add(lapic(1, 1)).add(lapic(2, 1)).parse(*info) ==
          Status::kMadtDuplicateApicId);
  }
  SECTION("duplicate across a local APIC and a local x2APIC entry") {
    CHECK(MadtCase().add(lapic(0, 5)).add(x2apic(5, 1)).parse(*info) ==
          Status::kMadtDuplicateApicId);
  }
  SECTION("broadcast ID on a usable processor") {
    CHECK(MadtCase().add(lapic(0, 0xff)).parse(*info) == Status::kMadtInvalidApicId);
    CHECK(MadtCase().add(x2apic(0xffffffff, 0)).parse(*info) == Status::kMadtInvalidApicId);
  }
  SECTION("disabled placeholders (ID 0xFF, repeated) are skipped and counted") {
    MadtCase c;
    c.add(lapic(0, 0)).add(lapic(1, 1, 0));
    for (int i = 0; i < 300; ++i) c.add(lapic(0xff, 0xff, 0));
    REQUIRE(c.parse(*info) == Status::kOk);
    CHECK(info->cpu_count == 1);
    CHECK(info->enabled_cpu_count == 1);
    CHECK(info->unusable_cpu_entries == 301);
  }
}

TEST_CASE("madt: online-capable processors", "[acpi][madt]") {
  auto info = std::make_unique<MadtInfo>();
  MadtCase c;
  c.add(lapic(0, 0, 1)).add(lapic(1, 1, 2)).add(x2apic(400, 2, 2)).add(lapic(3, 3, 0));
  SECTION("MADT revision 5 and later: listed, not enabled") {
    c.revision = 5;
    REQUIRE(c.parse(*info) == Status::kOk);
    REQUIRE(info->cpu_count == 3);
    CHECK(info->enabled_cpu_count == 1);
    CHECK(info->cpus[1].apic_id == 1);
    CHECK_FALSE(info->cpus[1].enabled);
    CHECK(info->cpus[1].online_capable);
    CHECK(info->cpus[2].apic_id == 400);
    CHECK(info->cpus[2].online_capable);
    CHECK(info->unusable_cpu_entries == 1);
  }
  SECTION("before revision 5 the bit is reserved: such entries are unusable") {
    REQUIRE(c.parse(*info) == Status::kOk);
    CHECK(info->cpu_count == 1);
    CHECK(info->unusable_cpu_entries == 3);
  }
}

TEST_CASE("madt: x2APIC processors and NMIs", "[acpi][madt]") {
  auto info = std::make_unique<MadtInfo>();
  MadtCase c;
  c.add(lapic(0, 0)).add(x2apic(255, 1)).add(x2apic(0x12345, 0x10000));
  c.add(lapic_nmi(0, 0x5, 1)).add(x2apic_nmi(0xffffffff, 0xd, 0)).add(lapic_nmi(0xff, 0, 1));
  REQUIRE(c.parse(*info) == Status::kOk);
  REQUIRE(info->cpu_count == 3);
  CHECK_FALSE(info->cpus[0].x2apic);
  CHECK(info->cpus[1].x2apic);
  CHECK(info->cpus[1].apic_id == 255);
  CHECK(info->cpus[2].apic_id == 0x12345);
  CHECK(info->cpus[2].acpi_uid == 0x10000);
  CHECK(info->cpus[2].enabled);
  REQUIRE(info->nmi_count == 3);
  CHECK(info->nmis[0].acpi_uid == 0);
  CHECK(info->nmis[0].flags == 5);
  CHECK(info->nmis[0].lint == 1);
  CHECK(info->nmis[1].acpi_uid == kAllProcessors);
  CHECK(info->nmis[1].flags == 0xd);
  CHECK(info->nmis[1].lint == 0);
  CHECK(info->nmis[2].acpi_uid == kAllProcessors);  // 0xFF in the 8-bit form
}

TEST_CASE("madt: capacities are errors, never truncation", "[acpi][madt]") {
  auto info = std::make_unique<MadtInfo>();
  SECTION("256 CPUs fit, 257 do not") {
    MadtCase c;
    for (uint32_t i = 0; i < kMaxCpus; ++i) c.add(x2apic(i, i));
    REQUIRE(c.parse(*info) == Status::kOk);
    CHECK(info->cpu_count == kMaxCpus);
    CHECK(info->cpus[kMaxCpus - 1].apic_id == kMaxCpus - 1);
    c.add(x2apic(1000, 1000));
    CHECK(c.parse(*info) == Status::kMadtTooManyCpus);
  }
  SECTION("I/O APICs") {
    MadtCase c;
    c.add(lapic(0, 0));
    for (uint8_t i = 0; i <= kMaxIoApics; ++i) c.add(ioapic(i, 0xfec00000 + i * 0x1000u, i * 24u));
    CHECK(c.parse(*info) == Status::kMadtTooManyIoApics);
  }
  SECTION("interrupt source overrides") {
    MadtCase c;
    c.add(lapic(0, 0));
    for (uint8_t i = 0; i <= kMaxOverrides; ++i) c.add(override_entry(i, i + 100u));
    CHECK(c.parse(*info) == Status::kMadtTooManyOverrides);
  }
  SECTION("local APIC NMIs") {
    MadtCase c;
    c.add(lapic(0, 0));
    for (size_t i = 0; i <= kMaxLapicNmis; ++i) c.add(lapic_nmi(0, 0, 1));
    CHECK(c.parse(*info) == Status::kMadtTooManyNmis);
  }
}

TEST_CASE("madt: overrides and the local APIC address", "[acpi][madt]") {
  auto info = std::make_unique<MadtInfo>();
  SECTION("two overrides for one IRQ") {
    CHECK(MadtCase()
              .add(lapic(0, 0))
              .add(override_entry(0, 2))
              .add(override_entry(0, 3))
              .parse(*info) == Status::kMadtDuplicateOverride);
  }
  SECTION("address override replaces the header's address") {
    REQUIRE(MadtCase().add(lapic(0, 0)).add(address_override(0x1'fee0'0000)).parse(*info) ==
            Status::kOk);
    CHECK(info->lapic_base == 0x1'fee0'0000);
    CHECK(info->pcat_compat);
  }
  SECTION("at most one address override") {
    CHECK(MadtCase()
              .add(lapic(0, 0))
              .add(address_override(1))
              .add(address_override(2))
              .parse(*info) == Status::kMadtDuplicateAddressOverride);
  }
  SECTION("I/O APICs and overrides decoded") {
    REQUIRE(MadtCase()
                .add(lapic(0, 0))
                .add(ioapic(2, 0xfec01000, 24))
                .add(override_entry(9, 20, 0xf))
                .parse(*info) == Status::kOk);
    REQUIRE(info->ioapic_count == 1);
    CHECK(info->ioapics[0].id == 2);
    CHECK(info->ioapics[0].address == 0xfec01000);
    CHECK(info->ioapics[0].gsi_base == 24);
    const InterruptOverride* o = info->find_override(0, 9);
    REQUIRE(o != nullptr);
    CHECK(o->gsi == 20);
    CHECK(o->flags == 0xf);
  }
}

TEST_CASE("madt: corrupted QEMU MADTs through parse_acpi", "[acpi][madt][qemu]") {
  AcpiFixture fx = AcpiFixture::load("q35_smp8.bin");
  ByteVec& m = fx.table("APIC");
  // QEMU's entries: 8 local APICs at 44, 52, ... 100; the I/O APIC at 108.
  auto info = std::make_unique<AcpiInfo>();
  auto parse = [&] {
    FakePhys phys;
    fx.install(phys);
    const Status s = parse_acpi(phys, fx.rsdp, *info);
    CHECK(fx.reads_stay_in_regions(phys));
    return s;
  };
  SECTION("entry length 0") {
    m[44 + 8 * 3 + 1] = 0;
    fix_checksum(m, 9);
    CHECK(parse() == Status::kMadtEntryTooShort);
    CHECK(info->fault.table == Signature::kApic);
    CHECK(info->fault.paddr == fx.address_of("APIC"));
  }
  SECTION("entry length 1") {
    m[44 + 1] = 1;
    fix_checksum(m, 9);
    CHECK(parse() == Status::kMadtEntryTooShort);
  }
  SECTION("duplicate APIC ID") {
    m[44 + 8 * 5 + 3] = 2;
    fix_checksum(m, 9);
    CHECK(parse() == Status::kMadtDuplicateApicId);
  }
  SECTION("disabled CPUs") {
    m[44 + 8 * 6 + 4] = 0;
    m[44 + 8 * 7 + 4] = 0;
    fix_checksum(m, 9);
    REQUIRE(parse() == Status::kOk);
    CHECK(info->madt.cpu_count == 6);
    CHECK(info->madt.unusable_cpu_entries == 2);
  }
  SECTION("last entry runs past the end") {
    m[m.size() - 6 + 1] = 7;  // the local APIC NMI entry (6 bytes) claims 7
    fix_checksum(m, 9);
    CHECK(parse() == Status::kMadtEntryPastEnd);
  }
}
