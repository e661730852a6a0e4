// The partition calls (docs/hypercalls.md §5–§6) path by path: each refused call gets its
// documented status and changes nothing (frame states, counts, mappings); accepted calls move
// exactly the frames they name; destroy gives every frame back.
#include <catch2/catch_test_macros.hpp>
#include <random>

#include "fake_machine.hpp"

using namespace hv;
using fake::World;

namespace {

constexpr uint64_t kPage = 4096;

struct Snapshot {
  uint64_t counts[RS_FRAME_STATE_SLOTS];
  explicit Snapshot(const World& w) { w.table.count_states(counts); }
  bool operator==(const Snapshot& o) const {
    for (unsigned i = 0; i < RS_FRAME_STATE_SLOTS; ++i) {
      if (counts[i] != o.counts[i]) return false;
    }
    return true;
  }
};

uint64_t create(World& w) {
  uint64_t id = 0;
  REQUIRE(w.partitions->create(0, id).status == RS_STATUS_SUCCESS);
  return id;
}

void deposit(World& w, uint64_t id, unsigned n) {
  rs_hc_deposit_input in{};
  in.partition_id = id;
  for (unsigned i = 0; i < n; ++i) in.frames[i] = w.root_frame();
  REQUIRE(w.partitions->deposit(in, 0, 0, static_cast<uint16_t>(n)).status == RS_STATUS_SUCCESS);
}

rs_hc_map_gpa_input map_input(World& w, uint64_t id, uint64_t gpa, unsigned n) {
  rs_hc_map_gpa_input in{};
  in.partition_id = id;
  in.gpa_base = gpa;
  in.flags = RS_ACCESS_READ | RS_ACCESS_WRITE | RS_ACCESS_EXECUTE;
  for (unsigned i = 0; i < n; ++i) in.frames[i] = w.root_frame();
  return in;
}

void check_clean(World& w) {
  rs_hc_invariants_output inv{};
  w.partitions->check_invariants(inv);
  CHECK(inv.violations == 0);
  CHECK(inv.first_violation == RS_INVARIANT_NONE);
}

}  // namespace

TEST_CASE("partition calls: ids are never reused, bad ids are refused", "[hv][partition]") {
  World w;
  const uint64_t a = create(w), b = create(w);
  CHECK(a != 0);
  CHECK(b != a);
  CHECK(w.partitions->destroy(a).status == RS_STATUS_SUCCESS);
  CHECK(create(w) != a);
  CHECK(w.partitions->destroy(a).status == RS_STATUS_INVALID_PARTITION_ID);  // twice
  CHECK(w.partitions->destroy(0).status == RS_STATUS_INVALID_PARTITION_ID);
  PartitionInfo info;
  CHECK(w.partitions->query(12345, info).status == RS_STATUS_INVALID_PARTITION_ID);
  uint64_t id = 0;
  CHECK(w.partitions->create(1, id).status == RS_STATUS_RESERVED_NONZERO);
  CHECK(w.partitions->live() == 2);
}

TEST_CASE("partition calls: the partition limit", "[hv][partition]") {
  World w;
  for (uint16_t i = 0; i < Partitions::kCapacity; ++i) (void)create(w);
  uint64_t id = 0;
  CHECK(w.partitions->create(0, id).status == RS_STATUS_LIMIT_REACHED);
}

