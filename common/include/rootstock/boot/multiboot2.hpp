// Multiboot2 boot information (the MBI), as GRUB passes it in %ebx: Multiboot2 specification
// 1.0, section 3.6 "Boot information" (3.6.1 the format, 3.6.2 the tags, then one section per
// tag). The entry magic (0x36d76289 in %eax) is checked by the boot assembly, not here.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "rootstock/boot/boot_info.hpp"
#include "rootstock/boot/phys_reader.hpp"

namespace rootstock::boot {

namespace mb2 {

/// The MBI and every tag in it start 8-byte aligned (3.6.1).
inline constexpr uint64_t kAlignment = 8;
/// Largest total_size accepted: real MBIs are a few KiB; more is absurd input.
inline constexpr uint32_t kMaxTotalSize = 1024 * 1024;

/// Fixed part at the start of the MBI (3.6.1).
struct InfoHeader {
  uint32_t total_size;  ///< bytes of the MBI, this header and the end tag included
  uint32_t reserved;
};
static_assert(sizeof(InfoHeader) == 8);

/// Every tag starts with this (3.6.2); size counts the header, not the padding after the tag.
struct Tag {
  uint32_t type;  ///< TagType
  uint32_t size;
};
static_assert(sizeof(Tag) == 8);

/// Tag types (3.6.2 and the sections named). Only those hv reads, and a few for the log.
enum class TagType : uint32_t {
  kEnd = 0,
  kCmdline = 1,           ///< 3.6.5: NUL-terminated string after the header
  kBootLoaderName = 2,    ///< 3.6.9
  kModule = 3,            ///< 3.6.6: ModuleTag, then a NUL-terminated string
  kBasicMeminfo = 4,      ///< 3.6.3
  kBiosBootDevice = 5,    ///< 3.6.4
  kMmap = 6,              ///< 3.6.8: MmapTag, then entries
  kFramebuffer = 8,       ///< 3.6.12
  kAcpiOld = 14,          ///< 3.6.16: a copy of the ACPI 1.0 RSDP
  kAcpiNew = 15,          ///< 3.6.17: a copy of the ACPI 2.0+ RSDP
  kEfiMmap = 17,          ///< 3.6.19
  kLoadBaseAddress = 21,  ///< 3.6.23
};

/// Fixed part of the module tag; the module's string follows.
struct ModuleTag {
  uint32_t type;
  uint32_t size;
  uint32_t mod_start;
  uint32_t mod_end;  ///< one past the module's last byte (GRUB: mod_start + size)
};
static_assert(sizeof(ModuleTag) == 16);
static_assert(offsetof(ModuleTag, mod_end) == 12);

/// Fixed part of the memory map tag; (size - 16) / entry_size entries follow.
struct MmapTag {
  uint32_t type;
  uint32_t size;
  uint32_t entry_size;     ///< a multiple of 8, at least sizeof(MmapEntry)
  uint32_t entry_version;  ///< 0; later versions only append fields
};
static_assert(sizeof(MmapTag) == 16);

/// One memory map entry (version 0). `type` uses the e820 numbers.
struct MmapEntry {
  uint64_t base_addr;
  uint64_t length;
  uint32_t type;
  uint32_t reserved;
};
static_assert(sizeof(MmapEntry) == 24);
static_assert(offsetof(MmapEntry, type) == 16);

/// Sizes of the RSDP copies the ACPI tags carry (ACPI 6.5, 5.2.5.3: 20 bytes for revision 0,
/// 36 for revision 2 and later).
inline constexpr uint32_t kRsdpV1Size = 20;
inline constexpr uint32_t kRsdpV2Size = 36;

}  // namespace mb2

/// Parses the MBI at `mbi_paddr` into `out` (reset first), reading nothing outside
/// [mbi_paddr, mbi_paddr + total_size). Unknown tags are skipped; a memory map is required.
/// The RSDP is the physical address of the copy inside the ACPI tag, the new one preferred.
/// On failure out.error_paddr holds the rejected tag.
[[nodiscard]] Status parse_multiboot2(const PhysReader& reader, uint64_t mbi_paddr, BootInfo& out);

}  // namespace rootstock::boot
