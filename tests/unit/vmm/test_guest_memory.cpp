// Guest memory (vmm/guest_memory.hpp): allocation rules, and bounds checks that hostile GPAs and
// lengths cannot wrap.
#include <catch2/catch_test_macros.hpp>
#include <cstring>
#include <limits>

#include "vmm/guest_memory.hpp"

using namespace rootstock::vmm;

namespace {

constexpr uint64_t kBase = 0x100000;
constexpr uint64_t kSize = 0x4000;

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
