// x86-64 long-mode page-table entries as typed values (AMD APM vol. 2, 5.3 "Long-Mode Page
// Translation", 5.4 "Page-Translation-Table Entry Fields"). The same format serves hv's own
// tables and AMD nested page tables (APM vol. 2, 15.25.5: nested tables use the long-mode
// format), so both builders share this file.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace hv {

/// Bits of a 4-level page-table entry (APM vol. 2, 5.4.1 "Field Definitions"; the per-level
/// layouts are Figures 5-18 to 5-24). Bit 7 is PS in a PDPE/PDE and PAT in a 4 KiB PTE; a large
/// page moves its PAT bit to bit 12.
enum class EntryBit : uint64_t {
  kPresent = uint64_t{1} << 0,       ///< P: the entry is valid
  kWritable = uint64_t{1} << 1,      ///< R/W: writes allowed
  kUser = uint64_t{1} << 2,          ///< U/S: user (CPL 3) accesses allowed
  kWriteThrough = uint64_t{1} << 3,  ///< PWT: memory-type selector bit 0
  kCacheDisable = uint64_t{1} << 4,  ///< PCD: memory-type selector bit 1
  kAccessed = uint64_t{1} << 5,      ///< A: set by the processor on use
  kDirty = uint64_t{1} << 6,         ///< D: set by the processor on write (leaf only)
  kPageSize = uint64_t{1} << 7,      ///< PS in a PDPE or PDE: the entry maps a large page
  kPatSmall = uint64_t{1} << 7,      ///< PAT in a 4 KiB PTE: memory-type selector bit 2
  kGlobal = uint64_t{1} << 8,        ///< G: not flushed on CR3 writes (leaf only)
  kPatLarge = uint64_t{1} << 12,     ///< PAT in a 2 MiB PDE or 1 GiB PDPE
  kNoExecute = uint64_t{1} << 63,    ///< NX: instruction fetches fault (needs EFER.NXE)
};

/// The raw value of an entry bit.
constexpr uint64_t bit(EntryBit b) {
  return static_cast<uint64_t>(b);
}

/// Sizes a single entry can map. 1 GiB pages are read (translate) but never created: they need
/// CPUID Fn8000_0001_EDX[Page1GB], and hv's mappings are fine with 2 MiB.
enum class PageSize : uint64_t {
  k4KiB = uint64_t{1} << 12,
  k2MiB = uint64_t{1} << 21,
  k1GiB = uint64_t{1} << 30,
};

/// The number of bytes a page of this size covers.
constexpr uint64_t bytes(PageSize s) {
  return static_cast<uint64_t>(s);
}

/// Attributes of a leaf mapping as callers state them, independent of the page size (the
/// entry encoding of PAT depends on the size; PageTableEntry does the placing).
enum class PageFlags : uint32_t {
  kNone = 0,
  kWritable = 1u << 0,      ///< R/W
  kUser = 1u << 1,          ///< U/S
  kWriteThrough = 1u << 2,  ///< PWT
  kCacheDisable = 1u << 3,  ///< PCD
  kPat = 1u << 4,           ///< PAT (bit 7 or bit 12 by page size)
  kGlobal = 1u << 5,        ///< G
  kNoExecute = 1u << 6,     ///< NX
  kAll = (1u << 7) - 1,     ///< every flag above: anything else is invalid input
};

/// Union of two flag sets.
constexpr PageFlags operator|(PageFlags a, PageFlags b) {
  return static_cast<PageFlags>(static_cast<uint32_t>(a) | static_cast<uint32_t>(b));
}
/// Intersection of two flag sets.
constexpr PageFlags operator&(PageFlags a, PageFlags b) {
  return static_cast<PageFlags>(static_cast<uint32_t>(a) & static_cast<uint32_t>(b));
}
/// Whether `set` contains every flag of `f`.
constexpr bool has(PageFlags set, PageFlags f) {
  return (set & f) == f;
}
/// Whether `set` holds only defined flags.
constexpr bool valid(PageFlags set) {
  return (static_cast<uint32_t>(set) & ~static_cast<uint32_t>(PageFlags::kAll)) == 0;
}

/// Geometry of the 4-level walk (APM vol. 2, 5.3.1, Figure 5-17): 512 eight-byte entries per
/// 4 KiB table, 9 address bits per level above the 12-bit page offset.
inline constexpr uint64_t kTableBytes = 4096;
inline constexpr size_t kEntriesPerTable = 512;
inline constexpr unsigned kPageShift = 12;
inline constexpr unsigned kIndexBits = 9;
/// Levels, numbered as the APM's tables nest: 4 = PML4, 3 = PDPT, 2 = PD, 1 = PT.
inline constexpr unsigned kPml4Level = 4;
inline constexpr unsigned kPdptLevel = 3;
inline constexpr unsigned kPdLevel = 2;
inline constexpr unsigned kPtLevel = 1;

/// The lowest address bit an entry at `level` translates (12, 21, 30, 39).
constexpr unsigned level_shift(unsigned level) {
  return kPageShift + kIndexBits * (level - 1);
}
/// The bytes one entry at `level` spans (4 KiB, 2 MiB, 1 GiB, 512 GiB).
constexpr uint64_t level_span(unsigned level) {
  return uint64_t{1} << level_shift(level);
}
/// The index of `addr` in a table at `level` (bits 47:39, 38:30, 29:21 or 20:12).
constexpr size_t level_index(uint64_t addr, unsigned level) {
  return static_cast<size_t>((addr >> level_shift(level)) & (kEntriesPerTable - 1));
}

