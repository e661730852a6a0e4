// The memory the self-test payloads checksum (selftest/payloads/memory_pattern.hpp): the
// checksum is the payloads' FNV-1a over dwords, only whole dwords inside the block are summed,
// and the fill pattern makes seeds, order and placement matter.
#include <catch2/catch_test_macros.hpp>
#include <cstring>
#include <vector>

#include "selftest/payloads/memory_pattern.hpp"
#include "selftest/payloads/test_device.h"
#include "vmm/guest_memory.hpp"

using namespace rootstock::selftest::payloads;
using rootstock::vmm::GuestMemory;

namespace {

constexpr uint64_t kBase = 0x100000;
constexpr uint64_t kSize = 0x4000;

// The checksum written out the long way, as the payloads compute it.
uint32_t reference_checksum(const std::vector<uint32_t>& words) {
  uint32_t h = 0x811c9dc5u;
  for (const uint32_t w : words) {
    h ^= w;
    h *= 16777619u;
  }
  return h;
}

}  // namespace

TEST_CASE("memory pattern: the checksum is FNV-1a over dwords, as the payloads compute it") {
  CHECK(payload_checksum({}) == PAYLOAD_FNV_OFFSET);
  const std::vector<uint32_t> words = {0, 1, 0xdeadbeef, 0x80000000, 42};
  std::vector<uint8_t> bytes(words.size() * 4);
  std::memcpy(bytes.data(), words.data(), bytes.size());
  CHECK(payload_checksum(bytes) == reference_checksum(words));

  auto m = GuestMemory::allocate(kBase, kSize);
  REQUIRE(m);
  fill_pattern(*m, 7);
  std::vector<uint32_t> pattern(kSize / 4);
  for (size_t i = 0; i < pattern.size(); ++i) pattern[i] = pattern_word(7, i);
  CHECK(std::memcmp(m->host().data(), pattern.data(), kSize) == 0);
  auto sum = pattern_checksum(*m, kBase, kSize);
  REQUIRE(sum);
  CHECK(*sum == reference_checksum(pattern));
  CHECK_FALSE(pattern_checksum(*m, kBase, 6));          // not whole dwords
  CHECK_FALSE(pattern_checksum(*m, kBase, kSize + 4));  // past the end
  CHECK_FALSE(pattern_checksum(*m, kBase - 4, 8));      // before the start
}

TEST_CASE("memory pattern: the pattern makes seeds, order and placement matter") {
  auto a = GuestMemory::allocate(kBase, kSize);
  auto b = GuestMemory::allocate(kBase, kSize);
  REQUIRE(a);
  REQUIRE(b);
  fill_pattern(*a, 1);
  fill_pattern(*b, 2);
  CHECK(*pattern_checksum(*a, kBase, kSize) != *pattern_checksum(*b, kBase, kSize));
  // Two pages swapped: same words, other order.
  fill_pattern(*b, 1);
  std::vector<uint8_t> page(0x1000);
  std::memcpy(page.data(), b->host().data(), 0x1000);
  std::memcpy(b->host().data(), b->host().data() + 0x1000, 0x1000);
  std::memcpy(b->host().data() + 0x1000, page.data(), 0x1000);
  CHECK(*pattern_checksum(*a, kBase, kSize) != *pattern_checksum(*b, kBase, kSize));
  // No two neighbouring dwords alike, and no page a copy of the next.
  for (uint64_t i = 0; i + 1 < 4096; ++i) REQUIRE(pattern_word(3, i) != pattern_word(3, i + 1));
  for (uint64_t i = 0; i < 1024; ++i) REQUIRE(pattern_word(3, i) != pattern_word(3, i + 1024));
}
