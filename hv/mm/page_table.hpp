// A 4-level page-table builder, one template for hv's own tables and for AMD nested page tables
// (the Policy: paging_policy.hpp), with its table memory from an injected FrameSource
// (frame_source.hpp) so the same code runs in hv and in host tests.
//
// Choices:
//  - map() uses a 2 MiB page wherever the chunk covers a whole 2 MiB entry and the physical
//    address is 2 MiB-aligned there, 4 KiB pages elsewhere; it never creates 1 GiB pages. A
//    4 KiB change inside an existing large page splits it into a table that maps the rest as
//    before (A/D history kept). map() over an existing mapping replaces it.
//  - All-or-nothing: map() and unmap() first count the tables they will need (new tables and
//    splits) and take all of them from the source before touching any entry. Out of frames →
//    kOutOfFrames with the tables unchanged and every frame returned. Counting, not rollback:
//    a split or replaced leaf cannot be restored once overwritten.
//  - Reclaim: a table whose whole span is replaced by a 2 MiB leaf or unmapped, and a table
//    that unmap() leaves empty, goes back to the source at once (the PML4 only by destroy()),
//    unless unmap() is told to keep emptied tables (so that mapping the same pages again
//    needs no frame). merge_small_pages() turns a table of 4 KiB leaves that map one 2 MiB
//    page back into a 2 MiB leaf and hands the table to the caller, who frees it once no TLB
//    can walk through it.
//  - TLB: the builder does not flush. A caller that changes or removes a live mapping must
//    invalidate (INVLPG / ASID flush / shootdown) before relying on the change and before the
//    freed table frames can be reused by anything else.
//  - No locking: callers serialise changes to one table tree.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "mm/frame_source.hpp"
#include "mm/page_table_entry.hpp"

namespace hv {

/// Result of a page-table operation. Anything but kOk means nothing was changed.
enum class [[nodiscard]] PagingStatus : uint8_t {
  kOk,
  kNotInitialized,      ///< init() was not called or failed
  kZeroSize,            ///< size 0
  kUnaligned,           ///< address, physical address or size not 4 KiB-aligned
  kAddressOutOfRange,   ///< wraps, or leaves the 48-bit (canonical) input space
  kPhysicalOutOfRange,  ///< wraps, or reaches past the 52-bit physical space
  kInvalidFlags,        ///< a flag outside PageFlags::kAll
  kOutOfFrames,         ///< the frame source could not supply the tables needed
};

/// A human-readable reason for a status, for hv's log.
const char* describe(PagingStatus status);

/// Checks map()'s arguments for an input space (canonical virtual or 48-bit guest-physical).
PagingStatus check_map_input(bool canonical, uint64_t addr, uint64_t phys, uint64_t size,
                             PageFlags flags);
/// Checks unmap()'s arguments for an input space.
PagingStatus check_unmap_input(bool canonical, uint64_t addr, uint64_t size);
/// Whether the single address `addr` lies in the input space.
bool valid_input_address(bool canonical, uint64_t addr);

/// What translate() found for one address.
struct Translation {
  bool mapped = false;                 ///< false: not mapped (nothing else is meaningful)
  uint64_t phys = 0;                   ///< the physical address `addr` translates to
  PageFlags flags = PageFlags::kNone;  ///< the leaf's flags (the effective ones: see HvPaging)
  PageSize size = PageSize::k4KiB;     ///< the size of the page containing `addr`

  explicit operator bool() const { return mapped; }
};

/// What unmap() does with a table it leaves without a present entry.
enum class EmptyTables : uint8_t {
  kReclaim,  ///< back to the source
  kKeep,     ///< stays in the tree (a later map() of the same range needs no frame)
};

/// A tree of 4-level page tables rooted at one PML4, built according to Policy.
template <typename Policy, FrameSource Frames>
class PageTable {
 public:
  constexpr explicit PageTable(Frames& frames) : frames_(frames) {}
  PageTable(const PageTable&) = delete;
  PageTable& operator=(const PageTable&) = delete;

