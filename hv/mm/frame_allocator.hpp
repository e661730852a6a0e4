// hv's physical memory: the reservation it carves out of RAM at boot (DESIGN.md §2 "Memory")
// and the allocator that hands out 4 KiB frames and 2 MiB blocks from inside it.
//
// Two steps, so that the choice is a pure function of the map (and testable without memory):
//   1. carve_reservation() picks the range from the firmware map minus the exclusions;
//   2. FrameAllocator::init() takes it over, given where hv can reach its bytes (the identity
//      map in hv, a buffer in host tests).
// A later stage removes reservation() from the root partition's e820 and nested page tables.
//
// Bitmap layout: one bit per 4 KiB frame of the reservation (bit i of 64-bit word i / 64 is
// frame i; 1 = in use), stored in the reservation's first frames. Those frames are marked in
// use at init() and are never handed out or accepted back; counters exclude them. For the
// 64 MiB default the bitmap is 2 KiB (one frame); for 4 GiB it is 128 KiB (32 frames).
// Frames are searched upwards from a hint and 2 MiB blocks downwards from the top, so that
// single frames and blocks do not fragment each other more than they must.
// No locking: callers serialise.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <rootstock/memory_map.hpp>

namespace hv {

inline constexpr uint64_t kFrameSize = 4096;
inline constexpr uint64_t kBlockSize = uint64_t{2} << 20;  ///< a 2 MiB large page
inline constexpr uint64_t kDefaultReservationSize = uint64_t{64} << 20;
/// hv's boot page tables identity-map [0, 4 GiB) and nothing else (arch/x86/entry.S).
inline constexpr uint64_t kBootIdentityMapEnd = uint64_t{4} << 30;
/// [0, 1 MiB) is never taken: real-mode IVT/BDA/EBDA, option ROMs and the BIOS, and the AP
/// start-up trampoline (TRAMPOLINE_BASE) live there.
inline constexpr uint64_t kLowMemoryEnd = uint64_t{1} << 20;

/// Result of a reservation or frame operation. Anything but kOk means nothing was changed.
enum class [[nodiscard]] FrameStatus : uint8_t {
  kOk,
  kInvalidRange,    ///< a map or exclusion range wraps or reaches past 52 bits
  kInvalidSize,     ///< reservation size zero or not a multiple of 2 MiB
  kNoRoom,          ///< no usable, 2 MiB-aligned contiguous range that large below the limit
  kNotInitialized,  ///< init() not called or failed
  kExhausted,       ///< no free frame, or no free aligned 2 MiB block
  kUnaligned,       ///< freed address not aligned to its unit (4 KiB or 2 MiB)
  kForeign,         ///< freed address outside the frames this allocator hands out
  kDoubleFree,      ///< freed frame (or a frame of the block) is not allocated
};

/// A human-readable reason for a status, for hv's log.
const char* describe(FrameStatus status);

/// What carve_reservation() chooses from.
struct ReservationRequest {
  const rootstock::MemoryRange* map = nullptr;  ///< the firmware's memory map
  size_t map_count = 0;
  const rootstock::MemoryRange* exclusions = nullptr;  ///< hv image, modules, boot info (type
  size_t exclusion_count = 0;                          ///< ignored)
  uint64_t size = kDefaultReservationSize;             ///< bytes; a non-zero multiple of 2 MiB
  uint64_t limit = kBootIdentityMapEnd;  ///< the reservation must end at or below this
};

/// Picks the highest 2 MiB-aligned range of request.size bytes that lies in usable RAM, below
/// request.limit and above 1 MiB, and touches no exclusion and no non-usable map entry (where
/// firmware entries overlap, the non-usable one wins). Adjacent usable entries count as one.
///
/// Why highest below 4 GiB: hv must write the bitmap and its first page tables before it has
/// built any mapping of its own, so the reservation has to be inside the boot identity map;
/// and taking the top of low RAM leaves low memory, where the root's kernel is loaded and
/// devices limited to 24- or 32-bit DMA need their buffers, to the root.
FrameStatus carve_reservation(const ReservationRequest& request, rootstock::MemoryRange& out);

/// Hands out zeroed 4 KiB frames and 2 MiB blocks from the reservation.
class FrameAllocator {
 public:
  constexpr FrameAllocator() = default;
  FrameAllocator(const FrameAllocator&) = delete;
  FrameAllocator& operator=(const FrameAllocator&) = delete;

  /// Takes over `reservation` (2 MiB-aligned base and size) whose bytes hv reaches at `window`
  /// (4 KiB-aligned): clears the bitmap there. Calling it again starts afresh.
  FrameStatus init(const rootstock::MemoryRange& reservation, void* window);

  /// A zeroed 4 KiB frame.
  FrameStatus allocate_frame(uint64_t& phys);
  /// A zeroed, 2 MiB-aligned 2 MiB block.
  FrameStatus allocate_block(uint64_t& phys);
  /// Gives back one frame. Frames of a block may be given back one by one: the bitmap records
  /// frames, not allocations.
  FrameStatus free_frame(uint64_t phys);
  /// Gives back a 2 MiB block; all of its frames must be in use.
  FrameStatus free_block(uint64_t phys);

  /// Where hv reaches the reservation's byte at `phys`; nullptr outside the reservation.
  void* pointer_to(uint64_t phys) const;
  /// The reserved range (type kReserved), to be hidden from the root; length 0 before init().
  rootstock::MemoryRange reservation() const;

  /// Frames that can be handed out (the reservation minus the bitmap).
  uint64_t total_frames() const { return total_; }
  /// Frames not in use now.
  uint64_t free_frames() const { return free_; }
  /// The most frames that were ever in use at once.
  uint64_t high_water_frames() const { return high_water_; }

 private:
  bool frame_in_use(uint64_t frame) const;
  void mark(uint64_t first_frame, uint64_t count, bool in_use);
  void zero(uint64_t phys, uint64_t bytes);
  void note_use();
  void reset();
  FrameStatus check_free(uint64_t phys, uint64_t unit) const;

  uint64_t base_ = 0;
  uint64_t size_ = 0;
  uint8_t* window_ = nullptr;
  uint64_t* bitmap_ = nullptr;
  uint64_t words_ = 0;        ///< bitmap words: frames / 64
  uint64_t meta_frames_ = 0;  ///< frames holding the bitmap, at the start
  uint64_t hint_ = 0;         ///< no word below this has a free frame
  uint64_t total_ = 0;
  uint64_t free_ = 0;
  uint64_t high_water_ = 0;
};

/// Adapts a FrameAllocator to the page-table FrameSource seam (frame_source.hpp).
class TableFrames {
 public:
  constexpr explicit TableFrames(FrameAllocator& frames) : frames_(frames) {}

  /// A zeroed 4 KiB frame for a table.
  bool allocate_zeroed(uint64_t& phys) { return frames_.allocate_frame(phys) == FrameStatus::kOk; }
  /// The page-table code only frees frames it got from allocate_zeroed(), so this cannot
  /// fail unless the bitmap is corrupt; the status is dropped (no panic in host-tested code).
  void free(uint64_t phys) { (void)frames_.free_frame(phys); }
  /// The table's bytes.
  void* to_pointer(uint64_t phys) { return frames_.pointer_to(phys); }

 private:
  FrameAllocator& frames_;
};

}  // namespace hv
