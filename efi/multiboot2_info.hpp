// The Multiboot2 boot information (Multiboot2 1.0, 3.6) the loader hands hv, built in a buffer
// the loader allocated: the tags hv's own parser reads (rootstock/boot/multiboot2.hpp), so
// that hv continues exactly as it does after GRUB.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <rootstock/boot/boot_info.hpp>
#include <rootstock/memory_map.hpp>
#include <rootstock/text.hpp>

namespace rootstock::efi {

/// One boot module: hv takes a module holding a bzImage as the root's kernel and any other as
/// its initramfs (hv/root/payload.hpp).
struct Module {
  uint64_t base = 0;  ///< below 4 GiB: the tag's fields are 32 bits
  uint64_t size = 0;
  Text name;  ///< the module's string
};

/// Everything the boot information says.
struct InfoInputs {
  Text cmdline;      ///< hv's command line (3.6.5)
  Text loader_name;  ///< 3.6.9
  const Module* modules = nullptr;
  size_t module_count = 0;
  const MemoryRange* memory = nullptr;  ///< sorted, disjoint (3.6.8)
  size_t memory_count = 0;
  /// A copy of the RSDP (3.6.16/3.6.17): `rsdp_size` bytes, 20 for ACPI 1.0 (the old tag), the
  /// RSDP's own length for 2.0 and later (the new tag).
  const uint8_t* rsdp = nullptr;
  size_t rsdp_size = 0;
  const boot::Framebuffer* framebuffer = nullptr;  ///< nullptr, or not present: no tag
};

/// Why the boot information could not be built.
enum class InfoStatus : uint32_t {
  kOk,
  kBufferMisaligned,
  kBufferTooSmall,
  kModuleAbove4GiB,
  kRsdpSizeInvalid,
  kTooManyMemoryRanges,  ///< more than hv's parser accepts (boot::kMaxMemoryRanges)
};

/// A clear one-line message for `status` (never nullptr).
[[nodiscard]] const char* describe(InfoStatus status);

/// Writes the boot information for `in` to `buffer` (8-byte aligned, `capacity` bytes);
/// `size` is its total_size. Strings are copied with their NUL; nothing is written past
/// capacity.
[[nodiscard]] InfoStatus build_multiboot2_info(const InfoInputs& in, void* buffer, size_t capacity,
                                               size_t& size);

}  // namespace rootstock::efi
