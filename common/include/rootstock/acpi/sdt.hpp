// System description tables: the common header, and loading a table so that everything read
// from it afterwards stays inside its verified length (ACPI 6.5, 5.2.6).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "rootstock/acpi/signature.hpp"
#include "rootstock/acpi/status.hpp"
#include "rootstock/boot/phys_reader.hpp"

namespace rootstock::acpi {

/// System Description Table Header (ACPI 6.5, 5.2.6).
struct [[gnu::packed]] SdtHeader {
  uint32_t signature;
  uint32_t length;  ///< of the whole table, header included
  uint8_t revision;
  uint8_t checksum;  ///< the whole table sums to zero
  char oem_id[6];
  char oem_table_id[8];
  uint32_t oem_revision;
  uint32_t creator_id;
  uint32_t creator_revision;
};
static_assert(sizeof(SdtHeader) == 36);
static_assert(offsetof(SdtHeader, length) == 4);
static_assert(offsetof(SdtHeader, revision) == 8);
static_assert(offsetof(SdtHeader, checksum) == 9);
static_assert(offsetof(SdtHeader, oem_table_id) == 16);
static_assert(offsetof(SdtHeader, creator_revision) == 32);

/// Sanity bound on any table's length: real DSDTs reach a few hundred KiB.
inline constexpr uint32_t kMaxTableLength = 1u << 20;

/// A table whose header, length and checksum were verified by load_table.
struct Table {
  uint64_t paddr = 0;
  uint32_t length = 0;
  uint8_t revision = 0;
  Signature signature = Signature::kNone;
};

/// Loads the table at `paddr`: the header must be readable, carry `expected` (any signature
/// when kNone), have a length between `min_length` (at least the header) and kMaxTableLength,
/// lie wholly in readable memory, and sum to zero. On failure `out.paddr` still names the table.
[[nodiscard]] Status load_table(const boot::PhysReader& reader, uint64_t paddr, Signature expected,
                                uint32_t min_length, Table& out);

/// Reads `len` bytes at `offset` inside `table`; false when the range leaves the table or is
/// unreadable. Every read of a table's body goes through here.
[[nodiscard]] bool read_table(const boot::PhysReader& reader, const Table& table, uint64_t offset,
                              void* out, size_t len);

/// read_table for one plain layout type.
template <typename T>
[[nodiscard]] bool read_table_struct(const boot::PhysReader& reader, const Table& table,
                                     uint64_t offset, T& out) {
  static_assert(__is_trivially_copyable(T), "tables are read into plain layouts only");
  return read_table(reader, table, offset, &out, sizeof(T));
}

}  // namespace rootstock::acpi
