// hv's short build id, printed in hv-ready as `build=` (docs/milestones.md). It is the start of
// the GNU build ID that ld.lld writes with --build-id=sha1 (cmake/toolchain-hv.cmake): a SHA-1
// of the linked image taken with the note's own bytes zeroed, so it follows everything the image
// holds (hv, and in rootstock.elf the root's kernel, initramfs and command line) and hv never
// depends on itself. arch/x86/linker.ld keeps the note in the loaded image; `readelf -n` on
// the image shows the whole id, and build/manifest.json records it.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace hv {

/// Bytes of the build ID that hv prints: 6 (12 hex digits) tell builds apart on a console.
inline constexpr size_t kShortBuildIdBytes = 6;

/// The short build id as NUL-terminated lower-case hex, or "none".
struct ShortBuildId {
  char text[2 * kShortBuildIdBytes + 1];
};

/// Reads the ELF note at `note` (`size` bytes; gABI "Note Section": namesz, descsz and type as
/// 32-bit words, then the name and the descriptor, each padded to 4 bytes). For a GNU build ID
/// (owner "GNU", type NT_GNU_BUILD_ID) of at least kShortBuildIdBytes bytes, returns its first
/// bytes as hex; for anything else, "none".
[[nodiscard]] ShortBuildId short_build_id(const uint8_t* note, size_t size);

}  // namespace hv
