// hv's reservation carving and frame allocator (hv/mm/frame_allocator.hpp): where the
// reservation lands in realistic and hostile memory maps, and that frames and blocks come only
// from it, zeroed, with misuse reported and never corrupting the counters.
#include <catch2/catch_test_macros.hpp>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "mm/frame_allocator.hpp"

namespace {

using hv::FrameStatus;
using rootstock::MemoryRange;
using rootstock::MemoryType;

constexpr uint64_t k4K = 4096;
constexpr uint64_t k1M = 1ull << 20;
constexpr uint64_t k2M = 2ull << 20;
constexpr uint64_t k1G = 1ull << 30;
constexpr uint64_t k4G = 4ull << 30;

constexpr MemoryRange ram(uint64_t base, uint64_t length) {
  return {base, length, MemoryType::kUsable};
}
constexpr MemoryRange reserved(uint64_t base, uint64_t length) {
  return {base, length, MemoryType::kReserved};
}

// QEMU q35 with 6 GiB: low RAM to 2 GiB (its last 128 KiB reserved by firmware), the rest
// above 4 GiB.
const std::vector<MemoryRange> kQemuMap = {
    ram(0, 0x9fc00),
    reserved(0x9fc00, 0x400),
    reserved(0xf0000, 0x10000),
    ram(0x10'0000, 0x7fee'0000),
    reserved(0x7ffe'0000, 0x2'0000),
    reserved(0xb000'0000, 0x1000'0000),
    reserved(0xfffc'0000, 0x4'0000),
    ram(k4G, 4 * k1G),
};

struct Carve {
  FrameStatus status;
  MemoryRange range;
};

Carve carve(const std::vector<MemoryRange>& map, uint64_t size,
            const std::vector<MemoryRange>& exclusions = {},
            uint64_t limit = hv::kBootIdentityMapEnd) {
  hv::ReservationRequest req;
  req.map = map.data();
  req.map_count = map.size();
  req.exclusions = exclusions.data();
  req.exclusion_count = exclusions.size();
  req.size = size;
  req.limit = limit;
  Carve c{FrameStatus::kOk, {}};
  c.status = hv::carve_reservation(req, c.range);
  return c;
}

// A reservation over an aligned heap buffer, at a made-up physical base.
struct Reserved {
  static constexpr uint64_t kBase = 0x7be0'0000;
  explicit Reserved(uint64_t bytes)
      : size(bytes), window(static_cast<uint8_t*>(std::aligned_alloc(k4K, bytes))) {
    std::memset(window, 0xa5, bytes);  // stale contents: frames must come out zeroed
  }
  ~Reserved() { std::free(window); }
  Reserved(const Reserved&) = delete;
  Reserved& operator=(const Reserved&) = delete;
  FrameStatus init(hv::FrameAllocator& a) const {
    return a.init({kBase, size, MemoryType::kReserved}, window);
  }
  bool zeroed(uint64_t phys, uint64_t bytes) const {
    const uint8_t* p = window + (phys - kBase);
    for (uint64_t i = 0; i < bytes; ++i) {
      if (p[i] != 0) return false;
    }
    return true;
  }
  uint64_t size;
  uint8_t* window;
};

}  // namespace