  /// Allocates the empty PML4. No destructor frees it (a global with one would need atexit):
  /// call destroy().
  PagingStatus init() {
    if (initialized_) return PagingStatus::kOk;
    if (!frames_.allocate_zeroed(root_)) return PagingStatus::kOutOfFrames;
    initialized_ = true;
    return PagingStatus::kOk;
  }

  /// Whether init() succeeded (and destroy() has not run since).
  bool initialized() const { return initialized_; }

  /// The PML4's physical address: CR3 for hv (APM vol. 2, 5.3.2), nCR3 for NPT (15.25.4).
  uint64_t root() const { return root_; }

  /// Maps [addr, addr + size) to [phys, phys + size) with `flags` (plus Policy::kLeafForced).
  PagingStatus map(uint64_t addr, uint64_t phys, uint64_t size, PageFlags flags) {
    if (!initialized_) return PagingStatus::kNotInitialized;
    const PagingStatus s = check_map_input(Policy::kCanonicalInput, addr, phys, size, flags);
    if (s != PagingStatus::kOk) return s;
    const uint64_t last = addr + (size - 1);
    const Op op{phys - addr, flags | Policy::kLeafForced};
    Pool pool{frames_};
    if (!pool.fill(count_map(root_, Kind::kReal, kPml4Level, addr, last, op))) {
      return PagingStatus::kOutOfFrames;
    }
    apply_map(root_, kPml4Level, addr, last, op, pool);
    pool.drain();
    return PagingStatus::kOk;
  }

  /// Removes every mapping in [addr, addr + size); unmapped parts are skipped.
  PagingStatus unmap(uint64_t addr, uint64_t size, EmptyTables empty = EmptyTables::kReclaim) {
    if (!initialized_) return PagingStatus::kNotInitialized;
    const PagingStatus s = check_unmap_input(Policy::kCanonicalInput, addr, size);
    if (s != PagingStatus::kOk) return s;
    const uint64_t last = addr + (size - 1);
    Pool pool{frames_};
    if (!pool.fill(count_unmap(root_, Kind::kReal, kPml4Level, addr, last))) {
      return PagingStatus::kOutOfFrames;
    }
    apply_unmap(root_, kPml4Level, addr, last, pool, empty);
    pool.drain();
    return PagingStatus::kOk;
  }

  /// Where the 512 4 KiB leaves of the 2 MiB span around `addr` map one 2 MiB-aligned page
  /// with the same flags, puts one 2 MiB leaf in their place (their A and D bits kept) and
  /// returns the table that held them, now out of the tree; 0 when nothing was merged. The
  /// translations are the same before and after, but a TLB may still walk through the old
  /// table: the caller frees it (through the frame source) only after invalidating.
  uint64_t merge_small_pages(uint64_t addr) {
    if (!initialized_ || !valid_input_address(Policy::kCanonicalInput, addr)) return 0;
    uint64_t table = root_;
    for (unsigned level = kPml4Level; level > kPdLevel; --level) {
      const PageTableEntry e = read(table, level_index(addr, level));
      if (!e.present() || is_leaf(e, level)) return 0;
      table = e.table_address();
    }
    const size_t pd_index = level_index(addr, kPdLevel);
    const PageTableEntry pde = read(table, pd_index);
    if (!pde.present() || is_leaf(pde, kPdLevel)) return 0;
    const uint64_t pt = pde.table_address();
    const PageTableEntry first = read(pt, 0);
    if (!first.present()) return 0;
    const uint64_t base = first.leaf_address(PageSize::k4KiB);
    const PageFlags flags = first.leaf_flags(PageSize::k4KiB);
    if ((base & (bytes(PageSize::k2MiB) - 1)) != 0) return 0;
    PageTableEntry merged = PageTableEntry::leaf(base, PageSize::k2MiB, flags);
    for (size_t j = 0; j < kEntriesPerTable; ++j) {
      const PageTableEntry e = read(pt, j);
      if (!e.present() || e.leaf_address(PageSize::k4KiB) != base + j * bytes(PageSize::k4KiB) ||
          e.leaf_flags(PageSize::k4KiB) != flags) {
        return 0;
      }
      merged = merged.with_history_of(e);
    }
    write(table, pd_index, merged);
    return pt;
  }

