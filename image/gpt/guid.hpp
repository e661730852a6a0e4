// GUIDs as GPT stores them (UEFI 2.10, Appendix A "GUID and Time Formats"): 16 bytes whose
// first three fields (Data1 32-bit, Data2 and Data3 16-bit) are little-endian and whose last
// eight bytes are in text order, so "C12A7328-F81F-11D2-BA4B-00A0C93EC93B" is stored as
// 28 73 2A C1 1F F8 D2 11 BA 4B 00 A0 C9 3E C9 3B.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <array>
#include <compare>
#include <optional>
#include <string>
#include <string_view>

namespace rootstock::gpt {

/// A GUID in its on-disk byte order; trivially copyable, so it sits in the on-disk structures.
struct Guid {
  std::array<uint8_t, 16> bytes{};

  /// The all-zero GUID: an unused partition entry's type (UEFI 2.10, 5.3.3, Table 5.7).
  [[nodiscard]] constexpr bool is_nil() const {
    for (uint8_t b : bytes) {
      if (b != 0) return false;
    }
    return true;
  }
  /// The registry form, upper case: "C12A7328-F81F-11D2-BA4B-00A0C93EC93B".
  [[nodiscard]] std::string text() const;
  auto operator<=>(const Guid&) const = default;
};
static_assert(sizeof(Guid) == 16 && alignof(Guid) == 1);

namespace guid_detail {
/// For each byte of the text form, in text order, its index in the stored bytes.
inline constexpr std::array<uint8_t, 16> kStoredIndex = {3, 2, 1,  0,  5,  4,  7,  6,
                                                         8, 9, 10, 11, 12, 13, 14, 15};
/// Where the text form has its four hyphens.
inline constexpr std::array<size_t, 4> kHyphens = {8, 13, 18, 23};
inline constexpr size_t kTextLength = 36;

constexpr int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
/// Not constexpr and never defined: reaching it in guid() makes a bad literal a compile error.
void invalid_guid_text();
}  // namespace guid_detail

/// The registry form (either case, no braces) into a GUID; nullopt for anything else.
[[nodiscard]] constexpr std::optional<Guid> parse_guid(std::string_view text) {
  using namespace guid_detail;
  if (text.size() != kTextLength) return std::nullopt;
  Guid g;
  size_t pos = 0;
  size_t hyphen = 0;
  for (size_t k = 0; k < g.bytes.size(); ++k) {
    if (hyphen < kHyphens.size() && pos == kHyphens[hyphen]) {
      if (text[pos] != '-') return std::nullopt;
      ++pos;
      ++hyphen;
    }
    int hi = hex_digit(text[pos]);
    int lo = hex_digit(text[pos + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    g.bytes[kStoredIndex[k]] = static_cast<uint8_t>(hi * 16 + lo);
    pos += 2;
  }
  return g;
}

/// A GUID written in the source as text; a malformed one does not compile.
consteval Guid guid(std::string_view text) {
  auto g = parse_guid(text);
  if (!g) guid_detail::invalid_guid_text();
  return *g;
}

/// EFI System Partition (UEFI 2.10, 5.3.3, Table 5.7).
inline constexpr Guid kEfiSystemPartitionType = guid("C12A7328-F81F-11D2-BA4B-00A0C93EC93B");
/// Linux filesystem data (the Discoverable Partitions Specification's generic Linux data
/// partition; what sfdisk and gdisk call "Linux filesystem").
inline constexpr Guid kLinuxFilesystemType = guid("0FC63DAF-8483-4772-8E79-3D69D8477DE4");

}  // namespace rootstock::gpt
