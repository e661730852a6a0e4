// Randomly corrupted QEMU tables (a fixed seed, so every run is the same): whatever the bytes,
// parse_acpi returns a status with a description, within a bounded number of reads, and when
// it accepts a table its decoded contents respect the documented capacities and invariants.
#include <rootstock/acpi/acpi_info.hpp>

#include <catch2/catch_test_macros.hpp>
#include <iterator>
#include <memory>
#include <random>

#include "acpi_test_support.hpp"
#include "fake_phys.hpp"

using namespace rootstock::acpi;
using namespace rootstock::testing;

namespace {

void check_invariants(const AcpiInfo& info) {
  const MadtInfo& m = info.madt;
  REQUIRE(m.cpu_count <= kMaxCpus);
  REQUIRE(m.ioapic_count <= kMaxIoApics);
  REQUIRE(m.override_count <= kMaxOverrides);
  REQUIRE(m.nmi_count <= kMaxLapicNmis);
  CHECK(m.enabled_cpu_count >= 1);
  for (size_t i = 0; i < m.cpu_count; ++i) {
    CHECK((m.cpus[i].enabled || m.cpus[i].online_capable));
    for (size_t j = 0; j < i; ++j) CHECK(m.cpus[i].apic_id != m.cpus[j].apic_id);
  }
  CHECK(info.fadt.dsdt != 0);
  if (info.s5.present) CHECK((info.s5.slp_typa <= 7 && info.s5.slp_typb <= 7));
}

}  // namespace

TEST_CASE("acpi: randomly corrupted QEMU tables never crash or run away", "[acpi][mutation]") {
  std::mt19937_64 rng(20261122);
  size_t accepted = 0;
  size_t refused = 0;
  for (const char* file : {"q35_smp4_epyc.bin", "q35_smp8.bin", "pc_smp1.bin"}) {
    const AcpiFixture original = AcpiFixture::load(file);
    for (int iteration = 0; iteration < 600; ++iteration) {
      AcpiFixture fx = original;
      auto region = fx.regions.begin();
      std::advance(region, static_cast<long>(rng() % fx.regions.size()));
      ByteVec& bytes = region->second;
      const bool is_rsdp = region->first == fx.rsdp;
      const size_t flips = 1 + rng() % 4;
      for (size_t f = 0; f < flips; ++f) {
        // Half the time hit the first 64 bytes: lengths, counts and MADT entry headers.
        const size_t span = rng() % 2 == 0 && bytes.size() > 64 ? 64 : bytes.size();
        bytes[rng() % span] = static_cast<uint8_t>(rng() % 4 == 0 ? 0 : rng());
      }
      // Mostly keep the checksums valid so the corruption reaches the decoders.
      if (rng() % 8 != 0) {
        if (is_rsdp) {
          fix_checksum(bytes, 8, 20);
        } else if (bytes.size() >= 36) {
          fix_checksum(bytes, 9);
        }
      }
      FakePhys phys;
      fx.install(phys);
      auto info = std::make_unique<AcpiInfo>();
      const Status s = parse_acpi(phys, fx.rsdp, *info);
      REQUIRE(describe(s) != nullptr);
      CHECK(phys.reads().size() < 20000);
      if (s == Status::kOk) {
        ++accepted;
        check_invariants(*info);
      } else {
        ++refused;
      }
    }
  }
  // Both outcomes must occur, or the corruption above is not reaching the parser.
  CHECK(accepted > 100);
  CHECK(refused > 100);
}