  /// How many table frames map() of [addr, addr + size) would take from the source now, with
  /// 4 KiB leaves only (`small_leaves`) or 2 MiB leaves where aligned. An upper bound for any
  /// physical address: callers that must ask for memory before they change anything use it.
  size_t tables_needed(uint64_t addr, uint64_t size, bool small_leaves) const {
    if (!initialized_ || size == 0) return 0;
    // A delta that is not 2 MiB-aligned keeps every chunk off big_leaf(): 4 KiB leaves.
    const Op op{small_leaves ? bytes(PageSize::k4KiB) : 0, PageFlags::kNone};
    return count_map(root_, Kind::kReal, kPml4Level, addr, addr + (size - 1), op);
  }
  /// Calls f(addr, phys, size) for every leaf, in address order, while f returns true (an f
  /// returning void visits every leaf).
  template <typename F>
  void for_each_leaf(F&& f) const {
    if (!initialized_) return;
    auto visit = [&](uint64_t addr, uint64_t phys, uint64_t size) {
      if constexpr (SameAs<decltype(f(addr, phys, size)), void>) {
        f(addr, phys, size);
        return true;
      } else {
        return static_cast<bool>(f(addr, phys, size));
      }
    };
    (void)visit_leaves(root_, kPml4Level, 0, visit);
  }
  /// Walks the tables for `addr` as the processor would (APM vol. 2, 5.3.3).
  Translation translate(uint64_t addr) const {
    if (!initialized_ || !valid_input_address(Policy::kCanonicalInput, addr)) return {};
    uint64_t table = root_;
    for (unsigned level = kPml4Level; level >= kPtLevel; --level) {
      const PageTableEntry e = read(table, level_index(addr, level));
      if (!e.present()) return {};
      if (is_leaf(e, level)) {
        const PageSize size = static_cast<PageSize>(level_span(level));
        return {true, e.leaf_address(size) | (addr & (bytes(size) - 1)), e.leaf_flags(size), size};
      }
      table = e.table_address();
    }
    return {};  // unreachable: level 1 entries are leaves
  }

  /// Frees every table (not the memory mapped) and returns to the uninitialised state.
  void destroy() {
    if (!initialized_) return;
    free_tree(root_, kPml4Level);
    initialized_ = false;
    root_ = 0;
  }

 private:
  /// A map()'s constants: input→physical offset (mod 2^64) and the leaf flags. Ranges are
  /// passed as inclusive [first, last] throughout, so that one ending at 2^64 does not wrap.
  struct Op {
    uint64_t delta;
    PageFlags flags;
  };

  /// A table as the counting pass imagines it: real, not yet allocated (all entries empty), or
  /// the result of a split not yet done (all entries leaves).
  enum class Kind : uint8_t { kReal, kEmpty, kSplit };

  /// The tables an operation needs, taken up front and chained through their first word.
  class Pool {
   public:
    explicit Pool(Frames& frames) : frames_(frames) {}
    /// Takes n frames; on failure gives back those taken and returns false.
    bool fill(size_t n) {
      for (size_t i = 0; i < n; ++i) {
        uint64_t pa = 0;
        if (!frames_.allocate_zeroed(pa)) {
          drain();
          return false;
        }
        *word(pa) = head_;
        head_ = pa;
        ++count_;
      }
      return true;
    }
    /// A zeroed table. The count is exact, so the pool is never empty here.
    uint64_t take() {
      const uint64_t pa = head_;
      head_ = *word(pa);
      *word(pa) = 0;
      --count_;
      return pa;
    }
    /// Returns what is left (nothing after a correct count) to the source.
    void drain() {
      while (count_ > 0) frames_.free(take());
    }

   private:
    uint64_t* word(uint64_t pa) { return static_cast<uint64_t*>(frames_.to_pointer(pa)); }

