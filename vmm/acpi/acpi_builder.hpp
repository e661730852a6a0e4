// A child's ACPI tables (ACPI 6.5, chapter 5): RSDP, XSDT, FADT, FACS, DSDT and MADT, built as
// bytes for a guest-physical area the caller chooses. Linux finds the RSDP through
// boot_params.acpi_rsdp_addr (boot protocol 2.14+) or, with the default area, by its own scan of
// 0xE0000-0xFFFFF (5.2.5.1).
//
// The tables promise a platform; the VMM's devices keep the promise:
//   PM1a_EVT (4 bytes)  PM1_STS (write 1 to clear) then PM1_EN; PWRBTN_STS/EN (bit 8) is the
//                       power button; GBL_EN (bit 5) must stick or ACPICA logs an error
//   PM1a_CNT (2 bytes)  SCI_EN (bit 0) reads as 1 (no SMI_CMD: always in ACPI mode); SLP_EN
//                       (bit 13) with SLP_TYP == kS5SleepType (bits 12:10) is soft-off
//   PM_TMR (4 bytes)    a free-running 32-bit count at 3.579545 MHz (4.8.3.3)
//   port 0xCF9 (byte)   kResetValue (or any value with RST_CPU, bit 2) resets the child
//   SCI                 ISA IRQ sci_irq, as its override says (default GSI 9, level, high),
//                       asserted while any PM1_STS bit is set with its PM1_EN bit
//   PIT                 on GSI 2 (IRQ0 override); 8259 pair present (MADT PCAT_COMPAT): Linux
//                       masks it through ports 0x21/0xA1
#pragma once

#include <stdint.h>

#include <array>
#include <expected>
#include <optional>
#include <span>

#include "rootstock/acpi/fadt_table.hpp"
#include "vmm/acpi/pci_host.hpp"

