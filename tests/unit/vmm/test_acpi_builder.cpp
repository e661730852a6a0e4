// A child's ACPI tables (vmm/acpi/acpi_builder.hpp), read back with the parsers hv uses on the
// firmware's tables (common/acpi): RSDP -> XSDT -> MADT and FADT -> DSDT -> \_S5, every checksum,
// the layout inside the area, and refused configurations that write nothing at all.
#include <rootstock/acpi/acpi_info.hpp>
#include <rootstock/acpi/checksum.hpp>
#include <rootstock/acpi/fadt_table.hpp>
#include <rootstock/acpi/madt_entries.hpp>
#include <rootstock/acpi/root_table.hpp>
#include <rootstock/acpi/rsdp.hpp>
#include <rootstock/acpi/sdt.hpp>

#include <algorithm>
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "vmm/acpi/acpi_builder.hpp"

namespace fw = rootstock::acpi;
using namespace rootstock::vmm::acpi;

namespace {

constexpr size_t kGuard = 256;
constexpr uint8_t kFill = 0xa5;

// The area's bytes with guard bytes on both sides, all filled with kFill to begin with.
class GuardedArea {
 public:
  explicit GuardedArea(uint64_t size) : bytes_(size + 2 * kGuard, kFill), size_(size) {}

  std::span<uint8_t> area() { return std::span(bytes_).subspan(kGuard, size_); }
  std::span<const uint8_t> area() const { return std::span(bytes_).subspan(kGuard, size_); }
  bool guards_intact() const {
    const auto intact = [](uint8_t b) { return b == kFill; };
    return std::all_of(bytes_.begin(), bytes_.begin() + kGuard, intact) &&
           std::all_of(bytes_.end() - kGuard, bytes_.end(), intact);
  }
  bool untouched() const {
    return std::all_of(bytes_.begin(), bytes_.end(), [](uint8_t b) { return b == kFill; });
  }

 private:
  std::vector<uint8_t> bytes_;
  size_t size_;
};

// Guest-physical memory as the child sees it: only the area is readable.
class AreaReader final : public rootstock::boot::PhysReader {
 public:
  AreaReader(uint64_t gpa, std::span<const uint8_t> bytes) : gpa_(gpa), bytes_(bytes) {}

  bool read(uint64_t paddr, void* out, size_t len) const override {
    if (paddr < gpa_ || paddr - gpa_ > bytes_.size() || len > bytes_.size() - (paddr - gpa_)) {
      return false;
    }
    std::memcpy(out, bytes_.data() + (paddr - gpa_), len);
    return true;
  }

 private:
  uint64_t gpa_;
  std::span<const uint8_t> bytes_;
};

// A built set of tables and a reader over them.
struct Built {
  AcpiConfig config;
  GuardedArea memory;
  AcpiTables tables;

  explicit Built(const AcpiConfig& c) : config(c), memory(c.area_size) {
    auto t = build_acpi_tables(config, memory.area());
    REQUIRE(t);
    tables = *t;
    CHECK(memory.guards_intact());
  }
  AreaReader reader() const { return AreaReader(config.area_gpa, memory.area()); }
};

AcpiConfig with_vcpus(uint32_t n) {
  AcpiConfig c;
  c.vcpu_count = n;
  return c;
}

uint32_t madt_length(uint32_t vcpus, size_t overrides) {
  return static_cast<uint32_t>(sizeof(fw::MadtHeader) + vcpus * sizeof(fw::MadtLocalApic) +
                               sizeof(fw::MadtIoApic) +
                               overrides * sizeof(fw::MadtInterruptSourceOverride));
}

fw::Fadt read_fadt(const Built& b) {
  const AreaReader r = b.reader();
  fw::Table t;
  REQUIRE(fw::load_table(r, b.tables.fadt.gpa, fw::Signature::kFacp, sizeof(fw::Fadt), t) ==
          fw::Status::kOk);
  fw::Fadt f{};
  REQUIRE(fw::read_table_struct(r, t, 0, f));
  return f;
}

std::vector<uint8_t> bytes_at(const Built& b, uint64_t gpa, size_t len) {
  std::vector<uint8_t> out(len);
  REQUIRE(b.reader().read(gpa, out.data(), len));
  return out;
}

constexpr IsaOverride kSeventeenOverrides[17] = {};
constexpr IsaOverride kNotIsa[] = {{16, 16, 0}};
constexpr IsaOverride kPastLastPin[] = {{0, 24, 0}};
constexpr IsaOverride kTwice[] = {{0, 2, 0}, {0, 3, 0}};
constexpr IsaOverride kReservedPolarity[] = {{9, 9, 0x2 | inti::kLevel}};
constexpr IsaOverride kReservedBits[] = {{9, 9, 0x10}};
constexpr IsaOverride kCustomOverrides[] = {
    {0, 2, 0}, {10, 10, inti::kActiveHigh | inti::kLevel}, {5, 21, inti::kActiveLow | inti::kEdge}};

}  // namespace