    Frames& frames_;
    uint64_t head_ = 0;
    size_t count_ = 0;
  };

  static bool is_leaf(PageTableEntry e, unsigned level) {
    return level == kPtLevel || ((level == kPdLevel || level == kPdptLevel) && e.large());
  }

  uint64_t* entries(uint64_t table) const {
    return static_cast<uint64_t*>(frames_.to_pointer(table));
  }
  // One 64-bit access per entry; stores release, so that a table's contents are visible
  // before the entry that points at it (the walker may run on another CPU).
  PageTableEntry read(uint64_t table, size_t index) const {
    return PageTableEntry{__atomic_load_n(&entries(table)[index], __ATOMIC_RELAXED)};
  }
  void write(uint64_t table, size_t index, PageTableEntry e) {
    __atomic_store_n(&entries(table)[index], e.raw(), __ATOMIC_RELEASE);
  }

  /// The entry at `index` of a table of kind `kind` (real ones are read).
  PageTableEntry entry_of(uint64_t table, Kind kind, unsigned level, size_t index) const {
    if (kind == Kind::kReal) return read(table, index);
    if (kind == Kind::kEmpty) return PageTableEntry{};
    // kSplit: a leaf; only present() and is_leaf() of it are looked at.
    return PageTableEntry{bit(EntryBit::kPresent) |
                          (level == kPtLevel ? 0 : bit(EntryBit::kPageSize))};
  }

  /// Calls f(index, first, last, whole) for each entry of a table at `level` that [first,
  /// last] touches; `whole` when the chunk covers the entry's entire span.
  template <typename F>
  static void for_each_entry(unsigned level, uint64_t first, uint64_t last, F&& f) {
    const uint64_t span = level_span(level);
    uint64_t cur = first;
    for (;;) {
      const uint64_t entry_first = cur & ~(span - 1);
      const uint64_t entry_last = entry_first + (span - 1);
      const uint64_t chunk_last = entry_last < last ? entry_last : last;
      f(level_index(cur, level), cur, chunk_last, cur == entry_first && chunk_last == entry_last);
      if (chunk_last == last) return;
      cur = chunk_last + 1;
    }
  }

  /// Whether map() puts a 2 MiB leaf for this chunk.
  static bool big_leaf(unsigned level, uint64_t first, bool whole, const Op& op) {
    return level == kPdLevel && whole && ((first + op.delta) & (bytes(PageSize::k2MiB) - 1)) == 0;
  }

  size_t count_map(uint64_t table, Kind kind, unsigned level, uint64_t first, uint64_t last,
                   const Op& op) const {
    size_t n = 0;
    for_each_entry(level, first, last, [&](size_t i, uint64_t f, uint64_t l, bool whole) {
      if (level == kPtLevel || big_leaf(level, f, whole, op)) return;
      const PageTableEntry e = entry_of(table, kind, level, i);
      if (!e.present()) {
        n += 1 + count_map(0, Kind::kEmpty, level - 1, f, l, op);
      } else if (is_leaf(e, level)) {
        n += 1 + count_map(0, Kind::kSplit, level - 1, f, l, op);
      } else {
        n += count_map(e.table_address(), Kind::kReal, level - 1, f, l, op);
      }
    });
    return n;
  }

  void apply_map(uint64_t table, unsigned level, uint64_t first, uint64_t last, const Op& op,
                 Pool& pool) {
    for_each_entry(level, first, last, [&](size_t i, uint64_t f, uint64_t l, bool whole) {
      const PageTableEntry old = read(table, i);
      if (level == kPtLevel) {
        write(table, i, PageTableEntry::leaf(f + op.delta, PageSize::k4KiB, op.flags));
        return;
      }
      if (big_leaf(level, f, whole, op)) {
        write(table, i, PageTableEntry::leaf(f + op.delta, PageSize::k2MiB, op.flags));
        if (old.present() && !is_leaf(old, level)) free_tree(old.table_address(), level - 1);
        return;
      }
      apply_map(child_for_change(table, level, i, old, pool), level - 1, f, l, op, pool);
    });
  }

