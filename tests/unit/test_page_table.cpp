// hv's page-table builder (hv/mm/page_table.hpp) for its own tables and for nested page tables:
// page-size choice, splitting, unmapping and reclaim, translation checked against an independent
// walk, and that failures (bad input, no frames) leave the tree exactly as it was.
#include <catch2/catch_test_macros.hpp>
#include <cstdint>

#include "fake_frames.hpp"
#include "mm/frame_allocator.hpp"
#include "mm/page_table.hpp"
#include "mm/paging_policy.hpp"

namespace {

using hv::PageFlags;
using hv::PageSize;
using hv::PagingStatus;

constexpr uint64_t k4K = 4096;
constexpr uint64_t k2M = 2ull << 20;
constexpr uint64_t k1G = 1ull << 30;

using HvTable = hv::PageTable<hv::HvPaging, fake::FakeFrames>;
using NptTable = hv::PageTable<hv::NptPaging, fake::FakeFrames>;

// translate() and the independent walk agree on `addr`, and it maps to `phys` with a page of
// `size` bytes.
template <typename Table>
void check_maps(fake::FakeFrames& frames, Table& pt, uint64_t addr, uint64_t phys, uint64_t size) {
  INFO("addr 0x" << std::hex << addr);
  const hv::Translation t = pt.translate(addr);
  const auto w = fake::walk(frames, pt.root(), addr);
  REQUIRE(t.mapped);
  REQUIRE(w.has_value());
  CHECK(t.phys == phys);
  CHECK(w->phys == phys);
  CHECK(hv::bytes(t.size) == size);
  CHECK(w->size == size);
}

template <typename Table>
void check_unmapped(fake::FakeFrames& frames, Table& pt, uint64_t addr) {
  INFO("addr 0x" << std::hex << addr);
  CHECK_FALSE(pt.translate(addr).mapped);
  CHECK_FALSE(fake::walk(frames, pt.root(), addr).has_value());
}

}  // namespace

