// A virtio device model as its transport sees it (virtio 1.2, 2 "Basic Facilities of a Virtio
// Device"): the device type, its feature bits, its queues and its configuration space; the
// transport (virtio-mmio, 4.2; virtio-pci, 4.1) owns everything else — the registers, feature
// negotiation, the device status state machine (2.1) and the SplitVirtqueues built from what
// the driver configured — and tells the device when the driver has finished (DRIVER_OK), kicks
// a queue, or resets it. A device model knows nothing of the transport that carries it, and
// reaches the driver only through DeviceLink.
//
// Threading: the transport calls a device under the transport's own lock (one lock per device
// on a board, locked_device.hpp), from vCPU threads. A device that serves its queues elsewhere
// (a thread of its own: a disk's worker, a NIC's receive thread) takes its own lock around the
// queues and calls DeviceLink from there; DeviceLink is thread-safe.
#pragma once

#include <stdint.h>

#include <algorithm>
#include <cstring>
#include <span>
#include <string_view>
#include <type_traits>

#include "vmm/virtio/guest_ram.hpp"
#include "vmm/virtio/split_virtqueue.hpp"

namespace rootstock::vmm::virtio {

/// Device IDs (virtio 1.2, 5 "Device Types").
enum class DeviceType : uint32_t {
  kNet = 1,
  kBlock = 2,
  kConsole = 3,
  kEntropy = 4,
  kVsock = 19,
};

/// "net", "block", … for messages.
[[nodiscard]] std::string_view describe(DeviceType type);

/// Transport-independent feature bits (virtio 1.2, 6 "Reserved Feature Bits") the transports
/// offer on every device besides the queue's own (feature_bits.hpp).
inline constexpr uint64_t kFeatureVersion1 = uint64_t{1} << 32;  ///< VIRTIO_F_VERSION_1

/// `config`'s bytes from `offset` into `out`, zeros past its end (Device::read_config's rule),
/// for a device whose configuration space is one plain structure.
template <typename Config>
void read_config_bytes(const Config& config, uint32_t offset, std::span<uint8_t> out) {
  static_assert(std::is_trivially_copyable_v<Config>);
  std::fill(out.begin(), out.end(), uint8_t{0});
  if (offset >= sizeof(config)) return;
  const size_t n = std::min<size_t>(out.size(), sizeof(config) - offset);
  std::memcpy(out.data(), reinterpret_cast<const uint8_t*>(&config) + offset, n);
}

/// How a device reaches the driver: its interrupts and the memory its buffers are in.
class DeviceLink {
 public:
  virtual ~DeviceLink() = default;
  /// A used buffer notification for `queue` (the queue's return_chain()/publish_used() said the
  /// driver wants one).
  virtual void used_buffers(uint16_t queue) = 0;
  /// The device's configuration space changed (2.5.1): a configuration change notification.
  virtual void config_changed() = 0;
  /// The device cannot go on (a queue broke, 2.1.2): DEVICE_NEEDS_RESET and a configuration
  /// change notification; the device does nothing more until reset().
  virtual void needs_reset() = 0;
  /// The child's RAM, for the device's buffers.
  [[nodiscard]] virtual GuestRam& ram() = 0;
};

/// A device model.
class Device {
 public:
  virtual ~Device() = default;
  [[nodiscard]] virtual DeviceType type() const = 0;
  /// The feature bits the device offers, device-specific ones (0-23) and those of 24-40 it
  /// supports (VIRTIO_F_INDIRECT_DESC, VIRTIO_F_EVENT_IDX, VIRTIO_F_VERSION_1 …); the transport
  /// offers exactly these.
  [[nodiscard]] virtual uint64_t features() const = 0;
  /// How many queues the device has, and the largest size each may be configured with.
  [[nodiscard]] virtual uint16_t queue_count() const = 0;
  [[nodiscard]] virtual uint16_t max_queue_size(uint16_t queue) const = 0;
  /// The device-specific configuration space (2.5), little-endian as the driver reads it.
  /// Reads past its end give zeros; writes past it are ignored.
  [[nodiscard]] virtual uint32_t config_size() const = 0;
  virtual void read_config(uint32_t offset, std::span<uint8_t> out) const = 0;
  virtual void write_config(uint32_t offset, std::span<const uint8_t> data) = 0;
  /// The driver set DRIVER_OK: the negotiated features (a subset of features(), with
  /// VIRTIO_F_VERSION_1) and the queues it enabled (`queues[i]` null: queue i not enabled).
  /// The device serves them from now on; false refuses (the transport sets
  /// DEVICE_NEEDS_RESET), e.g. a required queue not enabled.
  [[nodiscard]] virtual bool activate(uint64_t features, std::span<SplitVirtqueue*> queues,
                                      DeviceLink& link) = 0;
  /// The driver made buffers available in `queue` (an available buffer notification).
  virtual void notify(uint16_t queue) = 0;
  /// The driver reset the device (status 0): the device forgets its queues and link, finishes
  /// or drops what it has in flight, and never touches guest memory for them again.
  virtual void reset() = 0;
  /// An eventfd whose signal is the same as notify(queue) — the device's own thread waits on
  /// it — or -1 when the device serves `queue` only inside notify(). Valid from activate() to
  /// reset(). A transport registers it as the queue's doorbell (docs/hvroot.md "Doorbells"),
  /// so that a kick signals the thread with no exit to the VMM.
  [[nodiscard]] virtual int kick_fd(uint16_t queue) const {
    (void)queue;
    return -1;
  }
};

}  // namespace rootstock::vmm::virtio
