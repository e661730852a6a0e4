// Who owns each physical frame of RAM (DESIGN.md §2 "Memory"; docs/hypercalls.md, "the frame
// table rule"): hv, the root, hv on behalf of a partition (deposited), or one child (mapped).
// Frames move only root -> deposited/child and back, and only through these calls, so the
// rules "the root can hand over only frames it owns" and "destroy returns every frame" are
// checked in one place. Pure logic over a caller-provided array: host-unit-tested.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <rootstock/memory_map.hpp>

namespace hv {

/// A frame's owner.
enum class FrameOwner : uint8_t {
  kRoot = 0,       ///< the root partition's RAM (the state every RAM frame starts in)
  kHv = 1,         ///< hv's image and reservation: never handed over
  kDeposited = 2,  ///< given to hv for one partition's tables and VP state
  kChild = 3,      ///< mapped into exactly one child partition
};

/// Result of a frame-table change. Anything but kOk changed nothing.
enum class [[nodiscard]] FrameTableStatus : uint8_t {
  kOk,
  kNotRam,        ///< outside the RAM the table covers (MMIO, a hole, beyond the end)
  kNotRootOwned,  ///< the root handed over a frame it does not own
  kWrongOwner,    ///< the frame is not in the state (or partition) the call expects
  kBadPartition,  ///< partition id 0 or beyond kMaxPartitionId
  kTooSmall,      ///< the storage cannot hold one entry per frame
};

const char* describe(FrameTableStatus status);

/// Frames of RAM from `first_pfn` to `first_pfn + frame_count`, one 16-bit entry each: the
/// owner in bits 15:14, the partition id in bits 13:0.
class FrameTable {
 public:
  /// Partition ids are 1..kMaxPartitionId (0 means "none"; 0x3fff with owner kChild would
  /// read as kNotRamEntry, so it is not an id).
  static constexpr uint16_t kMaxPartitionId = (1u << 14) - 2;
  /// Bytes of storage needed for `frame_count` frames.
  static constexpr uint64_t storage_bytes(uint64_t frame_count) { return frame_count * 2; }

  /// Takes `storage` (zeroed or not) for the RAM `map` describes: usable ranges start as the
  /// root's, `hv_ranges` as hv's, everything else is not RAM.
  FrameTableStatus init(uint16_t* storage, uint64_t storage_entries,
                        const rootstock::MemoryRange* map, size_t map_count,
                        const rootstock::MemoryRange* hv_ranges, size_t hv_count);

  /// The owner of the frame at `pfn`, and (kDeposited/kChild) its partition; false when `pfn`
  /// is not RAM the table covers.
  bool lookup(uint64_t pfn, FrameOwner& owner, uint16_t& partition) const;

  /// root -> kDeposited(partition)
  FrameTableStatus deposit(uint64_t pfn, uint16_t partition);
  /// kDeposited(partition) -> root
  FrameTableStatus withdraw(uint64_t pfn, uint16_t partition);
  /// root -> kChild(partition)
  FrameTableStatus give_to_child(uint64_t pfn, uint16_t partition);
  /// kChild(partition) -> root
  FrameTableStatus take_from_child(uint64_t pfn, uint16_t partition);
  /// Every frame of `partition` (deposited or mapped) back to the root; returns how many.
  uint64_t release_partition(uint16_t partition);

  /// Frames in `owner` state (for kDeposited/kChild: of `partition`, or all when 0).
  uint64_t count(FrameOwner owner, uint16_t partition = 0) const;
  /// The invariants: every entry has a valid owner, root and hv entries carry no partition,
  /// deposited and child entries carry a valid one. False names a broken table.
  bool check_invariants() const;

 private:
  static constexpr unsigned kOwnerShift = 14;
  static constexpr uint16_t kPartitionMask = (1u << 14) - 1;
  // Entries for frames that are not RAM (holes inside [first, first + count)).
  static constexpr uint16_t kNotRamEntry = 0xffff;

  static uint16_t entry(FrameOwner o, uint16_t partition) {
    return static_cast<uint16_t>((static_cast<unsigned>(o) << kOwnerShift) | partition);
  }
  bool index_of(uint64_t pfn, uint64_t& index) const;
  FrameTableStatus move(uint64_t pfn, FrameOwner from, uint16_t from_partition, FrameOwner to,
                        uint16_t to_partition);

  uint16_t* entries_ = nullptr;
  uint64_t first_pfn_ = 0;
  uint64_t count_ = 0;
};

}  // namespace hv
