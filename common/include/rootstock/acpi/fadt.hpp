// What hv needs from the FADT: where the DSDT is, the SCI, and the registers that power the
// machine off and reset it (ACPI 6.5, 5.2.9), decoded once.
#pragma once

#include <stdint.h>

#include "rootstock/acpi/fadt_table.hpp"
#include "rootstock/acpi/generic_address.hpp"
#include "rootstock/acpi/sdt.hpp"
#include "rootstock/acpi/status.hpp"
#include "rootstock/boot/phys_reader.hpp"

namespace rootstock::acpi {

/// The FADT, decoded. A Register with address 0 is absent.
struct FadtInfo {
  uint8_t revision = 0;
  uint32_t flags = 0;            ///< fadt_flags
  uint16_t iapc_boot_arch = 0;   ///< iapc_boot_arch flags; 0 in ACPI 1.0 tables
  uint16_t sci_irq = 0;          ///< SCI_INT: the SCI's ISA IRQ (8259 mode) or GSI
  uint64_t dsdt = 0;             ///< X_DSDT when present and nonzero, else DSDT
  bool hw_reduced = false;       ///< HW_REDUCED_ACPI: no PM1 blocks, sleep through sleep_control
  Register pm1a_cnt;             ///< X_PM1a_CNT_BLK when present and nonzero, else PM1a_CNT_BLK
  Register pm1b_cnt;             ///< likewise; usually absent
  Register sleep_control;        ///< SLEEP_CONTROL_REG (hardware-reduced platforms)
  bool reset_supported = false;  ///< RESET_REG_SUP and a nonzero RESET_REG
  Register reset_reg;
  uint8_t reset_value = 0;
};

/// Decodes `fadt` (loaded with load_table, at least kFadtV1Length bytes). Fields past the
/// table's length count as absent. PM1 control blocks must be in system I/O or memory space,
/// the reset register also may be in PCI configuration space; I/O addresses must be ports.
[[nodiscard]] Status parse_fadt(const boot::PhysReader& reader, const Table& fadt, FadtInfo& out);

}  // namespace rootstock::acpi
