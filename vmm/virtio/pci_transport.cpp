#include "vmm/virtio/pci_transport.hpp"

#include <algorithm>
#include <utility>

namespace rootstock::vmm::virtio {

using namespace vpci;

namespace {

constexpr uint32_t kAllOnes32 = 0xffffffff;

/// The class code Linux and users see in lspci; virtio's drivers match on the IDs alone, so
/// this only names the kind of device (as QEMU's virtio functions do).
uint32_t class_code(DeviceType type) {
  switch (type) {
    case DeviceType::kNet:
      return pci::class_code::kEthernet;
    case DeviceType::kBlock:
      return pci::class_code::kScsiStorage;
    case DeviceType::kConsole:
      return pci::class_code::kOtherCommunication;
    case DeviceType::kEntropy:
    case DeviceType::kVsock:
      break;
  }
  return pci::class_code::kOther;
}

pci::Identity identity(DeviceType type) {
  const auto device_id = static_cast<uint16_t>(kModernDeviceIdBase + static_cast<uint32_t>(type));
  return {.vendor_id = kVendorId,
          .device_id = device_id,
          .revision_id = kRevisionId,
          .class_code = class_code(type),
          .subsystem_vendor_id = kVendorId,
          .subsystem_id = device_id};
}

uint16_t vector_count(const Device& device) {
  return static_cast<uint16_t>(std::min<uint32_t>(uint32_t{device.queue_count()} + 1, kMaxVectors));
}

/// Whether an access of `size` at `offset` is exactly the field at `field` of `width` bytes.
constexpr bool is(uint32_t offset, uint8_t size, Common field, uint8_t width) {
  return offset == static_cast<uint32_t>(field) && size == width;
}

}  // namespace

PciTransport::PciTransport(std::unique_ptr<Device> device, GuestRam& ram, InterruptSink& interrupts,
                           uint32_t bar_base, DoorbellSink* doorbells)
    : core_(std::move(device), ram, TransportCore::InitialQueueSize::kMaximum),
      header_(identity(core_.device().type())),
      msix_(vector_count(core_.device()), interrupts),
      doorbells_(doorbells),
      queue_vectors_(core_.queue_count(), kNoVector) {
  (void)header_.set_memory_bar(kBar, kBarSize, bar_base);
  add_capabilities();
  // Bus Master Enable is clear after a PCI reset (Command 0).
  msix_.set_bus_master(false);
  (void)core_.set_dma_allowed(false, *this);
}

PciTransport::~PciTransport() {
  if (core_.active()) core_.reset();
  sync_doorbells();  // inactive now: every doorbell goes
}

void PciTransport::sync_doorbells() {
  if (!doorbells_.enabled()) return;
  std::vector<DoorbellSpec> wanted;
  const pci::BarWindow bar = header_.bar_windows()[kBar];
  if (bar.size != 0) {
    for (const TransportCore::QueueKick& k : core_.queue_kicks()) {
      wanted.push_back({bar.base + kNotifyOffset + uint64_t{k.queue} * kNotifyOffMultiplier,
                        sizeof(uint16_t), std::nullopt, k.fd});
    }
  }
  doorbells_.sync(wanted);
}

void PciTransport::add_capabilities() {
  // MSI-X (PCI 3.0, 6.8.2): the table and the PBA in BAR 0.
  msix_cap_ = header_.add_capability(pci::CapabilityId::kMsix, pci::msix::kCapabilityLength);
  header_.set(msix_cap_ + pci::msix::kTableOffset, 4, kMsixTableOffset | kBar);
  header_.set(msix_cap_ + pci::msix::kPbaOffset, 4, kMsixPbaOffset | kBar);

  // The virtio structures (4.1.4): vendor-specific capabilities pointing into BAR 0.
  const auto structure = [this](CfgType type, uint8_t length, uint32_t offset, uint32_t size) {
    const uint16_t at = header_.add_capability(pci::CapabilityId::kVendorSpecific, length);
    header_.set(at + cap::kCapLen, 1, length);
    header_.set(at + cap::kCfgType, 1, static_cast<uint8_t>(type));
    header_.set(at + cap::kBar, 1, kBar);
    header_.set(at + cap::kOffset, 4, offset);
    header_.set(at + cap::kLength, 4, size);
    return at;
  };
  structure(CfgType::kCommon, cap::kSize, kCommonOffset, kCommonSize);
  const uint16_t notify = structure(CfgType::kNotify, cap::kNotifySize, kNotifyOffset,
                                    kNotifyOffMultiplier * core_.queue_count());
  header_.set(notify + cap::kNotifyOffMultiplier, 4, kNotifyOffMultiplier);
  structure(CfgType::kIsr, cap::kSize, kIsrOffset, 1);
  if (const uint32_t config = core_.device().config_size(); config != 0) {
    structure(CfgType::kDevice, cap::kSize, kDeviceOffset, std::min(config, kRegionSize));
  }
  // 4.1.4.9: the PCI configuration access capability, whose bar, offset and length the driver
  // sets and whose pci_cfg_data is a window onto that BAR range.
  pci_cfg_cap_ = structure(CfgType::kPciCfg, cap::kPciCfgSize, 0, 0);
  header_.open_for_writes(pci_cfg_cap_ + cap::kBar, 1, 0xff);
  header_.open_for_writes(pci_cfg_cap_ + cap::kOffset, 4, kAllOnes32);
  header_.open_for_writes(pci_cfg_cap_ + cap::kLength, 4, kAllOnes32);
}

// ---- Configuration space ----

uint32_t PciTransport::config_read(uint16_t offset, uint8_t size) {
  if (offset == pci_cfg_cap_ + cap::kPciCfgData) return cfg_window_read(size);
  uint32_t value = header_.read(offset, size);
  // Message Control is the MSI-X state's; overlay its bytes where the access covers them.
  const uint16_t control = msix_.message_control();
  for (unsigned i = 0; i < size; ++i) {
    const unsigned at = offset + i;
    if (at == msix_cap_ + pci::msix::kMessageControl ||
        at == msix_cap_ + pci::msix::kMessageControl + 1u) {
      const unsigned shift = 8 * (at - msix_cap_ - pci::msix::kMessageControl);
      value = (value & ~(0xffu << (8 * i))) | ((control >> shift) & 0xffu) << (8 * i);
    }
  }
  return value;
}

void PciTransport::config_write(uint16_t offset, uint8_t size, uint32_t value) {
  if (offset == pci_cfg_cap_ + cap::kPciCfgData) {
    cfg_window_write(size, value);
    return;
  }
  // Message Control: the bytes of it the access covers (PCI 3.0, 6.1: configuration registers
  // may be written a byte at a time; Enable and Function Mask are in its upper byte).
  const unsigned control_at = msix_cap_ + pci::msix::kMessageControl;
  unsigned control = msix_.message_control();
  bool touched = false;
  for (unsigned i = 0; i < size && i < 4; ++i) {
    const unsigned at = offset + i;
    if (at != control_at && at != control_at + 1) continue;
    const unsigned shift = 8 * (at - control_at);
    control = (control & ~(0xffu << shift)) | ((value >> (8 * i)) & 0xffu) << shift;
    touched = true;
  }
  if (touched) msix_.write_message_control(static_cast<uint16_t>(control));
  header_.write(offset, size, value);
  follow_bus_master();
  sync_doorbells();  // the BAR, Memory Space or Bus Master Enable may have changed
}

void PciTransport::follow_bus_master() {
  const bool on = (header_.command() & pci::command::kBusMaster) != 0;
  if (on == core_.dma_allowed()) return;
  // Interrupts first: a device that starts now may signal at once, and the notification of a
  // device stopped now waits in the PBA.
  msix_.set_bus_master(on);
  if (core_.set_dma_allowed(on, *this) == TransportCore::StatusChange::kRefused) needs_reset();
}

std::optional<PciTransport::CfgWindow> PciTransport::cfg_window(uint8_t size) const {
  // 4.1.4.9.1: the device accesses cap.length bytes at cap.offset of BAR cap.bar; 1, 2 or 4
  // bytes, aligned, and the access to pci_cfg_data must be as wide.
  const auto bar = header_.read(pci_cfg_cap_ + cap::kBar, 1);
  const uint32_t offset = header_.read(pci_cfg_cap_ + cap::kOffset, 4);
  const uint32_t length = header_.read(pci_cfg_cap_ + cap::kLength, 4);
  if (length != size || (length != 1 && length != 2 && length != 4) || offset % length != 0) {
    return std::nullopt;
  }
  return CfgWindow{bar, offset, static_cast<uint8_t>(length)};
}

uint32_t PciTransport::cfg_window_read(uint8_t size) {
  const auto window = cfg_window(size);
  if (!window) return 0;
  return static_cast<uint32_t>(bar_read(window->bar, window->offset, window->length));
}

void PciTransport::cfg_window_write(uint8_t size, uint32_t value) {
  if (const auto window = cfg_window(size)) {
    bar_write(window->bar, window->offset, window->length, value);
  }
}

// ---- BAR 0 ----

uint64_t PciTransport::bar_read(unsigned bar, uint64_t offset, uint8_t size) {
  if (bar != kBar || offset >= kBarSize) return 0;
  if (offset < kIsrOffset) return read_common(static_cast<uint32_t>(offset), size);
  if (offset == kIsrOffset) return read_isr();
  if (offset >= kDeviceOffset && offset < kDeviceOffset + kRegionSize) {
    // 4.1.4.6: the device-specific configuration at any width; bytes past it read 0.
    return core_.read_config(static_cast<uint32_t>(offset - kDeviceOffset), size,
                             kDeviceOffset + kRegionSize - offset);
  }
  if (offset >= kMsixTableOffset && offset < kMsixTableOffset + kRegionSize) {
    return msix_.read_table(offset - kMsixTableOffset, size);
  }
  if (offset >= kMsixPbaOffset && offset < kMsixPbaOffset + kRegionSize) {
    return msix_.read_pba(offset - kMsixPbaOffset, size);
  }
  return 0;  // the notification addresses are write-only; the rest is reserved
}

void PciTransport::bar_write(unsigned bar, uint64_t offset, uint8_t size, uint64_t value) {
  if (bar != kBar || offset >= kBarSize) return;
  if (offset < kIsrOffset) {
    write_common(static_cast<uint32_t>(offset), size, value);
  } else if (offset >= kDeviceOffset && offset < kDeviceOffset + kRegionSize) {
    core_.write_config(static_cast<uint32_t>(offset - kDeviceOffset), size,
                       kDeviceOffset + kRegionSize - offset, value);
  } else if (offset >= kNotifyOffset && offset < kNotifyOffset + kRegionSize) {
    // 4.1.4.4: the address says which queue (queue_notify_off = the queue's index); without
    // VIRTIO_F_NOTIFICATION_DATA the value written is the index and nothing more.
    const uint64_t in_region = offset - kNotifyOffset;
    if (in_region % kNotifyOffMultiplier == 0) {
      core_.notify(static_cast<uint32_t>(in_region / kNotifyOffMultiplier));
    }
  } else if (offset >= kMsixTableOffset && offset < kMsixTableOffset + kRegionSize) {
    msix_.write_table(offset - kMsixTableOffset, size, value);
  }
  // The ISR is read-only, the PBA too; the rest is reserved.
}

uint64_t PciTransport::read_common(uint32_t offset, uint8_t size) {
  const QueueConfig* queue = core_.queue(queue_select_);
  // 64-bit fields may be read whole or as two 32-bit halves (4.1.3.1).
  const auto split = [&](Common field, uint64_t word) -> std::optional<uint64_t> {
    const auto at = static_cast<uint32_t>(field);
    if (offset == at && (size == 8 || size == 4)) return size == 8 ? word : word & kAllOnes32;
    if (offset == at + 4 && size == 4) return word >> 32;
    return std::nullopt;
  };
  if (is(offset, size, Common::kDeviceFeatureSelect, 4)) return device_feature_select_;
  if (is(offset, size, Common::kDeviceFeature, 4)) {
    return core_.device_features(device_feature_select_);
  }
  if (is(offset, size, Common::kDriverFeatureSelect, 4)) return driver_feature_select_;
  if (is(offset, size, Common::kDriverFeature, 4)) {
    return core_.driver_features(driver_feature_select_);
  }
  if (is(offset, size, Common::kNumQueues, 2)) return core_.queue_count();
  if (is(offset, size, Common::kDeviceStatus, 1)) return status();
  if (is(offset, size, Common::kQueueSelect, 2)) return queue_select_;
  if (is(offset, size, Common::kConfigMsixVector, 2) ||
      is(offset, size, Common::kConfigGeneration, 1) ||
      is(offset, size, Common::kQueueMsixVector, 2)) {
    std::lock_guard lock(interrupt_mutex_);
    if (is(offset, size, Common::kConfigMsixVector, 2)) return config_vector_;
    if (is(offset, size, Common::kConfigGeneration, 1)) return config_generation_;
    return queue != nullptr ? queue_vectors_[queue_select_] : kNoVector;
  }
  // 4.1.4.3.1: a queue that does not exist reads size 0.
  if (queue == nullptr) return 0;
  if (is(offset, size, Common::kQueueSize, 2)) return queue->size;
  if (is(offset, size, Common::kQueueEnable, 2)) return queue->enabled ? 1 : 0;
  if (is(offset, size, Common::kQueueNotifyOff, 2)) return queue_select_;
  if (auto v = split(Common::kQueueDesc, queue->desc)) return *v;
  if (auto v = split(Common::kQueueDriver, queue->driver)) return *v;
  if (auto v = split(Common::kQueueDevice, queue->device)) return *v;
  return 0;  // queue_notify_data, queue_reset, reserved and misaligned accesses
}

void PciTransport::write_common(uint32_t offset, uint8_t size, uint64_t value) {
  const auto v32 = static_cast<uint32_t>(value);
  const auto v16 = static_cast<uint16_t>(value);
  if (is(offset, size, Common::kDeviceFeatureSelect, 4)) {
    device_feature_select_ = v32;
  } else if (is(offset, size, Common::kDriverFeatureSelect, 4)) {
    driver_feature_select_ = v32;
  } else if (is(offset, size, Common::kDriverFeature, 4)) {
    core_.set_driver_features(driver_feature_select_, v32);
  } else if (is(offset, size, Common::kConfigMsixVector, 2)) {
    // 4.1.4.3.2 / 4.1.5.1.2: a vector the table does not have is refused: NO_VECTOR reads back.
    std::lock_guard lock(interrupt_mutex_);
    config_vector_ = v16 < msix_.count() ? v16 : kNoVector;
  } else if (is(offset, size, Common::kDeviceStatus, 1)) {
    const TransportCore::StatusChange change = core_.write_status(v32 & 0xff, *this);
    if (change == TransportCore::StatusChange::kReset) {
      reset();
    } else if (change == TransportCore::StatusChange::kRefused) {
      needs_reset();  // 2.1.2
    }
    sync_doorbells();
  } else if (is(offset, size, Common::kQueueSelect, 2)) {
    queue_select_ = v16;  // any value: a queue past the end reads size 0
  } else if (is(offset, size, Common::kQueueSize, 2)) {
    if (QueueConfig* q = core_.configurable_queue(queue_select_)) q->size = v16;
  } else if (is(offset, size, Common::kQueueMsixVector, 2)) {
    std::lock_guard lock(interrupt_mutex_);
    if (queue_select_ < queue_vectors_.size()) {
      queue_vectors_[queue_select_] = v16 < msix_.count() ? v16 : kNoVector;
    }
  } else if (is(offset, size, Common::kQueueEnable, 2)) {
    // 4.1.4.3.2: the driver writes 1 to enable; 0 is not for it to write (no RING_RESET).
    if (v16 == 1) core_.set_queue_enabled(queue_select_, true);
  } else if (QueueConfig* q = core_.configurable_queue(queue_select_)) {
    const auto store = [&](Common field, uint64_t& word) {
      const auto at = static_cast<uint32_t>(field);
      if (offset == at && size == 8) {
        word = value;
      } else if ((offset == at || offset == at + 4) && size == 4) {
        word = replace_half(word, offset == at ? 0 : 1, v32);
      }
    };
    store(Common::kQueueDesc, q->desc);
    store(Common::kQueueDriver, q->driver);
    store(Common::kQueueDevice, q->device);
  }
  // Read-only fields, queue_notify_data, queue_reset and reserved offsets are ignored.
}

uint8_t PciTransport::read_isr() {
  // 4.1.4.5: reading the ISR status clears it (and would deassert INTx).
  std::lock_guard lock(interrupt_mutex_);
  return std::exchange(isr_, 0);
}

void PciTransport::reset() {
  device_feature_select_ = 0;
  driver_feature_select_ = 0;
  queue_select_ = 0;
  std::lock_guard lock(interrupt_mutex_);
  config_vector_ = kNoVector;
  std::fill(queue_vectors_.begin(), queue_vectors_.end(), kNoVector);
  isr_ = 0;
  needs_reset_ = false;
}

uint8_t PciTransport::status() const {
  std::lock_guard lock(interrupt_mutex_);
  const uint8_t status = core_.status();
  return needs_reset_ ? static_cast<uint8_t>(status | status_bit(Status::kDeviceNeedsReset))
                      : status;
}

// ---- DeviceLink ----

void PciTransport::used_buffers(uint16_t queue) {
  std::lock_guard lock(interrupt_mutex_);
  if (!msix_.enabled()) {
    isr_ |= kIsrQueue;  // 4.1.4.5.1; with no INTx pin nothing more happens
    return;
  }
  if (queue < queue_vectors_.size()) signal_locked(queue_vectors_[queue]);
}

void PciTransport::config_changed() {
  std::lock_guard lock(interrupt_mutex_);
  ++config_generation_;  // 4.1.4.3.1, 2.5.1
  isr_ |= kIsrConfig;    // 4.1.4.5.1: set before the notification, MSI-X or not
  signal_locked(config_vector_);
}

void PciTransport::needs_reset() {
  std::lock_guard lock(interrupt_mutex_);
  needs_reset_ = true;
  isr_ |= kIsrConfig;  // 2.1.2: with a configuration change notification
  signal_locked(config_vector_);
}

void PciTransport::signal_locked(uint16_t vector) {
  if (vector != kNoVector) (void)msix_.signal(vector);
}

}  // namespace rootstock::vmm::virtio
