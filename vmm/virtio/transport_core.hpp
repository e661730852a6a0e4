// What every virtio transport does the same way, whatever its registers look like (virtio 1.2,
// 2 and 3.1): the device model it carries, the feature bits offered and accepted (2.2), the
// device status state machine (2.1, 3.1.1) with reset, the queue configuration the driver
// writes before DRIVER_OK, and at DRIVER_OK a SplitVirtqueue for each enabled queue handed to
// the device. virtio-mmio (mmio_transport.hpp) and virtio-pci (pci_transport.hpp) map their
// registers onto it; neither repeats these rules.
//
// Not thread-safe: the transport calls it under its board lock (locked_device.hpp). Interrupts
// (which differ per transport) are the transport's; the core reaches them only through the
// DeviceLink a status write passes, to report a configuration the device refused.
#pragma once

#include <stdint.h>

#include <memory>
#include <optional>
#include <vector>

#include "vmm/virtio/device.hpp"
#include "vmm/virtio/feature_bits.hpp"
#include "vmm/virtio/guest_ram.hpp"
#include "vmm/virtio/split_virtqueue.hpp"

namespace rootstock::vmm::virtio {

/// Device status bits (virtio 1.2, 2.1).
enum class Status : uint8_t {
  kAcknowledge = 1,
  kDriver = 2,
  kDriverOk = 4,
  kFeaturesOk = 8,
  kDeviceNeedsReset = 64,
  kFailed = 128,
};

[[nodiscard]] constexpr uint8_t status_bit(Status s) {
  return static_cast<uint8_t>(s);
}

/// The feature bits a transport can carry, of those a device offers (6 "Reserved Feature
/// Bits"): the device-specific bits 0-23, and of 24-40 those the split virtqueue implements
/// (VIRTIO_F_INDIRECT_DESC, VIRTIO_F_EVENT_IDX) and VIRTIO_F_VERSION_1. Packed rings,
/// VIRTIO_F_ACCESS_PLATFORM, VIRTIO_F_NOTIFICATION_DATA, VIRTIO_F_RING_RESET … are not offered.
inline constexpr uint64_t kTransportFeatures =
    (uint64_t{1} << 24) - 1 | feature_mask(FeatureBit::kIndirectDesc) |
    feature_mask(FeatureBit::kEventIdx) | kFeatureVersion1;

/// `word` with its `half` (0: bits 31:0, 1: bits 63:32) replaced by `value`: how both
/// transports' drivers write 64-bit fields, as two 32-bit halves.
[[nodiscard]] constexpr uint64_t replace_half(uint64_t word, unsigned half, uint32_t value) {
  const unsigned shift = half * 32;
  return (word & ~(uint64_t{0xffffffff} << shift)) | uint64_t{value} << shift;
}

/// What the driver configured for one queue (4.1.5.1.3, 4.2.3.2), kept until reset.
struct QueueConfig {
  uint32_t size = 0;
  bool enabled = false;
  uint64_t desc = 0;    ///< the descriptor table
  uint64_t driver = 0;  ///< the driver area (available ring)
  uint64_t device = 0;  ///< the device area (used ring)
};

class TransportCore {
 public:
  /// What a queue's size reads before the driver writes one: virtio-mmio has the driver write
  /// QueueNum (4.2.3.2, 0 until then), virtio-pci presents the maximum in queue_size and lets
  /// the driver lower it (4.1.4.3).
  enum class InitialQueueSize : uint8_t { kZero, kMaximum };

  /// `device`, whose buffers are in `ram` (which outlives the core).
  TransportCore(std::unique_ptr<Device> device, GuestRam& ram, InitialQueueSize initial_size);
  /// Resets an active device first, so that it lets go of the queues before they go.
  ~TransportCore();
  TransportCore(const TransportCore&) = delete;
  TransportCore& operator=(const TransportCore&) = delete;

  [[nodiscard]] Device& device() { return *device_; }
  [[nodiscard]] const Device& device() const { return *device_; }
  [[nodiscard]] GuestRam& ram() { return *ram_; }

  // ---- The device-specific configuration space (2.5), at any access width ----

  /// A load of `size` (1 to 8) bytes at `offset`, of which only the first `room` lie in the
  /// transport's window: the bytes past it read 0, as do those past the device's space.
  [[nodiscard]] uint64_t read_config(uint32_t offset, uint8_t size, uint64_t room) const;
  /// A store, as read_config: the bytes past the window are dropped.
  void write_config(uint32_t offset, uint8_t size, uint64_t room, uint64_t value);

  // ---- Features (2.2) ----

