// The root partition's view of physical memory: the firmware's map with hv's own ranges (its
// image with the embedded payload, and its reservation) marked reserved, so that the root
// neither uses them as RAM nor places device windows in them (DESIGN.md §2 "Root partition").
#pragma once

#include <stddef.h>

#include <rootstock/memory_map.hpp>

namespace hv::root {

/// Most ranges the root's map may hold (the e820 table in boot_params has 128 slots).
inline constexpr size_t kMaxRootRanges = 128;

/// The root's map: `firmware` (sorted, non-overlapping, as the boot-info parsers give it) with
/// every part of a usable range that `hv_ranges` covers turned into kReserved, adjacent ranges
/// of one type merged. Returns the number of ranges written to `out`, or 0 when they do not
/// fit in `capacity`.
size_t build_root_map(const rootstock::MemoryRange* firmware, size_t firmware_count,
                      const rootstock::MemoryRange* hv_ranges, size_t hv_count,
                      rootstock::MemoryRange* out, size_t capacity);

/// Whether [a, a + alen) and [b, b + blen) share a byte.
constexpr bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen) {
  return a < b + blen && b < a + alen;
}

/// Whether [base, base + length) lies wholly in kUsable ranges of `map`.
bool is_usable(const rootstock::MemoryRange* map, size_t count, uint64_t base, uint64_t length);

}  // namespace hv::root