TEST_CASE("partition calls: deposits take only the root's frames", "[hv][partition]") {
  World w;
  const uint64_t id = create(w);
  const Snapshot before(w);
  rs_hc_deposit_input in{};
  in.partition_id = id;
  in.frames[0] = w.root_frame();
  in.frames[1] = World::kHvBase;  // hv's
  auto r = w.partitions->deposit(in, 0, 0, 2);
  CHECK(r.status == RS_STATUS_FRAME_NOT_OWNED);
  CHECK(r.detail == 2);
  in.frames[1] = in.frames[0];  // twice
  CHECK(w.partitions->deposit(in, 0, 0, 2).status == RS_STATUS_FRAME_NOT_OWNED);
  in.frames[1] = in.frames[0] + 8;  // misaligned
  CHECK(w.partitions->deposit(in, 0, 0, 2).status == RS_STATUS_MISALIGNED);
  in.frames[1] = 0;  // frame 0
  CHECK(w.partitions->deposit(in, 0, 0, 2).status == RS_STATUS_FRAME_NOT_OWNED);
  in.frames[1] = 200 * kPage;  // the input page itself
  CHECK(w.partitions->deposit(in, 200, 0, 2).status == RS_STATUS_FRAME_NOT_OWNED);
  in.frames[1] = w.root_frame();
  in.reserved0 = 1;
  CHECK(w.partitions->deposit(in, 0, 0, 2).status == RS_STATUS_RESERVED_NONZERO);
  in.reserved0 = 0;
  in.partition_id = id + 100;
  CHECK(w.partitions->deposit(in, 0, 0, 2).status == RS_STATUS_INVALID_PARTITION_ID);
  w.machine.fail_hide = true;  // hv's own memory for the root's tables is gone
  in.partition_id = id;
  CHECK(w.partitions->deposit(in, 0, 0, 2).status == RS_STATUS_LIMIT_REACHED);
  CHECK(Snapshot(w) == before);
  CHECK(w.machine.hidden.empty());
  w.machine.fail_hide = false;
  const uint64_t flushes = w.machine.flushes;
  r = w.partitions->deposit(in, 0, 0, 2);
  CHECK(r.status == RS_STATUS_SUCCESS);
  CHECK(r.reps_done == 2);
  CHECK(w.count(FrameState::kDepositedFree) == 2);
  CHECK(w.machine.hidden.size() == 2);
  CHECK(w.machine.flushes == flushes + 1);  // no root CPU may still reach them
  check_clean(w);
}

TEST_CASE("partition calls: map asks for memory, then maps", "[hv][partition]") {
  World w;
  const uint64_t id = create(w);
  auto in = map_input(w, id, 0x100000, 16);
  const Snapshot before(w);
  auto r = w.partitions->map(in, 0, 0, 16);
  REQUIRE(r.status == RS_STATUS_INSUFFICIENT_MEMORY);
  CHECK(r.detail == 4);  // PML4, PDPT, PD, PT
  CHECK(Snapshot(w) == before);
  deposit(w, id, static_cast<unsigned>(r.detail));
  r = w.partitions->map(in, 0, 0, 16);
  REQUIRE(r.status == RS_STATUS_SUCCESS);
  CHECK(r.reps_done == 16);
  CHECK(w.count(FrameState::kChild) == 16);
  CHECK(w.count(FrameState::kDepositedUsed) == 4);
  PartitionInfo info;
  REQUIRE(w.partitions->query(id, info).status == RS_STATUS_SUCCESS);
  CHECK(info.mapped_pages == 16);
  CHECK(info.deposited_pages == 4);
  CHECK(info.deposited_used == 4);
  check_clean(w);
}

TEST_CASE("partition calls: bad maps are refused and change nothing", "[hv][partition]") {
  World w;
  const uint64_t id = create(w), other = create(w);
  deposit(w, id, 8);
  deposit(w, other, 8);
  auto first = map_input(w, id, 0x200000, 4);
  REQUIRE(w.partitions->map(first, 0, 0, 4).status == RS_STATUS_SUCCESS);
  auto theirs = map_input(w, other, 0, 1);
  REQUIRE(w.partitions->map(theirs, 0, 0, 1).status == RS_STATUS_SUCCESS);
  const Snapshot before(w);

  auto in = map_input(w, id, 0x400000, 3);
  auto expect = [&](uint16_t status, uint64_t detail = 0) {
    const auto r = w.partitions->map(in, 0, 0, 3);
    CHECK(r.status == status);
    CHECK(r.detail == detail);
    CHECK(Snapshot(w) == before);
  };
  in.reserved0 = 1;
  expect(RS_STATUS_RESERVED_NONZERO);
  in.reserved0 = 0;
  in.flags |= 0x80;
  expect(RS_STATUS_RESERVED_NONZERO);
  in.flags = RS_ACCESS_WRITE;
  expect(RS_STATUS_INVALID_PARAMETER);  // no read
  in.flags = RS_ACCESS_READ;
  in.gpa_base = 0x400008;
  expect(RS_STATUS_MISALIGNED);
  in.gpa_base = (1ull << 48) - kPage;  // the third element passes the limit
  expect(RS_STATUS_GPA_OUT_OF_RANGE);
  in.gpa_base = 0x201000;  // overlaps the first map's second page
  expect(RS_STATUS_GPA_OVERLAP);
  in.gpa_base = 0x400000;
  const uint64_t good = in.frames[1];
  in.frames[1] = theirs.frames[0];  // another child's frame
  expect(RS_STATUS_FRAME_NOT_OWNED, 2);
  in.frames[1] = first.frames[0];  // this child's, mapped already
  expect(RS_STATUS_FRAME_NOT_OWNED, 2);
  in.frames[1] = in.frames[2];  // listed twice
  expect(RS_STATUS_FRAME_NOT_OWNED, 3);
  in.frames[1] = World::kHvBase + 5 * kPage;  // hv's
  expect(RS_STATUS_FRAME_NOT_OWNED, 2);
  in.frames[1] = good + 1;
  expect(RS_STATUS_MISALIGNED, 2);
  in.frames[1] = good;
  in.partition_id = 0;
  expect(RS_STATUS_INVALID_PARTITION_ID);
  in.partition_id = id;
  CHECK(w.partitions->map(in, 0, 0, 3).status == RS_STATUS_SUCCESS);
  check_clean(w);
}

