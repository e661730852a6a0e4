#include "vmm/virtio/block_device.hpp"

#include <string.h>

#include <algorithm>
#include <utility>

#include "vmm/virtio/chain_io.hpp"
#include "vmm/virtio/feature_bits.hpp"

namespace rootstock::vmm::virtio {
namespace {

/// How much of a transfer goes through the bounce buffer at once.
constexpr size_t kBounceBytes = 64 * 1024;

}  // namespace

BlockDevice::BlockDevice(std::unique_ptr<BlockMedium> medium, std::string drive_id, BlockIo io)
    : read_only_(medium->read_only()), io_(io), medium_(std::move(medium)), bounce_(kBounceBytes) {
  memcpy(id_.data(), drive_id.data(), std::min(drive_id.size(), id_.size()));
  config_.capacity = medium_->size() / kBlockSectorSize;
  config_.seg_max = kQueueSize - 2;  // the header and the status take a descriptor each
  config_.blk_size = kBlockSectorSize;
  config_.num_queues = 1;
  config_.max_discard_sectors = kMaxSegmentSectors;
  config_.max_discard_seg = kMaxSegments;
  config_.discard_sector_alignment = kDiscardAlignmentSectors;
  config_.max_write_zeroes_sectors = kMaxSegmentSectors;
  config_.max_write_zeroes_seg = kMaxSegments;
  config_.write_zeroes_may_unmap = 1;
  limits_ = {config_.capacity, config_.max_discard_sectors, config_.max_discard_seg,
             config_.max_write_zeroes_sectors, config_.max_write_zeroes_seg};
}

BlockDevice::~BlockDevice() {
  worker_.stop();
}

uint64_t BlockDevice::features() const {
  uint64_t features =
      kFeatureVersion1 | feature_mask(FeatureBit::kIndirectDesc) |
      feature_mask(FeatureBit::kEventIdx) | block_feature_mask(BlockFeatureBit::kSegMax) |
      block_feature_mask(BlockFeatureBit::kBlkSize) | block_feature_mask(BlockFeatureBit::kFlush);
  if (read_only_) return features | block_feature_mask(BlockFeatureBit::kReadOnly);
  return features | block_feature_mask(BlockFeatureBit::kDiscard) |
         block_feature_mask(BlockFeatureBit::kWriteZeroes);
}

uint16_t BlockDevice::max_queue_size(uint16_t queue) const {
  return queue == 0 ? kQueueSize : 0;
}

void BlockDevice::read_config(uint32_t offset, std::span<uint8_t> out) const {
  std::lock_guard lock(mutex_);
  read_config_bytes(config_, offset, out);
}

BlockConfig BlockDevice::config() const {
  std::lock_guard lock(mutex_);
  return config_;
}

std::expected<void, std::string> BlockDevice::replace_medium(std::unique_ptr<BlockMedium> medium) {
  if (!medium) return std::unexpected("no medium");
  if (medium->read_only() != read_only_) {
    return std::unexpected(read_only_ ? "the disk is read-only: its new medium must be too"
                                      : "the disk is writable: its new medium must be too");
  }
  std::unique_ptr<BlockMedium> old;
  {
    // The worker serves the queue under this lock: no request is half on the old medium.
    std::lock_guard lock(mutex_);
    old = std::exchange(medium_, std::move(medium));
    config_.capacity = medium_->size() / kBlockSectorSize;
    limits_.capacity = config_.capacity;
    ++replacements_;
    if (link_ != nullptr) link_->config_changed();
  }
  return {};  // `old` closes here, outside the lock
}

uint64_t BlockDevice::medium_replacements() const {
  std::lock_guard lock(mutex_);
  return replacements_;
}

void BlockDevice::write_config(uint32_t, std::span<const uint8_t>) {}

bool BlockDevice::activate(uint64_t features, std::span<SplitVirtqueue*> queues, DeviceLink& link) {
  worker_.stop();  // activated twice without a reset: the old worker goes first
  if (queues.empty() || queues[0] == nullptr) return false;
  {
    std::lock_guard lock(mutex_);
    negotiated_ = features;
    queue_ = queues[0];
    link_ = &link;
  }
  if (io_ == BlockIo::kInline) return true;
  auto started = worker_.start([this] {
    std::lock_guard lock(mutex_);
    serve_queue_locked();
  });
  if (!started) {
    std::lock_guard lock(mutex_);
    last_error_ = describe(started.error());
    queue_ = nullptr;
    link_ = nullptr;
    return false;
  }
  return true;
}

void BlockDevice::reset() {
  worker_.stop();
  std::lock_guard lock(mutex_);
  negotiated_ = 0;
  queue_ = nullptr;
  link_ = nullptr;
}

int BlockDevice::kick_fd(uint16_t queue) const {
  return queue == 0 && worker_.running() ? worker_.kick_fd() : -1;
}

void BlockDevice::notify(uint16_t queue) {
  if (queue != 0) return;
  if (io_ == BlockIo::kWorker) return worker_.kick();
  std::lock_guard lock(mutex_);
  serve_queue_locked();
}

BlockCounters BlockDevice::counters() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

std::string BlockDevice::last_error() const {
  std::lock_guard lock(mutex_);
  return last_error_;
}

// The loop of docs/virtio.md "How a device uses the queue".
void BlockDevice::serve_queue_locked() {
  if (queue_ == nullptr) return;
  for (;;) {
    if (!queue_->disable_notifications()) return link_->needs_reset();
    for (;;) {
      auto got = queue_->pop(chain_);
      uint32_t written = 0;
      if (!got) {
        if (breaks_queue(got.error().error)) {
          last_error_ = describe(got.error());
          return link_->needs_reset();
        }
        failed(BlockStatus::kIoErr, describe(got.error()));  // returned with nothing written
      } else if (!*got) {
        break;
      } else {
        written = serve(chain_);
      }
      auto interrupt = queue_->return_chain(chain_, written);
      if (!interrupt) return link_->needs_reset();
      if (*interrupt) link_->used_buffers(0);
    }
    auto more = queue_->enable_notifications();
    if (!more) return link_->needs_reset();
    if (!*more) break;
  }
}

uint32_t BlockDevice::serve(const DescriptorChain& chain) {
  uint32_t data_written = 0;
  BlockStatus status = BlockStatus::kOk;
  if (auto parsed = parse_block_request(link_->ram(), chain, limits_, request_); !parsed) {
    status = failed(parsed.error().status, std::string(describe(parsed.error().error)));
    if (parsed.error().error == BlockRequestError::kNoStatus) return 0;
  } else {
    status = execute(chain, data_written);
  }
  // The status is the chain's last writable byte (5.2.6), whatever the data before it.
  const uint8_t byte = static_cast<uint8_t>(status);
  auto put = write_to_chain(link_->ram(), chain, chain.writable_bytes() - 1, std::span(&byte, 1));
  if (!put || *put != 1) return data_written;
  return data_written + 1;
}

BlockStatus BlockDevice::execute(const DescriptorChain& chain, uint32_t& data_written) {
  const bool read_only = read_only_;
  switch (request_.type) {
    case BlockRequestType::kIn:
      ++counters_.reads;
      return transfer_in(chain, data_written);
    case BlockRequestType::kOut:
      ++counters_.writes;
      if (read_only) return failed(BlockStatus::kIoErr, "a write to a read-only disk");
      return transfer_out(chain);
    case BlockRequestType::kFlush:
      ++counters_.flushes;
      if ((negotiated_ & block_feature_mask(BlockFeatureBit::kFlush)) == 0) {
        return failed(BlockStatus::kUnsupp, "a flush without VIRTIO_BLK_F_FLUSH");
      }
      if (auto ok = medium_->flush(); !ok) return failed(BlockStatus::kIoErr, ok.error());
      return BlockStatus::kOk;
    case BlockRequestType::kGetId: {
      ++counters_.get_ids;
      auto put = write_to_chain(link_->ram(), chain, 0, id_);
      if (!put || *put != id_.size()) return failed(BlockStatus::kIoErr, "guest RAM refused");
      data_written = kBlockIdBytes;
      return BlockStatus::kOk;
    }
    case BlockRequestType::kDiscard:
    case BlockRequestType::kWriteZeroes:
      return zero_ranges();
    case BlockRequestType::kGetLifetime:
    case BlockRequestType::kSecureErase:
      break;
  }
  return failed(BlockStatus::kUnsupp, "a request of a type the device does not support");
}

BlockStatus BlockDevice::transfer_in(const DescriptorChain& chain, uint32_t& data_written) {
  const uint64_t start = request_.sector * kBlockSectorSize;
  for (uint32_t done = 0; done < request_.data_bytes;) {
    const auto chunk =
        std::span(bounce_).first(std::min<size_t>(bounce_.size(), request_.data_bytes - done));
    if (auto ok = medium_->read(start + done, chunk); !ok) {
      return failed(BlockStatus::kIoErr, ok.error());
    }
    auto put = write_to_chain(link_->ram(), chain, done, chunk);
    if (!put || *put != chunk.size()) return failed(BlockStatus::kIoErr, "guest RAM refused");
    done += static_cast<uint32_t>(chunk.size());
    data_written = done;
    counters_.bytes_read += chunk.size();
  }
  return BlockStatus::kOk;
}

BlockStatus BlockDevice::transfer_out(const DescriptorChain& chain) {
  const uint64_t start = request_.sector * kBlockSectorSize;
  for (uint32_t done = 0; done < request_.data_bytes;) {
    const auto chunk =
        std::span(bounce_).first(std::min<size_t>(bounce_.size(), request_.data_bytes - done));
    auto got = read_from_chain(link_->ram(), chain, sizeof(BlockRequestHeader) + done, chunk);
    if (!got || *got != chunk.size()) return failed(BlockStatus::kIoErr, "guest RAM refused");
    if (auto ok = medium_->write(start + done, chunk); !ok) {
      return failed(BlockStatus::kIoErr, ok.error());
    }
    done += static_cast<uint32_t>(chunk.size());
    counters_.bytes_written += chunk.size();
  }
  return BlockStatus::kOk;
}

// DISCARD and WRITE_ZEROES, each range in turn (5.2.6.2).
BlockStatus BlockDevice::zero_ranges() {
  const bool discard = request_.type == BlockRequestType::kDiscard;
  ++(discard ? counters_.discards : counters_.write_zeroes);
  if (read_only_)
    return failed(BlockStatus::kIoErr, "a discard or write-zeroes to a read-only disk");
  const auto feature = discard ? BlockFeatureBit::kDiscard : BlockFeatureBit::kWriteZeroes;
  if ((negotiated_ & block_feature_mask(feature)) == 0) {
    return failed(BlockStatus::kUnsupp, "a discard or write-zeroes not negotiated");
  }
  for (const SectorRange& range : request_.ranges) {
    const uint64_t offset = range.sector * kBlockSectorSize;
    const uint64_t length = uint64_t{range.sectors} * kBlockSectorSize;
    auto ok = discard ? medium_->discard(offset, length)
                      : medium_->write_zeroes(offset, length, range.unmap);
    if (!ok) return failed(BlockStatus::kIoErr, ok.error());
  }
  return BlockStatus::kOk;
}

BlockStatus BlockDevice::failed(BlockStatus status, std::string reason) {
  ++(status == BlockStatus::kUnsupp ? counters_.unsupported : counters_.errors);
  last_error_ = std::move(reason);
  return status;
}

}  // namespace rootstock::vmm::virtio