TEST_CASE("acpi builder: the tables parse back as the platform configured", "[vmm][acpi]") {
  const uint32_t n = GENERATE(1u, 2u, 255u);
  CAPTURE(n);
  const Built b(with_vcpus(n));
  const AreaReader r = b.reader();
  auto info = std::make_unique<fw::AcpiInfo>();
  REQUIRE(fw::parse_acpi(r, b.tables.rsdp.gpa, *info) == fw::Status::kOk);

  CHECK(b.tables.rsdp.gpa == b.config.rsdp_gpa);
  CHECK(info->rsdp.revision == 2);
  CHECK(info->xsdt);
  CHECK(info->rsdp.rsdt_address == 0);
  CHECK(info->rsdp.xsdt_address == b.tables.xsdt.gpa);

  const fw::MadtInfo& m = info->madt;
  CHECK(m.lapic_base == 0xfee00000);
  CHECK(m.pcat_compat);
  REQUIRE(m.cpu_count == n);
  CHECK(m.enabled_cpu_count == n);
  CHECK(m.unusable_cpu_entries == 0);
  for (uint32_t i = 0; i < n; ++i) {
    REQUIRE(m.cpus[i].apic_id == i);
    REQUIRE(m.cpus[i].acpi_uid == i);
    REQUIRE(m.cpus[i].enabled);
    REQUIRE_FALSE(m.cpus[i].x2apic);
  }
  REQUIRE(m.ioapic_count == 1);
  CHECK(m.ioapics[0].id == 0);
  CHECK(m.ioapics[0].address == 0xfec00000);
  CHECK(m.ioapics[0].gsi_base == 0);
  CHECK(m.override_count == 2);
  const fw::InterruptOverride* irq0 = m.find_override(0, 0);
  REQUIRE(irq0 != nullptr);
  CHECK(irq0->gsi == 2);
  CHECK(irq0->flags == 0);
  const fw::InterruptOverride* sci = m.find_override(0, 9);
  REQUIRE(sci != nullptr);
  CHECK(sci->gsi == 9);
  CHECK((sci->flags & fw::mps_inti::kPolarityMask) == 1);   // active high
  CHECK((sci->flags & fw::mps_inti::kTriggerMask) == 0xc);  // level
  CHECK(m.nmi_count == 0);

  const fw::FadtInfo& f = info->fadt;
  CHECK(f.revision == 6);
  CHECK_FALSE(f.hw_reduced);
  CHECK(f.sci_irq == 9);
  CHECK(f.dsdt == b.tables.dsdt.gpa);
  CHECK(f.iapc_boot_arch == kDefaultIapcBootArch);
  CHECK(f.pm1a_cnt.space == fw::AddressSpace::kSystemIo);
  CHECK(f.pm1a_cnt.address == 0x604);
  CHECK(f.pm1a_cnt.bit_width == 16);
  CHECK_FALSE(f.pm1b_cnt.present());
  CHECK_FALSE(f.sleep_control.present());
  CHECK(f.reset_supported);
  CHECK(f.reset_reg.space == fw::AddressSpace::kSystemIo);
  CHECK(f.reset_reg.address == 0xcf9);
  CHECK(f.reset_reg.bit_width == 8);
  CHECK(f.reset_value == 0x06);

  REQUIRE(info->s5.present);
  CHECK(info->s5.slp_typa == kS5SleepType);
  CHECK(info->s5.slp_typb == kS5SleepType);

  CHECK(b.tables.rsdp.length == 36);
  CHECK(b.tables.xsdt.length == 36 + 2 * 8);
  CHECK(b.tables.fadt.length == 276);
  CHECK(b.tables.facs.length == 64);
  CHECK(b.tables.dsdt.length == 36 + 12);
  CHECK(b.tables.madt.length == madt_length(n, 2));
  CHECK(b.tables.madt.length == 44 + 8 * n + 12 + 2 * 10);
}

