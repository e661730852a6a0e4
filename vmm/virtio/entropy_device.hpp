// virtio-rng (virtio 1.2, 5.4 "Entropy Device"): random bytes for a child, from an
// EntropySource (entropy_source.hpp), over one request queue. The device has no feature bits
// and no configuration space of its own (5.4.3, 5.4.4).
//
// Each chain the driver offers is one request: its device-writable buffers are filled and the
// chain returned with the number of bytes written (5.4.6). A request is bounded: at most
// kMaxBytesPerRequest bytes, whatever the buffers add up to (the spec lets the device "use less
// than the entire buffer length", 5.4.6.2), so that a hostile chain of up to 4 GiB costs the
// root no more than one modest getrandom(2) call. Linux asks for 32 to 64 bytes at a time.
//
// Requests are served synchronously in notify(), on the vCPU thread that kicked, under the
// transport's lock; the device has no thread of its own, so it needs no lock of its own either.
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

#include "vmm/virtio/device.hpp"
#include "vmm/virtio/entropy_source.hpp"

namespace rootstock::vmm::virtio {

/// What the device counts.
struct EntropyCounters {
  uint64_t requests = 0;  ///< chains taken off the queue, malformed ones included
  uint64_t bytes = 0;     ///< random bytes written into the child's buffers
  uint64_t errors = 0;    ///< requests returned with nothing written
};

/// A virtio-rng device.
class EntropyDevice final : public Device {
 public:
  /// The largest queue the driver may configure: Linux keeps one request in flight.
  static constexpr uint16_t kQueueSize = 64;
  /// The most bytes one request gets.
  static constexpr uint32_t kMaxBytesPerRequest = 64 * 1024;

  /// A device drawing on `source`.
  explicit EntropyDevice(EntropySource source);

  [[nodiscard]] DeviceType type() const override { return DeviceType::kEntropy; }
  [[nodiscard]] uint64_t features() const override;
  [[nodiscard]] uint16_t queue_count() const override { return 1; }
  [[nodiscard]] uint16_t max_queue_size(uint16_t queue) const override;
  /// No configuration space (5.4.4): reads give zeros, writes are ignored.
  [[nodiscard]] uint32_t config_size() const override { return 0; }
  void read_config(uint32_t offset, std::span<uint8_t> out) const override;
  void write_config(uint32_t offset, std::span<const uint8_t> data) override;
  [[nodiscard]] bool activate(uint64_t features, std::span<SplitVirtqueue*> queues,
                              DeviceLink& link) override;
  void notify(uint16_t queue) override;
  void reset() override;

  [[nodiscard]] const EntropyCounters& counters() const { return counters_; }
  /// Why the last request that failed did; empty while none has. The VMM has no log yet: its
  /// owner reads this.
  [[nodiscard]] const std::string& last_error() const { return last_error_; }

 private:
  /// Fills the writable buffers of `chain`; returns the bytes written (0: refused).
  uint32_t serve(const DescriptorChain& chain);
  /// A request returned with nothing written: counted, its reason kept.
  uint32_t failed(std::string reason);

  EntropySource source_;
  SplitVirtqueue* queue_ = nullptr;
  DeviceLink* link_ = nullptr;
  EntropyCounters counters_;
  DescriptorChain chain_;       ///< reused from request to request
  std::vector<uint8_t> bytes_;  ///< kMaxBytesPerRequest: one request's random bytes
  std::string last_error_;
};

}  // namespace rootstock::vmm::virtio
