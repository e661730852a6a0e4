// The frame table: RAM starts as the root's, hv's ranges as hv's, holes and reserved ranges as
// not RAM; frames move only along explicit (from, owner) -> (to, owner) transitions; every
// refused move changes nothing; the counts always add up to the RAM.
#include <catch2/catch_test_macros.hpp>
#include <random>
#include <vector>

#include "partition/frame_table.hpp"

using hv::FrameState;
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

uint64_t sum(const uint64_t (&c)[RS_FRAME_STATE_SLOTS]) {
  uint64_t s = 0;
  for (uint64_t v : c) s += v;
  return s;
}

}  // namespace

TEST_CASE("frame table: initial states", "[hv][frames]") {
  Machine m;
  FrameState s;
  uint16_t o;
  REQUIRE(m.table.lookup(0x10, s, o));
  CHECK(s == FrameState::kRoot);
  CHECK(o == 0);
  CHECK_FALSE(m.table.lookup(0xb0, s, o));  // the ISA hole
  REQUIRE(m.table.lookup(32 * kMiB / kPage, s, o));
  CHECK(s == FrameState::kHv);
  CHECK_FALSE(m.table.lookup(64 * kMiB / kPage, s, o));  // reserved, not RAM
  CHECK(m.table.count(FrameState::kHv) == 8 * kMiB / kPage);
  CHECK(m.table.count(FrameState::kRoot) == 0xa0 + (63 - 8) * kMiB / kPage);
  uint64_t counts[RS_FRAME_STATE_SLOTS];
  const uint64_t total = m.table.count_states(counts);
  CHECK(total == sum(counts));
  CHECK(counts[RS_FRAME_ROOT] == m.table.count(FrameState::kRoot));
  CHECK(counts[RS_FRAME_HV_USED] == 8 * kMiB / kPage);
  CHECK(m.table.first_invalid_entry() == ~uint64_t{0});
  CHECK(FrameTable::frames_spanned(m.map, 3) == 64 * kMiB / kPage);
}

TEST_CASE("frame table: a move happens only from the expected state and owner", "[hv][frames]") {
  Machine m;
  const uint64_t f = 2 * kMiB / kPage;
  using S = FrameState;
  CHECK(m.table.move(f, S::kRoot, 0, S::kDepositedFree, 1) == FrameTableStatus::kOk);
  CHECK(m.table.is(f, S::kDepositedFree, 1));
  // twice, or as if it were still the root's
  CHECK(m.table.move(f, S::kRoot, 0, S::kDepositedFree, 1) == FrameTableStatus::kWrongState);
  CHECK(m.table.move(f, S::kRoot, 0, S::kChild, 2) == FrameTableStatus::kWrongState);
  // hv's frames, holes, beyond the end
  CHECK(m.table.move(32 * kMiB / kPage, S::kRoot, 0, S::kChild, 1) ==
        FrameTableStatus::kWrongState);
  CHECK(m.table.move(0xb0, S::kRoot, 0, S::kChild, 1) == FrameTableStatus::kNotRam);
  CHECK(m.table.move(1ull << 40, S::kRoot, 0, S::kChild, 1) == FrameTableStatus::kNotRam);
  // owners the states cannot carry
  CHECK(m.table.move(f + 1, S::kRoot, 0, S::kChild, 0) == FrameTableStatus::kBadOwner);
  CHECK(m.table.move(f + 1, S::kRoot, 0, S::kChild, FrameTable::kMaxOwner + 1) ==
        FrameTableStatus::kBadOwner);
  CHECK(m.table.move(f + 1, S::kRoot, 3, S::kChild, 1) == FrameTableStatus::kBadOwner);
  // another owner's frame
  CHECK(m.table.move(f, S::kDepositedFree, 2, S::kRoot, 0) == FrameTableStatus::kWrongState);
  CHECK(m.table.move(f, S::kDepositedFree, 1, S::kDepositedUsed, 1) == FrameTableStatus::kOk);
  CHECK(m.table.move(f, S::kDepositedUsed, 1, S::kRoot, 0) == FrameTableStatus::kOk);
  CHECK(m.table.count(S::kDepositedFree) + m.table.count(S::kDepositedUsed) == 0);
  CHECK(m.table.first_invalid_entry() == ~uint64_t{0});
}

TEST_CASE("frame table: counts per owner", "[hv][frames]") {
  Machine m;
  using S = FrameState;
  for (uint64_t f = 256; f < 256 + 100; ++f) {
    REQUIRE(m.table.move(f, S::kRoot, 0, S::kChild, 7) == FrameTableStatus::kOk);
  }
  for (uint64_t f = 1024; f < 1024 + 5; ++f) {
    REQUIRE(m.table.move(f, S::kRoot, 0, S::kDepositedFree, 8) == FrameTableStatus::kOk);
  }
  CHECK(m.table.count(S::kChild, 7) == 100);
  CHECK(m.table.count(S::kChild, 8) == 0);
  CHECK(m.table.count(S::kDepositedFree, 8) == 5);
  CHECK(m.table.count(S::kDepositedFree) == 5);
}

TEST_CASE("frame table: random moves keep every frame accounted for", "[hv][frames]") {
  Machine m;
  uint64_t counts[RS_FRAME_STATE_SLOTS];
  const uint64_t ram = m.table.count_states(counts);
  std::mt19937_64 rng(42);
  const uint64_t span = 64 * kMiB / kPage;
  // Every state a call moves frames between (none moves a frame to or from kHv).
  const FrameState states[] = {FrameState::kRoot, FrameState::kRunPage, FrameState::kDepositedFree,
                               FrameState::kDepositedUsed, FrameState::kChild};
  for (int i = 0; i < 200000; ++i) {
    const uint64_t pfn = rng() % (span + 16);
    const FrameState from = states[rng() % 5], to = states[rng() % 5];
    (void)m.table.move(pfn, from, static_cast<uint16_t>(rng() % 4), to,
                       static_cast<uint16_t>(rng() % 4));
  }
  CHECK(m.table.first_invalid_entry() == ~uint64_t{0});
  CHECK(m.table.count_states(counts) == ram);
  CHECK(sum(counts) == ram);
}

TEST_CASE("frame table: too little storage is refused", "[hv][frames]") {
  const MemoryRange map[] = {{0, 64 * kMiB, MemoryType::kUsable}};
  std::vector<uint16_t> small(10);
  FrameTable t;
  CHECK(t.init(small.data(), small.size(), map, 1, nullptr, 0) == FrameTableStatus::kTooSmall);
  CHECK(FrameTable::storage_bytes(1ull << 20) == 2ull << 20);
}

TEST_CASE("frame table: a frame that becomes hv's outside hv's ranges is reported",
          "[hv][frames]") {
  Machine m;
  CHECK(m.table.first_invalid_entry() == ~uint64_t{0});
  // Nothing moves a frame to or from kHv; a stray write could. The check sees it both ways.
  REQUIRE(m.table.move(0x200, FrameState::kRoot, 0, FrameState::kHv, 0) == FrameTableStatus::kOk);
  CHECK(m.table.first_invalid_entry() == 0x200);
  REQUIRE(m.table.move(0x200, FrameState::kHv, 0, FrameState::kRoot, 0) == FrameTableStatus::kOk);
  const uint64_t hv_pfn = 32 * kMiB / kPage + 3;
  REQUIRE(m.table.move(hv_pfn, FrameState::kHv, 0, FrameState::kRoot, 0) == FrameTableStatus::kOk);
  CHECK(m.table.first_invalid_entry() == hv_pfn);
}