/// One entry of any level. A value type: tables are arrays of raw uint64_t that the builder
/// loads and stores whole, so the hardware walker never sees a half-written entry.
class PageTableEntry {
 public:
  /// Physical-address field of a table pointer or 4 KiB page: bits 51:12 (APM vol. 2, 5.3.3).
  static constexpr uint64_t kAddressMask = 0x000f'ffff'ffff'f000;

  constexpr PageTableEntry() = default;
  constexpr explicit PageTableEntry(uint64_t raw) : raw_(raw) {}

  /// An entry pointing at the next-level table at `table` with the given P/RW/US bits.
  static constexpr PageTableEntry table(uint64_t table, uint64_t bits) {
    return PageTableEntry{(table & kAddressMask) | bits};
  }

  /// A present leaf mapping `size` bytes at `phys` (aligned to `size`) with `flags`.
  static constexpr PageTableEntry leaf(uint64_t phys, PageSize size, PageFlags flags) {
    uint64_t raw = (phys & address_mask(size)) | bit(EntryBit::kPresent);
    if (size != PageSize::k4KiB) raw |= bit(EntryBit::kPageSize);
    raw |= flag_bit(flags, PageFlags::kWritable, EntryBit::kWritable);
    raw |= flag_bit(flags, PageFlags::kUser, EntryBit::kUser);
    raw |= flag_bit(flags, PageFlags::kWriteThrough, EntryBit::kWriteThrough);
    raw |= flag_bit(flags, PageFlags::kCacheDisable, EntryBit::kCacheDisable);
    raw |= flag_bit(flags, PageFlags::kPat, pat_bit(size));
    raw |= flag_bit(flags, PageFlags::kGlobal, EntryBit::kGlobal);
    raw |= flag_bit(flags, PageFlags::kNoExecute, EntryBit::kNoExecute);
    return PageTableEntry{raw};
  }

  /// The physical-address field of a leaf of `size`: bits 51:12, 51:21 or 51:30.
  static constexpr uint64_t address_mask(PageSize size) {
    return kAddressMask & ~(bytes(size) - 1);
  }

  /// Where a leaf of `size` keeps its PAT bit.
  static constexpr EntryBit pat_bit(PageSize size) {
    return size == PageSize::k4KiB ? EntryBit::kPatSmall : EntryBit::kPatLarge;
  }

  constexpr uint64_t raw() const { return raw_; }
  /// Whether bit `b` is set.
  constexpr bool has(EntryBit b) const { return (raw_ & bit(b)) != 0; }
  constexpr bool present() const { return has(EntryBit::kPresent); }
  constexpr bool writable() const { return has(EntryBit::kWritable); }
  constexpr bool user() const { return has(EntryBit::kUser); }
  constexpr bool accessed() const { return has(EntryBit::kAccessed); }
  constexpr bool dirty() const { return has(EntryBit::kDirty); }
  constexpr bool no_execute() const { return has(EntryBit::kNoExecute); }
  /// PS: meaningful in a PDPE or PDE only (a PTE's bit 7 is PAT).
  constexpr bool large() const { return has(EntryBit::kPageSize); }

  /// The next-level table a non-leaf entry points at.
  constexpr uint64_t table_address() const { return raw_ & kAddressMask; }
  /// The page a leaf of `size` maps.
  constexpr uint64_t leaf_address(PageSize size) const { return raw_ & address_mask(size); }

  /// The caller-level flags of a leaf of `size` (the inverse of leaf()).
  constexpr PageFlags leaf_flags(PageSize size) const {
    PageFlags f = PageFlags::kNone;
    if (writable()) f = f | PageFlags::kWritable;
    if (user()) f = f | PageFlags::kUser;
    if (has(EntryBit::kWriteThrough)) f = f | PageFlags::kWriteThrough;
    if (has(EntryBit::kCacheDisable)) f = f | PageFlags::kCacheDisable;
    if (has(pat_bit(size))) f = f | PageFlags::kPat;
    if (has(EntryBit::kGlobal)) f = f | PageFlags::kGlobal;
    if (no_execute()) f = f | PageFlags::kNoExecute;
    return f;
  }

  /// A copy with the processor-maintained A and D bits of `from` added (used when a large
  /// page is split, so that its pieces keep the accessed/dirty history).
  constexpr PageTableEntry with_history_of(PageTableEntry from) const {
    return PageTableEntry{raw_ | (from.raw_ & (bit(EntryBit::kAccessed) | bit(EntryBit::kDirty)))};
  }

 private:
  static constexpr uint64_t flag_bit(PageFlags flags, PageFlags f, EntryBit b) {
    return hv::has(flags, f) ? bit(b) : 0;
  }

  uint64_t raw_ = 0;
};

// The hardware reads entries as 8-byte quantities, 512 to a 4 KiB table (APM vol. 2, 5.3.1).
static_assert(sizeof(PageTableEntry) == 8);
static_assert(sizeof(PageTableEntry) * kEntriesPerTable == kTableBytes);
static_assert(level_span(kPdLevel) == bytes(PageSize::k2MiB));
static_assert(level_span(kPdptLevel) == bytes(PageSize::k1GiB));
static_assert(PageTableEntry::address_mask(PageSize::k2MiB) == 0x000f'ffff'ffe0'0000);

}  // namespace hv
