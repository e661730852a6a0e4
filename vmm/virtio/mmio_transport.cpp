#include "vmm/virtio/mmio_transport.hpp"

#include <algorithm>
#include <span>
#include <utility>

namespace rootstock::vmm::virtio {

using namespace mmio;

namespace {

constexpr uint64_t kConfigStart = static_cast<uint64_t>(Reg::kConfig);
constexpr uint32_t kAllOnes = 0xffffffff;

}  // namespace

MmioTransport::MmioTransport(uint64_t base, std::unique_ptr<Device> device, GuestRam& ram,
                             InterruptLine& line, DoorbellSink* doorbells)
    : base_(base),
      line_(&line),
      core_(std::move(device), ram, TransportCore::InitialQueueSize::kZero),
      doorbells_(doorbells) {}

MmioTransport::~MmioTransport() {
  if (core_.active()) core_.reset();
  sync_doorbells();  // inactive now: every doorbell goes
}

void MmioTransport::sync_doorbells() {
  if (!doorbells_.enabled()) return;
  std::vector<DoorbellSpec> wanted;
  for (const TransportCore::QueueKick& k : core_.queue_kicks()) {
    // 4.2.2: one register for every queue, the value names it.
    wanted.push_back({base_ + static_cast<uint32_t>(mmio::Reg::kQueueNotify), sizeof(uint32_t),
                      uint64_t{k.queue}, k.fd});
  }
  doorbells_.sync(wanted);
}

uint64_t MmioTransport::read(uint64_t gpa, uint8_t size) {
  if (gpa < base_ || gpa - base_ >= kWindowSize) return 0;
  const uint64_t offset = gpa - base_;
  if (offset >= kConfigStart) {
    // 4.2.2.2: the configuration space at any width; bytes past the window read 0.
    return core_.read_config(static_cast<uint32_t>(offset - kConfigStart), size,
                             kWindowSize - offset);
  }
  if (size != 4 || offset % 4 != 0) return 0;  // 4.2.2.2: registers are 32-bit, aligned
  return read_register(static_cast<Reg>(offset));
}

Next MmioTransport::write(uint64_t gpa, uint8_t size, uint64_t value) {
  if (gpa < base_ || gpa - base_ >= kWindowSize) return Next::kContinue;
  const uint64_t offset = gpa - base_;
  if (offset >= kConfigStart) {
    core_.write_config(static_cast<uint32_t>(offset - kConfigStart), size, kWindowSize - offset,
                       value);
    return Next::kContinue;
  }
  if (size == 4 && offset % 4 == 0) {
    write_register(static_cast<Reg>(offset), static_cast<uint32_t>(value));
  }
  return Next::kContinue;
}

uint32_t MmioTransport::read_register(Reg reg) {
  switch (reg) {
    case Reg::kMagicValue:
      return kMagic;
    case Reg::kVersion:
      return kVersion;
    case Reg::kDeviceId:
      return static_cast<uint32_t>(core_.device().type());
    case Reg::kVendorId:
      return kVendorId;
    case Reg::kDeviceFeatures:
      return core_.device_features(device_features_sel_);
    case Reg::kQueueNumMax:
      return core_.max_queue_size(queue_sel_);  // 4.2.2: 0 for a queue that does not exist
    case Reg::kQueueReady: {
      const QueueConfig* q = core_.queue(queue_sel_);
      return q != nullptr && q->enabled ? 1 : 0;
    }
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
      core_.set_driver_features(driver_features_sel_, value);
      return;
    case Reg::kQueueSel:
      queue_sel_ = value;  // any value: a queue past the end reads QueueNumMax 0
      return;
    case Reg::kQueueNum:
      if (QueueConfig* q = core_.configurable_queue(queue_sel_)) q->size = value;
      return;
    case Reg::kQueueReady:
      // 4.2.2.2 / 4.2.3.2: set up before DRIVER_OK.
      if (value <= 1) core_.set_queue_enabled(queue_sel_, value == 1);
      return;
    case Reg::kQueueNotify:
      // 4.2.2: the queue index (no VIRTIO_F_NOTIFICATION_DATA). Only queues the device serves.
      core_.notify(value);
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
      if (QueueConfig* q = core_.configurable_queue(queue_sel_)) {
        q->desc = replace_half(q->desc, reg == Reg::kQueueDescHigh ? 1 : 0, value);
      }
      return;
    case Reg::kQueueDriverLow:
    case Reg::kQueueDriverHigh:
      if (QueueConfig* q = core_.configurable_queue(queue_sel_)) {
        q->driver = replace_half(q->driver, reg == Reg::kQueueDriverHigh ? 1 : 0, value);
      }
      return;
    case Reg::kQueueDeviceLow:
    case Reg::kQueueDeviceHigh:
      if (QueueConfig* q = core_.configurable_queue(queue_sel_)) {
        q->device = replace_half(q->device, reg == Reg::kQueueDeviceHigh ? 1 : 0, value);
      }
      return;
    default:
      return;  // read-only registers, ShmSel, QueueReset, offsets Table 4.1 does not list
  }
}

void MmioTransport::write_status(uint32_t value) {
  const TransportCore::StatusChange change = core_.write_status(value, *this);
  if (change == TransportCore::StatusChange::kReset) {
    reset();
  } else if (change == TransportCore::StatusChange::kRefused) {
    // 2.1.2: a configuration the device cannot use is DEVICE_NEEDS_RESET, with a
    // configuration change notification since DRIVER_OK is set.
    needs_reset();
  }
  sync_doorbells();
}

void MmioTransport::reset() {
  device_features_sel_ = 0;
  driver_features_sel_ = 0;
  queue_sel_ = 0;
  std::lock_guard lock(interrupt_mutex_);
  interrupt_status_ = 0;
  needs_reset_ = false;
  line_->lower();
}

uint8_t MmioTransport::status() const {
  std::lock_guard lock(interrupt_mutex_);
  const uint8_t status = core_.status();
  return needs_reset_ ? static_cast<uint8_t>(status | status_bit(Status::kDeviceNeedsReset))
                      : status;
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
