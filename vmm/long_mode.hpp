// Entering a child directly in 64-bit mode (what a PVH or 64-bit Linux boot needs, and the
// long64 self-test payload): identity page tables and a flat GDT written into guest memory, and
// the control, segment and descriptor-table registers that make the VP start in IA-32e mode
// (Intel SDM vol. 3A, 10.8.5 "Initializing IA-32e Mode"; AMD APM vol. 2, 14.6 "Enabling and
// Activating Long Mode") without running any mode-switch code of its own.
#pragma once

#include <stdint.h>

#include "vmm/error.hpp"
#include "vmm/guest_memory.hpp"
#include "vmm/registers.hpp"

namespace rootstock::vmm {

/// Architectural bits the setup uses, named as in the manuals.
namespace cr0 {
inline constexpr uint64_t kPe = uint64_t{1} << 0;   ///< protection enable
inline constexpr uint64_t kEt = uint64_t{1} << 4;   ///< extension type (fixed 1)
inline constexpr uint64_t kNe = uint64_t{1} << 5;   ///< native x87 error reporting
inline constexpr uint64_t kPg = uint64_t{1} << 31;  ///< paging
}  // namespace cr0
namespace cr4 {
inline constexpr uint64_t kPae = uint64_t{1} << 5;  ///< physical address extension
}  // namespace cr4
namespace efer {
inline constexpr uint64_t kLme = uint64_t{1} << 8;   ///< long mode enable
inline constexpr uint64_t kLma = uint64_t{1} << 10;  ///< long mode active (hv derives it)
}  // namespace efer
/// 4-level paging entry bits (SDM vol. 3A, 5.5, tables 5-15 to 5-18).
namespace pte {
inline constexpr uint64_t kPresent = uint64_t{1} << 0;
inline constexpr uint64_t kWritable = uint64_t{1} << 1;
inline constexpr uint64_t kPageSize = uint64_t{1} << 7;  ///< a 2 MiB page in a PD entry
}  // namespace pte

/// GDT selectors setup_long_mode() loads.
inline constexpr uint16_t kLongModeCodeSelector = 0x08;
inline constexpr uint16_t kLongModeDataSelector = 0x10;
inline constexpr uint16_t kLongModeTssSelector = 0x18;

/// Where the tables go in guest-physical memory (inside the GuestMemory given).
struct LongModeLayout {
  uint64_t gdt = 0x500;    ///< null, code (0x08), data (0x10), 16-byte TSS descriptor (0x18)
  uint64_t tss = 0x600;    ///< a zeroed 104-byte 64-bit TSS (TR must name one; SDM 3A, 9.7)
  uint64_t pml4 = 0x1000;  ///< each table one 4 KiB page
  uint64_t pdpt = 0x2000;
  uint64_t pd = 0x3000;  ///< 512 2-MiB pages: the first 1 GiB, identity-mapped
};

/// What the VP starts with.
struct LongModeEntry {
  uint64_t rip = 0;
  uint64_t rsp = 0;
};

/// The identity-mapped size setup_long_mode() covers.
inline constexpr uint64_t kLongModeIdentityBytes = uint64_t{1} << 30;

/// A flat 4 GiB data segment (read/write, accessed, 32-bit default, 4 KiB granular): what a
/// VMM-made entry state loads into DS, ES, SS, FS and GS, in 64-bit mode (setup_long_mode())
/// and in 32-bit protected mode (the PVH loader) alike.
inline constexpr uint32_t kFlatSegmentLimit = 0xffffffff;
inline constexpr uint16_t kFlatDataAttributes =
    0x3 | RS_SEGMENT_ATTR_S | RS_SEGMENT_ATTR_P | RS_SEGMENT_ATTR_DB | RS_SEGMENT_ATTR_G;
/// RFLAGS at a VMM-made entry: only bit 1, which is always 1 (IF, TF and VM clear).
inline constexpr uint64_t kEntryRflags = 0x2;

/// A GDT descriptor for `base`, `limit` (bytes; with RS_SEGMENT_ATTR_G a 4 KiB-granular limit
/// whose low 12 bits are 1) and RS_SEGMENT_ATTR_* `attributes` (SDM vol. 3A, 3.4.5).
[[nodiscard]] uint64_t gdt_descriptor(uint32_t base, uint32_t limit, uint16_t attributes);

/// Writes the page tables, GDT and TSS of `layout` into `memory` and returns the registers
/// (CR4, EFER, CR3, CR0, segments, TR, GDTR, RFLAGS, RSP, RIP, in that order) that start a VP
/// in 64-bit mode at `entry`. Fails if a table does not fit in `memory`.
[[nodiscard]] Result<RegisterList> setup_long_mode(GuestMemory& memory, const LongModeEntry& entry,
                                                   const LongModeLayout& layout = {});

}  // namespace rootstock::vmm