namespace rootstock::vmm::acpi {

/// SLP_TYP of \_S5 in the DSDT: the child writes it with SLP_EN to PM1a_CNT to power off
/// (ACPI 6.5, 4.8.3.2.1 and 7.4.2). 7 is what Intel's PCH uses for S5; any value but 0 (S0,
/// "working") would do, and 0 is avoided so that a stray SLP_EN is not read as soft-off.
inline constexpr uint8_t kS5SleepType = 7;

/// The reset register the FADT names (RESET_REG, 5.2.9): a byte write of kResetValue to I/O
/// port 0xCF9, Intel's Reset Control Register (RST_CNT: SYS_RST | RST_CPU, a hard reset).
/// Linux's reboot tries it first (reboot=acpi is the x86 default), before the keyboard
/// controller; a byte access to 0xCF9 is distinct from the dword PCI CONFIG_ADDRESS at 0xCF8.
inline constexpr uint16_t kResetPort = 0xcf9;
inline constexpr uint8_t kResetValue = 0x06;

/// Fixed register block lengths in bytes (4.8.3): PM1 event (status + enable, 16 bits each),
/// PM1 control (16 bits), PM timer (32 bits).
inline constexpr uint8_t kPm1EvtLength = 4;
inline constexpr uint8_t kPm1CntLength = 2;
inline constexpr uint8_t kPmTmrLength = 4;

/// One ISA interrupt source override for the MADT (5.2.12.5).
struct IsaOverride {
  uint8_t irq = 0;     ///< ISA IRQ, < 16
  uint32_t gsi = 0;    ///< where it arrives
  uint16_t flags = 0;  ///< rootstock::acpi::mps_inti polarity and trigger; 0: ISA (edge, high)
};

/// MPS INTI flag values (5.2.12.5, table 5.26) for overrides.
namespace inti {
inline constexpr uint16_t kActiveHigh = 0x1;
inline constexpr uint16_t kActiveLow = 0x3;
inline constexpr uint16_t kEdge = 0x4;
inline constexpr uint16_t kLevel = 0xc;
}  // namespace inti

/// The overrides of a PC: the PIT's IRQ0 on I/O APIC pin 2 (pin 0 carries the 8259's INTR),
/// and the SCI on IRQ 9, level-triggered and active high. Without an override Linux would take
/// the SCI as level, active low (its default for SCI_INT), the opposite polarity.
inline constexpr std::array<IsaOverride, 2> kDefaultOverrides = {{
    {0, 2, 0},
    {9, 9, inti::kActiveHigh | inti::kLevel},
}};

/// IA-PC boot architecture flags (5.2.9.3) of the default child: legacy devices (the 16550,
/// PIT and 8259 have no ACPI device objects), no 8042 (Linux then skips probing it), no VGA and
/// no CMOS RTC (Linux then registers no rtc_cmos device).
inline constexpr uint16_t kDefaultIapcBootArch =
    rootstock::acpi::iapc_boot_arch::kLegacyDevices |
    rootstock::acpi::iapc_boot_arch::kVgaNotPresent |
    rootstock::acpi::iapc_boot_arch::kCmosRtcNotPresent;

/// The platform to describe and where to put the tables.
struct AcpiConfig {
  uint32_t vcpu_count = 1;  ///< 1..255: local APIC IDs and processor UIDs 0..n-1
  uint8_t ioapic_id = 0;
  uint32_t ioapic_address = 0xfec00000;
  uint32_t ioapic_gsi_base = 0;
  uint32_t ioapic_pins = 24;  ///< GSIs [gsi_base, gsi_base + pins); the 82093AA has 24
  uint32_t lapic_address = 0xfee00000;
  /// Borrowed, not copied: must outlive the build_acpi_tables call. At most 16, one per IRQ.
  std::span<const IsaOverride> overrides = kDefaultOverrides;
  uint16_t sci_irq = 9;  ///< SCI_INT: an ISA IRQ; give it an override with its polarity
  uint16_t pm1a_evt_port = 0x600;
  uint16_t pm1a_cnt_port = 0x604;
  uint16_t pm_tmr_port = 0x608;
  uint16_t iapc_boot_arch = kDefaultIapcBootArch;
  /// The table area: below 4 GiB (the FADT's 32-bit DSDT and FIRMWARE_CTRL fields are filled
  /// too), not at GPA 0. The default is the BIOS area 5.2.5.1 has an OS scan for the RSDP.
  uint64_t area_gpa = 0xe0000;
  uint64_t area_size = 0x20000;
  uint64_t rsdp_gpa = 0xe0000;  ///< inside the area, 16-byte aligned (5.2.5.1)
  std::array<char, 6> oem_id = {'R', 'S', 'T', 'O', 'C', 'K'};
  /// A PCI host bridge in the DSDT (pci_host.hpp), when the machine has a PCI bus.
  std::optional<PciHost> pci_host;
};

/// Where one table landed.
struct TablePlace {
  uint64_t gpa = 0;
  uint32_t length = 0;
};

/// The tables written; `rsdp.gpa` is what boot_params.acpi_rsdp_addr gets.
struct AcpiTables {
  TablePlace rsdp;
  TablePlace xsdt;
  TablePlace fadt;
  TablePlace facs;
  TablePlace dsdt;
  TablePlace madt;
  uint64_t end_gpa = 0;  ///< just past the last byte any table uses
};

/// Why build_acpi_tables refused; describe() gives the sentence.
enum class BuildError : uint8_t {
  kNoVcpus,
  kTooManyVcpus,
  kAreaInvalid,
  kAreaSizeMismatch,
  kRsdpMisplaced,
  kBadInterruptController,
  kBadOverride,
  kBadSci,
  kBadPmPorts,
  kAreaTooSmall,
  kBadPciWindow,
};

/// One sentence for the log.
[[nodiscard]] const char* describe(BuildError e);

/// The bytes of the RSDP and the tables are placed at the GPAs `config` gives, seen through
/// `area`: the host bytes of [area_gpa, area_gpa + area_size), whose size must be area_size.
/// On success the whole area is rewritten (unused bytes zeroed); on error nothing is written.
[[nodiscard]] std::expected<AcpiTables, BuildError> build_acpi_tables(const AcpiConfig& config,
                                                                      std::span<uint8_t> area);

}  // namespace rootstock::vmm::acpi