  size_t count_unmap(uint64_t table, Kind kind, unsigned level, uint64_t first,
                     uint64_t last) const {
    size_t n = 0;
    for_each_entry(level, first, last, [&](size_t i, uint64_t f, uint64_t l, bool whole) {
      const PageTableEntry e = entry_of(table, kind, level, i);
      if (!e.present() || whole) return;
      if (is_leaf(e, level)) {
        n += 1 + count_unmap(0, Kind::kSplit, level - 1, f, l);
      } else {
        n += count_unmap(e.table_address(), Kind::kReal, level - 1, f, l);
      }
    });
    return n;
  }

  void apply_unmap(uint64_t table, unsigned level, uint64_t first, uint64_t last, Pool& pool,
                   EmptyTables keep) {
    for_each_entry(level, first, last, [&](size_t i, uint64_t f, uint64_t l, bool whole) {
      const PageTableEntry old = read(table, i);
      if (!old.present()) return;
      if (whole) {
        write(table, i, PageTableEntry{});
        if (!is_leaf(old, level)) free_tree(old.table_address(), level - 1);
        return;
      }
      const uint64_t child = child_for_change(table, level, i, old, pool);
      apply_unmap(child, level - 1, f, l, pool, keep);
      if (keep == EmptyTables::kReclaim && empty(child)) {
        write(table, i, PageTableEntry{});
        frames_.free(child);
      }
    });
  }

  /// The table below entry i, creating it (empty) or splitting a large leaf into it first.
  uint64_t child_for_change(uint64_t table, unsigned level, size_t i, PageTableEntry old,
                            Pool& pool) {
    if (old.present() && !is_leaf(old, level)) return old.table_address();
    const uint64_t child = pool.take();
    if (old.present()) split_into(child, old, level);
    write(table, i, PageTableEntry::table(child, Policy::kTableEntryBits));
    return child;
  }

  /// Fills `child` with 512 leaves one level down that map what the large leaf did.
  void split_into(uint64_t child, PageTableEntry leaf, unsigned level) {
    const PageSize from = static_cast<PageSize>(level_span(level));
    const PageSize to = static_cast<PageSize>(level_span(level - 1));
    const uint64_t base = leaf.leaf_address(from);
    const PageFlags flags = leaf.leaf_flags(from);
    for (size_t j = 0; j < kEntriesPerTable; ++j) {
      const uint64_t phys = base + j * bytes(to);
      write(child, j, PageTableEntry::leaf(phys, to, flags).with_history_of(leaf));
    }
  }

  bool empty(uint64_t table) const {
    for (size_t j = 0; j < kEntriesPerTable; ++j) {
      if (read(table, j).present()) return false;
    }
    return true;
  }

  // False once f asked to stop.
  template <typename F>
  bool visit_leaves(uint64_t table, unsigned level, uint64_t base, F& f) const {
    const uint64_t span = level_span(level);
    for (size_t j = 0; j < kEntriesPerTable; ++j) {
      const PageTableEntry e = read(table, j);
      if (!e.present()) continue;
      const uint64_t addr = base + j * span;
      if (is_leaf(e, level)) {
        const PageSize size = static_cast<PageSize>(span);
        if (!f(addr, e.leaf_address(size), span)) return false;
      } else if (!visit_leaves(e.table_address(), level - 1, addr, f)) {
        return false;
      }
    }
    return true;
  }
  /// Frees `table` (at `level`) and every table below it.
  void free_tree(uint64_t table, unsigned level) {
    if (level > kPtLevel) {
      for (size_t j = 0; j < kEntriesPerTable; ++j) {
        const PageTableEntry e = read(table, j);
        if (e.present() && !is_leaf(e, level)) free_tree(e.table_address(), level - 1);
      }
    }
    frames_.free(table);
  }

  Frames& frames_;
  uint64_t root_ = 0;
  bool initialized_ = false;
};

}  // namespace hv
