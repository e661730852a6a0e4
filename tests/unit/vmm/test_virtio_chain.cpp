// Descriptor chains (vmm/virtio/descriptor_chain.hpp, chain_io.hpp): what a device is handed
// for well-formed chains, direct and indirect, and the typed refusal of each malformed one
// (virtio 1.2, 2.7.4 and 2.7.5), none of which reads or hands out anything outside guest RAM.
#include <array>
#include <catch2/catch_test_macros.hpp>
#include <cstring>
#include <limits>
#include <numeric>

#include "tests/unit/vmm/fake_guest_ram.hpp"
#include "tests/unit/vmm/virtio_test_driver.hpp"
#include "vmm/virtio/chain_io.hpp"
#include "vmm/virtio/descriptor_chain.hpp"

using namespace rootstock::vmm::virtio;
using namespace rootstock::test;

namespace {

constexpr uint64_t kBase = 0x100000;
constexpr uint64_t kRamSize = 0x10000;
constexpr uint32_t kSize = 8;
constexpr uint64_t kData = kBase + 0x1000;    // buffers
constexpr uint64_t kTable = kBase + 0x8000;   // an indirect table
constexpr uint64_t kTable2 = kBase + 0x9000;  // another one

struct Bench {
  FakeGuestRam ram{kBase, kRamSize};
  QueueLayout layout = layout_queue(kBase, kSize);
  TestDriver driver{ram, layout};
  DescriptorChain chain;

  std::expected<void, QueueFault> walk(uint16_t head, bool indirect = true) {
    return walk_chain(ram, {layout.desc, kSize}, indirect, head, chain);
  }
  QueueError refusal(uint16_t head, bool indirect = true) {
    auto r = walk(head, indirect);
    REQUIRE_FALSE(r);
    CHECK(r.error().head == head);
    CHECK(chain.head() == head);
    CHECK(ram.refused() == 0);  // found before anything outside RAM was asked for
    return r.error().error;
  }
};

}  // namespace

TEST_CASE("virtio chain: one readable buffer") {
  Bench b;
  b.driver.desc(3, kData, 0x200, 0);
  REQUIRE(b.walk(3));
  CHECK(b.chain.head() == 3);
  REQUIRE(b.chain.readable().size() == 1);
  CHECK(b.chain.readable()[0].gpa == kData);
  CHECK(b.chain.readable()[0].len == 0x200);
  CHECK(b.chain.writable().empty());
  CHECK(b.chain.readable_bytes() == 0x200);
  CHECK(b.chain.writable_bytes() == 0);
  CHECK(b.chain.descriptors() == 1);
}

TEST_CASE("virtio chain: readable buffers then writable ones, in chain order") {
  Bench b;
  // A virtio-blk read: header (readable), data and status (writable), linked out of order.
  b.driver.desc(0, kData, 16, kNext, 5);
  b.driver.desc(5, kData + 0x100, 0x1000, kWriteNext, 2);
  b.driver.desc(2, kData + 0x2000, 1, kWrite);
  REQUIRE(b.walk(0));
  REQUIRE(b.chain.readable().size() == 1);
  REQUIRE(b.chain.writable().size() == 2);
  CHECK(b.chain.writable()[0].gpa == kData + 0x100);
  CHECK(b.chain.writable()[1].gpa == kData + 0x2000);
  CHECK(b.chain.readable_bytes() == 16);
  CHECK(b.chain.writable_bytes() == 0x1001);
  CHECK(b.chain.descriptors() == 3);

  // The same storage serves the next walk.
  b.driver.desc(7, kData, 4, kWrite);
  REQUIRE(b.walk(7));
  CHECK(b.chain.head() == 7);
  CHECK(b.chain.readable().empty());
  CHECK(b.chain.writable().size() == 1);
  CHECK(b.chain.readable_bytes() == 0);
}

TEST_CASE("virtio chain: zero-length buffers count as descriptors but are not handed out") {
  Bench b;
  // Its address is never used, so it may be anything.
  b.driver.desc(0, ~uint64_t{0}, 0, kNext, 1);
  b.driver.desc(1, kData, 8, kWrite);
  REQUIRE(b.walk(0));
  CHECK(b.chain.readable().empty());
  CHECK(b.chain.writable().size() == 1);
  CHECK(b.chain.descriptors() == 2);
}

