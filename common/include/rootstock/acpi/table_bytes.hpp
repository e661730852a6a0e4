// Byte-at-a-time access to a loaded table through a small window, for scanners (the AML \_S5
// search) that visit every byte without a buffer the size of the table.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "rootstock/acpi/sdt.hpp"
#include "rootstock/boot/phys_reader.hpp"

namespace rootstock::acpi {

/// Reads a table's bytes by offset, refilling a 256-byte window as needed.
class TableBytes {
 public:
  TableBytes(const boot::PhysReader& reader, const Table& table) : reader_(reader), table_(table) {}

  /// The byte at `offset` into `out`; false past the table's end or when unreadable.
  [[nodiscard]] bool at(uint64_t offset, uint8_t& out);

  [[nodiscard]] uint64_t length() const { return table_.length; }

 private:
  const boot::PhysReader& reader_;
  Table table_;
  uint8_t window_[256] = {};
  uint64_t start_ = 0;
  size_t size_ = 0;
};

}  // namespace rootstock::acpi
