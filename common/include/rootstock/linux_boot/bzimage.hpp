// A Linux bzImage as the 64-bit boot protocol loads it (boot.rst, "The Real-Mode Kernel Header",
// "Loading The Rest of The Kernel", "64-bit Boot Protocol"): the image is untrusted input, so
// every length and offset it gives is checked before use and no byte outside it is read.
//
// Accepted: protocol 2.12 or newer, a bzImage (LOADED_HIGH), the 64-bit entry (XLF_KERNEL_64),
// relocatable, a power-of-two kernel_alignment, init_size and cmdline_size given, the setup
// part, the protected-mode part and its payload inside the file.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "rootstock/linux_boot/boot_params.hpp"

namespace rootstock::linux_boot {

/// Why an image, a zero page or a load address was refused; kOk when not. describe() gives the
/// sentence for the log.
enum class Status : uint8_t {
  kOk,
  // parse_bzimage
  kImageTooSmall,
  kBadBootFlag,
  kBadMagic,
  kProtocolTooOld,
  kNotBzImage,
  kHeaderTooShort,
  kHeaderTooLong,
  kHeaderTruncated,
  kBadSetupSects,
  kSetupTruncated,
  kKernelTruncated,
  kNoPayload,
  kPayloadOutsideImage,
  kNo64BitEntry,
  kNotRelocatable,
  kBadKernelAlignment,
  kNoInitSize,
  kInitSizeTooSmall,
  kNoCmdlineSize,
  kBadPrefAddress,
  // choose_load_address
  kNoRoomForKernel,
  // build_zero_page
  kImageNotParsed,
  kKernelMisaligned,
  kKernelBelowPrefAddress,
  kKernelNotInRam,
  kKernelAbove4G,
  kCmdlineMissing,
  kCmdlineTooLong,
  kCmdlineRangeInvalid,
  kCmdlineAbove4G,
  kInitrdRangeInvalid,
  kInitrdMisaligned,
  kInitrdAboveMax,
  kZeroPageRangeInvalid,
  kZeroPageAbove4G,
  kPlacementsOverlap,
  kTooManyMemoryRanges,
  kMemoryRangeInvalid,
  kMemoryMapUnsorted,
  kMemoryTypeUnknown,
  kNoUsableMemory,
};

/// One sentence saying what was wrong (never nullptr), e.g. for "linux: <describe(s)>".
[[nodiscard]] const char* describe(Status s);

/// What a loader needs to know about a parsed bzImage.
struct BzImage {
  /// The image's setup header; fields past header_size are zero.
  SetupHeader header{};
  /// Header bytes past kernel_info_offset that a protocol newer than 2.15 may declare.
  uint8_t header_tail[kSetupHeaderTailSize] = {};
  /// Bytes of setup header the image declares: 0x202 + the byte at 0x201 - 0x1f1. The zero
  /// page gets exactly these (boot.rst, "64-bit Boot Protocol").
  size_t header_size = 0;

  /// Where the protected-mode kernel starts in the image: (setup_sects + 1) * 512.
  size_t kernel_offset = 0;
  /// Its length: the rest of the file.
  size_t kernel_size = 0;

  uint16_t version = 0;           ///< protocol version, e.g. 0x020f for 2.15
  uint32_t kernel_alignment = 0;  ///< load alignment, a power of two
  uint64_t pref_address = 0;      ///< the kernel runs from here when loaded below it
  uint32_t init_size = 0;         ///< bytes the kernel needs from its runtime start
  bool relocatable = false;
  bool entry64 = false;          ///< XLF_KERNEL_64: entry at load address + 0x200
  uint32_t cmdline_size = 0;     ///< longest command line, without its NUL
  uint32_t initrd_addr_max = 0;  ///< highest byte address an initrd may occupy
  uint16_t xloadflags = 0;

  /// XLF_CAN_BE_LOADED_ABOVE_4G: kernel, zero page, command line and initrd may lie above 4 GiB.
  [[nodiscard]] bool can_load_above_4g() const {
    return (xloadflags & xloadflags::kCanBeLoadedAbove4G) != 0;
  }
  /// Bytes to reserve at the load address: init_size, or the file's kernel part if larger.
  [[nodiscard]] uint64_t footprint() const {
    return init_size > kernel_size ? uint64_t{init_size} : uint64_t{kernel_size};
  }
  /// The 64-bit entry point for a kernel loaded at `load_address`.
  [[nodiscard]] static uint64_t entry_point(uint64_t load_address) {
    return load_address + kEntry64Offset;
  }
};

/// Parses and validates the bzImage in image[0, size) into `out` (reset first); on failure
/// `out` holds what was read so far. The kernel to load is image[out.kernel_offset, +kernel_size).
[[nodiscard]] Status parse_bzimage(const uint8_t* image, size_t size, BzImage& out);

}  // namespace rootstock::linux_boot
