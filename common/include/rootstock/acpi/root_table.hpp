// The RSDT or XSDT: the list of every other table's address (ACPI 6.5, 5.2.7 and 5.2.8).
#pragma once

#include <stdint.h>

#include "rootstock/acpi/rsdp.hpp"
#include "rootstock/acpi/sdt.hpp"
#include "rootstock/acpi/status.hpp"
#include "rootstock/boot/phys_reader.hpp"

namespace rootstock::acpi {

/// Most entries accepted in a root table; real machines list tens. Bounds the duplicate check,
/// which is quadratic.
inline constexpr uint32_t kMaxRootEntries = 256;

/// A verified RSDT (32-bit entries) or XSDT (64-bit entries).
struct RootTable {
  Table table;
  uint8_t entry_size = 0;  ///< 4 for the RSDT, 8 for the XSDT
  uint32_t count = 0;
};

/// True when the RSDP has revision >= 2 and a nonzero XSDT address: OSPM then uses the XSDT
/// and ignores the RSDT (5.2.5.3).
[[nodiscard]] constexpr bool uses_xsdt(const RsdpInfo& rsdp) {
  return rsdp.revision >= 2 && rsdp.xsdt_address != 0;
}

/// Loads the XSDT when uses_xsdt, else the RSDT; checks its length and that no address
/// appears twice.
[[nodiscard]] Status load_root_table(const boot::PhysReader& reader, const RsdpInfo& rsdp,
                                     RootTable& out);

/// The address in entry `index` (< root.count); false when unreadable.
[[nodiscard]] bool root_entry(const boot::PhysReader& reader, const RootTable& root, uint32_t index,
                              uint64_t& paddr);

/// Finds and loads (load_table) the one table with `signature`. Null entries are skipped, as
/// ACPICA does; any other entry whose header is unreadable is an error (kTableUnreadable), and
/// so is a second table with the same signature. On failure `out.paddr` names the entry at
/// fault (0 for kTableNotFound).
[[nodiscard]] Status find_table(const boot::PhysReader& reader, const RootTable& root,
                                Signature signature, uint32_t min_length, Table& out);

}  // namespace rootstock::acpi
