#include "vmm/virtio/block_request.hpp"

#include <span>

#include "vmm/virtio/chain_io.hpp"

namespace rootstock::vmm::virtio {
namespace {

std::unexpected<RequestRefusal> refuse(BlockRequestError error) {
  const bool unsupported =
      error == BlockRequestError::kUnknownType || error == BlockRequestError::kSegmentFlags;
  return std::unexpected(
      RequestRefusal{error, unsupported ? BlockStatus::kUnsupp : BlockStatus::kIoErr});
}

/// Whether `sectors` sectors from `sector` on lie inside a disk of `capacity` sectors (written
/// without sector + sectors, which a hostile sector would wrap).
bool inside(uint64_t capacity, uint64_t sector, uint64_t sectors) {
  return sector <= capacity && sectors <= capacity - sector;
}

/// Reads a T at readable byte `offset` of the chain, which the caller made sure holds it.
template <typename T>
bool read_at(const GuestRam& ram, const DescriptorChain& chain, uint64_t offset, T& value) {
  auto got = read_from_chain(ram, chain, offset,
                             std::span<uint8_t>(reinterpret_cast<uint8_t*>(&value), sizeof(T)));
  return got && *got == sizeof(T);
}

/// IN and OUT: whole sectors, inside the disk.
std::expected<void, RequestRefusal> check_transfer(const BlockRequestLimits& limits,
                                                   BlockRequest& out, uint32_t bytes) {
  if (bytes % kBlockSectorSize != 0) return refuse(BlockRequestError::kDataNotSectors);
  if (!inside(limits.capacity, out.sector, bytes / kBlockSectorSize)) {
    return refuse(BlockRequestError::kPastEnd);
  }
  out.data_bytes = bytes;
  return {};
}

/// DISCARD and WRITE_ZEROES: the segments after the header (5.2.6.2).
std::expected<void, RequestRefusal> parse_segments(const GuestRam& ram,
                                                   const DescriptorChain& chain,
                                                   const BlockRequestLimits& limits, uint32_t bytes,
                                                   BlockRequest& out) {
  const bool discard = out.type == BlockRequestType::kDiscard;
  const uint32_t max_seg = discard ? limits.max_discard_seg : limits.max_write_zeroes_seg;
  const uint32_t max_sectors =
      discard ? limits.max_discard_sectors : limits.max_write_zeroes_sectors;
  if (bytes == 0 || bytes % sizeof(BlockDiscardSegment) != 0) {
    return refuse(BlockRequestError::kSegmentsSize);
  }
  const uint32_t count = bytes / sizeof(BlockDiscardSegment);
  if (count > max_seg) return refuse(BlockRequestError::kTooManySegments);
  out.ranges.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    BlockDiscardSegment segment{};
    const uint64_t offset = sizeof(BlockRequestHeader) + uint64_t{i} * sizeof(segment);
    if (!read_at(ram, chain, offset, segment)) return refuse(BlockRequestError::kRamRefused);
    // 5.2.6.2: UNSUPP for an unknown flag, and for unmap on a DISCARD.
    if ((segment.flags & ~kBlockSegmentUnmap) != 0 ||
        (discard && (segment.flags & kBlockSegmentUnmap) != 0)) {
      return refuse(BlockRequestError::kSegmentFlags);
    }
    if (segment.num_sectors > max_sectors) return refuse(BlockRequestError::kSegmentTooLong);
    if (!inside(limits.capacity, segment.sector, segment.num_sectors)) {
      return refuse(BlockRequestError::kPastEnd);
    }
    out.ranges.push_back(
        {segment.sector, segment.num_sectors, (segment.flags & kBlockSegmentUnmap) != 0});
  }
  return {};
}

}  // namespace