TEST_CASE("acpi builder: the FADT's fixed blocks, legacy and X_ fields agree", "[vmm][acpi]") {
  const Built b(with_vcpus(2));
  const fw::Fadt f = read_fadt(b);

  CHECK(f.pm1a_evt_blk == 0x600);
  CHECK(f.pm1_evt_len == 4);
  CHECK(f.pm1a_cnt_blk == 0x604);
  CHECK(f.pm1_cnt_len == 2);
  CHECK(f.pm_tmr_blk == 0x608);
  CHECK(f.pm_tmr_len == 4);
  const auto io = static_cast<uint8_t>(fw::AddressSpace::kSystemIo);
  CHECK(f.x_pm1a_evt_blk.space_id == io);
  CHECK(f.x_pm1a_evt_blk.address == f.pm1a_evt_blk);
  CHECK(f.x_pm1a_evt_blk.bit_width == 8 * f.pm1_evt_len);
  CHECK(f.x_pm1a_evt_blk.access_size == 2);  // two 16-bit registers: status, enable
  CHECK(f.x_pm1a_cnt_blk.space_id == io);
  CHECK(f.x_pm1a_cnt_blk.address == f.pm1a_cnt_blk);
  CHECK(f.x_pm1a_cnt_blk.bit_width == 8 * f.pm1_cnt_len);
  CHECK(f.x_pm_tmr_blk.space_id == io);
  CHECK(f.x_pm_tmr_blk.address == f.pm_tmr_blk);
  CHECK(f.x_pm_tmr_blk.bit_width == 8 * f.pm_tmr_len);
  CHECK(f.x_pm_tmr_blk.access_size == 3);
  // Absent blocks are all zero.
  CHECK(f.pm1b_evt_blk == 0);
  CHECK(f.pm1b_cnt_blk == 0);
  CHECK(f.pm2_cnt_blk == 0);
  CHECK(f.gpe0_blk == 0);
  CHECK(f.gpe1_blk == 0);
  CHECK(f.x_pm1b_evt_blk.address == 0);
  CHECK(f.x_pm1b_cnt_blk.address == 0);
  CHECK(f.x_gpe0_blk.address == 0);

  CHECK(f.sci_int == 9);
  CHECK(f.smi_cmd == 0);  // always in ACPI mode
  CHECK(f.acpi_enable == 0);
  CHECK(f.acpi_disable == 0);
  CHECK(f.p_lvl2_lat > 100);
  CHECK(f.p_lvl3_lat > 1000);
  CHECK((f.flags & (1u << 4)) == 0);  // PWR_BUTTON clear: fixed-feature power button
  CHECK((f.flags & (1u << 5)) != 0);  // SLP_BUTTON: none
  CHECK((f.flags & (1u << 8)) != 0);  // TMR_VAL_EXT: 32-bit PM timer
  CHECK((f.flags & fw::fadt_flags::kResetRegSup) != 0);
  CHECK((f.flags & fw::fadt_flags::kHwReducedAcpi) == 0);
  CHECK(f.header.revision == 6);
  CHECK(f.fadt_minor_version == 5);

  CHECK(f.dsdt == b.tables.dsdt.gpa);
  CHECK(f.x_dsdt == b.tables.dsdt.gpa);
  CHECK(f.firmware_ctrl == b.tables.facs.gpa);
  CHECK(f.x_firmware_ctrl == 0);
  CHECK(b.tables.facs.gpa % 64 == 0);
  const std::vector<uint8_t> facs = bytes_at(b, b.tables.facs.gpa, 64);
  CHECK(std::memcmp(facs.data(), "FACS", 4) == 0);
  uint32_t facs_length = 0;
  std::memcpy(&facs_length, facs.data() + 4, 4);
  CHECK(facs_length == 64);
  CHECK(facs[32] == 2);  // version
  CHECK(std::all_of(facs.begin() + 8, facs.begin() + 32, [](uint8_t v) { return v == 0; }));
}

