// virtio-console (virtio 1.2, 5.3 "Console Device") with a single port and no control queues
// (no VIRTIO_CONSOLE_F_MULTIPORT): receiveq0 carries the owner's input to the child, transmitq0
// the child's output to the owner. Linux binds it as /dev/hvc0.
//
// Output: each chain in transmitq0 is read in chunks and handed to the output function, at most
// kMaxOutputPerChain bytes of it (the rest is counted and dropped: Linux sends a few bytes at a
// time, a chain of gigabytes is hostile), and returned with nothing written.
//
// Input: feed() takes the owner's bytes from any thread and copies them into the receive buffers
// the driver made available. What finds no buffer waits in a backlog of kBacklogBytes, the
// oldest bytes dropped (and counted) past that, and goes out when the driver adds buffers and
// kicks receiveq0. While nothing waits, the device asks for no kicks on receiveq0 (2.7.10), so
// the driver's refilling of buffers costs the child no exits; while input waits, it does. Input
// waiting when the driver resets the device is kept for the driver's next start (the virtio
// core resets a device before probing it, so typing that comes before the driver is not lost).
//
// Threading: activate(), notify() and reset() come from the transport under the board lock;
// feed() comes from the owner's thread. The device's own mutex guards its queues and state:
//   board lock → the device's mutex → the transport's interrupt mutex (DeviceLink)
// The output function is called under the device's mutex: it must not call back into the device.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vmm/virtio/byte_backlog.hpp"
#include "vmm/virtio/device.hpp"

namespace rootstock::vmm::virtio {

/// Device-specific feature bits of virtio-console (5.3.3); VIRTIO_CONSOLE_F_SIZE is offered.
enum class ConsoleFeatureBit : uint8_t {
  kSize = 0,        ///< VIRTIO_CONSOLE_F_SIZE: cols and rows are valid
  kMultiport = 1,   ///< VIRTIO_CONSOLE_F_MULTIPORT: ports and the control queues
  kEmergWrite = 2,  ///< VIRTIO_CONSOLE_F_EMERG_WRITE: emerg_wr is valid
};

/// The feature word's mask for `bit`.
[[nodiscard]] constexpr uint64_t console_feature_mask(ConsoleFeatureBit bit) {
  return uint64_t{1} << static_cast<uint8_t>(bit);
}

/// The device configuration space (5.3.4 struct virtio_console_config), little-endian. Each
/// field is valid only with its feature: cols and rows (VIRTIO_CONSOLE_F_SIZE) are.
struct ConsoleConfig {
  uint16_t cols;
  uint16_t rows;
  uint32_t max_nr_ports;
  uint32_t emerg_wr;
};
static_assert(sizeof(ConsoleConfig) == 12);
static_assert(offsetof(ConsoleConfig, cols) == 0);
static_assert(offsetof(ConsoleConfig, rows) == 2);
static_assert(offsetof(ConsoleConfig, max_nr_ports) == 4);
static_assert(offsetof(ConsoleConfig, emerg_wr) == 8);

/// The queues of port 0 (5.3.2), the only ones without VIRTIO_CONSOLE_F_MULTIPORT.
enum class ConsoleQueue : uint16_t {
  kReceive = 0,   ///< receiveq0: device to driver, the child's input
  kTransmit = 1,  ///< transmitq0: driver to device, the child's output
};

/// What the device counts.
struct ConsoleCounters {
  uint64_t input_bytes = 0;     ///< given to feed()
  uint64_t received_bytes = 0;  ///< written into the child's receive buffers
  uint64_t dropped_input = 0;   ///< the oldest waiting bytes, dropped when the backlog was full
  uint64_t output_bytes = 0;    ///< the child's output, passed to the output function
  uint64_t dropped_output = 0;  ///< output past kMaxOutputPerChain in one chain
  uint64_t errors = 0;          ///< chains refused or cut short: malformed, wrong direction, RAM
};

/// A virtio-console device with one port.
class ConsoleDevice final : public Device {
 public:
  /// Where the child's output goes, a chunk at a time, in order.
  using Output = std::function<void(std::span<const uint8_t> bytes)>;

  /// The largest queue the driver may configure (Linux fills receiveq0 with one page a buffer).
  static constexpr uint16_t kQueueSize = 128;
  /// Input that waits for receive buffers, at most.
  static constexpr size_t kBacklogBytes = 64 * 1024;
  /// Output one transmit chain may give, at most.
  static constexpr uint32_t kMaxOutputPerChain = 64 * 1024;
  /// How much output is read from guest RAM and passed on at once.
  static constexpr size_t kOutputChunkBytes = 4096;

  /// A console whose output goes to `output` (null: dropped).
  explicit ConsoleDevice(Output output);

  [[nodiscard]] DeviceType type() const override { return DeviceType::kConsole; }
  [[nodiscard]] uint64_t features() const override;
  [[nodiscard]] uint16_t queue_count() const override { return 2; }
  [[nodiscard]] uint16_t max_queue_size(uint16_t queue) const override;
  [[nodiscard]] uint32_t config_size() const override { return sizeof(ConsoleConfig); }
  /// cols and rows as set_size() left them (0 until then: "unknown"); the rest zeros.
  void read_config(uint32_t offset, std::span<uint8_t> out) const override;
  /// emerg_wr is not offered: writes are ignored.
  void write_config(uint32_t offset, std::span<const uint8_t> data) override;
  /// Needs both queues; delivers input that waited for the driver.
  [[nodiscard]] bool activate(uint64_t features, std::span<SplitVirtqueue*> queues,
                              DeviceLink& link) override;
  void notify(uint16_t queue) override;
  void reset() override;

  /// The size of the owner's terminal, from any thread: kept in cols and rows, and a driver
  /// that negotiated VIRTIO_CONSOLE_F_SIZE gets a configuration change notification (5.3.6:
  /// Linux then reads them and resizes hvc0, as a terminal's SIGWINCH would).
  void set_size(uint16_t cols, uint16_t rows);

  /// The owner's input for the child, from any thread.
  void feed(std::span<const uint8_t> bytes);
  void feed(std::string_view text);

  [[nodiscard]] ConsoleCounters counters() const;
  /// Input bytes waiting for receive buffers.
  [[nodiscard]] size_t waiting_input() const;
  /// Why the last chain that failed did; empty while none has.
  [[nodiscard]] std::string last_error() const;

 private:
  /// Copies waiting input into receive buffers while there is both; under mutex_.
  void receive_locked();
  /// Passes on every chain available in transmitq0; under mutex_.
  void transmit_locked();
  /// Fills one receive chain from the backlog; returns the bytes written.
  uint32_t fill(const DescriptorChain& chain);
  /// Passes one transmit chain's bytes to the output.
  void emit(const DescriptorChain& chain);
  /// A chain refused or cut short: counted, its reason kept.
  void failed(std::string reason);
  /// A queue broke: the device asks for a reset and uses neither queue until then (2.1.2).
  void stop(const QueueFault& fault);

  mutable std::mutex mutex_;
  // Everything below is under mutex_.
  Output output_;
  ByteBacklog backlog_;
  SplitVirtqueue* receive_ = nullptr;
  SplitVirtqueue* transmit_ = nullptr;
  DeviceLink* link_ = nullptr;
  uint64_t negotiated_ = 0;
  ConsoleConfig config_{};
  ConsoleCounters counters_;
  DescriptorChain chain_;       ///< reused from chain to chain
  std::vector<uint8_t> chunk_;  ///< kOutputChunkBytes of output between guest RAM and output_
  std::string last_error_;
};

}  // namespace rootstock::vmm::virtio
