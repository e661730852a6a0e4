// ACPI checksums: the bytes of a structure, checksum field included, sum to zero modulo 256
// (ACPI 6.5, 5.2.5.3 and 5.2.6).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "rootstock/boot/phys_reader.hpp"

namespace rootstock::acpi {

/// Sums the `len` bytes at `paddr` modulo 256 into `sum`, reading in small chunks (no buffer
/// of the table's size). Returns false when any byte is unreadable or the range wraps.
[[nodiscard]] bool sum_bytes(const boot::PhysReader& reader, uint64_t paddr, uint64_t len,
                             uint8_t& sum);

}  // namespace rootstock::acpi
