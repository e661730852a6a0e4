// virtio-blk (virtio 1.2, 5.2 "Block Device"): a disk for a child over a BlockMedium
// (block_backend.hpp), with one request queue. Each request is parsed once
// (block_request.hpp), served against the medium, and answered with its status byte.
//
// Where requests run (BlockIo): by default on a worker thread of the disk's own
// (queue_worker.hpp), which a kick wakes — notify() from the vCPU thread that exited, or hvroot
// signalling the kick fd for a doorbell without any exit to the VMM — so that a slow disk
// never holds a vCPU. BlockIo::kInline serves them in notify() on the calling thread instead:
// the deterministic mode of the unit tests and fuzzers.
//
// Locking: activate(), notify() and reset() come under the transport's board lock; the
// device's mutex guards the queue, the link, the counters and the last error, and the worker
// holds it while it serves the queue. reset() stops the worker (a request in flight finishes
// first) before it lets go of the queue.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <array>
#include <expected>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "vmm/virtio/block_backend.hpp"
#include "vmm/virtio/block_request.hpp"
#include "vmm/virtio/device.hpp"
#include "vmm/virtio/device_counters.hpp"
#include "vmm/virtio/queue_worker.hpp"

namespace rootstock::vmm::virtio {

/// Device-specific feature bits of virtio-blk (5.2.3).
enum class BlockFeatureBit : uint8_t {
  kSizeMax = 1,       ///< VIRTIO_BLK_F_SIZE_MAX (not offered)
  kSegMax = 2,        ///< VIRTIO_BLK_F_SEG_MAX: seg_max is valid
  kGeometry = 4,      ///< VIRTIO_BLK_F_GEOMETRY (not offered)
  kReadOnly = 5,      ///< VIRTIO_BLK_F_RO
  kBlkSize = 6,       ///< VIRTIO_BLK_F_BLK_SIZE: blk_size is valid
  kFlush = 9,         ///< VIRTIO_BLK_F_FLUSH
  kTopology = 10,     ///< VIRTIO_BLK_F_TOPOLOGY (not offered)
  kConfigWce = 11,    ///< VIRTIO_BLK_F_CONFIG_WCE (not offered)
  kMultiQueue = 12,   ///< VIRTIO_BLK_F_MQ (not offered)
  kDiscard = 13,      ///< VIRTIO_BLK_F_DISCARD
  kWriteZeroes = 14,  ///< VIRTIO_BLK_F_WRITE_ZEROES
};

/// The feature word's mask for `bit`.
[[nodiscard]] constexpr uint64_t block_feature_mask(BlockFeatureBit bit) {
  return uint64_t{1} << static_cast<uint8_t>(bit);
}

/// The device configuration space (5.2.4 struct virtio_blk_config), little-endian.
struct BlockConfig {
  uint64_t capacity;  ///< in 512-byte sectors
  uint32_t size_max;
  uint32_t seg_max;
  uint16_t geometry_cylinders;
  uint8_t geometry_heads;
  uint8_t geometry_sectors;
  uint32_t blk_size;
  uint8_t topology_physical_block_exp;
  uint8_t topology_alignment_offset;
  uint16_t topology_min_io_size;
  uint32_t topology_opt_io_size;
  uint8_t writeback;
  uint8_t unused0;
  uint16_t num_queues;
  uint32_t max_discard_sectors;
  uint32_t max_discard_seg;
  uint32_t discard_sector_alignment;
  uint32_t max_write_zeroes_sectors;
  uint32_t max_write_zeroes_seg;
  uint8_t write_zeroes_may_unmap;
  uint8_t unused1[3];
  uint32_t max_secure_erase_sectors;
  uint32_t max_secure_erase_seg;
  uint32_t secure_erase_sector_alignment;
};
static_assert(sizeof(BlockConfig) == 72);
static_assert(offsetof(BlockConfig, capacity) == 0);
static_assert(offsetof(BlockConfig, size_max) == 8);
static_assert(offsetof(BlockConfig, seg_max) == 12);
static_assert(offsetof(BlockConfig, geometry_cylinders) == 16);
static_assert(offsetof(BlockConfig, blk_size) == 20);
static_assert(offsetof(BlockConfig, topology_physical_block_exp) == 24);
static_assert(offsetof(BlockConfig, topology_opt_io_size) == 28);
static_assert(offsetof(BlockConfig, writeback) == 32);
static_assert(offsetof(BlockConfig, num_queues) == 34);
static_assert(offsetof(BlockConfig, max_discard_sectors) == 36);
static_assert(offsetof(BlockConfig, max_discard_seg) == 40);
static_assert(offsetof(BlockConfig, discard_sector_alignment) == 44);
static_assert(offsetof(BlockConfig, max_write_zeroes_sectors) == 48);
static_assert(offsetof(BlockConfig, max_write_zeroes_seg) == 52);
static_assert(offsetof(BlockConfig, write_zeroes_may_unmap) == 56);
static_assert(offsetof(BlockConfig, max_secure_erase_sectors) == 60);
static_assert(offsetof(BlockConfig, secure_erase_sector_alignment) == 68);

/// Which thread serves the requests.
enum class BlockIo : uint8_t {
  kWorker,  ///< the disk's own worker thread
  kInline,  ///< the thread that called notify()
};

/// A virtio-blk device.
class BlockDevice final : public Device {
 public:
  /// The largest queue the driver may configure; seg_max leaves room for header and status.
  static constexpr uint16_t kQueueSize = 256;
  /// Limits announced for DISCARD and WRITE_ZEROES (5.2.4): segments a request, sectors a
  /// segment (4 GiB - 512), alignment 4 KiB (what hole punching deallocates).
  static constexpr uint32_t kMaxSegments = 32;
  static constexpr uint32_t kMaxSegmentSectors = 0x7fffff;
  static constexpr uint32_t kDiscardAlignmentSectors = 8;

