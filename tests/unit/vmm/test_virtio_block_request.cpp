// The virtio-blk request parser (vmm/virtio/block_request.hpp, virtio 1.2 5.2.6): each request
// type as Linux's virtio_blk sends it, split across buffers as a driver may, and every refusal
// with the status it answers.
#include <catch2/catch_test_macros.hpp>
#include <vector>

#include "tests/unit/vmm/virtio_block_bench.hpp"
#include "vmm/virtio/block_request.hpp"

using namespace rootstock::vmm::virtio;
using namespace rootstock::test;
using T = BlockRequestType;
using E = BlockRequestError;

namespace {

constexpr BlockRequestLimits kLimits{1000, 64, 4, 32, 2};

/// Sends `parts` and parses the chain.
std::expected<void, RequestRefusal> parse(const std::vector<BlockPart>& parts,
                                          BlockRequest& request,
                                          const BlockRequestLimits& limits = kLimits) {
  BlockBench bench;
  bench.send(parts);
  return parse_block_request(bench.fake_ram(), bench.take(), limits, request);
}

/// The refusal `parts` get, which must be one.
RequestRefusal refusal(const std::vector<BlockPart>& parts,
                       const BlockRequestLimits& limits = kLimits) {
  BlockRequest request;
  auto got = parse(parts, request, limits);
  REQUIRE_FALSE(got);
  return got.error();
}

}  // namespace

TEST_CASE("virtio blk request: IN, the data writable before the status", "[virtio][blk]") {
  BlockRequest r;
  REQUIRE(
      parse({BlockPart::in(block_header(T::kIn, 7)), BlockPart::out(1024), BlockPart::out(1)}, r));
  CHECK(r.type == T::kIn);
  CHECK(r.sector == 7);
  CHECK(r.data_bytes == 1024);
  // Data and status in one buffer, and the header split in two.
  auto h = block_header(T::kIn, 999);
  REQUIRE(parse({BlockPart::in({h.begin(), h.begin() + 5}), BlockPart::in({h.begin() + 5, h.end()}),
                 BlockPart::out(513)},
                r));
  CHECK(r.sector == 999);
  CHECK(r.data_bytes == 512);
}

TEST_CASE("virtio blk request: OUT, the data readable after the header", "[virtio][blk]") {
  BlockRequest r;
  REQUIRE(parse({BlockPart::in(block_header(T::kOut, 10)),
                 BlockPart::in(std::vector<uint8_t>(2048)), BlockPart::out(1)},
                r));
  CHECK(r.type == T::kOut);
  CHECK(r.sector == 10);
  CHECK(r.data_bytes == 2048);
  // The last sectors of the disk, and no data at the disk's end.
  REQUIRE(parse({BlockPart::in(block_header(T::kOut, 998)),
                 BlockPart::in(std::vector<uint8_t>(1024)), BlockPart::out(1)},
                r));
  REQUIRE(parse({BlockPart::in(block_header(T::kOut, 1000)), BlockPart::out(1)}, r));
  CHECK(r.data_bytes == 0);
}

TEST_CASE("virtio blk request: FLUSH and GET_ID", "[virtio][blk]") {
  BlockRequest r;
  REQUIRE(parse({BlockPart::in(block_header(T::kFlush, 0)), BlockPart::out(1)}, r));
  CHECK(r.type == T::kFlush);
  REQUIRE(
      parse({BlockPart::in(block_header(T::kGetId, 0)), BlockPart::out(20), BlockPart::out(1)}, r));
  CHECK(r.type == T::kGetId);
  CHECK(r.data_bytes == 20);
}

TEST_CASE("virtio blk request: DISCARD and WRITE_ZEROES segments", "[virtio][blk]") {
  BlockRequest r;
  REQUIRE(parse(
      {BlockPart::in(block_header(T::kDiscard, 0)),
       BlockPart::in(block_segments({{0, 64, 0}, {936, 64, 0}, {500, 0, 0}})), BlockPart::out(1)},
      r));
  CHECK(r.type == T::kDiscard);
  REQUIRE(r.ranges.size() == 3);
  CHECK(r.ranges[1].sector == 936);
  CHECK(r.ranges[1].sectors == 64);
  CHECK_FALSE(r.ranges[1].unmap);
  REQUIRE(parse({BlockPart::in(block_header(T::kWriteZeroes, 0)),
                 BlockPart::in(block_segments({{8, 32, kBlockSegmentUnmap}, {100, 1, 0}})),
                 BlockPart::out(1)},
                r));
  REQUIRE(r.ranges.size() == 2);
  CHECK(r.ranges[0].unmap);
  CHECK_FALSE(r.ranges[1].unmap);
}

TEST_CASE("virtio blk request: refusals of the frame", "[virtio][blk]") {
  // No writable byte at all: no status can be answered.
  CHECK(refusal({BlockPart::in(block_header(T::kIn, 0))}).error == E::kNoStatus);
  auto h = block_header(T::kIn, 0);
  auto r = refusal({BlockPart::in({h.begin(), h.begin() + 15}), BlockPart::out(1)});
  CHECK(r.error == E::kHeaderTooShort);
  CHECK(r.status == BlockStatus::kIoErr);
  CHECK(refusal({BlockPart::out(17)}).error == E::kHeaderTooShort);
}

