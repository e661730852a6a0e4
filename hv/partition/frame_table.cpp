#include "partition/frame_table.hpp"

namespace hv {
namespace {

constexpr uint64_t kPageShift = 12;
constexpr uint64_t kPage = 1ull << kPageShift;

// The whole frames of one usable range: [first, end).
bool usable_frames(const rootstock::MemoryRange& r, uint64_t& first, uint64_t& end) {
  if (r.type != rootstock::MemoryType::kUsable || r.length == 0) return false;
  first = (r.base + kPage - 1) >> kPageShift;
  end = r.end() >> kPageShift;
  return end > first;
}

}  // namespace

const char* describe(FrameTableStatus status) {
  switch (status) {
    case FrameTableStatus::kOk:
      return "ok";
    case FrameTableStatus::kNotRam:
      return "not RAM the frame table covers";
    case FrameTableStatus::kWrongState:
      return "the frame is not in the state the move expects";
    case FrameTableStatus::kBadOwner:
      return "an owner the state cannot carry";
    case FrameTableStatus::kTooSmall:
      return "frame-table storage too small";
  }
  return "?";
}

uint64_t FrameTable::frames_spanned(const rootstock::MemoryRange* map, size_t map_count) {
  uint64_t lo = ~uint64_t{0}, hi = 0;
  for (size_t i = 0; i < map_count; ++i) {
    uint64_t first = 0, end = 0;
    if (!usable_frames(map[i], first, end)) continue;
    if (first < lo) lo = first;
    if (end > hi) hi = end;
  }
  return hi == 0 ? 0 : hi - lo;
}

FrameTableStatus FrameTable::init(uint16_t* storage, uint64_t storage_entries,
                                  const rootstock::MemoryRange* map, size_t map_count,
                                  const rootstock::MemoryRange* hv_ranges, size_t hv_count) {
  uint64_t lo = ~uint64_t{0};
  for (size_t i = 0; i < map_count; ++i) {
    uint64_t first = 0, end = 0;
    if (usable_frames(map[i], first, end) && first < lo) lo = first;
  }
  const uint64_t count = frames_spanned(map, map_count);
  if (count == 0) lo = 0;
  if (count > storage_entries || hv_count > kMaxHvRanges) return FrameTableStatus::kTooSmall;
  for (size_t i = 0; i < hv_count; ++i) hv_ranges_[i] = hv_ranges[i];
  hv_count_ = hv_count;
  entries_ = storage;
  first_pfn_ = lo;
  count_ = count;
  for (uint64_t i = 0; i < count; ++i) entries_[i] = kNotRamEntry;
  // Usable first, then every non-usable range over it: where firmware entries overlap, the
  // non-usable one wins (as for hv's reservation, frame_allocator.hpp).
  for (size_t i = 0; i < map_count; ++i) {
    uint64_t first = 0, end = 0;
    if (!usable_frames(map[i], first, end)) continue;
    for (uint64_t p = first; p < end; ++p) entries_[p - lo] = entry(FrameState::kRoot, 0);
  }
  for (size_t i = 0; i < map_count; ++i) {
    if (map[i].type == rootstock::MemoryType::kUsable || map[i].length == 0) continue;
    const uint64_t first = map[i].base >> kPageShift;
    const uint64_t end = (map[i].end() + kPage - 1) >> kPageShift;
    for (uint64_t p = first < lo ? lo : first; p < end && p - lo < count; ++p) {
      entries_[p - lo] = kNotRamEntry;
    }
  }
  for (size_t i = 0; i < hv_count; ++i) {
    const uint64_t first = hv_ranges[i].base >> kPageShift;  // any frame hv touches is hv's
    const uint64_t end = (hv_ranges[i].end() + kPage - 1) >> kPageShift;
    for (uint64_t p = first; p < end; ++p) {
      uint64_t index = 0;
      if (index_of(p, index)) entries_[index] = entry(FrameState::kHv, 0);
    }
  }
  return FrameTableStatus::kOk;
}

bool FrameTable::valid_entry(uint16_t e) {
  const auto s = static_cast<FrameState>(e >> kStateShift);
  const uint16_t owner = e & kOwnerMask;
  switch (s) {
    case FrameState::kHv:
    case FrameState::kRoot:
      return owner == 0;
    case FrameState::kRunPage:
    case FrameState::kDepositedFree:
    case FrameState::kDepositedUsed:
    case FrameState::kChild:
      return owner != 0 && owner <= kMaxOwner;
  }
  return false;
}

uint16_t FrameTable::load(uint64_t index) const {
  return __atomic_load_n(&entries_[index], __ATOMIC_RELAXED);
}

void FrameTable::store(uint64_t index, uint16_t value) {
  __atomic_store_n(&entries_[index], value, __ATOMIC_RELAXED);
}

bool FrameTable::index_of(uint64_t pfn, uint64_t& index) const {
  if (pfn < first_pfn_ || pfn - first_pfn_ >= count_) return false;
  index = pfn - first_pfn_;
  return load(index) != kNotRamEntry;
}

bool FrameTable::lookup(uint64_t pfn, FrameState& state, uint16_t& owner) const {
  uint64_t i = 0;
  if (!index_of(pfn, i)) return false;
  const uint16_t e = load(i);
  state = static_cast<FrameState>(e >> kStateShift);
  owner = static_cast<uint16_t>(e & kOwnerMask);
  return true;
}

bool FrameTable::is(uint64_t pfn, FrameState state, uint16_t owner) const {
  uint64_t i = 0;
  return index_of(pfn, i) && load(i) == entry(state, owner);
}

FrameTableStatus FrameTable::move(uint64_t pfn, FrameState from, uint16_t from_owner, FrameState to,
                                  uint16_t to_owner) {
  if (!valid_entry(entry(from, from_owner)) || !valid_entry(entry(to, to_owner))) {
    return FrameTableStatus::kBadOwner;
  }
  uint64_t i = 0;
  if (!index_of(pfn, i)) return FrameTableStatus::kNotRam;
  if (load(i) != entry(from, from_owner)) return FrameTableStatus::kWrongState;
  store(i, entry(to, to_owner));
  return FrameTableStatus::kOk;
}

uint64_t FrameTable::count_states(uint64_t (&counts)[RS_FRAME_STATE_SLOTS]) const {
  for (uint64_t& c : counts) c = 0;
  uint64_t total = 0;
  for (uint64_t i = 0; i < count_; ++i) {
    const uint16_t e = load(i);
    if (e == kNotRamEntry) continue;
    ++counts[(e >> kStateShift) % RS_FRAME_STATE_SLOTS];
    ++total;
  }
  return total;
}

uint64_t FrameTable::count(FrameState state, uint16_t owner) const {
  uint64_t n = 0;
  for (uint64_t i = 0; i < count_; ++i) {
    const uint16_t e = load(i);
    if (e == kNotRamEntry || static_cast<FrameState>(e >> kStateShift) != state) continue;
    if (owner != 0 && (e & kOwnerMask) != owner) continue;
    ++n;
  }
  return n;
}

bool FrameTable::in_hv_ranges(uint64_t pfn) const {
  for (size_t i = 0; i < hv_count_; ++i) {
    const uint64_t first = hv_ranges_[i].base >> kPageShift;
    const uint64_t end = (hv_ranges_[i].end() + kPage - 1) >> kPageShift;
    if (pfn >= first && pfn < end) return true;
  }
  return false;
}

uint64_t FrameTable::first_invalid_entry() const {
  for (uint64_t i = 0; i < count_; ++i) {
    const uint16_t e = load(i);
    if (e == kNotRamEntry) continue;
    const bool hv = static_cast<FrameState>(e >> kStateShift) == FrameState::kHv;
    if (!valid_entry(e) || hv != in_hv_ranges(first_pfn_ + i)) return first_pfn_ + i;
  }
  return ~uint64_t{0};
}

}  // namespace hv
