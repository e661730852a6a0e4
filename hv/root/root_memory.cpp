#include "root/root_memory.hpp"

namespace hv::root {
namespace {

using rootstock::MemoryRange;
using rootstock::MemoryType;

// Appends a range, merging it into the previous one when they touch and share a type.
bool append(MemoryRange* out, size_t capacity, size_t& n, MemoryRange r) {
  if (r.length == 0) return true;
  if (n > 0 && out[n - 1].type == r.type && out[n - 1].end() == r.base) {
    out[n - 1].length += r.length;
    return true;
  }
  if (n == capacity) return false;
  out[n++] = r;
  return true;
}

// The hv range that overlaps [pos, end) and starts first, or nullptr.
const MemoryRange* first_overlap(const MemoryRange* hv, size_t count, uint64_t pos, uint64_t end) {
  const MemoryRange* best = nullptr;
  for (size_t i = 0; i < count; ++i) {
    const uint64_t b = hv[i].base, e = hv[i].end();
    if (hv[i].length == 0 || e <= pos || b >= end) continue;
    if (best == nullptr || b < best->base) best = &hv[i];
  }
  return best;
}

}  // namespace

size_t build_root_map(const MemoryRange* firmware, size_t firmware_count,
                      const MemoryRange* hv_ranges, size_t hv_count, MemoryRange* out,
                      size_t capacity) {
  size_t n = 0;
  for (size_t i = 0; i < firmware_count; ++i) {
    const MemoryRange& f = firmware[i];
    if (f.type != MemoryType::kUsable) {
      if (!append(out, capacity, n, f)) return 0;
      continue;
    }
    // Walk the usable range, cutting out every piece an hv range covers.
    uint64_t pos = f.base;
    while (pos < f.end()) {
      const MemoryRange* h = first_overlap(hv_ranges, hv_count, pos, f.end());
      if (h == nullptr) {
        if (!append(out, capacity, n, {pos, f.end() - pos, MemoryType::kUsable})) return 0;
        break;
      }
      const uint64_t cut_start = h->base > pos ? h->base : pos;
      const uint64_t cut_end = h->end() < f.end() ? h->end() : f.end();
      if (!append(out, capacity, n, {pos, cut_start - pos, MemoryType::kUsable}) ||
          !append(out, capacity, n, {cut_start, cut_end - cut_start, MemoryType::kReserved})) {
        return 0;
      }
      pos = cut_end;
    }
  }
  return n;
}

bool is_usable(const MemoryRange* map, size_t count, uint64_t base, uint64_t length) {
  if (length == 0 || base + length < base) return false;
  uint64_t pos = base;
  const uint64_t end = base + length;
  // The map is sorted: a run of touching usable ranges must cover [base, end).
  for (size_t i = 0; i < count && pos < end; ++i) {
    const MemoryRange& r = map[i];
    if (r.type != MemoryType::kUsable || r.end() <= pos) continue;
    if (r.base > pos) return false;
    pos = r.end();
  }
  return pos >= end;
}

}  // namespace hv::root
