// The soft-off sleep type: the \_S5 package in the DSDT (ACPI 6.5, 7.4.2), found without an
// AML interpreter by matching its encoding, Name(_S5_, Package(){SLP_TYPa, SLP_TYPb, ...}).
#pragma once

#include <stdint.h>

#include "rootstock/acpi/sdt.hpp"
#include "rootstock/acpi/status.hpp"
#include "rootstock/boot/phys_reader.hpp"

namespace rootstock::acpi {

/// The SLP_TYP values to write to PM1a_CNT and PM1b_CNT (with SLP_EN) to power off.
struct SleepState {
  bool present = false;  ///< the DSDT defines \_S5
  uint8_t slp_typa = 0;
  uint8_t slp_typb = 0;
};

/// Finds `NameOp [\] _S5_ PackageOp` in `dsdt` (loaded with load_table) and decodes the first
/// two package elements, which must be constant integers (ZeroOp, OneOp, OnesOp, or Byte-,
/// Word-, DWord-, QWordConst; 20.2.3). A one-element package holds SLP_TYPa in its low byte and
/// SLP_TYPb in the next, as ACPICA reads it. No \_S5 is not an error (present = false); a
/// second definition with other values is (kS5Ambiguous): it would hide behind AML conditions.
[[nodiscard]] Status find_s5(const boot::PhysReader& reader, const Table& dsdt, SleepState& out);

}  // namespace rootstock::acpi
