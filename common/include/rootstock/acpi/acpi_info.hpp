// Everything hv takes from the firmware's ACPI tables, in one call: RSDP -> RSDT/XSDT -> MADT,
// FADT -> DSDT -> \_S5. Each step can also be called on its own (rsdp.hpp, root_table.hpp,
// madt.hpp, fadt.hpp, aml_s5.hpp).
#pragma once

#include <stdint.h>

#include "rootstock/acpi/aml_s5.hpp"
#include "rootstock/acpi/fadt.hpp"
#include "rootstock/acpi/madt.hpp"
#include "rootstock/acpi/rsdp.hpp"
#include "rootstock/acpi/signature.hpp"
#include "rootstock/acpi/status.hpp"
#include "rootstock/boot/phys_reader.hpp"

namespace rootstock::acpi {

/// Where parse_acpi failed, for the log.
struct Fault {
  Signature table = Signature::kNone;  ///< kNone for the RSDP
  uint64_t paddr = 0;                  ///< of the table (or RSDP) at fault; 0 when unknown
};

/// The firmware's ACPI description of the machine, decoded.
struct AcpiInfo {
  RsdpInfo rsdp;
  bool xsdt = false;  ///< the XSDT, not the RSDT, listed the tables
  MadtInfo madt;
  FadtInfo fadt;
  SleepState s5;
  Fault fault;  ///< set when parse_acpi fails
};

/// Parses the tables from the RSDP at `rsdp_paddr`, as the boot loader gives it, or, when 0,
/// from the one find_rsdp finds. A bad RSDP from the boot loader is an error, not a reason to
/// search. All or nothing: on failure `out.fault` names the table at fault, other fields are
/// unspecified. A DSDT without \_S5 is no failure (s5.present = false).
[[nodiscard]] Status parse_acpi(const boot::PhysReader& reader, uint64_t rsdp_paddr, AcpiInfo& out);

}  // namespace rootstock::acpi