  /// 32 bits of the offered features: `select` 0 bits 31:0, 1 bits 63:32, past that 0.
  [[nodiscard]] uint32_t device_features(uint32_t select) const;
  /// 32 bits of what the driver accepted so far.
  [[nodiscard]] uint32_t driver_features(uint32_t select) const;
  /// The driver accepts 32 bits; ignored once FEATURES_OK is set (3.1.1 step 5) and for
  /// selectors past 1.
  void set_driver_features(uint32_t select, uint32_t value);
  /// The accepted features.
  [[nodiscard]] uint64_t negotiated() const { return driver_features_; }

  // ---- Status (2.1) ----

  /// The device status the driver wrote and the device kept, without DEVICE_NEEDS_RESET (the
  /// transport's, set from any thread).
  [[nodiscard]] uint8_t status() const { return status_; }
  /// What the driver's status write did.
  enum class StatusChange : uint8_t { kNone, kReset, kStarted, kRefused };
  /// A write of the device status: 0 resets (the transport then resets its own state too);
  /// otherwise bits may only be added, FEATURES_OK only for acceptable features, DRIVER_OK only
  /// after FEATURES_OK. DRIVER_OK makes the queues and activates the device; if that fails,
  /// kRefused, and the transport sets DEVICE_NEEDS_RESET (2.1.2).
  [[nodiscard]] StatusChange write_status(uint32_t value, DeviceLink& link);
  /// Whether the device may reach guest memory: PCI's Bus Master Enable (virtio-pci; always
  /// for virtio-mmio, the default). While it is off, DRIVER_OK waits and the device starts
  /// when it comes on (kStarted or kRefused); turning it off under a started device stops it
  /// (its workers finish what is in flight and touch guest memory no more) and answers
  /// kRefused: the transport sets DEVICE_NEEDS_RESET, since the device cannot go on from where
  /// its queues were without a reset (QEMU stops a virtio-pci device the same way).
  [[nodiscard]] StatusChange set_dma_allowed(bool allowed, DeviceLink& link);
  /// Status 0: back to the state after power-on (the device first lets go of its queues).
  void reset();
  /// The device was activated and not reset since: kicks reach it.
  [[nodiscard]] bool active() const { return active_; }
  [[nodiscard]] bool dma_allowed() const { return dma_allowed_; }

  // ---- Queues ----

  [[nodiscard]] uint16_t queue_count() const { return static_cast<uint16_t>(queues_.size()); }
  /// The largest size of `queue` (capped at the split ring's 32768); 0 for none.
  [[nodiscard]] uint16_t max_queue_size(uint32_t queue) const;
  /// `queue`'s configuration, or null if there is no such queue.
  [[nodiscard]] const QueueConfig* queue(uint32_t queue) const;
  /// `queue`'s configuration while the driver may still change it (not enabled, DRIVER_OK not
  /// set: 4.1.4.3.2, 4.2.2.2), else null.
  [[nodiscard]] QueueConfig* configurable_queue(uint32_t queue);
  /// Enables or disables `queue` before DRIVER_OK; false (nothing changed) otherwise.
  bool set_queue_enabled(uint32_t queue, bool enabled);
  /// An available buffer notification for `queue`: to the device if it serves that queue.
  void notify(uint32_t queue);
  /// The queues a doorbell can serve (docs/virtio.md "Threads and kicks"): while the device is
  /// active, each enabled queue whose device gives a kick fd, with that fd.
  struct QueueKick {
    uint16_t queue = 0;
    int fd = -1;
  };
  [[nodiscard]] std::vector<QueueKick> queue_kicks() const;

 private:
  /// FEATURES_OK's check (2.2.1, 3.1.1 step 5, 6.1): the accepted features are a subset of the
  /// offered ones and include VIRTIO_F_VERSION_1.
  [[nodiscard]] bool features_acceptable() const;
  /// DRIVER_OK: the queues made and the device activated; false if refused.
  [[nodiscard]] bool start_device(DeviceLink& link);
  void clear_queues();
  /// The SplitVirtqueues made at DRIVER_OK gone (the driver's configuration of them stays).
  void drop_queues();

  const std::unique_ptr<Device> device_;
  GuestRam* const ram_;
  const InitialQueueSize initial_size_;
  const uint64_t offered_;  // the device's features the transport carries, and VERSION_1

  uint8_t status_ = 0;
  uint64_t driver_features_ = 0;
  std::vector<QueueConfig> configs_;                   // one per device queue, never resized
  std::vector<std::optional<SplitVirtqueue>> queues_;  // made at DRIVER_OK; never resized
  std::vector<SplitVirtqueue*> queue_ptrs_;            // what activate() got
  bool active_ = false;                                // activate() accepted
  bool dma_allowed_ = true;                            // set_dma_allowed()
  bool stopped_ = false;  // stopped by set_dma_allowed(false): only a reset starts it again
};

}  // namespace rootstock::vmm::virtio
