// UTF-8 and UTF-16 as The Unicode Standard 15.0, 3.9 defines them (Table 3-7, the well-formed
// UTF-8 byte sequences; D91, surrogate pairs).
#include "image/gpt/partition_name.hpp"

#include <stdint.h>

namespace rootstock::gpt {
namespace {

constexpr char32_t kReplacement = 0xFFFD;
constexpr char32_t kMaxCodePoint = 0x10FFFF;
constexpr char32_t kSurrogateFirst = 0xD800;
constexpr char32_t kLowSurrogateFirst = 0xDC00;
constexpr char32_t kSurrogateLast = 0xDFFF;
constexpr char32_t kSupplementaryFirst = 0x10000;
constexpr unsigned kSurrogateBits = 10;
constexpr char32_t kSurrogateMask = 0x3FF;

bool is_surrogate(char32_t c) {
  return c >= kSurrogateFirst && c <= kSurrogateLast;
}

// The code point at `s[i]`, advancing `i`; nullopt for anything Table 3-7 does not allow
// (overlong forms, surrogates, past U+10FFFF, truncated sequences).
std::optional<char32_t> next_code_point(std::string_view s, size_t& i) {
  auto byte = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  uint8_t lead = byte(i);
  size_t extra = 0;
  char32_t c = 0;
  char32_t min = 0;
  if (lead < 0x80) {
    ++i;
    return lead;
  } else if ((lead & 0xE0) == 0xC0) {
    extra = 1, c = lead & 0x1Fu, min = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    extra = 2, c = lead & 0x0Fu, min = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    extra = 3, c = lead & 0x07u, min = kSupplementaryFirst;
  } else {
    return std::nullopt;
  }
  if (s.size() - i <= extra) return std::nullopt;
  for (size_t k = 1; k <= extra; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return std::nullopt;
    c = (c << 6) | (byte(i + k) & 0x3Fu);
  }
  if (c < min || c > kMaxCodePoint || is_surrogate(c)) return std::nullopt;
  i += extra + 1;
  return c;
}

void append_utf8(std::string& out, char32_t c) {
  auto put = [&](char32_t v) { out += static_cast<char>(v); };
  if (c < 0x80) {
    put(c);
  } else if (c < 0x800) {
    put(0xC0 | (c >> 6)), put(0x80 | (c & 0x3F));
  } else if (c < kSupplementaryFirst) {
    put(0xE0 | (c >> 12)), put(0x80 | ((c >> 6) & 0x3F)), put(0x80 | (c & 0x3F));
  } else {
    put(0xF0 | (c >> 18)), put(0x80 | ((c >> 12) & 0x3F)), put(0x80 | ((c >> 6) & 0x3F));
    put(0x80 | (c & 0x3F));
  }
}

}  // namespace

std::optional<PartitionNameUnits> encode_partition_name(std::string_view name) {
  PartitionNameUnits units{};
  size_t n = 0;
  auto push = [&](char32_t u) {
    if (n == units.size()) return false;
    units[n++] = static_cast<char16_t>(u);
    return true;
  };
  for (size_t i = 0; i < name.size();) {
    auto c = next_code_point(name, i);
    if (!c || *c == 0) return std::nullopt;
    if (*c < kSupplementaryFirst) {
      if (!push(*c)) return std::nullopt;
    } else {
      char32_t v = *c - kSupplementaryFirst;
      if (!push(kSurrogateFirst + (v >> kSurrogateBits)) ||
          !push(kLowSurrogateFirst + (v & kSurrogateMask))) {
        return std::nullopt;
      }
    }
  }
  return units;
}

std::string decode_partition_name(std::span<const char16_t, kPartitionNameUnits> units) {
  std::string out;
  for (size_t i = 0; i < units.size() && units[i] != 0; ++i) {
    char32_t c = units[i];
    bool high = c >= kSurrogateFirst && c < kLowSurrogateFirst;
    if (high && i + 1 < units.size() && units[i + 1] >= kLowSurrogateFirst &&
        units[i + 1] <= kSurrogateLast) {
      c = kSupplementaryFirst + ((c - kSurrogateFirst) << kSurrogateBits) +
          (units[i + 1] - kLowSurrogateFirst);
      ++i;
    } else if (is_surrogate(c)) {
      c = kReplacement;
    }
    append_utf8(out, c);
  }
  return out;
}

}  // namespace rootstock::gpt
