// PARTITION_DOORBELL and a partition's doorbell table (hv/partition/doorbells.hpp,
// docs/hypercalls.md §11): the checks in their documented order, add and remove, the table's
// limit, and which stores ring which doorbell.
#include <catch2/catch_test_macros.hpp>

#include "fake_machine.hpp"
#include "partition/doorbells.hpp"

using namespace hv;
using fake::World;

namespace {

constexpr uint64_t kNotify = 0xc0003000;

uint64_t flags(uint64_t length, uint32_t cookie, uint64_t extra = 0) {
  return length | (uint64_t{cookie} << RS_DOORBELL_COOKIE_SHIFT) | extra;
}

}  // namespace

TEST_CASE("PARTITION_DOORBELL checks its arguments in order", "[hv][doorbell]") {
  World w;
  uint64_t id = 0;
  REQUIRE(w.partitions->create(0, id).status == RS_STATUS_SUCCESS);
  auto call = [&](uint64_t pid, uint64_t gpa, uint64_t f, uint64_t value) {
    return w.partitions->doorbell(pid, gpa, f, value).status;
  };
  // Reserved flag bits, a value without MATCH_VALUE, value bits above the length: before the
  // partition id is even looked at.
  CHECK(call(id + 1, kNotify, flags(2, 1, 1ull << 10), 0) == RS_STATUS_RESERVED_NONZERO);
  CHECK(call(id + 1, kNotify, flags(2, 1, 1ull << 4), 0) == RS_STATUS_RESERVED_NONZERO);
  CHECK(call(id + 1, kNotify, flags(2, 1), 5) == RS_STATUS_RESERVED_NONZERO);
  CHECK(call(id + 1, kNotify, flags(2, 1, RS_DOORBELL_MATCH_VALUE), 0x10000) ==
        RS_STATUS_RESERVED_NONZERO);
  CHECK(call(id + 1, kNotify, flags(2, 1), 0) == RS_STATUS_INVALID_PARTITION_ID);
  // Lengths, alignment, the GPA width.
  for (uint64_t bad : {0ull, 3ull, 5ull, 15ull}) {
    CHECK(call(id, kNotify, flags(bad, 1), 0) == RS_STATUS_INVALID_PARAMETER);
  }
  CHECK(call(id, kNotify + 2, flags(4, 1), 0) == RS_STATUS_INVALID_PARAMETER);
  CHECK(call(id, uint64_t{1} << 48, flags(1, 1), 0) == RS_STATUS_INVALID_PARAMETER);
  // Removing one that is not there.
  CHECK(call(id, kNotify, flags(2, 1, RS_DOORBELL_REMOVE), 0) == RS_STATUS_INVALID_PARAMETER);
  // Add, the same again, remove, remove again.
  CHECK(call(id, kNotify, flags(2, 7), 0) == RS_STATUS_SUCCESS);
  CHECK(call(id, kNotify, flags(2, 8), 0) == RS_STATUS_EXISTS);  // the cookie does not matter
  CHECK(call(id, kNotify, flags(2, 7, RS_DOORBELL_REMOVE), 0) == RS_STATUS_SUCCESS);
  CHECK(call(id, kNotify, flags(2, 7, RS_DOORBELL_REMOVE), 0) == RS_STATUS_INVALID_PARAMETER);
  // A destroyed partition has no doorbells to change.
  REQUIRE(w.partitions->destroy(id).status == RS_STATUS_SUCCESS);
  CHECK(call(id, kNotify, flags(2, 7), 0) == RS_STATUS_INVALID_PARTITION_ID);
}

TEST_CASE("PARTITION_DOORBELL: 64 per partition", "[hv][doorbell]") {
  World w;
  uint64_t id = 0;
  REQUIRE(w.partitions->create(0, id).status == RS_STATUS_SUCCESS);
  for (uint32_t i = 0; i < RS_DOORBELL_MAX; ++i) {
    REQUIRE(w.partitions->doorbell(id, kNotify + 4 * i, flags(2, i), 0).status ==
            RS_STATUS_SUCCESS);
  }
  CHECK(w.partitions->doorbell(id, 0xd0000000, flags(2, 99), 0).status == RS_STATUS_LIMIT_REACHED);
  REQUIRE(w.partitions->doorbell(id, kNotify, flags(2, 0, RS_DOORBELL_REMOVE), 0).status ==
          RS_STATUS_SUCCESS);
  CHECK(w.partitions->doorbell(id, 0xd0000000, flags(2, 99), 0).status == RS_STATUS_SUCCESS);
}

TEST_CASE("doorbells: which store rings which", "[hv][doorbell]") {
  DoorbellTable t;
  // virtio-pci: one address per queue, any value; virtio-mmio: one address, the queue index.
  REQUIRE(t.add({kNotify, 0, 1, 2, false}) == RS_STATUS_SUCCESS);
  REQUIRE(t.add({0xd0000050, 0, 10, 4, true}) == RS_STATUS_SUCCESS);
  REQUIRE(t.add({0xd0000050, 1, 11, 4, true}) == RS_STATUS_SUCCESS);
  CHECK(t.add({0xd0000050, 1, 12, 4, true}) == RS_STATUS_EXISTS);
  CHECK(t.any_at(kNotify));
  CHECK_FALSE(t.any_at(kNotify + 4));

  const Doorbell* d = t.ringing(kNotify, 2, 0xabcd);
  REQUIRE(d != nullptr);
  CHECK(d->cookie == 1);
  CHECK(t.ringing(kNotify, 4, 0) == nullptr);  // another size
  CHECK(t.ringing(kNotify, 1, 0) == nullptr);
  CHECK(t.ringing(kNotify + 1, 2, 0) == nullptr);

  CHECK(t.ringing(0xd0000050, 4, 0)->cookie == 10);
  CHECK(t.ringing(0xd0000050, 4, 1)->cookie == 11);
  CHECK(t.ringing(0xd0000050, 4, 2) == nullptr);  // no queue 2
  // Only the written size's bytes count: a 4-byte store of 1 is 1 whatever the register held.
  CHECK(doorbell_value_mask(4) == 0xffffffffull);
  CHECK(doorbell_value_mask(8) == ~0ull);
  CHECK(t.ringing(0xd0000050, 4, 0x100000001ull)->cookie == 11);

  REQUIRE(t.remove({0xd0000050, 0, 0, 4, true}) == RS_STATUS_SUCCESS);
  CHECK(t.ringing(0xd0000050, 4, 0) == nullptr);
  CHECK(t.ringing(0xd0000050, 4, 1)->cookie == 11);
  CHECK(t.count() == 2);
}