TEST_CASE("acpi builder: every table's checksum sums to zero", "[vmm][acpi]") {
  const uint32_t n = GENERATE(1u, 2u, 255u);
  const Built b(with_vcpus(n));
  const AreaReader r = b.reader();

  uint8_t sum = 0xff;
  REQUIRE(fw::sum_bytes(r, b.tables.rsdp.gpa, fw::kRsdpV1Length, sum));
  CHECK(sum == 0);
  REQUIRE(fw::sum_bytes(r, b.tables.rsdp.gpa, b.tables.rsdp.length, sum));
  CHECK(sum == 0);

  const struct {
    TablePlace place;
    fw::Signature signature;
  } sdts[] = {{b.tables.xsdt, fw::Signature::kXsdt},
              {b.tables.fadt, fw::Signature::kFacp},
              {b.tables.dsdt, fw::Signature::kDsdt},
              {b.tables.madt, fw::Signature::kApic}};
  for (const auto& s : sdts) {
    CAPTURE(fw::signature_text(s.signature).chars);
    REQUIRE(fw::sum_bytes(r, s.place.gpa, s.place.length, sum));
    CHECK(sum == 0);
    fw::Table t;
    REQUIRE(fw::load_table(r, s.place.gpa, s.signature, 0, t) == fw::Status::kOk);
    CHECK(t.length == s.place.length);
    fw::SdtHeader h{};
    REQUIRE(fw::read_table_struct(r, t, 0, h));
    CHECK(std::string(h.oem_id, 6) == "RSTOCK");
  }
  fw::Rsdp rsdp{};
  REQUIRE(rootstock::boot::read_struct(r, b.tables.rsdp.gpa, rsdp));
  CHECK(std::string(rsdp.oem_id, 6) == "RSTOCK");
}

TEST_CASE("acpi builder: the XSDT lists the FADT and the MADT", "[vmm][acpi]") {
  const Built b(with_vcpus(1));
  const AreaReader r = b.reader();
  fw::RsdpInfo rsdp;
  REQUIRE(fw::read_rsdp(r, b.tables.rsdp.gpa, rsdp) == fw::Status::kOk);
  fw::RootTable root;
  REQUIRE(fw::load_root_table(r, rsdp, root) == fw::Status::kOk);
  CHECK(root.entry_size == 8);
  REQUIRE(root.count == 2);
  uint64_t e0 = 0;
  uint64_t e1 = 0;
  REQUIRE(fw::root_entry(r, root, 0, e0));
  REQUIRE(fw::root_entry(r, root, 1, e1));
  CHECK(e0 == b.tables.fadt.gpa);
  CHECK(e1 == b.tables.madt.gpa);
}

TEST_CASE("acpi builder: the DSDT holds exactly Name(_S5, Package(){7, 7})", "[vmm][acpi]") {
  const Built b(with_vcpus(1));
  const std::vector<uint8_t> aml = bytes_at(b, b.tables.dsdt.gpa + sizeof(fw::SdtHeader),
                                            b.tables.dsdt.length - sizeof(fw::SdtHeader));
  // NameOp "_S5_" PackageOp PkgLength(6) NumElements(2) BytePrefix 7 BytePrefix 7.
  const std::vector<uint8_t> expected = {0x08, '_',  'S',  '5',          '_',  0x12,
                                         0x06, 0x02, 0x0a, kS5SleepType, 0x0a, kS5SleepType};
  CHECK(aml == expected);
  CHECK(kS5SleepType != 0);  // not S0
  CHECK(kS5SleepType <= 7);  // SLP_TYP is 3 bits wide
}