TEST_CASE("reservation is the highest aligned usable range below 4 GiB", "[hv][mm]") {
  const Carve c = carve(kQemuMap, hv::kDefaultReservationSize);
  REQUIRE(c.status == FrameStatus::kOk);
  // Low RAM ends at 0x7ffe0000 (not 2 MiB-aligned): the top aligned end is 0x7fe00000.
  CHECK(c.range.base == 0x7fe0'0000 - hv::kDefaultReservationSize);
  CHECK(c.range.length == hv::kDefaultReservationSize);
  CHECK(c.range.type == MemoryType::kReserved);
  CHECK(c.range.base % k2M == 0);

  // Usable entries with ragged edges.
  const Carve r = carve({ram(0x10'0000 + 0x123000, 0x1000'0000 - 0x456000)}, 4 * k2M);
  REQUIRE(r.status == FrameStatus::kOk);
  CHECK(r.range.base == 0x1000'0000 - 0x40'0000 - 4 * k2M);
}

TEST_CASE("reservation prefers the highest candidate and stays below the limit", "[hv][mm]") {
  const std::vector<MemoryRange> map = {ram(0x100'0000, 0x400'0000), ram(0x1000'0000, 0x400'0000),
                                        ram(0x4000'0000, 0x40'0000), ram(k4G, k1G)};
  // Three candidates below 4 GiB, one of them too small; RAM above 4 GiB is not reachable.
  Carve c = carve(map, 0x200'0000);
  REQUIRE(c.status == FrameStatus::kOk);
  CHECK(c.range.base == 0x1200'0000);
  c = carve(map, 0x400'0000);
  REQUIRE(c.status == FrameStatus::kOk);
  CHECK(c.range.base == 0x1000'0000);
  c = carve(map, 0x400'0000, {}, 0x1200'0000);  // a lower limit
  REQUIRE(c.status == FrameStatus::kOk);
  CHECK(c.range.base == 0x100'0000);
  CHECK(carve({ram(k4G, 4 * k1G)}, k2M).status == FrameStatus::kNoRoom);
}

TEST_CASE("reservation avoids exclusions, reserved overlaps and the first 1 MiB", "[hv][mm]") {
  // hv's image and a boot module near the top of low RAM push the reservation down, each to
  // the next 2 MiB boundary below it.
  Carve c = carve(kQemuMap, hv::kDefaultReservationSize,
                  {{0x7f00'0000, 0x10'0000}, {0x7c00'1000, 0x1000}});
  REQUIRE(c.status == FrameStatus::kOk);
  CHECK(c.range.base == 0x7c00'0000 - hv::kDefaultReservationSize);

  // An exclusion straddling the top of the first candidate (type is ignored for exclusions).
  c = carve({ram(0, 0x800'0000)}, 0x200'0000, {ram(0x5ff'f000, 0x2000)});
  REQUIRE(c.status == FrameStatus::kOk);
  CHECK(c.range.base == 0x3e0'0000);

  // Firmware lists a reserved hole inside a usable entry: the reserved entry wins.
  c = carve({ram(0, 0x1000'0000), reserved(0xf00'0000, 0x1000)}, 0x200'0000);
  REQUIRE(c.status == FrameStatus::kOk);
  CHECK(c.range.base == 0xd00'0000);

  // [0, 1 MiB) is never used, even when firmware calls it usable.
  c = carve({ram(0, 0x40'0000)}, k2M);
  REQUIRE(c.status == FrameStatus::kOk);
  CHECK(c.range.base == k2M);
  CHECK(carve({ram(0, 0x40'0000)}, 2 * k2M).status == FrameStatus::kNoRoom);
}

TEST_CASE("reservation joins adjacent entries but not fragmented RAM", "[hv][mm]") {
  // 64 pieces of 1 MiB with 4 KiB holes: lots of RAM, no 2 MiB-aligned 2 MiB run.
  std::vector<MemoryRange> fragmented;
  for (uint64_t i = 0; i < 64; ++i) fragmented.push_back(ram(0x100'0000 + i * k1M, k1M - k4K));
  CHECK(carve(fragmented, k2M).status == FrameStatus::kNoRoom);

  // The same pieces without holes, listed out of order and overlapping: one run of 64 MiB.
  std::vector<MemoryRange> adjacent;
  for (uint64_t i = 64; i-- > 0;) adjacent.push_back(ram(0x100'0000 + i * k1M, k1M + k4K));
  const Carve c = carve(adjacent, 0x400'0000);
  REQUIRE(c.status == FrameStatus::kOk);
  CHECK(c.range.base == 0x100'0000);

  CHECK(carve(kQemuMap, 2 * k1G).status == FrameStatus::kNoRoom);
  CHECK(carve({}, k2M).status == FrameStatus::kNoRoom);
}

TEST_CASE("reservation rejects bad sizes and hostile ranges", "[hv][mm]") {
  CHECK(carve(kQemuMap, 0).status == FrameStatus::kInvalidSize);
  CHECK(carve(kQemuMap, 3 * k1M).status == FrameStatus::kInvalidSize);
  CHECK(carve({ram(0xffff'ffff'ffff'f000, 0x2000)}, k2M).status == FrameStatus::kInvalidRange);
  CHECK(carve({ram(1ull << 52, k2M)}, k2M).status == FrameStatus::kInvalidRange);
  CHECK(carve({ram(0, (1ull << 52) + 1)}, k2M).status == FrameStatus::kInvalidRange);
  CHECK(carve(kQemuMap, k2M, {{0x1000, ~0ull, MemoryType::kReserved}}).status ==
        FrameStatus::kInvalidRange);
  hv::ReservationRequest req;
  req.map_count = 3;  // no map pointer
  MemoryRange out{};
  CHECK(hv::carve_reservation(req, out) == FrameStatus::kInvalidRange);
  CHECK(hv::describe(FrameStatus::kInvalidRange) != nullptr);
}

TEST_CASE("frame allocator hands out zeroed frames from the reservation", "[hv][mm]") {
  Reserved res(2 * k2M);
  hv::FrameAllocator a;
  REQUIRE(res.init(a) == FrameStatus::kOk);
  CHECK(a.reservation().base == Reserved::kBase);
  CHECK(a.reservation().length == 2 * k2M);
  CHECK(a.total_frames() == 1023);  // 1024 frames, one holding the 128-byte bitmap
  CHECK(a.free_frames() == 1023);
  CHECK(a.high_water_frames() == 0);

  std::vector<uint64_t> got;
  for (;;) {
    uint64_t pa = 0;
    const FrameStatus s = a.allocate_frame(pa);
    if (s == FrameStatus::kExhausted) break;
    REQUIRE(s == FrameStatus::kOk);
    REQUIRE(pa % k4K == 0);
    REQUIRE(pa >= Reserved::kBase + k4K);  // never the bitmap's frame
    REQUIRE(pa < Reserved::kBase + 2 * k2M);
    REQUIRE(res.zeroed(pa, k4K));
    REQUIRE(a.pointer_to(pa) == res.window + (pa - Reserved::kBase));
    got.push_back(pa);
  }
  CHECK(got.size() == 1023);
  CHECK(a.free_frames() == 0);
  CHECK(a.high_water_frames() == 1023);

  // A freed frame is the next one handed out (the hint moves back to it), zeroed again.
  std::memset(a.pointer_to(got[500]), 0xff, k4K);
  REQUIRE(a.free_frame(got[500]) == FrameStatus::kOk);
  CHECK(a.free_frames() == 1);
  uint64_t again = 0;
  REQUIRE(a.allocate_frame(again) == FrameStatus::kOk);
  CHECK(again == got[500]);
  CHECK(res.zeroed(again, k4K));

  for (uint64_t pa : got) REQUIRE(a.free_frame(pa) == FrameStatus::kOk);
  CHECK(a.free_frames() == 1023);
  CHECK(a.high_water_frames() == 1023);
  CHECK(a.pointer_to(Reserved::kBase - 1) == nullptr);
  CHECK(a.pointer_to(Reserved::kBase + 2 * k2M) == nullptr);
}

TEST_CASE("frame allocator reports misuse without changing state", "[hv][mm]") {
  Reserved res(2 * k2M);
  hv::FrameAllocator a;
  uint64_t pa = 0;
  CHECK(a.allocate_frame(pa) == FrameStatus::kNotInitialized);
  CHECK(a.free_frame(Reserved::kBase) == FrameStatus::kNotInitialized);
  REQUIRE(res.init(a) == FrameStatus::kOk);
  REQUIRE(a.allocate_frame(pa) == FrameStatus::kOk);
  REQUIRE(a.free_frame(pa) == FrameStatus::kOk);
  const uint64_t free_before = a.free_frames();

  CHECK(a.free_frame(pa) == FrameStatus::kDoubleFree);
  CHECK(a.free_frame(pa + 0x10) == FrameStatus::kUnaligned);
  CHECK(a.free_frame(Reserved::kBase) == FrameStatus::kForeign);  // the bitmap itself
  CHECK(a.free_frame(Reserved::kBase - k4K) == FrameStatus::kForeign);
  CHECK(a.free_frame(Reserved::kBase + 2 * k2M) == FrameStatus::kForeign);
  CHECK(a.free_frame(0) == FrameStatus::kForeign);
  CHECK(a.free_block(Reserved::kBase) == FrameStatus::kForeign);  // holds the bitmap
  CHECK(a.free_block(Reserved::kBase + k2M) == FrameStatus::kDoubleFree);
  CHECK(a.free_block(Reserved::kBase + k4K) == FrameStatus::kUnaligned);
  CHECK(a.free_frames() == free_before);
  CHECK(hv::describe(FrameStatus::kDoubleFree) != nullptr);

  // The next allocation is still the same frame: nothing was corrupted.
  uint64_t next = 0;
  REQUIRE(a.allocate_frame(next) == FrameStatus::kOk);
  CHECK(next == pa);
}

TEST_CASE("frame allocator hands out aligned 2 MiB blocks from the top", "[hv][mm]") {
  Reserved res(4 * k2M);
  hv::FrameAllocator a;
  REQUIRE(res.init(a) == FrameStatus::kOk);
  uint64_t frame = 0;
  REQUIRE(a.allocate_frame(frame) == FrameStatus::kOk);  // lands in block 0 with the bitmap
  uint64_t b3 = 0, b2 = 0, b1 = 0, none = 0;
  REQUIRE(a.allocate_block(b3) == FrameStatus::kOk);
  CHECK(b3 == Reserved::kBase + 3 * k2M);
  CHECK(res.zeroed(b3, k2M));
  REQUIRE(a.allocate_block(b2) == FrameStatus::kOk);
  REQUIRE(a.allocate_block(b1) == FrameStatus::kOk);
  CHECK(b1 == Reserved::kBase + k2M);
  CHECK(a.allocate_block(none) == FrameStatus::kExhausted);  // block 0 is partly used
  CHECK(a.free_frames() == 512 - 2);
  CHECK(a.high_water_frames() == 1 + 3 * 512);

  // A block with one frame already given back is not freed as a block.
  REQUIRE(a.free_frame(b2 + 5 * k4K) == FrameStatus::kOk);
  const uint64_t free_before = a.free_frames();
  CHECK(a.free_block(b2) == FrameStatus::kDoubleFree);
  CHECK(a.free_frames() == free_before);
  REQUIRE(a.free_block(b3) == FrameStatus::kOk);
  CHECK(a.free_block(b3) == FrameStatus::kDoubleFree);
  CHECK(a.free_frames() == free_before + 512);
  REQUIRE(a.allocate_block(b3) == FrameStatus::kOk);
  CHECK(b3 == Reserved::kBase + 3 * k2M);
}

TEST_CASE("frame allocator sizes its bitmap and validates its reservation", "[hv][mm]") {
  // 160 MiB: 40960 frames need a 5120-byte bitmap, two frames.
  Reserved big(80 * k2M);
  hv::FrameAllocator a;
  REQUIRE(big.init(a) == FrameStatus::kOk);
  CHECK(a.total_frames() == 40960 - 2);
  CHECK(a.free_block(Reserved::kBase + k4K) == FrameStatus::kUnaligned);
  CHECK(a.free_frame(Reserved::kBase + k4K) == FrameStatus::kForeign);
  uint64_t pa = 0;
  REQUIRE(a.allocate_frame(pa) == FrameStatus::kOk);
  CHECK(pa == Reserved::kBase + 2 * k4K);

  Reserved small(k2M);
  CHECK(a.init({Reserved::kBase + k4K, k2M, MemoryType::kReserved}, small.window) ==
        FrameStatus::kInvalidSize);
  CHECK(a.init({Reserved::kBase, k2M + k4K, MemoryType::kReserved}, small.window) ==
        FrameStatus::kInvalidSize);
  CHECK(a.init({Reserved::kBase, 0, MemoryType::kReserved}, small.window) ==
        FrameStatus::kInvalidSize);
  CHECK(a.init({(1ull << 52) - k2M, 2 * k2M, MemoryType::kReserved}, small.window) ==
        FrameStatus::kInvalidRange);
  CHECK(a.init({Reserved::kBase, k2M, MemoryType::kReserved}, nullptr) ==
        FrameStatus::kInvalidRange);
  CHECK(a.init({Reserved::kBase, k2M, MemoryType::kReserved}, small.window + 8) ==
        FrameStatus::kInvalidRange);
  // A failed init leaves an allocator that refuses everything.
  CHECK(a.allocate_frame(pa) == FrameStatus::kNotInitialized);
  CHECK(a.reservation().length == 0);
  REQUIRE(a.init({Reserved::kBase, k2M, MemoryType::kReserved}, small.window) == FrameStatus::kOk);
  CHECK(a.total_frames() == 511);
}
