// The ACPI parser on QEMU's real tables (data/acpi): the CPUs, I/O APIC, ISA overrides, FADT
// power-off registers and \_S5 values that hv will boot with under QEMU, found from the boot
// loader's RSDP and by the BIOS-area scan, without a read leaving the tables.
#include <rootstock/acpi/acpi_info.hpp>
#include <rootstock/acpi/root_table.hpp>

#include <catch2/catch_test_macros.hpp>
#include <string>

#include "acpi_test_support.hpp"
#include "fake_phys.hpp"

using namespace rootstock::acpi;
using rootstock::testing::AcpiFixture;
using rootstock::testing::FakePhys;

namespace {

struct Machine {
  const char* file;
  size_t cpus;
  uint64_t dsdt;
  bool fadt_v1;  // the pc machine's ACPI 1.0 FADT: no X_ fields, no reset register
};

constexpr Machine kMachines[] = {
    {"q35_smp4_epyc.bin", 4, 0x1ffe0040, false},
    {"q35_smp8.bin", 8, 0x07fe0040, false},
    {"pc_smp1.bin", 1, 0x07fe0040, true},
};

void check_qemu_machine(const Machine& m, const AcpiInfo& info) {
  INFO(m.file);
  CHECK(info.rsdp.paddr == 0xf5250);
  CHECK(info.rsdp.revision == 0);
  CHECK_FALSE(info.xsdt);

  const MadtInfo& madt = info.madt;
  CHECK(madt.lapic_base == 0xfee00000);
  CHECK(madt.pcat_compat);
  REQUIRE(madt.cpu_count == m.cpus);
  CHECK(madt.enabled_cpu_count == m.cpus);
  CHECK(madt.unusable_cpu_entries == 0);
  for (size_t i = 0; i < madt.cpu_count; ++i) {
    CHECK(madt.cpus[i].apic_id == i);
    CHECK(madt.cpus[i].acpi_uid == i);
    CHECK(madt.cpus[i].enabled);
    CHECK_FALSE(madt.cpus[i].x2apic);
  }
  REQUIRE(madt.ioapic_count == 1);
  CHECK(madt.ioapics[0].id == 0);
  CHECK(madt.ioapics[0].address == 0xfec00000);
  CHECK(madt.ioapics[0].gsi_base == 0);
  // QEMU: the PIT's IRQ0 arrives at GSI 2 (bus-default polarity and trigger); the SCI (9) and
  // PCI link IRQs 5, 10, 11 are active-high level (flags 0x0d).
  REQUIRE(madt.override_count == 5);
  const InterruptOverride* irq0 = madt.find_override(0, 0);
  REQUIRE(irq0 != nullptr);
  CHECK(irq0->gsi == 2);
  CHECK(irq0->flags == 0);
  for (const uint8_t irq : {uint8_t{5}, uint8_t{9}, uint8_t{10}, uint8_t{11}}) {
    const InterruptOverride* o = madt.find_override(0, irq);
    REQUIRE(o != nullptr);
    CHECK(o->gsi == irq);
    CHECK(o->flags == 0x0d);
  }
  CHECK(madt.find_override(0, 1) == nullptr);
  REQUIRE(madt.nmi_count == 1);
  CHECK(madt.nmis[0].acpi_uid == kAllProcessors);
  CHECK(madt.nmis[0].lint == 1);

  const FadtInfo& fadt = info.fadt;
  CHECK(fadt.revision == (m.fadt_v1 ? 1 : 3));
  CHECK(fadt.sci_irq == 9);
  CHECK(fadt.dsdt == m.dsdt);
  CHECK_FALSE(fadt.hw_reduced);
  CHECK(fadt.pm1a_cnt.space == AddressSpace::kSystemIo);
  CHECK(fadt.pm1a_cnt.address == 0x604);
  CHECK(fadt.pm1a_cnt.bit_width == 16);
  CHECK_FALSE(fadt.pm1b_cnt.present());
  CHECK_FALSE(fadt.sleep_control.present());
  if (m.fadt_v1) {
    CHECK_FALSE(fadt.reset_supported);
  } else {
    CHECK(fadt.reset_supported);
    CHECK(fadt.reset_reg.space == AddressSpace::kSystemIo);
    CHECK(fadt.reset_reg.address == 0xcf9);
    CHECK(fadt.reset_value == 0x0f);
  }

  // QEMU's DSDT: Name (_S5, Package (0x04) {Zero, Zero, Zero, Zero}).
  CHECK(info.s5.present);
  CHECK(info.s5.slp_typa == 0);
  CHECK(info.s5.slp_typb == 0);
}

}  // namespace

TEST_CASE("acpi: QEMU tables from the boot loader's RSDP", "[acpi][qemu]") {
  for (const Machine& m : kMachines) {
    const AcpiFixture fx = AcpiFixture::load(m.file);
    FakePhys phys;
    fx.install(phys);
    AcpiInfo info;
    REQUIRE(parse_acpi(phys, fx.rsdp, info) == Status::kOk);
    check_qemu_machine(m, info);
    CHECK(fx.reads_stay_in_regions(phys));
    for (const FakePhys::Read& r : phys.reads()) CHECK(r.ok);
  }
}

TEST_CASE("acpi: QEMU tables found by scanning the BIOS area", "[acpi][qemu][rsdp]") {
  for (const Machine& m : kMachines) {
    const AcpiFixture fx = AcpiFixture::load(m.file);
    FakePhys phys;
    fx.install(phys, /*bios_area=*/true);
    AcpiInfo info;
    REQUIRE(parse_acpi(phys, 0, info) == Status::kOk);
    check_qemu_machine(m, info);
    CHECK(fx.reads_stay_in_regions(phys, /*bios_area=*/true));
  }
}

TEST_CASE("acpi: the step-by-step API gives what parse_acpi gives", "[acpi][qemu]") {
  const AcpiFixture fx = AcpiFixture::load("q35_smp4_epyc.bin");
  FakePhys phys;
  fx.install(phys);
  RsdpInfo rsdp;
  REQUIRE(read_rsdp(phys, fx.rsdp, rsdp) == Status::kOk);
  RootTable root;
  REQUIRE(load_root_table(phys, rsdp, root) == Status::kOk);
  CHECK(root.entry_size == 4);
  CHECK(root.count == 5);  // FACP, APIC, HPET, MCFG, WAET
  Table madt;
  REQUIRE(find_table(phys, root, Signature::kApic, 44, madt) == Status::kOk);
  CHECK(madt.paddr == fx.address_of("APIC"));
  CHECK(madt.length == 144);
  Table hpet;
  CHECK(find_table(phys, root, static_cast<Signature>(signature_value("HPET")), 0, hpet) ==
        Status::kOk);
  Table none;
  CHECK(find_table(phys, root, static_cast<Signature>(signature_value("SRAT")), 0, none) ==
        Status::kTableNotFound);
  CHECK(std::string(signature_text(Signature::kFacp).chars) == "FACP");
}
