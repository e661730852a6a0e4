// A virtio-blk request as the driver sends it (virtio 1.2, 5.2.6 "Device Operation"): the
// header (struct virtio_blk_req's type, reserved, sector) at the start of the chain's readable
// bytes, then the data (readable for writes, writable for reads), then one status byte, the last
// writable byte. parse_block_request() decodes a DescriptorChain into a BlockRequest or a
// RequestRefusal once, so the device serves plain values; every field is the child's, and is
// hostile input.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <bit>
#include <expected>
#include <string_view>
#include <vector>

#include "vmm/virtio/descriptor_chain.hpp"
#include "vmm/virtio/guest_ram.hpp"

namespace rootstock::vmm::virtio {

static_assert(std::endian::native == std::endian::little,
              "virtio 1.x structures are little-endian and read as they lie");

/// A virtio-blk sector: offsets and capacities count 512 bytes whatever blk_size says (5.2.4).
inline constexpr uint32_t kBlockSectorSize = 512;
/// The length of a GET_ID answer (VIRTIO_BLK_ID_BYTES, 5.2.6).
inline constexpr uint32_t kBlockIdBytes = 20;

/// struct virtio_blk_req's `type` (5.2.6).
enum class BlockRequestType : uint32_t {
  kIn = 0,            ///< VIRTIO_BLK_T_IN: read
  kOut = 1,           ///< VIRTIO_BLK_T_OUT: write
  kFlush = 4,         ///< VIRTIO_BLK_T_FLUSH
  kGetId = 8,         ///< VIRTIO_BLK_T_GET_ID: the device's serial, 20 bytes
  kGetLifetime = 10,  ///< VIRTIO_BLK_T_GET_LIFETIME (not offered)
  kDiscard = 11,      ///< VIRTIO_BLK_T_DISCARD
  kWriteZeroes = 13,  ///< VIRTIO_BLK_T_WRITE_ZEROES
  kSecureErase = 14,  ///< VIRTIO_BLK_T_SECURE_ERASE (not offered)
};

/// The status byte (5.2.6).
enum class BlockStatus : uint8_t {
  kOk = 0,      ///< VIRTIO_BLK_S_OK
  kIoErr = 1,   ///< VIRTIO_BLK_S_IOERR
  kUnsupp = 2,  ///< VIRTIO_BLK_S_UNSUPP
};

/// The request header, the first 16 readable bytes (5.2.6 struct virtio_blk_req).
struct BlockRequestHeader {
  uint32_t type;
  uint32_t reserved;
  uint64_t sector;
};
static_assert(sizeof(BlockRequestHeader) == 16);
static_assert(offsetof(BlockRequestHeader, type) == 0);
static_assert(offsetof(BlockRequestHeader, reserved) == 4);
static_assert(offsetof(BlockRequestHeader, sector) == 8);

/// One range of a DISCARD or WRITE_ZEROES request, the data of those requests (5.2.6 struct
/// virtio_blk_discard_write_zeroes).
struct BlockDiscardSegment {
  uint64_t sector;
  uint32_t num_sectors;
  uint32_t flags;  ///< bit 0 unmap (WRITE_ZEROES only); bits 31:1 reserved
};
static_assert(sizeof(BlockDiscardSegment) == 16);
static_assert(offsetof(BlockDiscardSegment, sector) == 0);
static_assert(offsetof(BlockDiscardSegment, num_sectors) == 8);
static_assert(offsetof(BlockDiscardSegment, flags) == 12);

/// BlockDiscardSegment::flags: VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP.
inline constexpr uint32_t kBlockSegmentUnmap = 1;

/// What the parser checks a request against: the disk and the limits the device announced in
/// its configuration space (5.2.4).
struct BlockRequestLimits {
  uint64_t capacity = 0;  ///< in 512-byte sectors
  uint32_t max_discard_sectors = 0;
  uint32_t max_discard_seg = 0;
  uint32_t max_write_zeroes_sectors = 0;
  uint32_t max_write_zeroes_seg = 0;
};

/// A range of sectors, inside the disk.
struct SectorRange {
  uint64_t sector = 0;
  uint32_t sectors = 0;
  bool unmap = false;  ///< WRITE_ZEROES: the device may deallocate the range
};

/// A request, checked. IN and OUT: `sector` and `data_bytes` (a multiple of 512, the range inside
/// the disk); the data is at readable byte 16 (OUT) or writable byte 0 (IN). GET_ID: 20 writable
/// bytes at writable byte 0. DISCARD and WRITE_ZEROES: `ranges`, each inside the disk. The
/// status byte is the chain's last writable byte.
struct BlockRequest {
  BlockRequestType type = BlockRequestType::kIn;
  uint64_t sector = 0;
  uint32_t data_bytes = 0;
  std::vector<SectorRange> ranges;
};

/// Why a request is refused.
enum class BlockRequestError : uint8_t {
  kNoStatus,         ///< no writable byte for the status: nothing can be answered
  kHeaderTooShort,   ///< fewer than 16 readable bytes
  kUnknownType,      ///< a type the device does not implement (UNSUPP)
  kDataDirection,    ///< readable data for IN or GET_ID, writable data for OUT, FLUSH …
  kDataNotSectors,   ///< IN/OUT data not a multiple of 512 bytes
  kPastEnd,          ///< a sector range past the disk's end, or overflowing 64 bits
  kIdLength,         ///< GET_ID without exactly 20 writable data bytes
  kSegmentsSize,     ///< DISCARD/WRITE_ZEROES data empty or not a multiple of 16 bytes
  kTooManySegments,  ///< more segments than max_discard_seg / max_write_zeroes_seg
  kSegmentTooLong,   ///< a segment longer than max_discard_sectors / max_write_zeroes_sectors
  kSegmentFlags,     ///< reserved flag bits, or unmap on a DISCARD (UNSUPP, 5.2.6.2)
  kRamRefused,       ///< guest RAM refused a read of the request (its map changed)
};

/// A refused request: why, and the status the device answers with (when it can answer).
struct RequestRefusal {
  BlockRequestError error;
  BlockStatus status;
};

/// The request in `chain` as `out` (whose storage is reused). A refusal fails that request with
/// its status, written to the last writable byte unless the error is kNoStatus.
[[nodiscard]] std::expected<void, RequestRefusal> parse_block_request(
    const GuestRam& ram, const DescriptorChain& chain, const BlockRequestLimits& limits,
    BlockRequest& out);

/// One phrase for a log.
[[nodiscard]] std::string_view describe(BlockRequestError error);
/// "in", "out", "flush" … or "unknown".
[[nodiscard]] std::string_view describe(BlockRequestType type);

}  // namespace rootstock::vmm::virtio
