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

/// Fixed part of the framebuffer info tag (3.6.12). For framebuffer_type kDirectRgb the six
/// colour fields follow. `reserved` is 16 bits as in GRUB's multiboot2.h, which every reader
/// of GRUB's tags follows (the specification's table shows 8).
struct FramebufferTag {
  uint32_t type;
  uint32_t size;
  uint64_t framebuffer_addr;
  uint32_t framebuffer_pitch;  ///< bytes per line
  uint32_t framebuffer_width;  ///< pixels
  uint32_t framebuffer_height;
  uint8_t framebuffer_bpp;
  uint8_t framebuffer_type;  ///< FramebufferType
  uint16_t reserved;
  uint8_t red_field_position;
  uint8_t red_mask_size;
  uint8_t green_field_position;
  uint8_t green_mask_size;
  uint8_t blue_field_position;
  uint8_t blue_mask_size;
};
static_assert(offsetof(FramebufferTag, framebuffer_addr) == 8);
static_assert(offsetof(FramebufferTag, framebuffer_bpp) == 28);
static_assert(offsetof(FramebufferTag, red_field_position) == 32);
static_assert(offsetof(FramebufferTag, blue_mask_size) == 37);
/// The size field of a direct-RGB framebuffer tag: the fields above, without C++'s padding.
inline constexpr uint32_t kFramebufferRgbTagSize = offsetof(FramebufferTag, blue_mask_size) + 1;

/// framebuffer_type (3.6.12).
enum class FramebufferType : uint8_t {
  kIndexed = 0,
  kDirectRgb = 1,
  kEgaText = 2,
};

/// Sizes of the RSDP copies the ACPI tags carry (ACPI 6.5, 5.2.5.3: 20 bytes for revision 0,
/// 36 for revision 2 and later).
inline constexpr uint32_t kRsdpV1Size = 20;
inline constexpr uint32_t kRsdpV2Size = 36;

/// What the boot loader puts in %eax at the OS image's entry (3.2 "I386 machine state").
inline constexpr uint32_t kBootloaderMagic = 0x36d76289;

// ---- The OS image's header (3.1), read by a boot loader ----------------------------------

/// The header's magic (3.1.2).
inline constexpr uint32_t kHeaderMagic = 0xe85250d6;
/// The header lies 8-byte aligned entirely within the image's first 32 KiB (3.1.1).
inline constexpr uint32_t kHeaderSearchLimit = 32768;
/// architecture: 32-bit protected mode of i386 (3.1.2).
inline constexpr uint32_t kArchitectureI386 = 0;

/// Fixed part of the header (3.1.2): magic + architecture + header_length + checksum is 0
/// modulo 2^32; header tags follow, 8-byte aligned, up to header_length.
struct Header {
  uint32_t magic;
  uint32_t architecture;
  uint32_t header_length;  ///< bytes, this structure and every tag included
  uint32_t checksum;
};
static_assert(sizeof(Header) == 16);

/// Every header tag starts with this (3.1.3).
struct HeaderTag {
  uint16_t type;  ///< HeaderTagType
  uint16_t flags;
  uint32_t size;
};
static_assert(sizeof(HeaderTag) == 8);

/// flags bit 0: the image boots without the loader understanding this tag (3.1.3).
inline constexpr uint16_t kHeaderTagOptional = 1;

/// Header tag types (3.1.3 to 3.1.13).
enum class HeaderTagType : uint16_t {
  kEnd = 0,
  kInformationRequest = 1,  ///< 3.1.4
  kAddress = 2,             ///< 3.1.5: a.out kludge
  kEntryAddress = 3,        ///< 3.1.6
  kConsoleFlags = 4,        ///< 3.1.7
  kFramebuffer = 5,         ///< 3.1.8
  kModuleAlignment = 6,     ///< 3.1.9
  kEfiBootServices = 7,     ///< 3.1.10
  kEntryAddressEfi32 = 8,   ///< 3.1.11
  kEntryAddressEfi64 = 9,   ///< 3.1.12
  kRelocatable = 10,        ///< 3.1.13
};

/// The entry address tag (3.1.6): the physical address to jump to.
struct EntryAddressTag {
  uint16_t type;
  uint16_t flags;
  uint32_t size;
  uint32_t entry_addr;
};
static_assert(sizeof(EntryAddressTag) == 12);

}  // namespace mb2

/// Parses the MBI at `mbi_paddr` into `out` (reset first), reading nothing outside
/// [mbi_paddr, mbi_paddr + total_size). Unknown tags are skipped; a memory map is required.
/// The RSDP is the physical address of the copy inside the ACPI tag, the new one preferred.
/// A direct-RGB framebuffer tag whose values are framebuffer_valid() gives out.framebuffer.
/// On failure out.error_paddr holds the rejected tag.
[[nodiscard]] Status parse_multiboot2(const PhysReader& reader, uint64_t mbi_paddr, BootInfo& out);

}  // namespace rootstock::boot
