// Partitions: ids once per boot, a fixed capacity, bad ids refused without change, destroy
// returning every frame to the root, and the counts PARTITION_QUERY reports.
#include <rootstock/hypercall_abi.h>

#include <catch2/catch_test_macros.hpp>
#include <vector>

#include "partition/partition_table.hpp"

using namespace hv;
using rootstock::MemoryRange;
using rootstock::MemoryType;

namespace {

struct World {
  MemoryRange map[1] = {{0, 16ull << 20, MemoryType::kUsable}};
  std::vector<uint16_t> storage = std::vector<uint16_t>(4096);
  FrameTable frames;
  PartitionTable partitions{frames};
  World() {
    REQUIRE(frames.init(storage.data(), storage.size(), map, 1, nullptr, 0) ==
            FrameTableStatus::kOk);
  }
};

}  // namespace

TEST_CASE("partitions: ids are never reused within a boot", "[hv][partition]") {
  World w;
  uint16_t a = 0, b = 0, c = 0;
  REQUIRE(w.partitions.create(a) == RS_STATUS_SUCCESS);
  REQUIRE(w.partitions.create(b) == RS_STATUS_SUCCESS);
  CHECK(a != 0);
  CHECK(b != a);
  uint64_t returned = 0;
  REQUIRE(w.partitions.destroy(a, returned) == RS_STATUS_SUCCESS);
  REQUIRE(w.partitions.create(c) == RS_STATUS_SUCCESS);
  CHECK(c != a);
  CHECK(c != b);
  CHECK(w.partitions.live() == 2);
}

TEST_CASE("partitions: bad ids are refused and change nothing", "[hv][partition]") {
  World w;
  uint16_t a = 0;
  REQUIRE(w.partitions.create(a) == RS_STATUS_SUCCESS);
  uint64_t returned = 99;
  CHECK(w.partitions.destroy(0, returned) == RS_STATUS_INVALID_PARTITION_ID);
  CHECK(w.partitions.destroy(static_cast<uint16_t>(a + 1), returned) ==
        RS_STATUS_INVALID_PARTITION_ID);
  CHECK(returned == 99);
  PartitionCounts counts;
  CHECK(w.partitions.query(0, counts) == RS_STATUS_INVALID_PARTITION_ID);
  CHECK(w.partitions.live() == 1);
  REQUIRE(w.partitions.destroy(a, returned) == RS_STATUS_SUCCESS);
  CHECK(w.partitions.destroy(a, returned) == RS_STATUS_INVALID_PARTITION_ID);  // twice
}

TEST_CASE("partitions: capacity, and destroy returns every frame", "[hv][partition]") {
  World w;
  uint16_t id = 0;
  for (uint16_t i = 0; i < PartitionTable::kCapacity; ++i) {
    REQUIRE(w.partitions.create(id) == RS_STATUS_SUCCESS);
  }
  uint16_t extra = 0;
  CHECK(w.partitions.create(extra) == RS_STATUS_LIMIT_REACHED);
  const uint64_t root_before = w.frames.count(FrameOwner::kRoot);
  for (uint64_t f = 100; f < 110; ++f)
    REQUIRE(w.frames.give_to_child(f, id) == FrameTableStatus::kOk);
  for (uint64_t f = 200; f < 203; ++f) REQUIRE(w.frames.deposit(f, id) == FrameTableStatus::kOk);
  PartitionCounts counts;
  REQUIRE(w.partitions.query(id, counts) == RS_STATUS_SUCCESS);
  CHECK(counts.mapped_pages == 10);
  CHECK(counts.deposited_pages == 3);
  uint64_t returned = 0;
  REQUIRE(w.partitions.destroy(id, returned) == RS_STATUS_SUCCESS);
  CHECK(returned == 13);
  CHECK(w.frames.count(FrameOwner::kRoot) == root_before);
  CHECK(w.partitions.create(extra) == RS_STATUS_SUCCESS);  // a slot is free again
}
