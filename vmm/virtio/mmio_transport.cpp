#include "vmm/virtio/mmio_transport.hpp"

#include <algorithm>
#include <span>
#include <utility>

namespace rootstock::vmm::virtio {

using namespace mmio;

namespace {

constexpr uint8_t bit(Status s) {
  return static_cast<uint8_t>(s);
}

constexpr uint64_t kConfigStart = static_cast<uint64_t>(Reg::kConfig);
constexpr uint32_t kAllOnes = 0xffffffff;

/// `half` (0: bits 31:0, 1: bits 63:32) of a 64-bit register pair replaced by `value`.
uint64_t with_half(uint64_t word, unsigned half, uint32_t value) {
  const unsigned shift = half * 32;
  return (word & ~(uint64_t{kAllOnes} << shift)) | uint64_t{value} << shift;
}

}  // namespace

MmioTransport::MmioTransport(uint64_t base, std::unique_ptr<Device> device, GuestRam& ram,
                             InterruptLine& line)
    : base_(base),
      device_(std::move(device)),
      ram_(&ram),
      line_(&line),
      offered_((device_->features() & kTransportFeatures) | kFeatureVersion1),
      queue_regs_(device_->queue_count()),
      queues_(device_->queue_count()),
      queue_ptrs_(device_->queue_count(), nullptr) {}

MmioTransport::~MmioTransport() {
  if (active_) device_->reset();
}

uint64_t MmioTransport::read(uint64_t gpa, uint8_t size) {
  if (gpa < base_ || gpa - base_ >= kWindowSize) return 0;
  const uint64_t offset = gpa - base_;
  if (offset >= kConfigStart) {
    // 4.2.2.2: the configuration space at any width; bytes past the window read 0.
    uint8_t bytes[8] = {};
    const size_t length = std::min<uint64_t>({size, sizeof(bytes), kWindowSize - offset});
    device_->read_config(static_cast<uint32_t>(offset - kConfigStart),
                         std::span<uint8_t>(bytes, length));
    uint64_t value = 0;
    for (size_t i = 0; i < length; ++i) value |= uint64_t{bytes[i]} << (8 * i);
    return value;
  }
  if (size != 4 || offset % 4 != 0) return 0;  // 4.2.2.2: registers are 32-bit, aligned
  return read_register(static_cast<Reg>(offset));
}

Next MmioTransport::write(uint64_t gpa, uint8_t size, uint64_t value) {
  if (gpa < base_ || gpa - base_ >= kWindowSize) return Next::kContinue;
  const uint64_t offset = gpa - base_;
  if (offset >= kConfigStart) {
    uint8_t bytes[8] = {};
    const size_t length = std::min<uint64_t>({size, sizeof(bytes), kWindowSize - offset});
    for (size_t i = 0; i < length; ++i) bytes[i] = static_cast<uint8_t>(value >> (8 * i));
    device_->write_config(static_cast<uint32_t>(offset - kConfigStart),
                          std::span<const uint8_t>(bytes, length));
    return Next::kContinue;
  }
  if (size == 4 && offset % 4 == 0) {
    write_register(static_cast<Reg>(offset), static_cast<uint32_t>(value));
  }
  return Next::kContinue;
}

uint32_t MmioTransport::read_register(Reg reg) {
  const bool queue_exists = queue_sel_ < queue_regs_.size();
  switch (reg) {
    case Reg::kMagicValue:
      return kMagic;
    case Reg::kVersion:
      return kVersion;
    case Reg::kDeviceId:
      return static_cast<uint32_t>(device_->type());
    case Reg::kVendorId:
      return kVendorId;
    case Reg::kDeviceFeatures:
      // Feature bits past 63 do not exist: a selector past 1 reads 0.
      return device_features_sel_ < 2
                 ? static_cast<uint32_t>(offered_ >> (32 * device_features_sel_))
                 : 0;
    case Reg::kQueueNumMax:
      // 4.2.2: 0 for a queue that does not exist.
      return queue_exists
                 ? std::min<uint32_t>(device_->max_queue_size(static_cast<uint16_t>(queue_sel_)),
                                      kMaxQueueSize)
                 : 0;
    case Reg::kQueueReady:
      return queue_exists && queue_regs_[queue_sel_].ready ? 1 : 0;
    case Reg::kInterruptStatus: {
      std::lock_guard lock(interrupt_mutex_);
      return interrupt_status_;
    }
    case Reg::kStatus:
      return status();
    case Reg::kShmLenLow:
    case Reg::kShmLenHigh:
    case Reg::kShmBaseLow:
    case Reg::kShmBaseHigh:
      return kAllOnes;  // 4.2.2: a shared memory region that does not exist has length -1
    case Reg::kConfigGeneration: {
      std::lock_guard lock(interrupt_mutex_);
      return config_generation_;
    }
    default:
      return 0;  // write-only registers, QueueReset, and offsets Table 4.1 does not list
  }
}

void MmioTransport::write_register(Reg reg, uint32_t value) {
  switch (reg) {
    case Reg::kDeviceFeaturesSel:
      device_features_sel_ = value;
      return;
    case Reg::kDriverFeaturesSel:
      driver_features_sel_ = value;
      return;
    case Reg::kDriverFeatures:
      // 3.1.1 step 5: the features are settled once FEATURES_OK is set; bits past 63 do not
      // exist.
      if ((status_ & bit(Status::kFeaturesOk)) == 0 && driver_features_sel_ < 2) {
        driver_features_ = with_half(driver_features_, driver_features_sel_, value);
      }
      return;
    case Reg::kQueueSel:
      queue_sel_ = value;  // any value: a queue past the end reads QueueNumMax 0
      return;
    case Reg::kQueueNum:
      if (QueueRegs* q = writable_queue()) q->num = value;
      return;
    case Reg::kQueueReady:
      // 4.2.2.2 / 4.2.3.2: set up before DRIVER_OK. Writing 0 later would be a queue reset
      // (VIRTIO_F_RING_RESET), which is not offered.
      if (queue_sel_ < queue_regs_.size() && (status_ & bit(Status::kDriverOk)) == 0 &&
          value <= 1) {
        queue_regs_[queue_sel_].ready = value == 1;
      }
      return;
    case Reg::kQueueNotify:
      // 4.2.2: the queue index (no VIRTIO_F_NOTIFICATION_DATA). Only queues the device serves.
      if (active_ && value < queues_.size() && queues_[value].has_value()) {
        device_->notify(static_cast<uint16_t>(value));
      }
      return;
    case Reg::kInterruptAck: {
      std::lock_guard lock(interrupt_mutex_);
      interrupt_status_ &= ~value;
      if (interrupt_status_ == 0) line_->lower();
      return;
    }
    case Reg::kStatus:
      write_status(value);
      return;
    case Reg::kQueueDescLow:
    case Reg::kQueueDescHigh:
      if (QueueRegs* q = writable_queue()) {
        q->desc = with_half(q->desc, reg == Reg::kQueueDescHigh ? 1 : 0, value);
      }
      return;
    case Reg::kQueueDriverLow:
    case Reg::kQueueDriverHigh:
      if (QueueRegs* q = writable_queue()) {
        q->driver = with_half(q->driver, reg == Reg::kQueueDriverHigh ? 1 : 0, value);
      }
      return;
    case Reg::kQueueDeviceLow:
    case Reg::kQueueDeviceHigh:
      if (QueueRegs* q = writable_queue()) {
        q->device = with_half(q->device, reg == Reg::kQueueDeviceHigh ? 1 : 0, value);
      }
      return;
    default:
      return;  // read-only registers, ShmSel, QueueReset, offsets Table 4.1 does not list
  }
}

MmioTransport::QueueRegs* MmioTransport::writable_queue() {
  // 4.2.2.2: QueueNum, QueueDesc*, QueueDriver* and QueueDevice* are written only while the
  // queue is not ready; 4.2.3.2 sets them up before DRIVER_OK (3.1.1 step 7).
  if (queue_sel_ >= queue_regs_.size() || (status_ & bit(Status::kDriverOk)) != 0) return nullptr;
  QueueRegs& q = queue_regs_[queue_sel_];
  return q.ready ? nullptr : &q;
}

void MmioTransport::write_status(uint32_t value) {
  if (value == 0) {
    reset();  // 4.2.2: writing 0 resets the device
    return;
  }
  // Bits 31:8 do not exist; DEVICE_NEEDS_RESET is the device's to set (2.1).
  const uint8_t bits =
      static_cast<uint8_t>(value & 0xff & ~uint32_t{bit(Status::kDeviceNeedsReset)});
  // 2.1.1: the driver MUST NOT clear a status bit (other than by reset): such a write is
  // ignored whole.
  if ((status_ & ~bits) != 0) return;
  uint8_t added = static_cast<uint8_t>(bits & ~status_);
  // 3.1.1 step 5, 2.2.1: FEATURES_OK only for features the device offered, with
  // VIRTIO_F_VERSION_1 (6.1: a modern device may refuse a driver without it; this transport
  // has no legacy interface). Left clear, the driver reads it back and gives up.
  if ((added & bit(Status::kFeaturesOk)) != 0 && !features_acceptable()) {
    added = static_cast<uint8_t>(added & ~bit(Status::kFeaturesOk));
  }
  // 3.1.1 step 8: DRIVER_OK follows FEATURES_OK; without it the device is not started.
  if ((added & bit(Status::kDriverOk)) != 0 &&
      ((status_ | added) & bit(Status::kFeaturesOk)) == 0) {
    added = static_cast<uint8_t>(added & ~bit(Status::kDriverOk));
  }
  status_ = static_cast<uint8_t>(status_ | added);
  if ((added & bit(Status::kDriverOk)) != 0) start_device();
}

bool MmioTransport::features_acceptable() const {
  return (driver_features_ & ~offered_) == 0 && (driver_features_ & kFeatureVersion1) != 0;
}

void MmioTransport::start_device() {
  const QueueFeatures features = QueueFeatures::from_negotiated(driver_features_);
  bool refused = false;
  for (size_t i = 0; i < queue_regs_.size() && !refused; ++i) {
    const QueueRegs& regs = queue_regs_[i];
    if (!regs.ready) continue;
    // 4.2.2.2: QueueNum at most QueueNumMax; SplitVirtqueue::create checks the rest (a power
    // of two, the alignments of 2.7, every part inside guest RAM).
    if (regs.num > device_->max_queue_size(static_cast<uint16_t>(i))) {
      refused = true;
      break;
    }
    auto queue =
        SplitVirtqueue::create(*ram_, {regs.num, regs.desc, regs.driver, regs.device}, features);
    if (!queue) {
      refused = true;
      break;
    }
    queues_[i].emplace(std::move(*queue));
    queue_ptrs_[i] = &*queues_[i];
  }
  if (!refused && device_->activate(driver_features_, queue_ptrs_, *this)) {
    active_ = true;
    return;
  }
  // 2.1.2: a configuration the device cannot use is DEVICE_NEEDS_RESET, with a configuration
  // change notification since DRIVER_OK is set.
  std::fill(queue_ptrs_.begin(), queue_ptrs_.end(), nullptr);
  for (auto& q : queues_) q.reset();
  needs_reset();
}

void MmioTransport::reset() {
  // The device lets go of the queues and the link before they go (device.hpp).
  device_->reset();
  active_ = false;
  std::fill(queue_ptrs_.begin(), queue_ptrs_.end(), nullptr);
  for (auto& q : queues_) q.reset();
  std::fill(queue_regs_.begin(), queue_regs_.end(), QueueRegs{});
  status_ = 0;
  device_features_sel_ = 0;
  driver_features_sel_ = 0;
  driver_features_ = 0;
  queue_sel_ = 0;
  std::lock_guard lock(interrupt_mutex_);
  interrupt_status_ = 0;
  needs_reset_ = false;
  line_->lower();
}

uint8_t MmioTransport::status() const {
  std::lock_guard lock(interrupt_mutex_);
  return needs_reset_ ? static_cast<uint8_t>(status_ | bit(Status::kDeviceNeedsReset)) : status_;
}

void MmioTransport::used_buffers(uint16_t /*queue*/) {
  std::lock_guard lock(interrupt_mutex_);
  raise_locked(Interrupt::kUsedBuffer);
}

void MmioTransport::config_changed() {
  std::lock_guard lock(interrupt_mutex_);
  ++config_generation_;  // 4.2.2 ConfigGeneration, 2.5.1
  raise_locked(Interrupt::kConfigChange);
}

void MmioTransport::needs_reset() {
  std::lock_guard lock(interrupt_mutex_);
  needs_reset_ = true;
  raise_locked(Interrupt::kConfigChange);  // 2.1.2
}

void MmioTransport::raise_locked(Interrupt bit) {
  // 4.2.2 InterruptStatus; the line is a level: high while any bit is set (4.2.3.4).
  interrupt_status_ |= static_cast<uint32_t>(bit);
  line_->raise();
}

}  // namespace rootstock::vmm::virtio
