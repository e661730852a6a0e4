#include "selftest/payloads/memory_pattern.hpp"

#include <cstring>
#include <string>

#include "selftest/payloads/test_device.h"

namespace rootstock::selftest::payloads {

uint32_t payload_checksum(std::span<const uint8_t> bytes) {
  uint32_t h = PAYLOAD_FNV_OFFSET;
  for (size_t i = 0; i + 4 <= bytes.size(); i += 4) {
    uint32_t word;
    std::memcpy(&word, bytes.data() + i, 4);  // little-endian: x86 hosts only
    h = (h ^ word) * PAYLOAD_FNV_PRIME;
  }
  return h;
}

uint32_t pattern_word(uint32_t seed, uint64_t index) {
  // A multiplicative hash of the index: no two nearby dwords alike, so a checksum over the wrong
  // range, a swapped page or a stale page does not pass by accident.
  uint32_t x = static_cast<uint32_t>(index) * 0x9e3779b1u + seed;
  x ^= x >> 16;
  return x * 0x85ebca6bu;
}

void fill_pattern(vmm::GuestMemory& memory, uint32_t seed) {
  const std::span<uint8_t> bytes = memory.host();
  const uint64_t words = bytes.size() / 4;
  for (uint64_t i = 0; i < words; ++i) {
    const uint32_t w = pattern_word(seed, i);
    std::memcpy(bytes.data() + i * 4, &w, 4);
  }
}

vmm::Result<uint32_t> pattern_checksum(const vmm::GuestMemory& memory, uint64_t gpa,
                                       uint64_t length) {
  if (length % 4 != 0) return vmm::fail("checksum length " + std::to_string(length) + " is not 4n");
  auto span = memory.bytes(gpa, length);
  if (!span) return std::unexpected(span.error());
  return payload_checksum(*span);
}

}  // namespace rootstock::selftest::payloads
