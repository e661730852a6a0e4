// The Root System Description Pointer: where the firmware's ACPI tables start (ACPI 6.5, 5.2.5).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "rootstock/acpi/status.hpp"
#include "rootstock/boot/phys_reader.hpp"

namespace rootstock::acpi {

/// RSDP structure (ACPI 6.5, 5.2.5.3). Revision 0 (ACPI 1.0) ends after rsdt_address.
struct [[gnu::packed]] Rsdp {
  char signature[8];  ///< "RSD PTR "
  uint8_t checksum;   ///< over the first 20 bytes
  char oem_id[6];
  uint8_t revision;  ///< 0 for ACPI 1.0; 2 for ACPI 2.0 and later
  uint32_t rsdt_address;
  // Revision >= 2 only:
  uint32_t length;  ///< of the whole structure
  uint64_t xsdt_address;
  uint8_t extended_checksum;  ///< over `length` bytes
  uint8_t reserved[3];
};
static_assert(sizeof(Rsdp) == 36);
static_assert(offsetof(Rsdp, checksum) == 8);
static_assert(offsetof(Rsdp, revision) == 15);
static_assert(offsetof(Rsdp, rsdt_address) == 16);
static_assert(offsetof(Rsdp, length) == 20);
static_assert(offsetof(Rsdp, xsdt_address) == 24);
static_assert(offsetof(Rsdp, extended_checksum) == 32);

/// Bytes covered by the revision-0 checksum (5.2.5.3).
inline constexpr size_t kRsdpV1Length = 20;
/// Largest RSDP length accepted (36 today; room for growth, no room for absurdity).
inline constexpr uint32_t kRsdpMaxLength = 4096;
/// Where 5.2.5.1 says to search on IA-PC systems without UEFI: the first KiB of the EBDA (its
/// segment is the 16-bit word at 0x40E) and the BIOS read-only area, on 16-byte boundaries.
inline constexpr uint64_t kEbdaPointer = 0x40e;
inline constexpr uint64_t kEbdaSearchLength = 1024;
inline constexpr uint64_t kBiosAreaStart = 0xe0000;
inline constexpr uint64_t kBiosAreaEnd = 0x100000;

/// A verified RSDP, reduced to what the rest of the parser needs.
struct RsdpInfo {
  uint64_t paddr = 0;
  uint8_t revision = 0;
  uint32_t rsdt_address = 0;
  uint64_t xsdt_address = 0;  ///< 0 for revision < 2
};

/// Verifies the RSDP at `paddr`: signature, checksum, and for revision >= 2 the length and the
/// extended checksum.
[[nodiscard]] Status read_rsdp(const boot::PhysReader& reader, uint64_t paddr, RsdpInfo& out);

/// Searches the EBDA and the BIOS area for a valid RSDP (the fallback when the boot loader
/// gives none). When only invalid candidates exist, returns the first candidate's failure.
[[nodiscard]] Status find_rsdp(const boot::PhysReader& reader, RsdpInfo& out);

}  // namespace rootstock::acpi
