// The frame allocator as every CPU shares it: a FrameSource (mm/frame_source.hpp) whose calls
// are serialized by one lock, for page tables and pages that CPUs build concurrently.
#pragma once

#include <stdint.h>

#include "lib/spinlock.hpp"
#include "mm/frame_allocator.hpp"

namespace hv {

/// A locked view of a FrameAllocator.
class SharedFrames {
 public:
  explicit SharedFrames(FrameAllocator& frames) : frames_(frames) {}

  /// A zeroed 4 KiB frame.
  bool allocate_zeroed(uint64_t& phys) {
    SpinlockGuard guard(lock_);
    return frames_.allocate_frame(phys) == FrameStatus::kOk;
  }
  /// Gives back a frame; false when the allocator refused it (not allocated, not ours).
  bool release(uint64_t phys) {
    SpinlockGuard guard(lock_);
    return frames_.free_frame(phys) == FrameStatus::kOk;
  }
  /// FrameSource's free: the page-table code frees only frames it allocated.
  void free(uint64_t phys) { (void)release(phys); }
  /// The frame's bytes (the reservation is identity-mapped; no lock needed to compute it).
  void* to_pointer(uint64_t phys) { return frames_.pointer_to(phys); }

  uint64_t free_frames() {
    SpinlockGuard guard(lock_);
    return frames_.free_frames();
  }

 private:
  FrameAllocator& frames_;
  Spinlock lock_;
};

}  // namespace hv
