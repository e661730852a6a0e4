// Fuzzes the virtio-blk request parser (vmm/virtio/block_request.*, virtio 1.2 5.2.6) over
// chains the input makes: a disk and limits, up to 16 buffers with their direction, place and
// length, and the RAM's bytes under them (headers, segments, data). The descriptors themselves
// are laid out well-formed (walk_chain's refusals are fuzz_virtqueue's); what is fuzzed is
// every field of the request.
//
// Input (little-endian):
//   bytes 0-7    the disk's capacity in sectors
//   byte 8       max_discard_seg and max_write_zeroes_seg (low and high nibble)
//   bytes 9-12   max_discard_sectors; bytes 13-16 max_write_zeroes_sectors
//   byte 17      the buffers (1 to 16: low nibble + 1); readable ones first as a driver must
//   then per buffer: u8 flags (bit 0 writable), u16 offset into the data area, u16 length
//   then the data area's contents (64 KiB + 64 KiB of slack at most), up to the input's end
//
// Checked: the parser reads nothing outside the chain's buffers (guest RAM refuses nothing) and
// writes nothing; an accepted request matches its chain: IN data = writable bytes - 1 with no
// readable data, OUT the other way round, whole sectors, inside the disk without wrapping; GET_ID
// exactly 20 bytes; FLUSH no data; DISCARD/WRITE_ZEROES at most the segment limit, each range
// inside the disk and the limit, unmap only for WRITE_ZEROES. A refusal says kNoStatus exactly
// when there is no writable byte, and UNSUPP only for an unknown type or segment flags.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <algorithm>

#include "tests/fuzz/fuzz_input.hpp"
#include "tests/unit/vmm/fake_guest_ram.hpp"
#include "vmm/virtio/block_request.hpp"
#include "vmm/virtio/descriptor_chain.hpp"
#include "vmm/virtio/split_ring.hpp"

using namespace rootstock::vmm::virtio;
using rootstock::fuzz::check;
using rootstock::fuzz::take;
using rootstock::test::FakeGuestRam;

namespace {

constexpr uint64_t kRamBase = 0x10000000;
constexpr uint64_t kTable = kRamBase;          // 16 descriptors
constexpr uint64_t kData = kRamBase + 0x1000;  // the buffers' area
constexpr size_t kDataBytes = 0x20000;         // offsets up to 64 KiB, lengths up to 64 KiB
constexpr size_t kRamBytes = 0x1000 + kDataBytes;
constexpr uint32_t kMaxBuffers = 16;

bool inside(uint64_t capacity, uint64_t sector, uint64_t sectors) {
  return sector <= capacity && sectors <= capacity - sector;
}

void check_accepted(const DescriptorChain& chain, const BlockRequestLimits& limits,
                    const BlockRequest& r) {
  check(chain.readable_bytes() >= sizeof(BlockRequestHeader) && chain.writable_bytes() >= 1);
  const uint32_t readable = chain.readable_bytes() - 16;
  const uint32_t writable = chain.writable_bytes() - 1;
  switch (r.type) {
    case BlockRequestType::kIn:
    case BlockRequestType::kOut: {
      const bool in = r.type == BlockRequestType::kIn;
      check(r.data_bytes == (in ? writable : readable));
      check((in ? readable : writable) == 0);
      check(r.data_bytes % kBlockSectorSize == 0);
      check(inside(limits.capacity, r.sector, r.data_bytes / kBlockSectorSize));
      check(r.ranges.empty());
      break;
    }
    case BlockRequestType::kFlush:
      check(readable == 0 && writable == 0);
      break;
    case BlockRequestType::kGetId:
      check(readable == 0 && writable == kBlockIdBytes && r.data_bytes == kBlockIdBytes);
      break;
    case BlockRequestType::kDiscard:
    case BlockRequestType::kWriteZeroes: {
      const bool discard = r.type == BlockRequestType::kDiscard;
      check(writable == 0);
      check(!r.ranges.empty() && r.ranges.size() * 16 == readable);
      check(r.ranges.size() <= (discard ? limits.max_discard_seg : limits.max_write_zeroes_seg));
      for (const SectorRange& range : r.ranges) {
        check(range.sectors <=
              (discard ? limits.max_discard_sectors : limits.max_write_zeroes_sectors));
        check(inside(limits.capacity, range.sector, range.sectors));
        check(!(discard && range.unmap));
      }
      break;
    }
    default:
      check(false);  // an unknown type is never accepted
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static FakeGuestRam ram(kRamBase, kRamBytes);
  static DescriptorChain chain;
  static BlockRequest request;
  ram.clear();
  const uint8_t* at = data;
  const uint8_t* end = data + size;

  BlockRequestLimits limits;
  limits.capacity = take<uint64_t>(at, end);
  const auto segs = take<uint8_t>(at, end);
  limits.max_discard_seg = segs & 0xfu;
  limits.max_write_zeroes_seg = segs >> 4;
  limits.max_discard_sectors = take<uint32_t>(at, end);
  limits.max_write_zeroes_sectors = take<uint32_t>(at, end);
  const uint32_t buffers = (take<uint8_t>(at, end) & 0xfu) + 1;

  // The chain: buffer i in descriptor i, each linked to the next.
  for (uint32_t i = 0; i < buffers; ++i) {
    const auto flags = take<uint8_t>(at, end);
    const auto offset = take<uint16_t>(at, end);
    const auto length = take<uint16_t>(at, end);
    uint16_t desc_flags = (flags & 1) ? static_cast<uint16_t>(DescFlag::kWrite) : 0;
    if (i + 1 < buffers) desc_flags |= static_cast<uint16_t>(DescFlag::kNext);
    ram.poke(kTable + 16 * i,
             VirtqDesc{kData + offset, length, desc_flags, static_cast<uint16_t>(i + 1)});
  }
  const size_t contents = std::min<size_t>(kDataBytes, static_cast<size_t>(end - at));
  memcpy(ram.bytes().data() + (kData - kRamBase), at, contents);

  // Readable after writable is walk_chain's refusal: such an input says nothing here.
  if (!walk_chain(ram, DescriptorTable{kTable, kMaxBuffers}, false, 0, chain)) return 0;

  ram.record_writes(true);
  auto parsed = parse_block_request(ram, chain, limits, request);
  check(ram.refused() == 0);
  check(ram.writes().empty());
  if (parsed) {
    check_accepted(chain, limits, request);
    return 0;
  }
  const RequestRefusal refusal = parsed.error();
  check((refusal.error == BlockRequestError::kNoStatus) == (chain.writable_bytes() == 0));
  check(refusal.error != BlockRequestError::kRamRefused);
  const bool unsupported = refusal.error == BlockRequestError::kUnknownType ||
                           refusal.error == BlockRequestError::kSegmentFlags;
  check((refusal.status == BlockStatus::kUnsupp) == unsupported);
  check(!describe(refusal.error).empty());
  return 0;
}