  /// A disk on `medium` (read-only when the medium is), answering GET_ID with `drive_id`: its
  /// first 20 bytes, NUL-padded; requests served as `io` says.
  BlockDevice(std::unique_ptr<BlockMedium> medium, std::string drive_id,
              BlockIo io = BlockIo::kWorker);
  /// Stops the worker.
  ~BlockDevice() override;
  BlockDevice(const BlockDevice&) = delete;
  BlockDevice& operator=(const BlockDevice&) = delete;

  [[nodiscard]] DeviceType type() const override { return DeviceType::kBlock; }
  [[nodiscard]] uint64_t features() const override;
  [[nodiscard]] uint16_t queue_count() const override { return 1; }
  [[nodiscard]] uint16_t max_queue_size(uint16_t queue) const override;
  [[nodiscard]] uint32_t config_size() const override { return sizeof(BlockConfig); }
  void read_config(uint32_t offset, std::span<uint8_t> out) const override;
  /// Nothing in the space is writable without VIRTIO_BLK_F_CONFIG_WCE: writes are ignored.
  void write_config(uint32_t offset, std::span<const uint8_t> data) override;
  [[nodiscard]] bool activate(uint64_t features, std::span<SplitVirtqueue*> queues,
                              DeviceLink& link) override;
  void notify(uint16_t queue) override;
  void reset() override;
  /// The worker's kick fd while it runs; -1 for BlockIo::kInline.
  [[nodiscard]] int kick_fd(uint16_t queue) const override;

  /// The configuration space as the driver reads it now.
  [[nodiscard]] BlockConfig config() const;
  /// A snapshot of the counters.
  [[nodiscard]] BlockCounters counters() const;
  /// Puts the disk on another medium while the child runs (Firecracker's PATCH of a drive's
  /// path_on_host): a request in flight finishes on the old one, the next goes to the new one,
  /// the capacity follows the new size and an active driver gets a configuration change
  /// notification (2.5.1) to read it again. Refused, changing nothing, when the new medium's
  /// read-only setting differs (the features the driver negotiated announce the old one).
  [[nodiscard]] std::expected<void, std::string> replace_medium(
      std::unique_ptr<BlockMedium> medium);
  /// How many times replace_medium() succeeded.
  [[nodiscard]] uint64_t medium_replacements() const;
  /// Why the last request that failed did (a refusal, a queue fault or the medium's words);
  /// empty while none has. The VMM has no log yet: its owner reads this.
  [[nodiscard]] std::string last_error() const;

 private:
  /// Serves every request in the queue (docs/virtio.md "How a device uses the queue").
  void serve_queue_locked();
  /// Serves the request in `chain` and writes its status; returns the used length (the bytes
  /// written into the chain, status included).
  uint32_t serve(const DescriptorChain& chain);
  /// The request's work, once parsed; IN and GET_ID report the data bytes they wrote.
  BlockStatus execute(const DescriptorChain& chain, uint32_t& data_written);
  BlockStatus transfer_in(const DescriptorChain& chain, uint32_t& data_written);
  BlockStatus transfer_out(const DescriptorChain& chain);
  BlockStatus zero_ranges();
  /// A failed request: counted, its reason kept for last_error().
  BlockStatus failed(BlockStatus status, std::string reason);

  std::array<uint8_t, kBlockIdBytes> id_{};
  const bool read_only_;
  const BlockIo io_;
  QueueWorker worker_;  ///< runs between activate() and reset() with BlockIo::kWorker

  mutable std::mutex mutex_;  ///< guards everything below
  std::unique_ptr<BlockMedium> medium_;
  BlockConfig config_{};
  BlockRequestLimits limits_{};
  uint64_t replacements_ = 0;
  uint64_t negotiated_ = 0;
  SplitVirtqueue* queue_ = nullptr;
  DeviceLink* link_ = nullptr;
  BlockCounters counters_;
  DescriptorChain chain_;        ///< reused from request to request
  BlockRequest request_;         ///< the same
  std::vector<uint8_t> bounce_;  ///< between guest RAM and the medium, a chunk at a time
  std::string last_error_;
};

}  // namespace rootstock::vmm::virtio
