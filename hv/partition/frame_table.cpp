#include "partition/frame_table.hpp"

namespace hv {
namespace {

constexpr uint64_t kPageShift = 12;
constexpr uint64_t kPage = 1ull << kPageShift;

}  // namespace

const char* describe(FrameTableStatus status) {
  switch (status) {
    case FrameTableStatus::kOk:
      return "ok";
    case FrameTableStatus::kNotRam:
      return "not RAM the frame table covers";
    case FrameTableStatus::kNotRootOwned:
      return "the frame does not belong to the root";
    case FrameTableStatus::kWrongOwner:
      return "the frame is not owned as the call expects";
    case FrameTableStatus::kBadPartition:
      return "invalid partition id";
    case FrameTableStatus::kTooSmall:
      return "frame-table storage too small";
  }
  return "?";
}

FrameTableStatus FrameTable::init(uint16_t* storage, uint64_t storage_entries,
                                  const rootstock::MemoryRange* map, size_t map_count,
                                  const rootstock::MemoryRange* hv_ranges, size_t hv_count) {
  uint64_t lo = ~uint64_t{0}, hi = 0;
  for (size_t i = 0; i < map_count; ++i) {
    if (map[i].type != rootstock::MemoryType::kUsable || map[i].length == 0) continue;
    const uint64_t first = (map[i].base + kPage - 1) >> kPageShift;  // whole frames only
    const uint64_t end = map[i].end() >> kPageShift;
    if (end <= first) continue;
    if (first < lo) lo = first;
    if (end > hi) hi = end;
  }
  if (hi == 0) lo = 0;
  const uint64_t count = hi - lo;
  if (count > storage_entries) return FrameTableStatus::kTooSmall;
  entries_ = storage;
  first_pfn_ = lo;
  count_ = count;
  for (uint64_t i = 0; i < count; ++i) entries_[i] = kNotRamEntry;
  for (size_t i = 0; i < map_count; ++i) {
    if (map[i].type != rootstock::MemoryType::kUsable) continue;
    const uint64_t first = (map[i].base + kPage - 1) >> kPageShift;
    const uint64_t end = map[i].end() >> kPageShift;
    for (uint64_t p = first; p < end; ++p) entries_[p - lo] = entry(FrameOwner::kRoot, 0);
  }
  for (size_t i = 0; i < hv_count; ++i) {
    const uint64_t first = hv_ranges[i].base >> kPageShift;  // any frame hv touches is hv's
    const uint64_t end = (hv_ranges[i].end() + kPage - 1) >> kPageShift;
    for (uint64_t p = first; p < end; ++p) {
      uint64_t index = 0;
      if (index_of(p, index)) entries_[index] = entry(FrameOwner::kHv, 0);
    }
  }
  return FrameTableStatus::kOk;
}

bool FrameTable::index_of(uint64_t pfn, uint64_t& index) const {
  if (pfn < first_pfn_ || pfn - first_pfn_ >= count_) return false;
  index = pfn - first_pfn_;
  return entries_[index] != kNotRamEntry;
}

bool FrameTable::lookup(uint64_t pfn, FrameOwner& owner, uint16_t& partition) const {
  uint64_t i = 0;
  if (!index_of(pfn, i)) return false;
  owner = static_cast<FrameOwner>(entries_[i] >> kOwnerShift);
  partition = static_cast<uint16_t>(entries_[i] & kPartitionMask);
  return true;
}

FrameTableStatus FrameTable::move(uint64_t pfn, FrameOwner from, uint16_t from_partition,
                                  FrameOwner to, uint16_t to_partition) {
  const uint16_t partition = from == FrameOwner::kRoot ? to_partition : from_partition;
  if (partition == 0 || partition > kMaxPartitionId) return FrameTableStatus::kBadPartition;
  uint64_t i = 0;
  if (!index_of(pfn, i)) return FrameTableStatus::kNotRam;
  if (entries_[i] != entry(from, from_partition)) {
    return from == FrameOwner::kRoot ? FrameTableStatus::kNotRootOwned
                                     : FrameTableStatus::kWrongOwner;
  }
  entries_[i] = entry(to, to_partition);
  return FrameTableStatus::kOk;
}

FrameTableStatus FrameTable::deposit(uint64_t pfn, uint16_t partition) {
  return move(pfn, FrameOwner::kRoot, 0, FrameOwner::kDeposited, partition);
}

FrameTableStatus FrameTable::withdraw(uint64_t pfn, uint16_t partition) {
  return move(pfn, FrameOwner::kDeposited, partition, FrameOwner::kRoot, 0);
}

FrameTableStatus FrameTable::give_to_child(uint64_t pfn, uint16_t partition) {
  return move(pfn, FrameOwner::kRoot, 0, FrameOwner::kChild, partition);
}

FrameTableStatus FrameTable::take_from_child(uint64_t pfn, uint16_t partition) {
  return move(pfn, FrameOwner::kChild, partition, FrameOwner::kRoot, 0);
}

uint64_t FrameTable::release_partition(uint16_t partition) {
  if (partition == 0) return 0;
  uint64_t released = 0;
  for (uint64_t i = 0; i < count_; ++i) {
    if (entries_[i] == entry(FrameOwner::kDeposited, partition) ||
        entries_[i] == entry(FrameOwner::kChild, partition)) {
      entries_[i] = entry(FrameOwner::kRoot, 0);
      ++released;
    }
  }
  return released;
}

uint64_t FrameTable::count(FrameOwner owner, uint16_t partition) const {
  uint64_t n = 0;
  for (uint64_t i = 0; i < count_; ++i) {
    if (entries_[i] == kNotRamEntry) continue;
    if (static_cast<FrameOwner>(entries_[i] >> kOwnerShift) != owner) continue;
    if (partition != 0 && (entries_[i] & kPartitionMask) != partition) continue;
    ++n;
  }
  return n;
}

bool FrameTable::check_invariants() const {
  for (uint64_t i = 0; i < count_; ++i) {
    const uint16_t e = entries_[i];
    if (e == kNotRamEntry) continue;
    const auto owner = static_cast<FrameOwner>(e >> kOwnerShift);
    const uint16_t partition = e & kPartitionMask;
    const bool shared = owner == FrameOwner::kRoot || owner == FrameOwner::kHv;
    if (shared && partition != 0) return false;
    if (!shared && partition == 0) return false;
  }
  return true;
}

}  // namespace hv
