// The frame table: RAM starts as the root's, hv's ranges as hv's, holes as not RAM; frames move
// only root <-> deposited/child of one partition; every refused move changes nothing; destroy
// gives every frame back; the invariants hold throughout.
#include <catch2/catch_test_macros.hpp>
#include <random>
#include <vector>

#include "partition/frame_table.hpp"

using hv::FrameOwner;
using hv::FrameTable;
using hv::FrameTableStatus;
using rootstock::MemoryRange;
using rootstock::MemoryType;

namespace {

constexpr uint64_t kPage = 4096;
constexpr uint64_t kMiB = 1ull << 20;

// 0-640K usable, a hole, 1M-64M usable with hv's 8 MiB at 32M, 64M-65M reserved.
struct Machine {
  MemoryRange map[3] = {
      {0, 0xa0000, MemoryType::kUsable},
      {kMiB, 63 * kMiB, MemoryType::kUsable},
      {64 * kMiB, kMiB, MemoryType::kReserved},
  };
  MemoryRange hv[1] = {{32 * kMiB, 8 * kMiB, MemoryType::kReserved}};
  std::vector<uint16_t> storage = std::vector<uint16_t>(64 * kMiB / kPage);
  FrameTable table;

  Machine() {
    REQUIRE(table.init(storage.data(), storage.size(), map, 3, hv, 1) == FrameTableStatus::kOk);
  }
};

}  // namespace

TEST_CASE("frame table: initial owners", "[hv][frames]") {
  Machine m;
  FrameOwner o;
  uint16_t p;
  REQUIRE(m.table.lookup(0x10, o, p));
  CHECK(o == FrameOwner::kRoot);
  CHECK_FALSE(m.table.lookup(0xb0, o, p));  // the ISA hole
  REQUIRE(m.table.lookup(32 * kMiB / kPage, o, p));
  CHECK(o == FrameOwner::kHv);
  CHECK_FALSE(m.table.lookup(64 * kMiB / kPage, o, p));  // reserved, not RAM
  CHECK(m.table.count(FrameOwner::kHv) == 8 * kMiB / kPage);
  CHECK(m.table.count(FrameOwner::kRoot) == 0xa0 + (63 - 8) * kMiB / kPage);
  CHECK(m.table.check_invariants());
}

TEST_CASE("frame table: the root hands over only its own frames", "[hv][frames]") {
  Machine m;
  const uint64_t f = 2 * kMiB / kPage;
  CHECK(m.table.deposit(f, 1) == FrameTableStatus::kOk);
  CHECK(m.table.deposit(f, 1) == FrameTableStatus::kNotRootOwned);        // twice
  CHECK(m.table.give_to_child(f, 2) == FrameTableStatus::kNotRootOwned);  // deposited already
  CHECK(m.table.deposit(32 * kMiB / kPage, 1) == FrameTableStatus::kNotRootOwned);  // hv's
  CHECK(m.table.deposit(0xb0, 1) == FrameTableStatus::kNotRam);
  CHECK(m.table.deposit(1ull << 40, 1) == FrameTableStatus::kNotRam);
  CHECK(m.table.deposit(f + 1, 0) == FrameTableStatus::kBadPartition);
  CHECK(m.table.deposit(f + 1, FrameTable::kMaxPartitionId + 1) == FrameTableStatus::kBadPartition);
  CHECK(m.table.withdraw(f, 2) == FrameTableStatus::kWrongOwner);  // another partition's
  CHECK(m.table.take_from_child(f, 1) == FrameTableStatus::kWrongOwner);
  CHECK(m.table.withdraw(f, 1) == FrameTableStatus::kOk);
  CHECK(m.table.count(FrameOwner::kDeposited) == 0);
  CHECK(m.table.check_invariants());
}

TEST_CASE("frame table: destroy returns every frame of one partition only", "[hv][frames]") {
  Machine m;
  const uint64_t before = m.table.count(FrameOwner::kRoot);
  for (uint64_t f = 256; f < 256 + 100; ++f)
    REQUIRE(m.table.give_to_child(f, 7) == FrameTableStatus::kOk);
  for (uint64_t f = 512; f < 512 + 20; ++f) REQUIRE(m.table.deposit(f, 7) == FrameTableStatus::kOk);
  for (uint64_t f = 1024; f < 1024 + 5; ++f)
    REQUIRE(m.table.deposit(f, 8) == FrameTableStatus::kOk);
  CHECK(m.table.count(FrameOwner::kChild, 7) == 100);
  CHECK(m.table.count(FrameOwner::kDeposited, 7) == 20);
  CHECK(m.table.release_partition(7) == 120);
  CHECK(m.table.count(FrameOwner::kDeposited, 8) == 5);
  CHECK(m.table.count(FrameOwner::kRoot) == before - 5);
  CHECK(m.table.release_partition(0) == 0);
  CHECK(m.table.check_invariants());
}

TEST_CASE("frame table: random moves keep every frame accounted for", "[hv][frames]") {
  Machine m;
  const uint64_t ram = m.table.count(FrameOwner::kRoot) + m.table.count(FrameOwner::kHv);
  std::mt19937_64 rng(42);
  const uint64_t span = 64 * kMiB / kPage;
  for (int i = 0; i < 200000; ++i) {
    const uint64_t pfn = rng() % (span + 16);
    const auto partition = static_cast<uint16_t>(rng() % 4);
    switch (rng() % 5) {
      case 0:
        (void)m.table.deposit(pfn, partition);
        break;
      case 1:
        (void)m.table.withdraw(pfn, partition);
        break;
      case 2:
        (void)m.table.give_to_child(pfn, partition);
        break;
      case 3:
        (void)m.table.take_from_child(pfn, partition);
        break;
      default:
        if (rng() % 1000 == 0) (void)m.table.release_partition(partition);
        break;
    }
  }
  CHECK(m.table.check_invariants());
  uint64_t total = m.table.count(FrameOwner::kRoot) + m.table.count(FrameOwner::kHv) +
                   m.table.count(FrameOwner::kDeposited) + m.table.count(FrameOwner::kChild);
  CHECK(total == ram);
  CHECK(m.table.count(FrameOwner::kHv) == 8 * kMiB / kPage);  // hv's frames never moved
  for (uint16_t p = 1; p < 4; ++p) (void)m.table.release_partition(p);
  CHECK(m.table.count(FrameOwner::kRoot) + m.table.count(FrameOwner::kHv) == ram);
}

TEST_CASE("frame table: too little storage is refused", "[hv][frames]") {
  const MemoryRange map[] = {{0, 64 * kMiB, MemoryType::kUsable}};
  std::vector<uint16_t> small(10);
  FrameTable t;
  CHECK(t.init(small.data(), small.size(), map, 1, nullptr, 0) == FrameTableStatus::kTooSmall);
  CHECK(FrameTable::storage_bytes(1ull << 20) == 2ull << 20);
}
