// Guest memory (vmm/guest_memory.hpp): allocation rules, bounds checks that hostile GPAs and
// lengths cannot wrap, and the fill pattern and checksum the self-test payloads compare with.
#include <catch2/catch_test_macros.hpp>
#include <cstring>
#include <limits>
#include <vector>

#include "vmm/guest_memory.hpp"
#include "vmm/payloads/test_device.h"

using namespace rootstock::vmm;

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

TEST_CASE("guest memory: allocation refuses empty, unaligned and wrapping ranges") {
  CHECK_FALSE(GuestMemory::allocate(kBase, 0));
  CHECK_FALSE(GuestMemory::allocate(kBase, 0x1001));
  CHECK_FALSE(GuestMemory::allocate(kBase + 8, 0x1000));
  CHECK_FALSE(GuestMemory::allocate(0xfffffffffffff000ull, 0x2000));
  auto m = GuestMemory::allocate(kBase, kSize);
  REQUIRE(m);
  CHECK(m->gpa() == kBase);
  CHECK(m->size() == kSize);
  CHECK(m->host().size() == kSize);
  auto all = m->bytes(kBase, kSize);
  REQUIRE(all);
  for (const uint8_t b : *all) REQUIRE(b == 0);  // fresh anonymous memory
}

TEST_CASE("guest memory: gpa to host pointer checks both ends without wrapping") {
  auto m = GuestMemory::allocate(kBase, kSize);
  REQUIRE(m);
  CHECK(m->contains(kBase, kSize));
  CHECK(m->contains(kBase + kSize, 0));
  CHECK(m->contains(kBase + kSize - 1, 1));
  CHECK_FALSE(m->contains(kBase - 1, 1));
  CHECK_FALSE(m->contains(kBase + kSize, 1));
  CHECK_FALSE(m->contains(kBase + kSize - 1, 2));
  CHECK_FALSE(m->contains(kBase + 8, std::numeric_limits<uint64_t>::max() - 4));
  CHECK_FALSE(m->contains(std::numeric_limits<uint64_t>::max(), 2));
  CHECK_FALSE(m->contains(0, 0));

  auto inside = m->bytes(kBase + 0x10, 4);
  REQUIRE(inside);
  CHECK(inside->data() == m->host().data() + 0x10);
  auto outside = m->bytes(kBase + kSize - 2, 4);
  REQUIRE_FALSE(outside);
  CHECK(outside.error().what.find("outside guest memory") != std::string::npos);
  CHECK(outside.error().errno_value == 0);
}

TEST_CASE("guest memory: write lands at the gpa and refuses to run past the end") {
  auto m = GuestMemory::allocate(kBase, kSize);
  REQUIRE(m);
  const uint8_t data[] = {1, 2, 3, 4};
  REQUIRE(m->write(kBase + 0x1ffe, data));
  CHECK(std::memcmp(m->host().data() + 0x1ffe, data, 4) == 0);
  CHECK_FALSE(m->write(kBase + kSize - 3, data));
  CHECK(m->host()[kSize - 3] == 0);  // a refused write changes nothing
  CHECK(m->write(kBase + kSize, std::span<const uint8_t>{}));
}

TEST_CASE("guest memory: moving hands the mapping over") {
  auto m = GuestMemory::allocate(kBase, kSize);
  REQUIRE(m);
  uint8_t* host = m->host().data();
  GuestMemory moved(std::move(*m));
  CHECK(moved.host().data() == host);
  CHECK(m->size() == 0);  // NOLINT(bugprone-use-after-move): the moved-from state is defined
  CHECK_FALSE(m->contains(kBase, 1));
}

TEST_CASE("guest memory: the checksum is FNV-1a over dwords, as the payloads compute it") {
  CHECK(payload_checksum({}) == PAYLOAD_FNV_OFFSET);
  const std::vector<uint32_t> words = {0, 1, 0xdeadbeef, 0x80000000, 42};
  std::vector<uint8_t> bytes(words.size() * 4);
  std::memcpy(bytes.data(), words.data(), bytes.size());
  CHECK(payload_checksum(bytes) == reference_checksum(words));

  auto m = GuestMemory::allocate(kBase, kSize);
  REQUIRE(m);
  m->fill_pattern(7);
  std::vector<uint32_t> pattern(kSize / 4);
  for (size_t i = 0; i < pattern.size(); ++i) pattern[i] = pattern_word(7, i);
  CHECK(std::memcmp(m->host().data(), pattern.data(), kSize) == 0);
  auto sum = m->checksum(kBase, kSize);
  REQUIRE(sum);
  CHECK(*sum == reference_checksum(pattern));
  CHECK_FALSE(m->checksum(kBase, 6));          // not whole dwords
  CHECK_FALSE(m->checksum(kBase, kSize + 4));  // past the end
  CHECK_FALSE(m->checksum(kBase - 4, 8));      // before the start
}

TEST_CASE("guest memory: the pattern makes seeds, order and placement matter") {
  auto a = GuestMemory::allocate(kBase, kSize);
  auto b = GuestMemory::allocate(kBase, kSize);
  REQUIRE(a);
  REQUIRE(b);
  a->fill_pattern(1);
  b->fill_pattern(2);
  CHECK(*a->checksum(kBase, kSize) != *b->checksum(kBase, kSize));
  // Two pages swapped: same words, other order.
  b->fill_pattern(1);
  std::vector<uint8_t> page(0x1000);
  std::memcpy(page.data(), b->host().data(), 0x1000);
  std::memcpy(b->host().data(), b->host().data() + 0x1000, 0x1000);
  std::memcpy(b->host().data() + 0x1000, page.data(), 0x1000);
  CHECK(*a->checksum(kBase, kSize) != *b->checksum(kBase, kSize));
  // No two neighbouring dwords alike, and no page a copy of the next.
  for (uint64_t i = 0; i + 1 < 4096; ++i) REQUIRE(pattern_word(3, i) != pattern_word(3, i + 1));
  for (uint64_t i = 0; i < 1024; ++i) REQUIRE(pattern_word(3, i) != pattern_word(3, i + 1024));
}
