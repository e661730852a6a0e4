// The boot information hv works from, whichever boot protocol delivered it (PVH, Multiboot2;
// later UEFI): one normalized structure, plus the validation shared by the protocol parsers.
//
// Everything in it is copied out of boot-loader memory (which hv reuses later) into the
// structure's own fixed storage. Strings are NUL-terminated in that storage; a string that does
// not fit is an error, never cut short.
//
// The memory map is normalized as follows (the rules follow Linux's e820 sanitizing where it
// is safe and refuse where guessing would be unsafe):
//   - entries of length zero are skipped and counted (Linux does the same);
//   - types outside the e820 set are reported as kReserved and counted;
//   - an entry whose end wraps past 2^64 or lies above kMaxPhysicalAddress is rejected;
//   - entries are sorted by base; entries of the same type that overlap or touch are merged
//     into one (a hostile or sloppy map cannot make hv count RAM twice);
//   - entries of different types that overlap are rejected: hv cannot know which type is true,
//     and treating reserved memory as RAM would corrupt firmware state;
//   - more than kMaxMemoryRanges non-empty entries are rejected, as is a map with none.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "rootstock/boot/phys_reader.hpp"
#include "rootstock/memory_map.hpp"
#include "rootstock/text.hpp"

namespace rootstock::boot {

/// Most memory map entries kept (firmware maps on real machines have a few dozen).
inline constexpr size_t kMaxMemoryRanges = 128;
/// Most boot modules kept.
inline constexpr size_t kMaxModules = 8;
/// Longest boot command line, without its NUL.
inline constexpr size_t kMaxCmdline = 2047;
/// Longest command line of one boot module, without its NUL.
inline constexpr size_t kMaxModuleCmdline = 511;

/// Why boot information was rejected. describe() gives the message for the log.
enum class Status : uint32_t {
  kOk,
  kUnreadable,
  kNoMemoryMap,
  kTooManyMemoryRanges,
  kMemoryRangeWraps,
  kMemoryRangeTooHigh,
  kMemoryRangesOverlap,
  kCmdlineTooLong,
  kCmdlineUnterminated,
  kModuleCmdlineTooLong,
  kModuleCmdlineUnterminated,
  kTooManyModules,
  kModuleRangeInvalid,
  kPvhBadMagic,
  kPvhVersion0,
  kPvhModuleListMissing,
  kMb2Misaligned,
  kMb2TotalSizeInvalid,
  kMb2TagTooSmall,
  kMb2TagPastEnd,
  kMb2TagTruncated,
  kMb2DuplicateTag,
  kMb2BadEndTag,
  kMb2NoEndTag,
  kMb2MmapEntrySizeInvalid,
  kMb2ModuleEndBeforeStart,
};

/// A clear one-line message for `status` (never nullptr).
[[nodiscard]] const char* describe(Status status);

/// The protocol hv was entered through; values match BOOT_PROTOCOL_* in hv's boot_layout.h.
enum class BootProtocol : uint32_t {
  kPvh = 1,
  kMultiboot2 = 2,
};

/// One module the boot loader loaded next to hv.
struct BootModule {
  uint64_t base = 0;
  uint64_t size = 0;
  char cmdline_storage[kMaxModuleCmdline + 1] = {};
  size_t cmdline_length = 0;

  /// The module's command line (empty when none was given); points into this module.
  [[nodiscard]] Text cmdline() const { return {cmdline_storage, cmdline_length}; }
};

/// A linear framebuffer the boot loader set up, direct RGB (Multiboot2 3.6.12, framebuffer_type
/// 1): what the root's Linux needs to draw its console on it (boot_params.screen_info).
struct Framebuffer {
  bool present = false;
  uint64_t address = 0;
  uint32_t pitch = 0;  ///< bytes per line
  uint32_t width = 0;  ///< pixels
  uint32_t height = 0;
  uint8_t bpp = 0;
  uint8_t red_position = 0, red_size = 0;
  uint8_t green_position = 0, green_size = 0;
  uint8_t blue_position = 0, blue_size = 0;

  /// Bytes the visible lines span: pitch * height.
  [[nodiscard]] uint64_t bytes() const { return uint64_t{pitch} * height; }
};

/// True when `f` describes a framebuffer a kernel can use: sizes non-zero, 8 to 32 bits per
/// pixel in whole bytes, lines at least `width` pixels long, colour fields inside the pixel,
/// and the whole of it below 2^52 without wrapping.
[[nodiscard]] bool framebuffer_valid(const Framebuffer& f);

/// Everything hv takes from its boot loader. Self-contained: strings are views into its own
/// storage through accessors, so a copy of it stays valid (a stored Text would point into
/// the original).
struct BootInfo {
  BootProtocol protocol = BootProtocol::kPvh;

  /// Sorted by base, disjoint, no zero lengths; same-type neighbours merged.
  MemoryRange memory[kMaxMemoryRanges] = {};
  size_t memory_count = 0;
  /// Zero-length entries the boot loader gave and the map leaves out.
  size_t memory_skipped_empty = 0;
  /// Entries whose type was not an e820 type and are kept as kReserved.
  size_t memory_unknown_types = 0;

  char cmdline_storage[kMaxCmdline + 1] = {};
  size_t cmdline_length = 0;

  BootModule modules[kMaxModules] = {};
  size_t module_count = 0;

  /// Physical address of the ACPI RSDP, 0 when the boot loader gave none.
  uint64_t rsdp = 0;

  /// The boot loader's framebuffer; not present when it gave none, or none framebuffer_valid().
  Framebuffer framebuffer;

  /// After a failed parse: physical address of the structure that was rejected (0 when the
  /// failure is not about one place).
  uint64_t error_paddr = 0;

  /// The boot command line (empty when none was given).
  [[nodiscard]] Text cmdline() const { return {cmdline_storage, cmdline_length}; }

  /// Empties everything and records `p`; parsers start with this.
  void reset(BootProtocol p);
};

/// Total length of the kUsable ranges.
[[nodiscard]] uint64_t usable_bytes(const BootInfo& info);

// ---- For the protocol parsers ------------------------------------------------------------

/// The MemoryType for an e820-style type number (ACPI 6.5, 15.1; the PVH memmap and the
/// Multiboot2 mmap use the same numbers). Unknown numbers give kReserved and set `known` false.
[[nodiscard]] MemoryType memory_type_from_e820(uint32_t raw, bool& known);

/// Validates one raw entry and appends it unsorted; zero-length entries are counted and
/// skipped. Call normalize_memory() after the last one.
[[nodiscard]] Status add_memory_range(BootInfo& info, uint64_t base, uint64_t length,
                                      uint32_t raw_type);

/// Sorts the appended entries, merges same-type overlaps and neighbours, rejects overlaps of
/// different types and an empty map.
[[nodiscard]] Status normalize_memory(BootInfo& info);

/// Copies the NUL-terminated string at `paddr` into `out` (capacity `out_size`, NUL included),
/// reading at most `limit` bytes of physical memory, one byte at a time so that nothing past
/// the NUL is touched. Returns kOk, kUnreadable, `unterminated` when no NUL lies within
/// `limit` bytes (limit < out_size), or `too_long` when none lies within `out_size` bytes.
[[nodiscard]] Status read_c_string(const PhysReader& reader, uint64_t paddr, uint64_t limit,
                                   char* out, size_t out_size, size_t& length, Status too_long,
                                   Status unterminated);

/// Checks a module's range: no wrap, not above kMaxPhysicalAddress.
[[nodiscard]] bool module_range_valid(uint64_t base, uint64_t size);

}  // namespace rootstock::boot
