#include "boot/build_id.hpp"

namespace hv {
namespace {

constexpr uint32_t kNtGnuBuildId = 3;  // elf.h, NT_GNU_BUILD_ID
constexpr uint8_t kGnuOwner[4] = {'G', 'N', 'U', '\0'};
constexpr size_t kNoteHeaderBytes = 12;

uint32_t read_u32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

constexpr size_t align4(size_t n) {
  return (n + 3) & ~size_t{3};
}

ShortBuildId none() {
  return ShortBuildId{{'n', 'o', 'n', 'e', '\0'}};
}

}  // namespace

ShortBuildId short_build_id(const uint8_t* note, size_t size) {
  if (note == nullptr || size < kNoteHeaderBytes) return none();
  const uint32_t name_size = read_u32(note);
  const uint32_t desc_size = read_u32(note + 4);
  const uint32_t type = read_u32(note + 8);
  if (type != kNtGnuBuildId || name_size != sizeof(kGnuOwner)) return none();
  const size_t desc_offset = kNoteHeaderBytes + align4(name_size);
  if (desc_size < kShortBuildIdBytes || desc_size > size || desc_offset > size - desc_size) {
    return none();
  }
  for (size_t i = 0; i < sizeof(kGnuOwner); ++i) {
    if (note[kNoteHeaderBytes + i] != kGnuOwner[i]) return none();
  }
  constexpr char kDigits[] = "0123456789abcdef";
  ShortBuildId id{};
  for (size_t i = 0; i < kShortBuildIdBytes; ++i) {
    const uint8_t b = note[desc_offset + i];
    id.text[2 * i] = kDigits[b >> 4];
    id.text[2 * i + 1] = kDigits[b & 0xf];
  }
  id.text[2 * kShortBuildIdBytes] = '\0';
  return id;
}

}  // namespace hv
