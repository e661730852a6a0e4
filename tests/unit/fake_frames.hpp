// Test doubles for hv's memory seams: a FrameSource over an aligned heap buffer with made-up
// physical addresses (far from any host pointer, so confusing the two shows), with a limit to
// provoke running out; and an independent table walker written from the APM's bit positions,
// not from hv's headers, to check translate() and to snapshot whole trees.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <vector>

namespace fake {

/// A FrameSource (hv/mm/frame_source.hpp) for host tests.
class FakeFrames {
 public:
  static constexpr uint64_t kFrame = 4096;
  static constexpr uint64_t kFakeBase = 0x0000'0123'4560'0000;

  explicit FakeFrames(size_t capacity)
      : buffer_(static_cast<uint8_t*>(std::aligned_alloc(kFrame, capacity * kFrame))),
        used_(capacity, false) {
    std::memset(buffer_, 0xa5, capacity * kFrame);  // stale contents: allocate must zero
  }
  ~FakeFrames() { std::free(buffer_); }
  FakeFrames(const FakeFrames&) = delete;
  FakeFrames& operator=(const FakeFrames&) = delete;

  bool allocate_zeroed(uint64_t& pa) {
    if (live_ >= limit_) return false;
    for (size_t i = 0; i < used_.size(); ++i) {
      if (used_[i]) continue;
      used_[i] = true;
      ++live_;
      ++allocations_;
      std::memset(buffer_ + i * kFrame, 0, kFrame);
      pa = kFakeBase + i * kFrame;
      return true;
    }
    return false;
  }

  void free(uint64_t pa) {
    const auto i = index(pa);
    if (!i || !used_[*i]) {
      ++bad_frees_;
      return;
    }
    used_[*i] = false;
    --live_;
    std::memset(buffer_ + *i * kFrame, 0x5a, kFrame);  // poison: use after free shows
  }

  void* to_pointer(uint64_t pa) {
    const auto i = index(pa & ~(kFrame - 1));
    if (!i) {
      ++bad_pointers_;
      return nullptr;
    }
    return buffer_ + (pa - kFakeBase);
  }

  /// At most `n` frames live at once from now on.
  void set_limit(size_t n) { limit_ = n; }
  size_t live() const { return live_; }
  size_t allocations() const { return allocations_; }
  /// Frees of unknown or free frames, and pointer requests outside the buffer: must stay 0.
  size_t misuse() const { return bad_frees_ + bad_pointers_; }

 private:
  std::optional<size_t> index(uint64_t pa) const {
    if (pa < kFakeBase || (pa - kFakeBase) % kFrame != 0) return std::nullopt;
    const uint64_t i = (pa - kFakeBase) / kFrame;
    if (i >= used_.size()) return std::nullopt;
    return static_cast<size_t>(i);
  }

  uint8_t* buffer_;
  std::vector<bool> used_;
  size_t live_ = 0;
  size_t allocations_ = 0;
  size_t limit_ = SIZE_MAX;
  size_t bad_frees_ = 0;
  size_t bad_pointers_ = 0;
};

// Bits from AMD APM vol. 2, 5.4.1, spelled out here on purpose (independent of hv's header).
constexpr uint64_t kP = 1ull << 0;
constexpr uint64_t kRW = 1ull << 1;
constexpr uint64_t kUS = 1ull << 2;
constexpr uint64_t kA = 1ull << 5;
constexpr uint64_t kD = 1ull << 6;
constexpr uint64_t kPS = 1ull << 7;
constexpr uint64_t kNX = 1ull << 63;
constexpr uint64_t kAddr = 0x000f'ffff'ffff'f000ull;

/// One leaf found by walk().
struct Leaf {
  uint64_t phys;   ///< the translation of the address walked
  uint64_t size;   ///< 4 KiB, 2 MiB or 1 GiB
  uint64_t entry;  ///< the raw leaf entry
};

/// Translates `addr` through the tree at `root` the way the processor does.
inline std::optional<Leaf> walk(FakeFrames& frames, uint64_t root, uint64_t addr) {
  uint64_t table = root;
  for (int level = 4; level >= 1; --level) {
    const int shift = 12 + 9 * (level - 1);
    const auto* t = static_cast<const uint64_t*>(frames.to_pointer(table));
    const uint64_t e = t[(addr >> shift) & 511];
    if ((e & kP) == 0) return std::nullopt;
    if (level == 1 || ((level == 2 || level == 3) && (e & kPS) != 0)) {
      const uint64_t size = 1ull << shift;
      return Leaf{(e & kAddr & ~(size - 1)) | (addr & (size - 1)), size, e};
    }
    table = e & kAddr;
  }
  return std::nullopt;
}

/// One present entry of a tree, with where it sits.
struct Slot {
  int level;
  uint64_t table;
  unsigned index;
  uint64_t entry;
  bool operator==(const Slot&) const = default;
};

/// Every present entry reachable from `root`, in walk order: equal snapshots mean equal trees.
inline std::vector<Slot> snapshot(FakeFrames& frames, uint64_t root, int level = 4) {
  std::vector<Slot> out;
  const auto* t = static_cast<const uint64_t*>(frames.to_pointer(root));
  for (unsigned i = 0; i < 512; ++i) {
    const uint64_t e = t[i];
    if ((e & kP) == 0) continue;
    out.push_back({level, root, i, e});
    const bool leaf = level == 1 || ((level == 2 || level == 3) && (e & kPS) != 0);
    if (!leaf) {
      auto below = snapshot(frames, e & kAddr, level - 1);
      out.insert(out.end(), below.begin(), below.end());
    }
  }
  return out;
}

/// The number of tables in the tree at `root` (the root included).
inline size_t count_tables(FakeFrames& frames, uint64_t root) {
  size_t n = 1;
  for (const Slot& s : snapshot(frames, root)) {
    const bool leaf = s.level == 1 || ((s.level == 2 || s.level == 3) && (s.entry & kPS) != 0);
    if (!leaf) ++n;
  }
  return n;
}

}  // namespace fake