TEST_CASE("acpi builder: tables stay inside the area, around an RSDP placed anywhere in it",
          "[vmm][acpi]") {
  AcpiConfig c = with_vcpus(255);
  c.area_gpa = 0x9f000;
  c.area_size = 0x1000;
  const uint64_t rsdp_gpa = GENERATE(0x9f000ull, 0x9f040ull, 0x9f0a0ull, 0x9ffd0ull);
  CAPTURE(rsdp_gpa);
  c.rsdp_gpa = rsdp_gpa;
  const Built b(c);

  const TablePlace all[] = {b.tables.rsdp, b.tables.xsdt, b.tables.fadt,
                            b.tables.facs, b.tables.dsdt, b.tables.madt};
  uint64_t end = 0;
  for (size_t i = 0; i < std::size(all); ++i) {
    CAPTURE(i);
    CHECK(all[i].gpa >= c.area_gpa);
    CHECK(all[i].gpa + all[i].length <= c.area_gpa + c.area_size);
    CHECK(all[i].gpa % 16 == 0);
    end = std::max(end, all[i].gpa + all[i].length);
    for (size_t j = 0; j < i; ++j) {
      const bool disjoint =
          all[i].gpa + all[i].length <= all[j].gpa || all[j].gpa + all[j].length <= all[i].gpa;
      CHECK(disjoint);
    }
  }
  CHECK(b.tables.end_gpa == end);
  CHECK(b.tables.rsdp.gpa == rsdp_gpa);

  const AreaReader r = b.reader();
  auto info = std::make_unique<fw::AcpiInfo>();
  REQUIRE(fw::parse_acpi(r, rsdp_gpa, *info) == fw::Status::kOk);
  CHECK(info->madt.cpu_count == 255);
  CHECK(info->s5.present);
}

TEST_CASE("acpi builder: unused bytes of the area are zeroed", "[vmm][acpi]") {
  const Built b(with_vcpus(1));
  const auto area = b.memory.area();
  const uint64_t used = b.tables.end_gpa - b.config.area_gpa;
  CHECK(std::all_of(area.begin() + static_cast<ptrdiff_t>(used), area.end(),
                    [](uint8_t v) { return v == 0; }));
}

TEST_CASE("acpi builder: an area one byte too small is refused and left untouched", "[vmm][acpi]") {
  const uint32_t n = GENERATE(1u, 255u);
  CAPTURE(n);
  AcpiConfig c = with_vcpus(n);
  uint64_t needed = 0;
  {
    const Built b(c);
    needed = b.tables.end_gpa - c.area_gpa;
  }
  c.area_size = needed;
  {
    GuardedArea exact(c.area_size);
    REQUIRE(build_acpi_tables(c, exact.area()));
    CHECK(exact.guards_intact());
  }
  c.area_size = needed - 1;
  GuardedArea small(c.area_size);
  const auto t = build_acpi_tables(c, small.area());
  REQUIRE_FALSE(t);
  CHECK(t.error() == BuildError::kAreaTooSmall);
  CHECK(small.untouched());

  c.area_size = 16;  // not even the RSDP
  GuardedArea tiny(c.area_size);
  const auto t2 = build_acpi_tables(c, tiny.area());
  REQUIRE_FALSE(t2);
  CHECK(t2.error() == BuildError::kAreaTooSmall);
  CHECK(tiny.untouched());
}