TEST_CASE("virtio chain: as long as the queue, and no longer") {
  Bench b;
  for (uint16_t i = 0; i < kSize; ++i) {
    b.driver.desc(i, kData + i * 0x10u, 0x10, i + 1u < kSize ? kNext : uint16_t{0},
                  static_cast<uint16_t>(i + 1));
  }
  REQUIRE(b.walk(0));
  CHECK(b.chain.descriptors() == kSize);
  CHECK(b.chain.readable_bytes() == kSize * 0x10);
}

TEST_CASE("virtio chain: an indirect table, its write flag on the referring descriptor ignored") {
  Bench b;
  // 2.7.5.3.2: the device ignores VIRTQ_DESC_F_WRITE on the descriptor that refers to a table.
  b.driver.desc(4, kTable, 3 * 16, kIndirect | kWrite);
  b.driver.desc_at(kTable, 0, kData, 16, kNext, 2);
  b.driver.desc_at(kTable, 2, kData + 0x10, 0x20, kNext, 1);
  b.driver.desc_at(kTable, 1, kData + 0x100, 0x200, kWrite);
  REQUIRE(b.walk(4));
  CHECK(b.chain.head() == 4);
  REQUIRE(b.chain.readable().size() == 2);
  REQUIRE(b.chain.writable().size() == 1);
  CHECK(b.chain.readable()[1].gpa == kData + 0x10);
  CHECK(b.chain.writable()[0].len == 0x200);
  CHECK(b.chain.descriptors() == 3);  // the table's, not the one referring to it
}

TEST_CASE("virtio chain: direct descriptors, then one that refers to an indirect table") {
  Bench b;
  // 2.7.5.3.2: "zero or more normal chained descriptors followed by a single descriptor with
  // flags&VIRTQ_DESC_F_INDIRECT". The table's entries may be more than the queue size holds
  // as long as the chain walked is not longer.
  b.driver.desc(1, kData, 16, kNext, 6);
  b.driver.desc(6, kTable, 64 * 16, kIndirect);
  b.driver.desc_at(kTable, 0, kData + 0x10, 8, kNext, 63);
  b.driver.desc_at(kTable, 63, kData + 0x20, 8, kWrite);
  REQUIRE(b.walk(1));
  CHECK(b.chain.readable().size() == 2);
  CHECK(b.chain.writable().size() == 1);
  CHECK(b.chain.descriptors() == 3);
}

TEST_CASE("virtio chain: refused, a buffer outside guest RAM") {
  Bench b;
  b.driver.desc(0, kBase + kRamSize - 8, 16, 0);  // runs past the end
  CHECK(b.refusal(0) == QueueError::kBufferOutsideRam);
  b.driver.desc(0, kBase - 0x1000, 16, 0);  // below RAM
  CHECK(b.refusal(0) == QueueError::kBufferOutsideRam);
  b.driver.desc(0, ~uint64_t{0} - 8, 0x100, kWrite);  // addr + len wraps to inside RAM
  CHECK(b.refusal(0) == QueueError::kBufferOutsideRam);
  b.driver.desc(0, kData, 16, kNext, 1);  // the second of two
  b.driver.desc(1, 0, 16, kWrite);
  CHECK(b.refusal(0) == QueueError::kBufferOutsideRam);
  auto r = b.walk(0);
  REQUIRE_FALSE(r);
  CHECK(r.error().gpa == 0);
  CHECK(r.error().length == 16);
}

TEST_CASE("virtio chain: refused, a loop") {
  Bench b;
  b.driver.desc(0, kData, 16, kNext, 1);
  b.driver.desc(1, kData, 16, kNext, 0);
  CHECK(b.refusal(0) == QueueError::kChainTooLong);
  b.driver.desc(5, kData, 16, kWriteNext, 5);  // onto itself
  CHECK(b.refusal(5) == QueueError::kChainTooLong);
  b.driver.desc(6, kData, 0, kNext, 6);  // of empty buffers
  CHECK(b.refusal(6) == QueueError::kChainTooLong);
  // A walk stops after the queue size, however long the loop (it does not take forever).
  CHECK(b.chain.descriptors() == kSize + 1);
}

