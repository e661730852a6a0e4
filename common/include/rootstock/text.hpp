// A read-only view of characters, usable in freestanding code (hv) where <string_view> is absent.
#pragma once

#include <stddef.h>

namespace rootstock {

/// A pointer and a length; does not own, need not be NUL-terminated.
struct Text {
  const char* data = nullptr;
  size_t size = 0;

  constexpr Text() = default;
  constexpr Text(const char* d, size_t n) : data(d), size(n) {}
  /// From a NUL-terminated string (nullptr gives the empty text).
  constexpr Text(const char* s) : data(s), size(0) {  // NOLINT(google-explicit-constructor)
    while (s != nullptr && s[size] != '\0') {
      ++size;
    }
  }

  [[nodiscard]] constexpr bool empty() const { return size == 0; }
  [[nodiscard]] constexpr char operator[](size_t i) const { return data[i]; }
  [[nodiscard]] constexpr Text sub(size_t pos, size_t n) const {
    if (pos > size) {
      pos = size;
    }
    if (n > size - pos) {
      n = size - pos;
    }
    return {data + pos, n};
  }
  [[nodiscard]] constexpr bool starts_with(Text p) const {
    return p.size <= size && sub(0, p.size) == p;
  }
  /// Index of the first occurrence of `needle`, or `size` when absent.
  [[nodiscard]] constexpr size_t find(Text needle) const {
    if (needle.size > size) {
      return size;
    }
    for (size_t i = 0; i + needle.size <= size; ++i) {
      if (sub(i, needle.size) == needle) {
        return i;
      }
    }
    return size;
  }
  [[nodiscard]] constexpr bool contains(Text needle) const {
    return needle.empty() || find(needle) != size;
  }

  friend constexpr bool operator==(Text a, Text b) {
    if (a.size != b.size) {
      return false;
    }
    for (size_t i = 0; i < a.size; ++i) {
      if (a.data[i] != b.data[i]) {
        return false;
      }
    }
    return true;
  }
};

}  // namespace rootstock