TEST_CASE("partition calls: rep start resumes a map part-way", "[hv][partition]") {
  World w;
  const uint64_t id = create(w);
  deposit(w, id, 8);
  auto in = map_input(w, id, 0, 10);
  auto r = w.partitions->map(in, 0, 4, 10);
  REQUIRE(r.status == RS_STATUS_SUCCESS);
  CHECK(r.reps_done == 10);
  CHECK(w.count(FrameState::kChild) == 6);  // elements 4..9 only
  CHECK(w.table.is(in.frames[0] / kPage, FrameState::kRoot, 0));
  check_clean(w);
}

TEST_CASE("partition calls: unmap checks every element first", "[hv][partition]") {
  World w;
  const uint64_t id = create(w);
  deposit(w, id, 8);
  auto in = map_input(w, id, 0x10000, 4);
  REQUIRE(w.partitions->map(in, 0, 0, 4).status == RS_STATUS_SUCCESS);
  const Snapshot before(w);
  auto r = w.partitions->unmap(id, 0x10000, 0, 0, 5);  // the fifth page is not mapped
  CHECK(r.status == RS_STATUS_GPA_NOT_MAPPED);
  CHECK(r.detail == 5);
  CHECK(w.partitions->unmap(id, 0x10000, RS_MAP_LARGE, 0, 1).status == RS_STATUS_MISALIGNED);
  CHECK(w.partitions->unmap(id, 0, RS_MAP_LARGE, 0, 1).status == RS_STATUS_GPA_NOT_MAPPED);
  CHECK(w.partitions->unmap(id, 0x10000, 2, 0, 1).status == RS_STATUS_RESERVED_NONZERO);
  CHECK(w.partitions->unmap(id, 1ull << 48, 0, 0, 1).status == RS_STATUS_GPA_OUT_OF_RANGE);
  CHECK(Snapshot(w) == before);
  const uint64_t flushes = w.machine.flushes;
  r = w.partitions->unmap(id, 0x11000, 0, 0, 2);
  CHECK(r.status == RS_STATUS_SUCCESS);
  CHECK(w.count(FrameState::kChild) == 2);
  CHECK(w.table.is(in.frames[1] / kPage, FrameState::kRoot, 0));
  CHECK(w.machine.flushes == flushes + 1);
  check_clean(w);
}

TEST_CASE("partition calls: large pages", "[hv][partition]") {
  World w;
  const uint64_t id = create(w);
  deposit(w, id, 8);
  rs_hc_map_gpa_input in{};
  in.partition_id = id;
  in.gpa_base = 0x400000;
  in.flags = RS_ACCESS_READ | RS_ACCESS_WRITE | RS_MAP_LARGE;
  in.frames[0] = 0x1000000;  // 16 MiB: 2 MiB-aligned root frames
  REQUIRE(w.partitions->map(in, 0, 0, 1).status == RS_STATUS_SUCCESS);
  CHECK(w.count(FrameState::kChild) == 512);
  CHECK(w.partitions->unmap(id, 0x400000, 0, 0, 1).status == RS_STATUS_GPA_NOT_MAPPED);
  in.frames[0] = 0x1001000;
  in.gpa_base = 0x800000;
  CHECK(w.partitions->map(in, 0, 0, 1).status == RS_STATUS_MISALIGNED);
  CHECK(w.partitions->unmap(id, 0x400000, RS_MAP_LARGE, 0, 1).status == RS_STATUS_SUCCESS);
  CHECK(w.count(FrameState::kChild) == 0);
  check_clean(w);
}

