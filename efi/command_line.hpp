// hv's command line from what the loader carries and what it was started with. The loaded
// image's LoadOptions (UEFI 2.10, 9.1) are the shell's command line when started from the UEFI
// shell (UCS-2, the image's own path first) and a boot option's OptionalData when started by the
// boot manager: that may be anything, text or not. Only plain printable ASCII text becomes
// command-line words; anything else is refused with a reason, which the loader reports and then
// boots without (a boot entry's binary data must not stop the machine from booting).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <rootstock/text.hpp>

namespace rootstock::efi {

/// What became of the load options.
enum class OptionsStatus : uint32_t {
  kOk,       ///< `out` holds the words (possibly none)
  kOddSize,  ///< not a whole number of UCS-2 characters
  kNotText,  ///< a character outside printable ASCII before the end
  kTooLong,  ///< more text than `out` holds
};

/// A clear one-line message for `status` (never nullptr).
[[nodiscard]] const char* describe(OptionsStatus status);

/// Converts `size` bytes of UCS-2 at `options` (up to the first NUL) to ASCII in `out`
/// (capacity `capacity`, NUL included): tabs become spaces; a first word ending in ".efi" (any
/// case) is the image's path as the shell passes it and is dropped; leading and trailing
/// spaces go. `length` excludes the NUL; on failure it is 0 and out is "".
[[nodiscard]] OptionsStatus options_to_ascii(const void* options, uint64_t size, char* out,
                                             size_t capacity, size_t& length);

/// Writes `first`, a space when both are non-empty, then `second` (NUL-terminated) to `out`.
/// False when that does not fit `capacity` bytes with the NUL.
[[nodiscard]] bool join_words(Text first, Text second, char* out, size_t capacity, size_t& length);

/// The embedded command line as carried: its bytes up to the first NUL, without trailing white
/// space (a text file's newline).
[[nodiscard]] Text embedded_text(const uint8_t* data, size_t size);

}  // namespace rootstock::efi