TEST_CASE("acpi builder: bad configurations are refused and write nothing", "[vmm][acpi]") {
  struct Case {
    const char* name;
    void (*change)(AcpiConfig&);
    BuildError error;
  };
  const Case cases[] = {
      {"no vCPU", [](AcpiConfig& c) { c.vcpu_count = 0; }, BuildError::kNoVcpus},
      {"256 vCPUs", [](AcpiConfig& c) { c.vcpu_count = 256; }, BuildError::kTooManyVcpus},
      {"4096 vCPUs", [](AcpiConfig& c) { c.vcpu_count = 4096; }, BuildError::kTooManyVcpus},
      {"area at GPA 0",
       [](AcpiConfig& c) {
         c.area_gpa = 0;
         c.rsdp_gpa = 0;
       },
       BuildError::kAreaInvalid},
      {"empty area", [](AcpiConfig& c) { c.area_size = 0; }, BuildError::kAreaInvalid},
      {"area past 4 GiB",
       [](AcpiConfig& c) {
         c.area_gpa = 0xffff0000;
         c.area_size = 0x20000;
         c.rsdp_gpa = c.area_gpa;
       },
       BuildError::kAreaInvalid},
      {"area above 4 GiB",
       [](AcpiConfig& c) {
         c.area_gpa = 0x100000000;
         c.area_size = 0x1000;
         c.rsdp_gpa = c.area_gpa;
       },
       BuildError::kAreaInvalid},
      {"area wraps",
       [](AcpiConfig& c) {
         c.area_gpa = UINT64_MAX - 0xfff;
         c.area_size = 0x2000;
         c.rsdp_gpa = c.area_gpa;
       },
       BuildError::kAreaInvalid},
      {"RSDP unaligned", [](AcpiConfig& c) { c.rsdp_gpa = c.area_gpa + 8; },
       BuildError::kRsdpMisplaced},
      {"RSDP below the area", [](AcpiConfig& c) { c.rsdp_gpa = c.area_gpa - 16; },
       BuildError::kRsdpMisplaced},
      {"RSDP at the area's end", [](AcpiConfig& c) { c.rsdp_gpa = c.area_gpa + c.area_size; },
       BuildError::kRsdpMisplaced},
      {"RSDP runs past the end", [](AcpiConfig& c) { c.rsdp_gpa = c.area_gpa + c.area_size - 32; },
       BuildError::kAreaTooSmall},
      {"no LAPIC address", [](AcpiConfig& c) { c.lapic_address = 0; },
       BuildError::kBadInterruptController},
      {"no IOAPIC address", [](AcpiConfig& c) { c.ioapic_address = 0; },
       BuildError::kBadInterruptController},
      {"IOAPIC without pins", [](AcpiConfig& c) { c.ioapic_pins = 0; },
       BuildError::kBadInterruptController},
      {"IOAPIC GSIs wrap",
       [](AcpiConfig& c) {
         c.ioapic_gsi_base = 0xfffffff0;
         c.overrides = {};
       },
       BuildError::kBadInterruptController},
      {"override of IRQ 16", [](AcpiConfig& c) { c.overrides = kNotIsa; },
       BuildError::kBadOverride},
      {"override past the last pin", [](AcpiConfig& c) { c.overrides = kPastLastPin; },
       BuildError::kBadOverride},
      {"override below the GSI base", [](AcpiConfig& c) { c.ioapic_gsi_base = 16; },
       BuildError::kBadOverride},
      {"IRQ overridden twice", [](AcpiConfig& c) { c.overrides = kTwice; },
       BuildError::kBadOverride},
      {"reserved polarity", [](AcpiConfig& c) { c.overrides = kReservedPolarity; },
       BuildError::kBadOverride},
      {"reserved flag bits", [](AcpiConfig& c) { c.overrides = kReservedBits; },
       BuildError::kBadOverride},
      {"17 overrides", [](AcpiConfig& c) { c.overrides = kSeventeenOverrides; },
       BuildError::kBadOverride},
      {"SCI not ISA", [](AcpiConfig& c) { c.sci_irq = 16; }, BuildError::kBadSci},
      {"PM1a event port 0", [](AcpiConfig& c) { c.pm1a_evt_port = 0; }, BuildError::kBadPmPorts},
      {"PM timer past 0xFFFF", [](AcpiConfig& c) { c.pm_tmr_port = 0xfffe; },
       BuildError::kBadPmPorts},
      {"PM1a control inside the event block", [](AcpiConfig& c) { c.pm1a_cnt_port = 0x602; },
       BuildError::kBadPmPorts},
      {"PM timer over the reset port", [](AcpiConfig& c) { c.pm_tmr_port = 0xcf8; },
       BuildError::kBadPmPorts},
  };
  for (const Case& k : cases) {
    CAPTURE(k.name);
    AcpiConfig c = with_vcpus(2);
    k.change(c);
    GuardedArea g(c.area_size);
    const auto t = build_acpi_tables(c, g.area());
    REQUIRE_FALSE(t);
    CHECK(t.error() == k.error);
    CHECK(g.untouched());
  }
}