TEST_CASE("partition calls: withdraw gives back unused deposits, zeroed", "[hv][partition]") {
  World w;
  const uint64_t id = create(w);
  deposit(w, id, 3);
  rs_hc_withdraw_input in{};
  in.partition_id = id;
  rs_hc_withdraw_output out{};
  auto r = w.partitions->withdraw(in, 0, 5, out);
  CHECK(r.status == RS_STATUS_SUCCESS);
  CHECK(r.reps_done == 3);  // all it had
  for (unsigned i = 0; i < 3; ++i) {
    CHECK(w.table.is(out.frames[i] / kPage, FrameState::kRoot, 0));
    CHECK(w.page<uint64_t>(out.frames[i]) == 0);  // the free-list link is gone
  }
  CHECK(w.machine.hidden.empty());
  in.reserved0 = 1;
  CHECK(w.partitions->withdraw(in, 0, 1, out).status == RS_STATUS_RESERVED_NONZERO);
  check_clean(w);
}

TEST_CASE("partition calls: destroy returns every frame, zeroed", "[hv][partition]") {
  World w;
  const Snapshot empty(w);
  const uint64_t id = create(w);
  deposit(w, id, 10);
  auto in = map_input(w, id, 0x7000, 30);
  REQUIRE(w.partitions->map(in, 0, 0, 30).status == RS_STATUS_SUCCESS);
  const uint64_t run_page = w.root_frame();
  REQUIRE(w.partitions->vp_create(id, 0, run_page).status == RS_STATUS_SUCCESS);
  CHECK(w.count(FrameState::kRunPage) == 1);
  REQUIRE(w.partitions->destroy(id).status == RS_STATUS_SUCCESS);
  CHECK(Snapshot(w) == empty);
  CHECK(w.machine.hidden.empty());
  for (uint64_t pa = 1 << 20; pa < w.next_frame; pa += kPage) {
    FrameState s;
    uint16_t owner;
    REQUIRE(w.table.lookup(pa / kPage, s, owner));
    CHECK(s == FrameState::kRoot);
  }
  CHECK(w.partitions->live() == 0);
  check_clean(w);
}

TEST_CASE("partition calls: 1000 cycles of random calls leave nothing behind", "[hv][partition]") {
  World w;
  const Snapshot empty(w);
  std::mt19937_64 rng(7);
  for (int cycle = 0; cycle < 1000; ++cycle) {
    w.next_frame = 1 << 20;  // frames come back every cycle: reuse them
    const uint64_t id = create(w);
    for (int op = 0; op < 6; ++op) {
      switch (rng() % 4) {
        case 0:
          deposit(w, id, 1 + static_cast<unsigned>(rng() % 4));
          break;
        case 1: {
          auto in = map_input(w, id, (rng() % 64) * kPage, 1 + static_cast<unsigned>(rng() % 8));
          (void)w.partitions->map(in, 0, 0, static_cast<uint16_t>(1 + rng() % 8));
          break;
        }
        case 2:
          (void)w.partitions->unmap(id, (rng() % 64) * kPage, 0, 0, 1);
          break;
        default:
          (void)w.partitions->vp_create(id, rng() % 3, w.root_frame());
          break;
      }
    }
    check_clean(w);
    REQUIRE(w.partitions->destroy(id).status == RS_STATUS_SUCCESS);
  }
  CHECK(Snapshot(w) == empty);
  CHECK(w.machine.hidden.empty());
  CHECK(w.machine.errors == 0);
  check_clean(w);
}

