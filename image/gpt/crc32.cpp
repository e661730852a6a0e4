#include "image/gpt/crc32.hpp"

#include <array>

namespace rootstock::gpt {
namespace {

/// 0x04C11DB7 with its bits reversed: the reflected form processes the low bit first.
constexpr uint32_t kReflectedPolynomial = 0xEDB88320;
constexpr uint32_t kAllOnes = 0xFFFFFFFF;

constexpr std::array<uint32_t, 256> make_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < table.size(); ++i) {
    uint32_t c = i;
    for (int bit = 0; bit < 8; ++bit) c = (c & 1) != 0 ? kReflectedPolynomial ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}

constexpr std::array<uint32_t, 256> kTable = make_table();

}  // namespace

uint32_t crc32(std::span<const uint8_t> bytes) {
  uint32_t c = kAllOnes;
  for (uint8_t b : bytes) c = kTable[(c ^ b) & 0xFF] ^ (c >> 8);
  return c ^ kAllOnes;
}

}  // namespace rootstock::gpt
