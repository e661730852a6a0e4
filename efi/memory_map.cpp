#include "memory_map.hpp"

#include "load_at.hpp"

namespace rootstock::efi {
namespace {

using rootstock::MemoryRange;
using E820 = rootstock::MemoryType;

// Inserts [base, end) of `type` into the sorted, disjoint ranges out[0, count), merging it with
// every range of its type it overlaps or touches. A range of another type that overlaps is a
// refusal; one that only touches stays apart.
MapStatus insert(MemoryRange* out, size_t capacity, size_t& count, uint64_t base, uint64_t end,
                 E820 type) {
  size_t first = 0;  // the first range that ends at or after `base`
  while (first < count && out[first].end() < base) ++first;
  size_t last = first;  // one past the last range that starts at or before `end`
  while (last < count && out[last].base <= end) {
    const MemoryRange& r = out[last];
    const bool overlaps = r.base < end && base < r.end();
    if (r.type != type && overlaps) return MapStatus::kRangesOverlap;
    ++last;
  }
  // Of [first, last), merge the ranges of this type; ranges of other types there only touch
  // and sit at the two ends (one before `base`, one after `end`).
  size_t merge_from = first;
  size_t merge_to = last;
  while (merge_from < merge_to && out[merge_from].type != type) ++merge_from;
  while (merge_to > merge_from && out[merge_to - 1].type != type) --merge_to;
  if (merge_from < merge_to) {
    if (out[merge_from].base < base) base = out[merge_from].base;
    if (out[merge_to - 1].end() > end) end = out[merge_to - 1].end();
  }
  // Replace out[merge_from, merge_to) by the one new range; with nothing to merge, it goes
  // after a range of another type that touches it on the left, before one on the right.
  const size_t removed = merge_to - merge_from;
  if (removed == 0 && count == capacity) return MapStatus::kTooManyRanges;
  if (removed == 0) {
    merge_from = first;
    while (merge_from < last && out[merge_from].base < base) ++merge_from;
    for (size_t i = count; i > merge_from; --i) out[i] = out[i - 1];
    ++count;
  } else {
    for (size_t i = merge_from + 1; i + (removed - 1) < count; ++i) out[i] = out[i + removed - 1];
    count -= removed - 1;
  }
  out[merge_from] = {base, end - base, type};
  return MapStatus::kOk;
}

}  // namespace

const char* describe(MapStatus status) {
  switch (status) {
    case MapStatus::kOk:
      return "ok";
    case MapStatus::kDescriptorSizeInvalid:
      return "the memory map's descriptor size is smaller than a descriptor, not a multiple of "
             "8 or absurdly large";
    case MapStatus::kMapSizeInvalid:
      return "the memory map's size is not a whole number of descriptors";
    case MapStatus::kTooManyDescriptors:
      return "the memory map has more descriptors than the loader accepts";
    case MapStatus::kMisaligned:
      return "a memory map descriptor does not start on a 4 KiB page";
    case MapStatus::kRangeWraps:
      return "a memory map descriptor's end wraps past 2^64";
    case MapStatus::kRangeTooHigh:
      return "a memory map descriptor reaches past 2^52, beyond any x86-64 physical address";
    case MapStatus::kRangesOverlap:
      return "memory map descriptors of different types overlap";
    case MapStatus::kTooManyRanges:
      return "the memory map has more distinct ranges than the loader can pass on";
    case MapStatus::kNoUsableMemory:
      return "the memory map has no usable RAM";
  }
  return "unknown memory map status";
}

E820 e820_type(uint32_t uefi_type, uint64_t attribute) {
  switch (static_cast<EfiMemoryType>(uefi_type)) {
    case EfiMemoryType::kLoaderCode:
    case EfiMemoryType::kLoaderData:
    case EfiMemoryType::kBootServicesCode:
    case EfiMemoryType::kBootServicesData:
    case EfiMemoryType::kConventionalMemory:
      return (attribute & memory_attribute::kSpecificPurpose) != 0 ? E820::kReserved
                                                                   : E820::kUsable;
    case EfiMemoryType::kAcpiReclaimMemory:
      return E820::kAcpiReclaimable;
    case EfiMemoryType::kAcpiMemoryNvs:
      return E820::kAcpiNvs;
    case EfiMemoryType::kUnusableMemory:
      return E820::kUnusable;
    case EfiMemoryType::kPersistentMemory:
      return E820::kPersistent;
    default:
      return E820::kReserved;
  }
}

MapStatus convert_memory_map(const void* map, uint64_t map_size, uint64_t descriptor_size,
                             MemoryRange* out, size_t capacity, size_t& count, MapError& error) {
  count = 0;
  error = {};
  if (descriptor_size < kMinDescriptorSize || descriptor_size % 8 != 0 ||
      descriptor_size > kMaxDescriptorSize) {
    return MapStatus::kDescriptorSizeInvalid;
  }
  if (map_size % descriptor_size != 0) return MapStatus::kMapSizeInvalid;
  const uint64_t n = map_size / descriptor_size;
  if (n > kMaxDescriptors) return MapStatus::kTooManyDescriptors;

  const auto* bytes = static_cast<const uint8_t*>(map);
  bool usable = false;
  for (uint64_t i = 0; i < n; ++i) {
    error.index = i;
    const auto d = load_at<MemoryDescriptor>(bytes, i * descriptor_size);

    if (d.number_of_pages == 0) continue;
    if (d.physical_start % kPageSize != 0) return MapStatus::kMisaligned;
    if (d.number_of_pages > (UINT64_MAX - d.physical_start) / kPageSize) {
      return MapStatus::kRangeWraps;
    }
    const uint64_t end = d.physical_start + d.number_of_pages * kPageSize;
    if (end > rootstock::kMaxPhysicalAddress) return MapStatus::kRangeTooHigh;
    const E820 type = e820_type(d.type, d.attribute);
    usable = usable || type == E820::kUsable;
    if (const MapStatus s = insert(out, capacity, count, d.physical_start, end, type);
        s != MapStatus::kOk) {
      return s;
    }
  }
  if (!usable) return MapStatus::kNoUsableMemory;
  error = {};
  return MapStatus::kOk;
}

}  // namespace rootstock::efi