TEST_CASE("partition calls: outputs and fetches touch only frames of the right owner",
          "[hv][partition]") {
  World w;
  const uint64_t id = create(w);
  deposit(w, id, 6);  // four tables, a VMCB and an extended-state page
  auto in = map_input(w, id, 0x3000, 1);
  REQUIRE(w.partitions->map(in, 0, 0, 1).status == RS_STATUS_SUCCESS);
  const uint64_t out = w.root_frame();
  const uint64_t value = 0x1234;
  CHECK(w.partitions->write_root_page(out, 8, &value, 8));
  CHECK(w.page<uint64_t>(out + 8) == 0x1234);
  CHECK_FALSE(w.partitions->write_root_page(in.frames[0], 0, &value, 8));  // the child's now
  CHECK_FALSE(w.partitions->write_root_page(World::kHvBase, 0, &value, 8));
  CHECK_FALSE(w.partitions->write_root_page(out, 4090, &value, 8));  // past the page
  // A VP's view of its child's memory: the mapped frame only, within one page.
  const uint64_t run_page = w.root_frame();
  REQUIRE(w.partitions->vp_create(id, 0, run_page).status == RS_STATUS_SUCCESS);
  RunTicket t;
  REQUIRE(w.partitions->begin_run(id, 0, 0, t).status == RS_STATUS_SUCCESS);
  w.page<uint64_t>(in.frames[0] + 16) = 0xabcdef;
  uint64_t got = 0;
  CHECK(w.partitions->read_child(t, 0x3010, &got, 8));
  CHECK(got == 0xabcdef);
  CHECK_FALSE(w.partitions->read_child(t, 0x4000, &got, 8));  // not mapped
  CHECK_FALSE(w.partitions->read_child(t, 0x3ffc, &got, 8));  // crosses the page
  w.partitions->end_run(t, LastExit{});
}

TEST_CASE("partition calls: a partition with no deposits has no tables to walk",
          "[hv][partition]") {
  World w;
  const uint64_t id = create(w);
  CHECK(w.partitions->unmap(id, 0, 0, 0, 1).status == RS_STATUS_GPA_NOT_MAPPED);
  auto in = map_input(w, id, 0, 1);
  CHECK(w.partitions->map(in, 0, 0, 1).status == RS_STATUS_INSUFFICIENT_MEMORY);
  rs_hc_invariants_output inv{};
  w.partitions->check_invariants(inv);
  CHECK(inv.violations == 0);
  CHECK(w.partitions->destroy(id).status == RS_STATUS_SUCCESS);
}

TEST_CASE("partition calls: destroying a large child takes several calls", "[hv][partition]") {
  World w;
  const Snapshot empty(w);
  const uint64_t id = create(w);
  deposit(w, id, 8);
  // 20 large pages (10240 frames) from 8 MiB up: more than one destroy call unmaps.
  rs_hc_map_gpa_input in{};
  in.partition_id = id;
  in.flags = RS_ACCESS_READ | RS_ACCESS_WRITE | RS_MAP_LARGE;
  for (unsigned i = 0; i < 20; ++i) in.frames[i] = (8ull << 20) + i * (2ull << 20);
  REQUIRE(w.partitions->map(in, 0, 0, 20).status == RS_STATUS_SUCCESS);
  CHECK(w.partitions->destroy(id).status == RS_STATUS_PARTIAL);
  PartitionInfo info;
  REQUIRE(w.partitions->query(id, info).status == RS_STATUS_SUCCESS);  // still there, shrinking
  CHECK(info.mapped_pages > 0);
  CHECK(info.mapped_pages < 20 * 512);
  // Being destroyed: every other call on it is BUSY.
  CHECK(w.partitions->vp_create(id, 0, w.root_frame()).status == RS_STATUS_BUSY);
  CHECK(w.partitions->unmap(id, 0, RS_MAP_LARGE, 0, 1).status == RS_STATUS_BUSY);
  int calls = 1;  // the PARTIAL above
  CallResult r;
  do {
    r = w.partitions->destroy(id);
    ++calls;
  } while (r.status == RS_STATUS_PARTIAL && calls < 100);
  CHECK(r.status == RS_STATUS_SUCCESS);
  CHECK(calls == 2);  // 10240 pages at 8192 per call
  CHECK(Snapshot(w) == empty);
  check_clean(w);
}
