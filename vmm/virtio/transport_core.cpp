#include "vmm/virtio/transport_core.hpp"

#include <algorithm>
#include <utility>

#include "vmm/virtio/split_ring.hpp"

namespace rootstock::vmm::virtio {

namespace {

constexpr uint32_t kFeatureWords = 2;  // feature bits past 63 do not exist

}  // namespace

TransportCore::TransportCore(std::unique_ptr<Device> device, GuestRam& ram,
                             InitialQueueSize initial_size)
    : device_(std::move(device)),
      ram_(&ram),
      initial_size_(initial_size),
      offered_((device_->features() & kTransportFeatures) | kFeatureVersion1),
      configs_(device_->queue_count()),
      queues_(device_->queue_count()),
      queue_ptrs_(device_->queue_count(), nullptr) {
  clear_queues();
}

TransportCore::~TransportCore() {
  if (active_) device_->reset();
}

uint32_t TransportCore::device_features(uint32_t select) const {
  return select < kFeatureWords ? static_cast<uint32_t>(offered_ >> (32 * select)) : 0;
}

uint32_t TransportCore::driver_features(uint32_t select) const {
  return select < kFeatureWords ? static_cast<uint32_t>(driver_features_ >> (32 * select)) : 0;
}

void TransportCore::set_driver_features(uint32_t select, uint32_t value) {
  // 3.1.1 step 5: the features are settled once FEATURES_OK is set.
  if ((status_ & status_bit(Status::kFeaturesOk)) != 0 || select >= kFeatureWords) return;
  driver_features_ = replace_half(driver_features_, select, value);
}

uint64_t TransportCore::read_config(uint32_t offset, uint8_t size, uint64_t room) const {
  uint8_t bytes[8] = {};
  const size_t length = std::min<uint64_t>({size, sizeof(bytes), room});
  device_->read_config(offset, std::span<uint8_t>(bytes, length));
  uint64_t value = 0;
  for (size_t i = 0; i < length; ++i) value |= uint64_t{bytes[i]} << (8 * i);
  return value;
}

void TransportCore::write_config(uint32_t offset, uint8_t size, uint64_t room, uint64_t value) {
  uint8_t bytes[8] = {};
  const size_t length = std::min<uint64_t>({size, sizeof(bytes), room});
  for (size_t i = 0; i < length; ++i) bytes[i] = static_cast<uint8_t>(value >> (8 * i));
  device_->write_config(offset, std::span<const uint8_t>(bytes, length));
}

TransportCore::StatusChange TransportCore::write_status(uint32_t value, DeviceLink& link) {
  if (value == 0) {
    reset();
    return StatusChange::kReset;
  }
  // Bits 31:8 do not exist; DEVICE_NEEDS_RESET is the device's to set (2.1).
  const uint8_t bits =
      static_cast<uint8_t>(value & 0xff & ~uint32_t{status_bit(Status::kDeviceNeedsReset)});
  // 2.1.1: the driver MUST NOT clear a status bit (other than by reset): such a write is
  // ignored whole.
  if ((status_ & ~bits) != 0) return StatusChange::kNone;
  uint8_t added = static_cast<uint8_t>(bits & ~status_);
  // 3.1.1 step 5, 2.2.1: FEATURES_OK only for features the device offered, with
  // VIRTIO_F_VERSION_1 (6.1: a modern device may refuse a driver without it; these transports
  // have no legacy interface). Left clear, the driver reads it back and gives up.
  if ((added & status_bit(Status::kFeaturesOk)) != 0 && !features_acceptable()) {
    added = static_cast<uint8_t>(added & ~status_bit(Status::kFeaturesOk));
  }
  // 3.1.1 step 8: DRIVER_OK follows FEATURES_OK; without it the device is not started.
  if ((added & status_bit(Status::kDriverOk)) != 0 &&
      ((status_ | added) & status_bit(Status::kFeaturesOk)) == 0) {
    added = static_cast<uint8_t>(added & ~status_bit(Status::kDriverOk));
  }
  status_ = static_cast<uint8_t>(status_ | added);
  if ((added & status_bit(Status::kDriverOk)) == 0 || !dma_allowed_) return StatusChange::kNone;
  return start_device(link) ? StatusChange::kStarted : StatusChange::kRefused;
}

TransportCore::StatusChange TransportCore::set_dma_allowed(bool allowed, DeviceLink& link) {
  if (allowed == dma_allowed_) return StatusChange::kNone;
  dma_allowed_ = allowed;
  if (!allowed) {
    if (!active_) return StatusChange::kNone;
    device_->reset();  // the device lets go of the queues before they go (device.hpp)
    active_ = false;
    stopped_ = true;
    drop_queues();
    return StatusChange::kRefused;
  }
  // DRIVER_OK came while the device could not start: it starts now.
  if (active_ || stopped_ || (status_ & status_bit(Status::kDriverOk)) == 0) {
    return StatusChange::kNone;
  }
  return start_device(link) ? StatusChange::kStarted : StatusChange::kRefused;
}

bool TransportCore::features_acceptable() const {
  return (driver_features_ & ~offered_) == 0 && (driver_features_ & kFeatureVersion1) != 0;
}

bool TransportCore::start_device(DeviceLink& link) {
  const QueueFeatures features = QueueFeatures::from_negotiated(driver_features_);
  const auto refuse = [this] {
    drop_queues();
    return false;
  };
  for (size_t i = 0; i < configs_.size(); ++i) {
    const QueueConfig& config = configs_[i];
    if (!config.enabled) continue;
    // The size at most the maximum (4.1.4.3.2, 4.2.2.2); SplitVirtqueue::create checks the
    // rest (a power of two, the alignments of 2.7, every part inside guest RAM).
    if (config.size > max_queue_size(static_cast<uint32_t>(i))) return refuse();
    auto queue = SplitVirtqueue::create(
        *ram_, {config.size, config.desc, config.driver, config.device}, features);
    if (!queue) return refuse();
    queues_[i].emplace(std::move(*queue));
    queue_ptrs_[i] = &*queues_[i];
  }
  if (!device_->activate(driver_features_, queue_ptrs_, link)) return refuse();
  active_ = true;
  return true;
}

void TransportCore::reset() {
  // The device lets go of the queues and the link before they go (device.hpp).
  device_->reset();
  active_ = false;
  stopped_ = false;
  status_ = 0;
  driver_features_ = 0;
  clear_queues();
}

void TransportCore::drop_queues() {
  std::fill(queue_ptrs_.begin(), queue_ptrs_.end(), nullptr);
  for (auto& q : queues_) q.reset();
}

void TransportCore::clear_queues() {
  drop_queues();
  for (size_t i = 0; i < configs_.size(); ++i) {
    configs_[i] = QueueConfig{};
    if (initial_size_ == InitialQueueSize::kMaximum) {
      configs_[i].size = max_queue_size(static_cast<uint32_t>(i));
    }
  }
}

uint16_t TransportCore::max_queue_size(uint32_t queue) const {
  if (queue >= configs_.size()) return 0;
  return static_cast<uint16_t>(
      std::min<uint32_t>(device_->max_queue_size(static_cast<uint16_t>(queue)), kMaxQueueSize));
}

const QueueConfig* TransportCore::queue(uint32_t queue) const {
  return queue < configs_.size() ? &configs_[queue] : nullptr;
}

QueueConfig* TransportCore::configurable_queue(uint32_t queue) {
  if (queue >= configs_.size() || (status_ & status_bit(Status::kDriverOk)) != 0) return nullptr;
  QueueConfig& config = configs_[queue];
  return config.enabled ? nullptr : &config;
}

bool TransportCore::set_queue_enabled(uint32_t queue, bool enabled) {
  // Set up before DRIVER_OK (3.1.1 step 7). Disabling a queue later would be a queue reset
  // (VIRTIO_F_RING_RESET), which is not offered.
  if (queue >= configs_.size() || (status_ & status_bit(Status::kDriverOk)) != 0) return false;
  configs_[queue].enabled = enabled;
  return true;
}

std::vector<TransportCore::QueueKick> TransportCore::queue_kicks() const {
  std::vector<QueueKick> kicks;
  if (!active_) return kicks;
  for (uint16_t q = 0; q < queue_count(); ++q) {
    const int fd = device_->kick_fd(q);
    if (configs_[q].enabled && fd >= 0) kicks.push_back({q, fd});
  }
  return kicks;
}

void TransportCore::notify(uint32_t queue) {
  if (active_ && queue < queues_.size() && queues_[queue].has_value()) {
    device_->notify(static_cast<uint16_t>(queue));
  }
}

}  // namespace rootstock::vmm::virtio
