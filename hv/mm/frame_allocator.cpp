// hv's reservation and frame allocator (frame_allocator.hpp).
#include "mm/frame_allocator.hpp"

namespace hv {
namespace {

using rootstock::MemoryRange;
using rootstock::MemoryType;

constexpr uint64_t kBitsPerWord = 64;
constexpr uint64_t kAllInUse = ~uint64_t{0};
constexpr uint64_t kFramesPerBlock = kBlockSize / kFrameSize;
constexpr uint64_t kWordsPerBlock = kFramesPerBlock / kBitsPerWord;

constexpr uint64_t align_down(uint64_t v, uint64_t a) {
  return v & ~(a - 1);
}
constexpr uint64_t min(uint64_t a, uint64_t b) {
  return a < b ? a : b;
}
constexpr uint64_t max(uint64_t a, uint64_t b) {
  return a > b ? a : b;
}

// A firmware or exclusion range is hostile if it wraps or reaches past 52 bits.
bool valid(const MemoryRange& r) {
  return r.base < rootstock::kMaxPhysicalAddress &&
         r.length <= rootstock::kMaxPhysicalAddress - r.base;
}

bool all_valid(const MemoryRange* ranges, size_t count) {
  if (count > 0 && ranges == nullptr) return false;
  for (size_t i = 0; i < count; ++i) {
    if (!valid(ranges[i])) return false;
  }
  return true;
}

bool usable(const MemoryRange& r) {
  return r.type == MemoryType::kUsable && r.length > 0;
}

// The lowest end a window [base, top) must stay below because of range r: a window that
// overlaps r can only be valid lower down, entirely below r.base. Returns top if r does not
// overlap the window.
uint64_t bound_by(const MemoryRange& r, uint64_t base, uint64_t top) {
  if (r.length == 0 || r.base >= top || r.end() <= base) return top;
  return r.base;
}

// The highest end a valid window below [base, top) may have because of blockers (non-usable
// map entries, exclusions, the first 1 MiB); top itself if nothing blocks the window.
uint64_t bound_by_blockers(const ReservationRequest& req, uint64_t base, uint64_t top) {
  uint64_t bound = bound_by(MemoryRange{0, kLowMemoryEnd, MemoryType::kReserved}, base, top);
  for (size_t i = 0; i < req.map_count; ++i) {
    if (req.map[i].type != MemoryType::kUsable) bound = min(bound, bound_by(req.map[i], base, top));
  }
  for (size_t i = 0; i < req.exclusion_count; ++i) {
    bound = min(bound, bound_by(req.exclusions[i], base, top));
  }
  return bound;
}

// The highest end a valid window below [base, top) may have because of holes in usable RAM;
// top itself if usable entries (possibly several, adjacent or overlapping) cover the window.
// A window ending at t must have t - 1 covered by an entry that ends at or below the hole, so
// the bound is the highest usable end at or below the lowest uncovered address.
uint64_t bound_by_holes(const ReservationRequest& req, uint64_t base, uint64_t top) {
  uint64_t pos = base;
  while (pos < top) {
    uint64_t reach = pos;
    for (size_t i = 0; i < req.map_count; ++i) {
      const MemoryRange& r = req.map[i];
      if (usable(r) && r.base <= pos && pos < r.end()) reach = max(reach, r.end());
    }
    if (reach == pos) break;  // pos is a hole
    pos = reach;
  }
  if (pos >= top) return top;
  uint64_t bound = 0;
  for (size_t i = 0; i < req.map_count; ++i) {
    if (usable(req.map[i]) && req.map[i].end() <= pos) bound = max(bound, req.map[i].end());
  }
  return bound;
}

}  // namespace

const char* describe(FrameStatus status) {
  switch (status) {
    case FrameStatus::kOk:
      return "success";
    case FrameStatus::kInvalidRange:
      return "memory range wraps or reaches past 52 bits";
    case FrameStatus::kInvalidSize:
      return "reservation size is zero or not a multiple of 2 MiB";
    case FrameStatus::kNoRoom:
      return "no contiguous usable RAM of that size below the limit";
    case FrameStatus::kNotInitialized:
      return "frame allocator not initialised";
    case FrameStatus::kExhausted:
      return "no free frame or 2 MiB block left";
    case FrameStatus::kUnaligned:
      return "freed address not aligned";
    case FrameStatus::kForeign:
      return "freed address not handed out by this allocator";
    case FrameStatus::kDoubleFree:
      return "frame freed twice";
  }
  return "unknown frame status";
}

// Scans candidate windows from the top down. Each rejected window yields an upper bound for
// the end of any valid window below it (bound_by_blockers / bound_by_holes), which strictly
// decreases `top`; each map entry and exclusion can cause only a bounded number of jumps, so
// the loop is O(n^2) in the number of entries, not in the size of memory.
FrameStatus carve_reservation(const ReservationRequest& req, MemoryRange& out) {
  if (req.size == 0 || req.size % kBlockSize != 0) return FrameStatus::kInvalidSize;
  if (!all_valid(req.map, req.map_count) || !all_valid(req.exclusions, req.exclusion_count)) {
    return FrameStatus::kInvalidRange;
  }
  const uint64_t limit = min(req.limit, rootstock::kMaxPhysicalAddress);
  uint64_t highest = 0;
  for (size_t i = 0; i < req.map_count; ++i) {
    if (usable(req.map[i])) highest = max(highest, min(req.map[i].end(), limit));
  }
  uint64_t top = align_down(highest, kBlockSize);
  while (top >= req.size) {
    const uint64_t base = top - req.size;
    const uint64_t bound = min(bound_by_blockers(req, base, top), bound_by_holes(req, base, top));
    if (bound == top) {
      out = MemoryRange{base, req.size, MemoryType::kReserved};
      return FrameStatus::kOk;
    }
    top = align_down(bound, kBlockSize);
  }
  return FrameStatus::kNoRoom;
}

FrameStatus FrameAllocator::init(const MemoryRange& reservation, void* window) {
  reset();
  const uint64_t b = reservation.base;
  const uint64_t s = reservation.length;
  if (s == 0 || b % kBlockSize != 0 || s % kBlockSize != 0) return FrameStatus::kInvalidSize;
  if (!valid(reservation)) return FrameStatus::kInvalidRange;
  if (window == nullptr || reinterpret_cast<uintptr_t>(window) % kFrameSize != 0) {
    return FrameStatus::kInvalidRange;
  }
  const uint64_t frames = s / kFrameSize;
  base_ = b;
  size_ = s;
  window_ = static_cast<uint8_t*>(window);
  bitmap_ = static_cast<uint64_t*>(window);
  words_ = frames / kBitsPerWord;  // exact: frames is a multiple of 512
  meta_frames_ = (words_ * sizeof(uint64_t) + kFrameSize - 1) / kFrameSize;
  for (uint64_t w = 0; w < words_; ++w) bitmap_[w] = 0;
  mark(0, meta_frames_, true);
  total_ = frames - meta_frames_;
  free_ = total_;
  return FrameStatus::kOk;
}

FrameStatus FrameAllocator::allocate_frame(uint64_t& phys) {
  if (bitmap_ == nullptr) return FrameStatus::kNotInitialized;
  for (uint64_t w = hint_; w < words_; ++w) {
    if (bitmap_[w] == kAllInUse) continue;
    const uint64_t bit = static_cast<uint64_t>(__builtin_ctzll(~bitmap_[w]));
    bitmap_[w] |= uint64_t{1} << bit;
    hint_ = w;
    --free_;
    note_use();
    phys = base_ + (w * kBitsPerWord + bit) * kFrameSize;
    zero(phys, kFrameSize);
    return FrameStatus::kOk;
  }
  hint_ = words_;
  return FrameStatus::kExhausted;
}

FrameStatus FrameAllocator::allocate_block(uint64_t& phys) {
  if (bitmap_ == nullptr) return FrameStatus::kNotInitialized;
  for (uint64_t block = words_ / kWordsPerBlock; block-- > 0;) {
    const uint64_t* words = &bitmap_[block * kWordsPerBlock];
    bool clear = true;
    for (uint64_t i = 0; i < kWordsPerBlock && clear; ++i) clear = words[i] == 0;
    if (!clear) continue;
    mark(block * kFramesPerBlock, kFramesPerBlock, true);
    free_ -= kFramesPerBlock;
    note_use();
    phys = base_ + block * kBlockSize;
    zero(phys, kBlockSize);
    return FrameStatus::kOk;
  }
  return FrameStatus::kExhausted;
}

FrameStatus FrameAllocator::free_frame(uint64_t phys) {
  const FrameStatus s = check_free(phys, kFrameSize);
  if (s != FrameStatus::kOk) return s;
  const uint64_t frame = (phys - base_) / kFrameSize;
  if (!frame_in_use(frame)) return FrameStatus::kDoubleFree;
  mark(frame, 1, false);
  ++free_;
  hint_ = min(hint_, frame / kBitsPerWord);
  return FrameStatus::kOk;
}

FrameStatus FrameAllocator::free_block(uint64_t phys) {
  const FrameStatus s = check_free(phys, kBlockSize);
  if (s != FrameStatus::kOk) return s;
  const uint64_t first = (phys - base_) / kFrameSize;
  for (uint64_t w = 0; w < kWordsPerBlock; ++w) {
    if (bitmap_[first / kBitsPerWord + w] != kAllInUse) return FrameStatus::kDoubleFree;
  }
  mark(first, kFramesPerBlock, false);
  free_ += kFramesPerBlock;
  hint_ = min(hint_, first / kBitsPerWord);
  return FrameStatus::kOk;
}

void* FrameAllocator::pointer_to(uint64_t phys) const {
  if (window_ == nullptr || phys < base_ || phys - base_ >= size_) return nullptr;
  return window_ + (phys - base_);
}

MemoryRange FrameAllocator::reservation() const {
  return MemoryRange{base_, size_, MemoryType::kReserved};
}

// Common checks of a free: initialised, aligned to the unit, inside the reservation and clear
// of the bitmap's own frames (a unit of a block that holds the bitmap is foreign as a whole).
FrameStatus FrameAllocator::check_free(uint64_t phys, uint64_t unit) const {
  if (bitmap_ == nullptr) return FrameStatus::kNotInitialized;
  if (phys % unit != 0) return FrameStatus::kUnaligned;
  if (phys < base_ || phys - base_ >= size_) return FrameStatus::kForeign;
  if ((phys - base_) / kFrameSize < meta_frames_) return FrameStatus::kForeign;
  return FrameStatus::kOk;
}

bool FrameAllocator::frame_in_use(uint64_t frame) const {
  return (bitmap_[frame / kBitsPerWord] >> (frame % kBitsPerWord) & 1) != 0;
}

void FrameAllocator::mark(uint64_t first_frame, uint64_t count, bool in_use) {
  for (uint64_t f = first_frame; f < first_frame + count; ++f) {
    const uint64_t bit = uint64_t{1} << (f % kBitsPerWord);
    if (in_use) {
      bitmap_[f / kBitsPerWord] |= bit;
    } else {
      bitmap_[f / kBitsPerWord] &= ~bit;
    }
  }
}

// Frames are zeroed when handed out: the reservation's initial contents are whatever firmware
// or an earlier boot left, and a freed frame may hold another partition's state.
void FrameAllocator::zero(uint64_t phys, uint64_t bytes) {
  auto* p = static_cast<uint64_t*>(pointer_to(phys));
  for (uint64_t i = 0; i < bytes / sizeof(uint64_t); ++i) p[i] = 0;
}

void FrameAllocator::reset() {
  base_ = size_ = words_ = meta_frames_ = hint_ = total_ = free_ = high_water_ = 0;
  window_ = nullptr;
  bitmap_ = nullptr;
}

void FrameAllocator::note_use() {
  high_water_ = max(high_water_, total_ - free_);
}

}  // namespace hv
