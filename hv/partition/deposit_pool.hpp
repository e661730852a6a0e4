// One partition's deposited frames (docs/hypercalls.md §6): frames the root gave hv for this
// partition's nested page tables and VP state. Free ones are chained through their first word
// (they are hv's now, out of the root's reach); taking one moves it DEPOSITED_FREE ->
// DEPOSITED_USED in the frame table, giving it back the reverse. A FrameSource
// (mm/frame_source.hpp), so the page-table builder takes its tables from here.
#pragma once

#include <stdint.h>

#include "partition/frame_table.hpp"
#include "partition/machine.hpp"

namespace hv {

/// The deposits of one partition (its frame-table owner).
class DepositPool {
 public:
  DepositPool(FrameTable& table, Machine& machine, uint16_t owner)
      : table_(table), machine_(machine), owner_(owner) {}
  DepositPool(const DepositPool&) = delete;
  DepositPool& operator=(const DepositPool&) = delete;

  /// Adds a frame the frame table already shows as DEPOSITED_FREE of this owner.
  void add_free(uint64_t pa);
  /// Takes a free frame out of the pool (for withdraw or destroy); it stays DEPOSITED_FREE in
  /// the frame table until the caller moves it. False when none is free.
  bool take_free(uint64_t& pa);

  // FrameSource: a zeroed frame in use by hv for this partition, and giving it back.
  bool allocate_zeroed(uint64_t& pa);
  void free(uint64_t pa);
  void* to_pointer(uint64_t pa) { return machine_.frame(pa); }

  uint64_t free_count() const { return free_; }
  uint64_t used_count() const { return used_; }
  /// Frames a call may use now: the free ones.
  bool covers(uint64_t pages) const { return pages <= free_; }

 private:
  FrameTable& table_;
  Machine& machine_;
  uint16_t owner_;
  uint64_t head_ = 0;  ///< first free frame, 0 for none (frame 0 is never deposited)
  uint64_t free_ = 0;
  uint64_t used_ = 0;
};

}  // namespace hv