TEST_CASE("virtio chain: refused, a loop inside an indirect table") {
  Bench b;
  b.driver.desc(0, kTable, 2 * 16, kIndirect);
  b.driver.desc_at(kTable, 0, kData, 16, kNext, 1);
  b.driver.desc_at(kTable, 1, kData, 16, kNext, 0);
  CHECK(b.refusal(0) == QueueError::kChainTooLong);
  // A long table chained straight through is refused past the queue size.
  b.driver.desc(0, kTable, 16 * 16, kIndirect);
  for (uint16_t i = 0; i < 16; ++i) {
    b.driver.desc_at(kTable, i, kData, 4, i < 15 ? kNext : uint16_t{0},
                     static_cast<uint16_t>(i + 1));
  }
  CHECK(b.refusal(0) == QueueError::kChainTooLong);
}

TEST_CASE("virtio chain: refused, a next index at or past the end of its table") {
  Bench b;
  b.driver.desc(0, kData, 16, kNext, kSize);
  CHECK(b.refusal(0) == QueueError::kNextOutOfRange);
  b.driver.desc(0, kData, 16, kNext, 0xffff);
  CHECK(b.refusal(0) == QueueError::kNextOutOfRange);
  // In an indirect table, its own length is the end: entry 3 of a 3-entry table.
  b.driver.desc(0, kTable, 3 * 16, kIndirect);
  b.driver.desc_at(kTable, 0, kData, 16, kNext, 3);
  CHECK(b.refusal(0) == QueueError::kNextOutOfRange);
  // A head past the table (the queue refuses it before walking; the walk does as well).
  auto r = b.walk(kSize);
  REQUIRE_FALSE(r);
  CHECK(r.error().error == QueueError::kHeadOutOfRange);
}

TEST_CASE("virtio chain: refused, lengths that add up past 2^32 - 1") {
  Bench b;
  // Found before the second buffer's place in RAM is even looked at.
  b.driver.desc(0, kData, 0x1000, kNext, 1);
  b.driver.desc(1, kData, std::numeric_limits<uint32_t>::max(), kWrite);
  CHECK(b.refusal(0) == QueueError::kLengthOverflow);
  b.driver.desc(0, kData, 1, kNext, 1);
  b.driver.desc(1, kData, std::numeric_limits<uint32_t>::max(), 0);
  CHECK(b.refusal(0) == QueueError::kLengthOverflow);
}

TEST_CASE("virtio chain: buffers all inside RAM whose lengths overflow; 2^32 - 1 is fine") {
  // 2048 buffers of 2 MiB, all the same RAM, hold 2^32 bytes: one byte too many.
  constexpr uint64_t kBig = 0x40000000;
  constexpr uint32_t kQueue = 4096;
  constexpr uint32_t kBuffer = 2u << 20;
  FakeGuestRam ram(kBig, 8u << 20);
  const QueueLayout layout = layout_queue(kBig, kQueue);
  TestDriver driver(ram, layout);
  constexpr uint16_t kCount = 2048;
  for (uint16_t i = 0; i < kCount; ++i) {
    driver.desc(i, kBig + (4u << 20), kBuffer, i + 1u < kCount ? kWriteNext : kWrite,
                static_cast<uint16_t>(i + 1));
  }
  DescriptorChain chain;
  auto r = walk_chain(ram, {layout.desc, kQueue}, false, 0, chain);
  REQUIRE_FALSE(r);
  CHECK(r.error().error == QueueError::kLengthOverflow);
  CHECK(chain.descriptors() == kCount);

  driver.desc(kCount - 1, kBig + (4u << 20), kBuffer - 1, kWrite);
  REQUIRE(walk_chain(ram, {layout.desc, kQueue}, false, 0, chain));
  CHECK(chain.writable_bytes() == std::numeric_limits<uint32_t>::max());
  CHECK(chain.writable().size() == kCount);
}

TEST_CASE("virtio chain: refused, a readable buffer after a writable one") {
  Bench b;
  b.driver.desc(0, kData, 16, kWriteNext, 1);
  b.driver.desc(1, kData + 0x10, 16, 0);
  CHECK(b.refusal(0) == QueueError::kReadableAfterWritable);
  // Across the switch into an indirect table as well.
  b.driver.desc(0, kData, 16, kWriteNext, 1);
  b.driver.desc(1, kTable, 16, kIndirect);
  b.driver.desc_at(kTable, 0, kData + 0x10, 16, 0);
  CHECK(b.refusal(0) == QueueError::kReadableAfterWritable);
}