TEST_CASE("acpi builder: the bytes given must be exactly the area", "[vmm][acpi]") {
  const AcpiConfig c = with_vcpus(1);
  GuardedArea g(c.area_size);
  const auto t = build_acpi_tables(c, g.area().first(c.area_size - 1));
  REQUIRE_FALSE(t);
  CHECK(t.error() == BuildError::kAreaSizeMismatch);
  CHECK(g.untouched());
}

TEST_CASE("acpi builder: every configured value reaches the tables", "[vmm][acpi]") {
  AcpiConfig c = with_vcpus(4);
  c.ioapic_id = 5;
  c.ioapic_address = 0xfec01000;
  c.ioapic_gsi_base = 0;
  c.lapic_address = 0xfee10000;
  c.overrides = kCustomOverrides;
  c.sci_irq = 10;
  c.pm1a_evt_port = 0xb000;
  c.pm1a_cnt_port = 0xb004;
  c.pm_tmr_port = 0xb008;
  c.iapc_boot_arch = fw::iapc_boot_arch::k8042;
  c.area_gpa = 0x7000;
  c.area_size = 0x2000;
  c.rsdp_gpa = 0x8000;
  c.oem_id = {'O', 'T', 'H', 'E', 'R', ' '};
  const Built b(c);
  const AreaReader r = b.reader();
  auto info = std::make_unique<fw::AcpiInfo>();
  REQUIRE(fw::parse_acpi(r, 0x8000, *info) == fw::Status::kOk);

  CHECK(info->madt.cpu_count == 4);
  CHECK(info->madt.lapic_base == 0xfee10000);
  REQUIRE(info->madt.ioapic_count == 1);
  CHECK(info->madt.ioapics[0].id == 5);
  CHECK(info->madt.ioapics[0].address == 0xfec01000);
  REQUIRE(info->madt.override_count == std::size(kCustomOverrides));
  for (const IsaOverride& o : kCustomOverrides) {
    const fw::InterruptOverride* p = info->madt.find_override(0, o.irq);
    REQUIRE(p != nullptr);
    CHECK(p->gsi == o.gsi);
    CHECK(p->flags == o.flags);
  }
  CHECK(info->fadt.sci_irq == 10);
  CHECK(info->fadt.pm1a_cnt.address == 0xb004);
  CHECK(info->fadt.iapc_boot_arch == fw::iapc_boot_arch::k8042);
  const fw::Fadt f = read_fadt(b);
  CHECK(f.pm1a_evt_blk == 0xb000);
  CHECK(f.x_pm1a_evt_blk.address == 0xb000);
  CHECK(f.pm_tmr_blk == 0xb008);
  CHECK(f.x_pm_tmr_blk.address == 0xb008);
  CHECK(std::string(f.header.oem_id, 6) == "OTHER ");
  CHECK(b.tables.madt.length == madt_length(4, std::size(kCustomOverrides)));
}

TEST_CASE("acpi builder: every error has its own sentence", "[vmm][acpi]") {
  const BuildError all[] = {BuildError::kNoVcpus,       BuildError::kTooManyVcpus,
                            BuildError::kAreaInvalid,   BuildError::kAreaSizeMismatch,
                            BuildError::kRsdpMisplaced, BuildError::kBadInterruptController,
                            BuildError::kBadOverride,   BuildError::kBadSci,
                            BuildError::kBadPmPorts,    BuildError::kAreaTooSmall};
  for (size_t i = 0; i < std::size(all); ++i) {
    const std::string s = describe(all[i]);
    CHECK_FALSE(s.empty());
    CHECK(s != "unknown ACPI build error");
    for (size_t j = 0; j < i; ++j) CHECK(s != describe(all[j]));
  }
}
