// What the fuzzers share for reading their input and failing (README.md): the input consumed
// from the front, bytes past its end reading as 0, and check(), whose failure is the
// __builtin_trap() libFuzzer reports as a crash with the input that caused it.
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <algorithm>
#include <span>

namespace rootstock::fuzz {

/// A violated check: libFuzzer's crash.
inline void check(bool ok) {
  if (!ok) __builtin_trap();
}

/// The input, consumed from the front; bytes past its end read as 0.
struct Input {
  const uint8_t* at;
  const uint8_t* end;

  template <typename T>
  T take() {
    T value{};
    const size_t n = std::min<size_t>(sizeof(T), left());
    memcpy(&value, at, n);
    at += n;
    return value;
  }
  /// The next `n` bytes, or as many as are left.
  std::span<const uint8_t> take_bytes(size_t n) {
    const std::span<const uint8_t> bytes(at, std::min(n, left()));
    at += bytes.size();
    return bytes;
  }
  /// The next `length` bytes as an input of their own (as many as are left).
  Input split(size_t length) {
    const auto part = take_bytes(length);
    return {part.data(), part.data() + part.size()};
  }
  [[nodiscard]] size_t left() const { return static_cast<size_t>(end - at); }
  [[nodiscard]] bool done() const { return at == end; }
};

/// Input::take() for a fuzzer that walks its input with a pointer pair.
template <typename T>
T take(const uint8_t*& at, const uint8_t* end) {
  Input in{at, end};
  const T value = in.template take<T>();
  at = in.at;
  return value;
}

}  // namespace rootstock::fuzz
