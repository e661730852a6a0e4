// Reading a plain layout out of bytes that need not be aligned for it (a PE or ELF file, the
// firmware's memory map): copied byte by byte, never through a cast pointer.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace rootstock::efi {

/// The T at `offset` in `bytes`; the caller has checked that sizeof(T) bytes are there.
template <typename T>
[[nodiscard]] T load_at(const uint8_t* bytes, uint64_t offset) {
  static_assert(__is_trivially_copyable(T), "load_at reads plain layouts only");
  T v;
  auto* dst = reinterpret_cast<uint8_t*>(&v);
  for (size_t i = 0; i < sizeof(T); ++i) dst[i] = bytes[offset + i];
  return v;
}

}  // namespace rootstock::efi
