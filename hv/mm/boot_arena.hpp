// Permanent allocations made while hv boots (per-CPU data, stacks, host save areas): carved in
// order from 2 MiB blocks of the frame allocator and never freed, so that runs of several pages
// are contiguous without the frame allocator having to find them.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "mm/frame_allocator.hpp"

namespace hv {

/// A bump allocator over 2 MiB blocks from a FrameAllocator.
class BootArena {
 public:
  explicit BootArena(FrameAllocator& frames) : frames_(frames) {}

  /// `bytes` rounded up to whole 4 KiB pages, zeroed (blocks come zeroed and nothing is reused) and
  /// page-aligned; the physical address in `phys`. nullptr when the reservation is exhausted or the
  /// request exceeds a block.
  void* allocate_pages(size_t bytes, uint64_t& phys);

 private:
  static constexpr uint64_t kBlock = 2ull << 20;
  static constexpr uint64_t kPage = 4096;

  FrameAllocator& frames_;
  uint64_t block_ = 0;  ///< physical base of the current block; 0 before the first
  uint64_t used_ = 0;   ///< bytes handed out from it
};

}  // namespace hv
