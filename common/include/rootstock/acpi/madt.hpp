// What hv needs from the MADT: the processors, I/O APICs, ISA interrupt overrides, local APIC
// NMI wiring and the local APIC base (ACPI 6.5, 5.2.12), decoded once into fixed arrays.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "rootstock/acpi/sdt.hpp"
#include "rootstock/acpi/status.hpp"
#include "rootstock/boot/phys_reader.hpp"

namespace rootstock::acpi {

/// Capacities; a MADT that lists more is refused (kMadtTooMany*), never truncated.
inline constexpr size_t kMaxCpus = 256;
inline constexpr size_t kMaxIoApics = 16;
inline constexpr size_t kMaxOverrides = 32;
/// Firmware often lists one local APIC NMI entry per processor.
inline constexpr size_t kMaxLapicNmis = kMaxCpus;
/// ACPI processor UID meaning "every processor" in NMI entries (0xFF in the 8-bit form).
inline constexpr uint32_t kAllProcessors = 0xffffffff;

/// A processor the MADT lists as usable: enabled, or online capable (5.2.12.2).
struct Cpu {
  uint32_t apic_id = 0;   ///< local APIC ID, or x2APIC ID for x2APIC entries
  uint32_t acpi_uid = 0;  ///< ACPI processor UID
  bool enabled = false;
  bool online_capable = false;  ///< disabled now, may be enabled later (MADT revision >= 5)
  bool x2apic = false;          ///< listed by a Processor Local x2APIC entry
};

/// An I/O APIC (5.2.12.3).
struct IoApic {
  uint8_t id = 0;
  uint32_t address = 0;
  uint32_t gsi_base = 0;
};

/// An Interrupt Source Override (5.2.12.5): bus IRQ `source_irq` arrives as `gsi`.
struct InterruptOverride {
  uint8_t bus = 0;
  uint8_t source_irq = 0;
  uint32_t gsi = 0;
  uint16_t flags = 0;  ///< mps_inti polarity and trigger
};

/// A Local APIC NMI or Local x2APIC NMI entry (5.2.12.7, 5.2.12.13).
struct LapicNmi {
  uint32_t acpi_uid = kAllProcessors;
  uint16_t flags = 0;
  uint8_t lint = 0;  ///< LINTn input
};

/// The MADT, decoded.
struct MadtInfo {
  uint64_t lapic_base = 0;   ///< after any Local APIC Address Override
  bool pcat_compat = false;  ///< dual 8259 PICs present, to be masked
  Cpu cpus[kMaxCpus];
  size_t cpu_count = 0;
  size_t enabled_cpu_count = 0;
  size_t unusable_cpu_entries = 0;  ///< neither enabled nor online capable: skipped
  IoApic ioapics[kMaxIoApics];
  size_t ioapic_count = 0;
  InterruptOverride overrides[kMaxOverrides];
  size_t override_count = 0;
  LapicNmi nmis[kMaxLapicNmis];
  size_t nmi_count = 0;

  /// The override for `irq` on `bus` (0: ISA), or nullptr when it is identity-mapped.
  [[nodiscard]] const InterruptOverride* find_override(uint8_t bus, uint8_t irq) const;
};

/// Decodes `madt` (loaded with load_table, at least 44 bytes). Every entry is checked against
/// the table's length; entry types hv does not use are skipped by their length.
[[nodiscard]] Status parse_madt(const boot::PhysReader& reader, const Table& madt, MadtInfo& out);

}  // namespace rootstock::acpi
