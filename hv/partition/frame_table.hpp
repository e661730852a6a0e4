// Who owns each physical frame of RAM (DESIGN.md §2 "Memory"; docs/hypercalls.md §6): hv, the
// root, one VP's run page, one partition's deposits (free or in use by hv for it), or one child
// (mapped). Frames move only along the transitions §6 lists, each a compare-and-set on one entry,
// so "the root can hand over only frames it owns" and "destroy returns every frame" are checked
// in one place. Pure logic over a caller-provided array: host-unit-tested.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <rootstock/hypercall_abi.h>
#include <rootstock/memory_map.hpp>

namespace hv {

/// A frame's state; the values are the ABI's RS_FRAME_* (hv's frames count as RS_FRAME_HV_USED
/// here: the frame allocator knows which of them are free).
enum class FrameState : uint8_t {
  kHv = RS_FRAME_HV_USED,                    ///< hv's image and reservation: never handed over
  kRoot = RS_FRAME_ROOT,                     ///< the root partition's (every RAM frame at start)
  kRunPage = RS_FRAME_RUN_PAGE,              ///< the root's, lent to hv as one VP's run page
  kDepositedFree = RS_FRAME_DEPOSITED_FREE,  ///< given to hv for one partition, not yet used
  kDepositedUsed = RS_FRAME_DEPOSITED_USED,  ///< one partition's page table or VP state
  kChild = RS_FRAME_CHILD,                   ///< mapped into exactly one child
};

/// Result of a frame-table change. Anything but kOk changed nothing.
enum class [[nodiscard]] FrameTableStatus : uint8_t {
  kOk,
  kNotRam,      ///< outside the RAM the table covers (MMIO, a hole, beyond the end)
  kWrongState,  ///< the frame is not in the state (or of the owner) the move expects
  kBadOwner,    ///< an owner that the target state cannot carry
  kTooSmall,    ///< the storage cannot hold one entry per frame
};

const char* describe(FrameTableStatus status);

/// Frames of RAM from `first_pfn` to `first_pfn + frame_count`, one 16-bit entry each: the state
/// in bits 15:13 and, for per-partition states, the owner (a partition's slot + 1) in 12:0.
class FrameTable {
 public:
  /// Owners are 1..kMaxOwner; 0 is "nobody" (the root's and hv's frames).
  static constexpr uint16_t kMaxOwner = (1u << 13) - 2;
  /// Bytes of storage needed for `frame_count` frames.
  static constexpr uint64_t storage_bytes(uint64_t frame_count) { return frame_count * 2; }
  /// Frames the table covers for `map`: from the first to the last usable frame.
  static uint64_t frames_spanned(const rootstock::MemoryRange* map, size_t map_count);

  /// Takes `storage` (zeroed or not) for the RAM `map` describes: usable ranges start as the
  /// root's, `hv_ranges` as hv's, everything else is not RAM.
  FrameTableStatus init(uint16_t* storage, uint64_t storage_entries,
                        const rootstock::MemoryRange* map, size_t map_count,
                        const rootstock::MemoryRange* hv_ranges, size_t hv_count);

  /// The state of the frame at `pfn` and its owner (0 for kRoot and kHv); false when `pfn` is
  /// not RAM the table covers.
  bool lookup(uint64_t pfn, FrameState& state, uint16_t& owner) const;
  /// Whether `pfn` is RAM in `state` with `owner`.
  bool is(uint64_t pfn, FrameState state, uint16_t owner) const;
  /// Moves `pfn` from (`from`, `from_owner`) to (`to`, `to_owner`) if it is there now.
  FrameTableStatus move(uint64_t pfn, FrameState from, uint16_t from_owner, FrameState to,
                        uint16_t to_owner);

  /// Frames per RS_FRAME_* slot (hv's all under RS_FRAME_HV_USED), and the total.
  uint64_t count_states(uint64_t (&counts)[RS_FRAME_STATE_SLOTS]) const;
  /// Frames in `state` of `owner` (any owner when 0).
  uint64_t count(FrameState state, uint16_t owner = 0) const;
  /// The first frame whose entry is not a valid (state, owner) pair, or that is hv's outside
  /// hv's ranges or not hv's inside them (no call moves a frame to or from kHv), as a pfn; ~0
  /// when none.
  uint64_t first_invalid_entry() const;
  uint64_t first_pfn() const { return first_pfn_; }
  uint64_t frame_count() const { return count_; }

 private:
  static constexpr unsigned kStateShift = 13;
  static constexpr uint16_t kOwnerMask = (1u << 13) - 1;
  // Entries for frames that are not RAM (holes inside [first, first + count)).
  static constexpr uint16_t kNotRamEntry = 0xffff;

  static bool shared_state(FrameState s) { return s == FrameState::kRoot || s == FrameState::kHv; }
  static uint16_t entry(FrameState s, uint16_t owner) {
    return static_cast<uint16_t>((static_cast<unsigned>(s) << kStateShift) | owner);
  }
  static bool valid_entry(uint16_t e);
  bool index_of(uint64_t pfn, uint64_t& index) const;

  bool in_hv_ranges(uint64_t pfn) const;

  static constexpr size_t kMaxHvRanges = 4;
  rootstock::MemoryRange hv_ranges_[kMaxHvRanges] = {};
  size_t hv_count_ = 0;
  // Entries are read and written whole with relaxed atomics: changes happen under the
  // partitions' lock, but some reads do not (a hypercall's page check before it takes the lock,
  // which the call repeats under the lock before it relies on it).
  uint16_t load(uint64_t index) const;
  void store(uint64_t index, uint16_t value);

  uint16_t* entries_ = nullptr;
  uint64_t first_pfn_ = 0;
  uint64_t count_ = 0;
};

}  // namespace hv
