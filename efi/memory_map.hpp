// The firmware's memory map (UEFI 2.10, 7.2.3 GetMemoryMap) turned into the e820 map a
// Multiboot2 mmap tag carries (Multiboot2 1.0, 3.6.8), for the moment after ExitBootServices:
// what the boot services held is free RAM then, what the runtime services and ACPI hold is not.
//
// Types, as Linux's EFI stub maps them for its own e820 table (arch/x86/boot/compressed and
// drivers/firmware/efi/libstub):
//   LoaderCode/Data, BootServicesCode/Data, ConventionalMemory  -> usable (1)
//     ... unless the descriptor has EFI_MEMORY_SP (specific-purpose)    -> reserved (2)
//   ACPIReclaimMemory -> ACPI (3); ACPIMemoryNVS -> NVS (4); UnusableMemory -> unusable (5);
//   PersistentMemory -> persistent (7);
//   Reserved, RuntimeServicesCode/Data, MemoryMappedIO(PortSpace), PalCode, UnacceptedMemory
//   (which a confidential guest must accept first; hv cannot run there) and any type the
//   specification does not define -> reserved (2).
//
// The firmware's map is input that may be odd: descriptors of length zero are skipped; a
// descriptor not 4 KiB aligned, one whose end wraps or lies above 2^52, and descriptors of
// different types that overlap are refused (which is true is unknowable); same-type neighbours
// and overlaps merge, so that a fragmented map (OVMF gives ~60 entries) fits hv's limit.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <rootstock/memory_map.hpp>

#include "uefi_types.hpp"

namespace rootstock::efi {

/// Smallest DescriptorSize accepted (version 1's structure) and the largest (a sanity bound:
/// the specification only ever appended a few fields).
inline constexpr uint64_t kMinDescriptorSize = sizeof(MemoryDescriptor);
inline constexpr uint64_t kMaxDescriptorSize = 1024;
/// Most descriptors accepted in one map (real maps have tens to a few hundred).
inline constexpr uint64_t kMaxDescriptors = 8192;

/// Why a map was refused. describe() gives the message.
enum class MapStatus : uint32_t {
  kOk,
  kDescriptorSizeInvalid,
  kMapSizeInvalid,
  kTooManyDescriptors,
  kMisaligned,
  kRangeWraps,
  kRangeTooHigh,
  kRangesOverlap,
  kTooManyRanges,
  kNoUsableMemory,
};

/// A clear one-line message for `status` (never nullptr).
[[nodiscard]] const char* describe(MapStatus status);

/// The e820 type for one descriptor (the table above).
[[nodiscard]] rootstock::MemoryType e820_type(uint32_t uefi_type, uint64_t attribute);

/// Where a refusal was found: the descriptor's index in the firmware's map.
struct MapError {
  uint64_t index = 0;
};

/// Converts `map_size` bytes of descriptors, `descriptor_size` apart, into `out` (capacity
/// `capacity`): sorted by base, disjoint, same-type neighbours merged. `count` is the number
/// of ranges written. On failure `error` names the descriptor.
[[nodiscard]] MapStatus convert_memory_map(const void* map, uint64_t map_size,
                                           uint64_t descriptor_size, MemoryRange* out,
                                           size_t capacity, size_t& count, MapError& error);

}  // namespace rootstock::efi