std::expected<void, RequestRefusal> parse_block_request(const GuestRam& ram,
                                                        const DescriptorChain& chain,
                                                        const BlockRequestLimits& limits,
                                                        BlockRequest& out) {
  out.ranges.clear();
  out.sector = 0;
  out.data_bytes = 0;
  if (chain.writable_bytes() == 0) return refuse(BlockRequestError::kNoStatus);
  if (chain.readable_bytes() < sizeof(BlockRequestHeader)) {
    return refuse(BlockRequestError::kHeaderTooShort);
  }
  BlockRequestHeader header{};
  if (!read_at(ram, chain, 0, header)) return refuse(BlockRequestError::kRamRefused);
  out.type = static_cast<BlockRequestType>(header.type);
  out.sector = header.sector;
  // The data around the header and the status byte, in each direction.
  const uint32_t readable = chain.readable_bytes() - uint32_t{sizeof(BlockRequestHeader)};
  const uint32_t writable = chain.writable_bytes() - 1;

  switch (out.type) {
    case BlockRequestType::kIn:
      if (readable != 0) return refuse(BlockRequestError::kDataDirection);
      return check_transfer(limits, out, writable);
    case BlockRequestType::kOut:
      if (writable != 0) return refuse(BlockRequestError::kDataDirection);
      return check_transfer(limits, out, readable);
    case BlockRequestType::kFlush:
      if (readable != 0 || writable != 0) return refuse(BlockRequestError::kDataDirection);
      return {};
    case BlockRequestType::kGetId:
      if (readable != 0) return refuse(BlockRequestError::kDataDirection);
      if (writable != kBlockIdBytes) return refuse(BlockRequestError::kIdLength);
      out.data_bytes = kBlockIdBytes;
      return {};
    case BlockRequestType::kDiscard:
    case BlockRequestType::kWriteZeroes:
      if (writable != 0) return refuse(BlockRequestError::kDataDirection);
      return parse_segments(ram, chain, limits, readable, out);
    case BlockRequestType::kGetLifetime:
    case BlockRequestType::kSecureErase:
      break;
  }
  return refuse(BlockRequestError::kUnknownType);
}

std::string_view describe(BlockRequestError error) {
  switch (error) {
    case BlockRequestError::kNoStatus:
      return "a block request has no writable byte for its status";
    case BlockRequestError::kHeaderTooShort:
      return "a block request is shorter than its 16-byte header";
    case BlockRequestError::kUnknownType:
      return "a block request of a type the device does not support";
    case BlockRequestError::kDataDirection:
      return "a block request has data in the wrong direction for its type";
    case BlockRequestError::kDataNotSectors:
      return "a block read or write is not a multiple of 512 bytes";
    case BlockRequestError::kPastEnd:
      return "a block request reaches past the end of the disk";
    case BlockRequestError::kIdLength:
      return "a GET_ID request does not have exactly 20 writable bytes";
    case BlockRequestError::kSegmentsSize:
      return "a discard or write-zeroes request's segments are empty or not 16-byte ones";
    case BlockRequestError::kTooManySegments:
      return "a discard or write-zeroes request has more segments than the device allows";
    case BlockRequestError::kSegmentTooLong:
      return "a discard or write-zeroes segment is longer than the device allows";
    case BlockRequestError::kSegmentFlags:
      return "a discard or write-zeroes segment has flags the device does not support";
    case BlockRequestError::kRamRefused:
      return "guest RAM refused a read of a block request";
  }
  return "a block request is refused";
}

std::string_view describe(BlockRequestType type) {
  switch (type) {
    case BlockRequestType::kIn:
      return "in";
    case BlockRequestType::kOut:
      return "out";
    case BlockRequestType::kFlush:
      return "flush";
    case BlockRequestType::kGetId:
      return "get-id";
    case BlockRequestType::kGetLifetime:
      return "get-lifetime";
    case BlockRequestType::kDiscard:
      return "discard";
    case BlockRequestType::kWriteZeroes:
      return "write-zeroes";
    case BlockRequestType::kSecureErase:
      return "secure-erase";
  }
  return "unknown";
}

}  // namespace rootstock::vmm::virtio
