// PVH boot information: Xen's hvm_start_info, which QEMU's -kernel passes in %ebx when it
// enters an ELF through its XEN_ELFNOTE_PHYS32_ENTRY note. Layouts from Xen's public header
// xen/include/public/arch-x86/hvm/start_info.h (all fields little endian; a zero address means
// "not present").
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "rootstock/boot/boot_info.hpp"
#include "rootstock/boot/phys_reader.hpp"

namespace rootstock::boot {

namespace pvh {

/// XEN_HVM_START_MAGIC_VALUE: "xEn3" with the 0x80 bit of the "E" set.
inline constexpr uint32_t kMagic = 0x336ec578;

/// hvm_start_info. Versions are backwards compatible: fields from memmap_paddr on exist only
/// in version 1 and later.
struct StartInfo {
  uint32_t magic;
  uint32_t version;
  uint32_t flags;  ///< SIF_xxx
  uint32_t nr_modules;
  uint64_t modlist_paddr;  ///< array of ModlistEntry
  uint64_t cmdline_paddr;  ///< NUL-terminated ASCII
  uint64_t rsdp_paddr;
  uint64_t memmap_paddr;  ///< version >= 1: array of MemmapEntry
  uint32_t memmap_entries;
  uint32_t reserved;
};
static_assert(sizeof(StartInfo) == 56);
static_assert(offsetof(StartInfo, nr_modules) == 12);
static_assert(offsetof(StartInfo, modlist_paddr) == 16);
static_assert(offsetof(StartInfo, cmdline_paddr) == 24);
static_assert(offsetof(StartInfo, rsdp_paddr) == 32);
static_assert(offsetof(StartInfo, memmap_paddr) == 40);
static_assert(offsetof(StartInfo, memmap_entries) == 48);

/// Size of the version-0 structure (everything before memmap_paddr).
inline constexpr size_t kStartInfoV0Size = offsetof(StartInfo, memmap_paddr);

/// hvm_modlist_entry.
struct ModlistEntry {
  uint64_t paddr;
  uint64_t size;
  uint64_t cmdline_paddr;  ///< NUL-terminated ASCII, 0 when none
  uint64_t reserved;
};
static_assert(sizeof(ModlistEntry) == 32);
static_assert(offsetof(ModlistEntry, cmdline_paddr) == 16);

/// hvm_memmap_table_entry.
struct MemmapEntry {
  uint64_t addr;
  uint64_t size;
  uint32_t type;  ///< MemmapType
  uint32_t reserved;
};
static_assert(sizeof(MemmapEntry) == 24);
static_assert(offsetof(MemmapEntry, type) == 16);

/// XEN_HVM_MEMMAP_TYPE_*: the e820 numbers (memory_type_from_e820 maps them).
enum class MemmapType : uint32_t {
  kRam = 1,
  kReserved = 2,
  kAcpi = 3,
  kNvs = 4,
  kUnusable = 5,
  kDisabled = 6,
  kPmem = 7,
};

}  // namespace pvh

/// Parses the hvm_start_info at `start_info_paddr` into `out` (reset first). Requires
/// version >= 1 with a memory map. On failure `out` holds what was read so far and
/// out.error_paddr the rejected structure.
[[nodiscard]] Status parse_pvh(const PhysReader& reader, uint64_t start_info_paddr, BootInfo& out);

}  // namespace rootstock::boot