TEST_CASE("virtio blk request: data in the wrong direction", "[virtio][blk]") {
  const std::vector<uint8_t> sector(512);
  CHECK(refusal({BlockPart::in(block_header(T::kIn, 0)), BlockPart::in(sector), BlockPart::out(1)})
            .error == E::kDataDirection);
  CHECK(refusal({BlockPart::in(block_header(T::kOut, 0)), BlockPart::out(513)}).error ==
        E::kDataDirection);
  CHECK(refusal({BlockPart::in(block_header(T::kFlush, 0)), BlockPart::out(513)}).error ==
        E::kDataDirection);
  CHECK(
      refusal({BlockPart::in(block_header(T::kFlush, 0)), BlockPart::in(sector), BlockPart::out(1)})
          .error == E::kDataDirection);
  CHECK(refusal(
            {BlockPart::in(block_header(T::kGetId, 0)), BlockPart::in(sector), BlockPart::out(21)})
            .error == E::kDataDirection);
  CHECK(refusal({BlockPart::in(block_header(T::kDiscard, 0)),
                 BlockPart::in(block_segments({{0, 1, 0}})), BlockPart::out(2)})
            .error == E::kDataDirection);
}

TEST_CASE("virtio blk request: lengths and ranges", "[virtio][blk]") {
  CHECK(refusal({BlockPart::in(block_header(T::kIn, 0)), BlockPart::out(511), BlockPart::out(1)})
            .error == E::kDataNotSectors);
  CHECK(refusal({BlockPart::in(block_header(T::kOut, 0)), BlockPart::in(std::vector<uint8_t>(100)),
                 BlockPart::out(1)})
            .error == E::kDataNotSectors);
  // Past the end by a sector, starting past it, and a sector that would wrap 64 bits.
  auto r = refusal({BlockPart::in(block_header(T::kIn, 999)), BlockPart::out(1025)});
  CHECK(r.error == E::kPastEnd);
  CHECK(r.status == BlockStatus::kIoErr);
  CHECK(refusal({BlockPart::in(block_header(T::kOut, 1001)), BlockPart::out(1)}).error ==
        E::kPastEnd);
  CHECK(refusal({BlockPart::in(block_header(T::kIn, ~uint64_t{0})), BlockPart::out(513)}).error ==
        E::kPastEnd);
  CHECK(refusal({BlockPart::in(block_header(T::kGetId, 0)), BlockPart::out(20)}).error ==
        E::kIdLength);
  CHECK(refusal({BlockPart::in(block_header(T::kGetId, 0)), BlockPart::out(22)}).error ==
        E::kIdLength);
}

TEST_CASE("virtio blk request: segment refusals", "[virtio][blk]") {
  auto seg = [](T type, std::vector<uint8_t> segments) {
    return refusal({BlockPart::in(block_header(type, 0)), BlockPart::in(std::move(segments)),
                    BlockPart::out(1)});
  };
  CHECK(refusal({BlockPart::in(block_header(T::kDiscard, 0)), BlockPart::out(1)}).error ==
        E::kSegmentsSize);
  CHECK(seg(T::kDiscard, std::vector<uint8_t>(24)).error == E::kSegmentsSize);
  // kLimits: 4 discard segments of 64 sectors, 2 write-zeroes segments of 32.
  CHECK(seg(T::kDiscard, block_segments({{0, 1, 0}, {1, 1, 0}, {2, 1, 0}, {3, 1, 0}, {4, 1, 0}}))
            .error == E::kTooManySegments);
  CHECK(seg(T::kWriteZeroes, block_segments({{0, 1, 0}, {1, 1, 0}, {2, 1, 0}})).error ==
        E::kTooManySegments);
  CHECK(seg(T::kDiscard, block_segments({{0, 65, 0}})).error == E::kSegmentTooLong);
  CHECK(seg(T::kWriteZeroes, block_segments({{0, 33, 0}})).error == E::kSegmentTooLong);
  CHECK(seg(T::kDiscard, block_segments({{0, 1, 0}, {990, 11, 0}})).error == E::kPastEnd);
  CHECK(seg(T::kWriteZeroes, block_segments({{~uint64_t{0} - 2, 8, 0}})).error == E::kPastEnd);
  // 5.2.6.2: unmap on a DISCARD and reserved flags are UNSUPP.
  auto r = seg(T::kDiscard, block_segments({{0, 1, kBlockSegmentUnmap}}));
  CHECK(r.error == E::kSegmentFlags);
  CHECK(r.status == BlockStatus::kUnsupp);
  CHECK(seg(T::kWriteZeroes, block_segments({{0, 1, 2}})).status == BlockStatus::kUnsupp);
}

TEST_CASE("virtio blk request: unknown types are UNSUPP", "[virtio][blk]") {
  for (uint32_t type : {2u, 3u, 5u, 10u, 14u, 0xffffffffu}) {
    auto r = refusal({BlockPart::in(block_header(static_cast<T>(type), 0)), BlockPart::out(1)});
    CHECK(r.error == E::kUnknownType);
    CHECK(r.status == BlockStatus::kUnsupp);
  }
}