TEST_CASE("page table maps 4 KiB and 2 MiB pages", "[hv][mm]") {
  fake::FakeFrames frames(64);
  HvTable pt(frames);
  REQUIRE(pt.init() == PagingStatus::kOk);
  CHECK(frames.live() == 1);

  REQUIRE(pt.map(0x1000, 0x5000, k4K, PageFlags::kWritable | PageFlags::kNoExecute) ==
          PagingStatus::kOk);
  check_maps(frames, pt, 0x1234, 0x5234, k4K);
  CHECK(pt.translate(0x1000).flags == (PageFlags::kWritable | PageFlags::kNoExecute));
  check_unmapped(frames, pt, 0x0);
  check_unmapped(frames, pt, 0x2000);
  CHECK(frames.live() == 4);  // PML4, PDPT, PD, PT

  REQUIRE(pt.map(0x4000'0000, 0x8000'0000, k2M, PageFlags::kPat) == PagingStatus::kOk);
  check_maps(frames, pt, 0x4012'3456, 0x8012'3456, k2M);
  const auto w = fake::walk(frames, pt.root(), 0x4000'0000);
  CHECK((w->entry & fake::kPS) != 0);
  CHECK((w->entry & (1ull << 12)) != 0);  // PAT of a large page is bit 12 (APM 5.4.1)
  CHECK(pt.translate(0x4000'0000).flags == PageFlags::kPat);
  CHECK(frames.live() == 5);  // one more PD, no PT
  CHECK(frames.misuse() == 0);
}

TEST_CASE("page table splits a mixed-alignment range into 2 MiB and 4 KiB pieces", "[hv][mm]") {
  fake::FakeFrames frames(64);
  HvTable pt(frames);
  REQUIRE(pt.init() == PagingStatus::kOk);
  // [0x1ff000, 0x601000) → [0x3ff000, ...): input and physical differ by 2 MiB, so the inner
  // 2 MiB-aligned part uses large pages and the ends 4 KiB ones.
  REQUIRE(pt.map(0x1ff000, 0x3ff000, 2 * k2M + 2 * k4K, PageFlags::kWritable) == PagingStatus::kOk);
  check_maps(frames, pt, 0x1ff000, 0x3ff000, k4K);
  check_maps(frames, pt, 0x200000, 0x400000, k2M);
  check_maps(frames, pt, 0x5fffff, 0x7fffff, k2M);
  check_maps(frames, pt, 0x600000, 0x800000, k4K);
  check_unmapped(frames, pt, 0x1fe000);
  check_unmapped(frames, pt, 0x601000);
  CHECK(fake::count_tables(frames, pt.root()) == 5);  // PML4, PDPT, PD, two PTs
  CHECK(frames.live() == 5);

  // Aligned input but a physical address that is not 2 MiB-aligned: 4 KiB pages only.
  REQUIRE(pt.map(0x4000'0000, 0x1000, k2M, PageFlags::kWritable) == PagingStatus::kOk);
  check_maps(frames, pt, 0x4000'0000, 0x1000, k4K);
  check_maps(frames, pt, 0x401f'f000, 0x20'0000, k4K);
}

TEST_CASE("page table splits an existing 2 MiB page and keeps the rest", "[hv][mm]") {
  fake::FakeFrames frames(64);
  HvTable pt(frames);
  REQUIRE(pt.init() == PagingStatus::kOk);
  REQUIRE(pt.map(0x20'0000, 0x80'0000, k2M, PageFlags::kWritable | PageFlags::kGlobal) ==
          PagingStatus::kOk);
  // The processor has used and written the page: its A/D history must survive the split.
  const auto before = fake::walk(frames, pt.root(), 0x20'0000);
  auto* pd = static_cast<uint64_t*>(
      frames.to_pointer(fake::snapshot(frames, pt.root())[1].entry & fake::kAddr));
  pd[1] |= fake::kA | fake::kD;
  REQUIRE(before->size == k2M);

  REQUIRE(pt.map(0x20'1000, 0x900'0000, k4K, PageFlags::kNoExecute) == PagingStatus::kOk);
  check_maps(frames, pt, 0x20'0000, 0x80'0000, k4K);
  check_maps(frames, pt, 0x20'1000, 0x900'0000, k4K);
  check_maps(frames, pt, 0x20'2000, 0x80'2000, k4K);
  check_maps(frames, pt, 0x3f'f000, 0x9f'f000, k4K);
  CHECK(pt.translate(0x20'0000).flags == (PageFlags::kWritable | PageFlags::kGlobal));
  CHECK(pt.translate(0x20'1000).flags == PageFlags::kNoExecute);
  const auto piece = fake::walk(frames, pt.root(), 0x3f'f000);
  CHECK((piece->entry & (fake::kA | fake::kD)) == (fake::kA | fake::kD));
  CHECK((piece->entry & fake::kPS) == 0);  // bit 7 of a PTE is PAT, and PAT was clear
  CHECK(frames.live() == 4);

  // Mapping the whole 2 MiB again replaces the table by a large page and frees the table.
  REQUIRE(pt.map(0x20'0000, 0xa0'0000, k2M, PageFlags::kWritable) == PagingStatus::kOk);
  check_maps(frames, pt, 0x20'1000, 0xa0'1000, k2M);
  CHECK(frames.live() == 3);
  CHECK(frames.misuse() == 0);
}

TEST_CASE("page table splits an existing 1 GiB page down to the 4 KiB change", "[hv][mm]") {
  fake::FakeFrames frames(64);
  HvTable pt(frames);
  REQUIRE(pt.init() == PagingStatus::kOk);
  REQUIRE(pt.map(0, 0, k4K, PageFlags::kWritable) == PagingStatus::kOk);
  // The builder never makes 1 GiB pages; one written by hand (as boot code might) is handled.
  auto* pdpt = static_cast<uint64_t*>(frames.to_pointer(
      static_cast<const uint64_t*>(frames.to_pointer(pt.root()))[0] & fake::kAddr));
  pdpt[1] = 5 * k1G | fake::kPS | fake::kRW | fake::kP;
  check_maps(frames, pt, k1G + 0x1234'5678, 5 * k1G + 0x1234'5678, k1G);

  REQUIRE(pt.map(k1G + 0x20'3000, 0x7000, k4K, PageFlags::kNone) == PagingStatus::kOk);
  check_maps(frames, pt, k1G + 0x20'3000, 0x7000, k4K);
  check_maps(frames, pt, k1G + 0x20'4000, 5 * k1G + 0x20'4000, k4K);
  check_maps(frames, pt, k1G, 5 * k1G, k2M);
  check_maps(frames, pt, 2 * k1G - 1, 6 * k1G - 1, k2M);
  CHECK(pt.translate(k1G + 0x20'4000).flags == PageFlags::kWritable);
  CHECK(frames.live() == 6);  // + a PD from the 1 GiB split and a PT from the 2 MiB split
}

TEST_CASE("page table unmaps, splitting where needed and reclaiming empty tables", "[hv][mm]") {
  fake::FakeFrames frames(64);
  HvTable pt(frames);
  REQUIRE(pt.init() == PagingStatus::kOk);
  REQUIRE(pt.map(0, 0x1000'0000, 4 * k2M, PageFlags::kWritable) == PagingStatus::kOk);
  CHECK(frames.live() == 3);

  REQUIRE(pt.unmap(0x20'1000, k4K) == PagingStatus::kOk);  // inside a 2 MiB page
  check_unmapped(frames, pt, 0x20'1000);
  check_maps(frames, pt, 0x20'0000, 0x1020'0000, k4K);
  check_maps(frames, pt, 0x20'2000, 0x1020'2000, k4K);
  check_maps(frames, pt, 0x40'0000, 0x1040'0000, k2M);
  CHECK(frames.live() == 4);

  REQUIRE(pt.unmap(0x20'0000, k2M) == PagingStatus::kOk);  // the split table goes
  check_unmapped(frames, pt, 0x20'2000);
  CHECK(frames.live() == 3);

  REQUIRE(pt.unmap(0x10'0000, 0x20'0000) == PagingStatus::kOk);  // half of two 2 MiB pages
  check_maps(frames, pt, 0xf'f000, 0x100f'f000, k4K);
  check_unmapped(frames, pt, 0x10'0000);
  check_unmapped(frames, pt, 0x2f'f000);
  CHECK(frames.live() == 4);  // one PT for [0, 2 MiB); nothing was left at [2, 4 MiB)

  REQUIRE(pt.unmap(0x5000'0000, k2M) == PagingStatus::kOk);  // not mapped: nothing to do
  REQUIRE(pt.unmap(0, 8 * k2M) == PagingStatus::kOk);
  CHECK(fake::snapshot(frames, pt.root()).empty());
  CHECK(frames.live() == 1);  // everything but the PML4 reclaimed

  pt.destroy();
  CHECK(frames.live() == 0);
  CHECK_FALSE(pt.initialized());
  CHECK(pt.map(0, 0, k4K, PageFlags::kNone) == PagingStatus::kNotInitialized);
  CHECK(frames.misuse() == 0);
}

TEST_CASE("page table: hiding and showing 4 KiB pages keeps no table for good", "[hv][mm]") {
  // The root's nested tables: a frame deposited to hv is unmapped (its table kept, so giving it
  // back needs no frame) and mapped again later; once the 2 MiB around it are whole again the
  // table is merged away. A thousand deposit/withdraw cycles end with the tables they began with.
  fake::FakeFrames frames(64);
  NptTable npt(frames);
  REQUIRE(npt.init() == PagingStatus::kOk);
  REQUIRE(npt.map(0, 0, 4 * k2M, PageFlags::kWritable) == PagingStatus::kOk);
  const auto start = frames.live();
  for (uint64_t round = 0; round < 1000; ++round) {
    const uint64_t page = (round * 0x5000) % (4 * k2M);
    REQUIRE(npt.unmap(page, k4K, hv::EmptyTables::kKeep) == PagingStatus::kOk);
    check_unmapped(frames, npt, page);
    CHECK(frames.live() == start + 1);  // the split
    const auto before = frames.live();
    REQUIRE(npt.map(page, page, k4K, PageFlags::kWritable) == PagingStatus::kOk);
    CHECK(frames.live() == before);  // showing needs no frame
    const uint64_t table = npt.merge_small_pages(page);
    REQUIRE(table != 0);
    frames.free(table);  // hv frees it after a TLB flush
    CHECK(frames.live() == start);
    check_maps(frames, npt, page, page, k2M);
  }
  // A table kept empty: all 512 pages of one 2 MiB hidden, then shown again one by one.
  for (uint64_t p = 0; p < k2M; p += k4K) {
    REQUIRE(npt.unmap(k2M + p, k4K, hv::EmptyTables::kKeep) == PagingStatus::kOk);
  }
  CHECK(frames.live() == start + 1);
  for (uint64_t p = 0; p < k2M; p += k4K) {
    REQUIRE(npt.map(k2M + p, k2M + p, k4K, PageFlags::kWritable) == PagingStatus::kOk);
    if (p + k4K < k2M) CHECK(npt.merge_small_pages(k2M + p) == 0);  // not whole yet
  }
  const uint64_t table = npt.merge_small_pages(k2M);
  REQUIRE(table != 0);
  frames.free(table);
  CHECK(frames.live() == start);
  CHECK(frames.misuse() == 0);
}

TEST_CASE("page table: merge_small_pages refuses what is not one 2 MiB page", "[hv][mm]") {
  fake::FakeFrames frames(64);
  NptTable npt(frames);
  REQUIRE(npt.init() == PagingStatus::kOk);
  REQUIRE(npt.map(0, 0, k2M, PageFlags::kWritable) == PagingStatus::kOk);
  CHECK(npt.merge_small_pages(0) == 0);        // already a 2 MiB leaf
  CHECK(npt.merge_small_pages(k2M * 7) == 0);  // nothing mapped there
  REQUIRE(npt.unmap(0x3000, k4K, hv::EmptyTables::kKeep) == PagingStatus::kOk);
  REQUIRE(npt.map(0x3000, 0x3000, k4K, PageFlags::kNone) == PagingStatus::kOk);  // read-only
  CHECK(npt.merge_small_pages(0) == 0);
  REQUIRE(npt.map(0x3000, 0x9000, k4K, PageFlags::kWritable) == PagingStatus::kOk);  // elsewhere
  CHECK(npt.merge_small_pages(0) == 0);
  REQUIRE(npt.map(0x3000, 0x3000, k4K, PageFlags::kWritable) == PagingStatus::kOk);
  const uint64_t table = npt.merge_small_pages(0x3000);
  CHECK(table != 0);
  frames.free(table);
  // Not 2 MiB-aligned physically: 4 KiB pages of 2 MiB that start 4 KiB into a 2 MiB frame.
  REQUIRE(npt.map(4 * k2M, 4 * k2M + k4K, k2M, PageFlags::kWritable) == PagingStatus::kOk);
  CHECK(npt.merge_small_pages(4 * k2M) == 0);
  CHECK(frames.misuse() == 0);
}

TEST_CASE("nested page tables set U/S at every level", "[hv][mm]") {
  fake::FakeFrames frames(64);
  NptTable npt(frames);
  REQUIRE(npt.init() == PagingStatus::kOk);
  REQUIRE(npt.map(0x1ff000, 0x3ff000, k2M + 2 * k4K, PageFlags::kWritable) == PagingStatus::kOk);
  REQUIRE(npt.map(0xffff'ffff'f000, 0x1000, k4K, PageFlags::kNone) == PagingStatus::kOk);
  const auto all = fake::snapshot(frames, npt.root());
  REQUIRE(all.size() > 5);
  for (const fake::Slot& s : all) {
    INFO("level " << s.level << " index " << s.index);
    CHECK((s.entry & fake::kUS) != 0);
  }
  CHECK(has(npt.translate(0x1ff000).flags, PageFlags::kUser));
  // Guest-physical space is 48 bits with 4 levels; no canonical upper half.
  CHECK(npt.map(1ull << 48, 0, k4K, PageFlags::kNone) == PagingStatus::kAddressOutOfRange);
  CHECK(npt.map(0xffff'8000'0000'0000, 0, k4K, PageFlags::kNone) ==
        PagingStatus::kAddressOutOfRange);

  // hv's own tables: supervisor-only non-leaf entries.
  HvTable pt(frames);
  REQUIRE(pt.init() == PagingStatus::kOk);
  REQUIRE(pt.map(0x1ff000, 0x3ff000, k2M + 2 * k4K, PageFlags::kWritable) == PagingStatus::kOk);
  for (const fake::Slot& s : fake::snapshot(frames, pt.root())) CHECK((s.entry & fake::kUS) == 0);
}

TEST_CASE("page table uses the canonical upper half for hv", "[hv][mm]") {
  fake::FakeFrames frames(64);
  HvTable pt(frames);
  REQUIRE(pt.init() == PagingStatus::kOk);
  // A range ending exactly at 2^64 must not be mistaken for a wrap.
  REQUIRE(pt.map(0xffff'ffff'ffe0'0000, 0x20'0000, k2M, PageFlags::kWritable) == PagingStatus::kOk);
  check_maps(frames, pt, 0xffff'ffff'ffff'ffff, 0x3f'ffff, k2M);
  REQUIRE(pt.map(0xffff'8000'0000'0000, 0x1000, k4K, PageFlags::kNone) == PagingStatus::kOk);
  check_maps(frames, pt, 0xffff'8000'0000'0000, 0x1000, k4K);
  CHECK_FALSE(pt.translate(0x0000'8000'0000'0000).mapped);  // non-canonical
  REQUIRE(pt.unmap(0xffff'ffff'ffe0'0000, k2M) == PagingStatus::kOk);
  check_unmapped(frames, pt, 0xffff'ffff'ffff'f000);
}

TEST_CASE("page table rejects invalid input and changes nothing", "[hv][mm]") {
  fake::FakeFrames frames(64);
  HvTable pt(frames);
  REQUIRE(pt.init() == PagingStatus::kOk);
  REQUIRE(pt.map(0x20'0000, 0x20'0000, 3 * k2M + k4K, PageFlags::kWritable) == PagingStatus::kOk);
  const auto before = fake::snapshot(frames, pt.root());
  const size_t live = frames.live();

  struct Case {
    uint64_t addr, phys, size;
    PageFlags flags;
    PagingStatus expected;
  };
  const Case cases[] = {
      {0x20'0000, 0, 0, PageFlags::kNone, PagingStatus::kZeroSize},
      {0x20'0800, 0, k4K, PageFlags::kNone, PagingStatus::kUnaligned},
      {0x20'0000, 0x800, k4K, PageFlags::kNone, PagingStatus::kUnaligned},
      {0x20'0000, 0, 0x800, PageFlags::kNone, PagingStatus::kUnaligned},
      {0xffff'ffff'ffff'f000, 0, 2 * k4K, PageFlags::kNone, PagingStatus::kAddressOutOfRange},
      {0x7fff'ffff'f000, 0, 2 * k4K, PageFlags::kNone, PagingStatus::kAddressOutOfRange},
      {0x8000'0000'0000, 0, k4K, PageFlags::kNone, PagingStatus::kAddressOutOfRange},
      {0x20'0000, 1ull << 52, k4K, PageFlags::kNone, PagingStatus::kPhysicalOutOfRange},
      {0x20'0000, (1ull << 52) - k4K, 2 * k4K, PageFlags::kNone, PagingStatus::kPhysicalOutOfRange},
      {0x20'0000, 0xffff'ffff'ffff'f000, 2 * k4K, PageFlags::kNone,
       PagingStatus::kPhysicalOutOfRange},
      {0x20'0000, 0, k4K, static_cast<PageFlags>(1u << 9), PagingStatus::kInvalidFlags},
  };
  for (const Case& c : cases) {
    INFO("map 0x" << std::hex << c.addr << " -> 0x" << c.phys << " size 0x" << c.size);
    const PagingStatus s = pt.map(c.addr, c.phys, c.size, c.flags);
    CHECK(s == c.expected);
    CHECK(hv::describe(s) != nullptr);
  }
  CHECK(pt.unmap(0x20'0000, 0) == PagingStatus::kZeroSize);
  CHECK(pt.unmap(0x20'0800, k4K) == PagingStatus::kUnaligned);
  CHECK(pt.unmap(0xffff'ffff'ffff'f000, 2 * k4K) == PagingStatus::kAddressOutOfRange);
  CHECK(pt.unmap(0x7fff'ffff'f000, 2 * k4K) == PagingStatus::kAddressOutOfRange);

  CHECK(fake::snapshot(frames, pt.root()) == before);
  CHECK(frames.live() == live);
  CHECK(frames.misuse() == 0);
}

TEST_CASE("page table out of frames leaves no half-built mapping", "[hv][mm]") {
  fake::FakeFrames frames(64);
  HvTable pt(frames);
  REQUIRE(pt.init() == PagingStatus::kOk);
  REQUIRE(pt.map(0x20'0000, 0x4000'0000, k2M, PageFlags::kWritable) == PagingStatus::kOk);
  const auto before = fake::snapshot(frames, pt.root());
  const size_t live = frames.live();  // 3

  // One operation needing several tables (a split, and new PD/PT under a fresh PDPT entry):
  // every budget short of the need fails cleanly.
  const uint64_t a = 0x3f'f000;  // last 4 KiB of the 2 MiB page, then into the next GiB
  const uint64_t size = k1G - a + k4K;
  size_t needed = 0;
  for (size_t extra = 0; extra < 8; ++extra) {
    frames.set_limit(live + extra);
    const PagingStatus s = pt.map(a, 0x1000'0000 + a, size, PageFlags::kNone);
    if (s == PagingStatus::kOk) {
      needed = extra;
      break;
    }
    INFO("extra frames " << extra);
    REQUIRE(s == PagingStatus::kOutOfFrames);
    CHECK(fake::snapshot(frames, pt.root()) == before);
    CHECK(frames.live() == live);
  }
  CHECK(needed == 3);  // the split PT, and a PD plus a PT at 1 GiB
  check_maps(frames, pt, a, 0x1000'0000 + a, k4K);
  check_maps(frames, pt, 0x20'0000, 0x4000'0000, k4K);
  check_maps(frames, pt, k1G, 0x1000'0000 + k1G, k4K);

  // unmap needs a frame to split a large page; without one it refuses and changes nothing.
  REQUIRE(pt.map(0x4000'0000'0000, 0, k2M, PageFlags::kNone) == PagingStatus::kOutOfFrames);
  frames.set_limit(frames.live() + 3);
  REQUIRE(pt.map(0x4000'0000'0000, 0, k2M, PageFlags::kNone) == PagingStatus::kOk);
  frames.set_limit(frames.live());
  const auto full = fake::snapshot(frames, pt.root());
  CHECK(pt.unmap(0x4000'0000'0000 + k4K, k4K) == PagingStatus::kOutOfFrames);
  CHECK(fake::snapshot(frames, pt.root()) == full);
  CHECK(frames.misuse() == 0);
}

TEST_CASE("identity map of the low 4 GiB with 2 MiB pages uses six tables", "[hv][mm]") {
  fake::FakeFrames frames(16);
  HvTable pt(frames);
  REQUIRE(pt.init() == PagingStatus::kOk);
  REQUIRE(pt.map(0, 0, 4 * k1G, PageFlags::kWritable) == PagingStatus::kOk);
  CHECK(frames.allocations() == 6);  // PML4, one PDPT, four PDs: no PT, nothing wasted
  CHECK(frames.live() == 6);
  CHECK(fake::snapshot(frames, pt.root()).size() == 1 + 4 + 4 * 512);
  for (const uint64_t a :
       {uint64_t{0}, uint64_t{0x12'3456}, k1G + 7, 3 * k1G + 0x1f'ffff, 4 * k1G - 1}) {
    check_maps(frames, pt, a, a, k2M);
  }
  check_unmapped(frames, pt, 4 * k1G);
}

TEST_CASE("page tables built from the frame allocator stay in the reservation", "[hv][mm]") {
  constexpr uint64_t kBase = 0x8000'0000;
  constexpr uint64_t kSize = 4 * k2M;
  void* window = std::aligned_alloc(k4K, kSize);
  hv::FrameAllocator frames;
  REQUIRE(frames.init({kBase, kSize, rootstock::MemoryType::kReserved}, window) ==
          hv::FrameStatus::kOk);
  hv::TableFrames source(frames);
  hv::PageTable<hv::NptPaging, hv::TableFrames> npt(source);
  REQUIRE(npt.init() == PagingStatus::kOk);
  REQUIRE(npt.map(0, 0, 4 * k1G, PageFlags::kWritable) == PagingStatus::kOk);
  REQUIRE(npt.map(0x1000, 0x1000, k4K, PageFlags::kNone) == PagingStatus::kOk);
  CHECK(frames.total_frames() - frames.free_frames() == 7);
  CHECK(npt.root() >= kBase);
  CHECK(npt.root() < kBase + kSize);
  const hv::Translation t = npt.translate(0x1000);
  CHECK(t.phys == 0x1000);
  CHECK(t.flags == PageFlags::kUser);
  npt.destroy();
  CHECK(frames.free_frames() == frames.total_frames());
  std::free(window);
}