TEST_CASE("virtio chain: refused, indirect descriptors the rules forbid") {
  Bench b;
  SECTION("without VIRTIO_F_INDIRECT_DESC") {
    b.driver.desc(0, kTable, 16, kIndirect);
    b.driver.desc_at(kTable, 0, kData, 16, 0);
    CHECK(b.refusal(0, false) == QueueError::kIndirectNotNegotiated);
  }
  SECTION("nested: an indirect descriptor inside an indirect table") {
    b.driver.desc(0, kTable, 2 * 16, kIndirect);
    b.driver.desc_at(kTable, 0, kData, 16, kNext, 1);
    b.driver.desc_at(kTable, 1, kTable2, 16, kIndirect);
    b.driver.desc_at(kTable2, 0, kData, 16, 0);
    CHECK(b.refusal(0) == QueueError::kNestedIndirect);
  }
  SECTION("indirect with VIRTQ_DESC_F_NEXT") {
    b.driver.desc(0, kTable, 16, kIndirect | kNext, 1);
    b.driver.desc(1, kData, 16, 0);
    b.driver.desc_at(kTable, 0, kData, 16, 0);
    CHECK(b.refusal(0) == QueueError::kIndirectWithNext);
  }
  SECTION("a table that is not a multiple of 16 bytes") {
    b.driver.desc(0, kTable, 24, kIndirect);
    CHECK(b.refusal(0) == QueueError::kIndirectTableSize);
    b.driver.desc(0, kTable, 15, kIndirect);
    CHECK(b.refusal(0) == QueueError::kIndirectTableSize);
  }
  SECTION("a table of zero bytes") {
    b.driver.desc(0, kTable, 0, kIndirect);
    CHECK(b.refusal(0) == QueueError::kIndirectTableSize);
  }
  SECTION("a table outside guest RAM") {
    b.driver.desc(0, kBase + kRamSize - 16, 32, kIndirect);  // its second entry past the end
    CHECK(b.refusal(0) == QueueError::kIndirectTableOutsideRam);
    b.driver.desc(0, kBase - 16, 16, kIndirect);
    CHECK(b.refusal(0) == QueueError::kIndirectTableOutsideRam);
    b.driver.desc(0, ~uint64_t{0} - 15, 0x100, kIndirect);  // wraps
    CHECK(b.refusal(0) == QueueError::kIndirectTableOutsideRam);
  }
}

TEST_CASE("virtio chain: a device reads and writes a request across its buffers") {
  Bench b;
  // Header split 3 + 13 bytes, then 8 writable bytes split 2 + 6.
  b.driver.desc(0, kData, 3, kNext, 1);
  b.driver.desc(1, kData + 0x100, 13, kNext, 2);
  b.driver.desc(2, kData + 0x200, 2, kWriteNext, 3);
  b.driver.desc(3, kData + 0x300, 6, kWrite);
  std::array<uint8_t, 16> header{};
  std::iota(header.begin(), header.end(), uint8_t{1});
  std::memcpy(b.ram.bytes().data() + (kData - kBase), header.data(), 3);
  std::memcpy(b.ram.bytes().data() + (kData + 0x100 - kBase), header.data() + 3, 13);
  REQUIRE(b.walk(0));

  std::array<uint8_t, 16> in{};
  auto got = read_from_chain(b.ram, b.chain, 0, in);
  REQUIRE(got);
  CHECK(*got == 16);
  CHECK(in == header);
  std::array<uint8_t, 4> tail{};
  got = read_from_chain(b.ram, b.chain, 14, tail);  // the last two bytes only
  REQUIRE(got);
  CHECK(*got == 2);
  CHECK(tail[0] == 15);
  CHECK(tail[1] == 16);
  got = read_from_chain(b.ram, b.chain, 16, tail);
  REQUIRE(got);
  CHECK(*got == 0);

  const std::array<uint8_t, 10> out = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8};
  auto put = write_to_chain(b.ram, b.chain, 1, out);  // 7 of the 10 fit after offset 1
  REQUIRE(put);
  CHECK(*put == 7);
  CHECK(b.ram.peek<uint8_t>(kData + 0x201) == 0xa0);
  CHECK(b.ram.peek<uint8_t>(kData + 0x300) == 0xa1);
  CHECK(b.ram.peek<uint8_t>(kData + 0x305) == 0xa6);
  CHECK(b.ram.refused() == 0);
}
