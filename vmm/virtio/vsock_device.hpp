// virtio-vsock (virtio 1.2, 5.10 "Socket Device") with Firecracker's host side: stream sockets
// between the child (its CID in the configuration space) and Unix sockets in the root
// (vsock_muxer.hpp: `uds_path` for the host's connections, `<uds_path>_<port>` for the
// child's). Queues: rx (0), tx (1) and event (2; no event is ever sent, so its buffers stay
// with the device). Offered: VIRTIO_VSOCK_F_STREAM, VERSION_1, INDIRECT_DESC, EVENT_IDX.
//
// Everything runs on a thread of the device's own, started by activate() and stopped and
// joined by reset() and the destructor: it polls the rx and tx kick fds (kick_fd(): notify()
// writes them, and so does hvroot for a doorbell), the listener and the host's streams, with a
// timeout for the nearest connection deadline; then it takes the child's packets from tx
// (vsock_packet.hpp; each chain returned with nothing written), hands them to the host side,
// and fills rx buffers with what the host side owes the child. A vCPU's kick costs an eventfd
// write; a connect(), a slow host socket or a flood of data never holds a vCPU. A receive
// buffer taken while nothing could be put into it after all is kept for the next packet.
//
// VsockServing::kInline runs the same round in notify() on the calling thread instead, with no
// thread and the host's sockets looked at (poll with no wait) only then: deterministic, for the
// fuzzer and tests that want no thread; never a child's, whose host side would stall between
// kicks.
//
// Locking: activate(), notify() and reset() come from vCPU threads under the transport's board
// lock; the device's mutex guards the queues, the link, the host side and the counters, and the
// thread holds it except while it polls. DeviceLink is called under it (board lock → device
// mutex → transport's interrupt mutex). reset() joins the thread before it lets go of the
// queues, and closes every connection.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <array>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "vmm/error.hpp"
#include "vmm/unique_fd.hpp"
#include "vmm/virtio/device.hpp"
#include "vmm/virtio/vsock_header.hpp"
#include "vmm/virtio/vsock_muxer.hpp"
#include "vmm/virtio/vsock_packet.hpp"

namespace rootstock::vmm::virtio {

/// What the device counts (the host side's own counters are VsockMuxerCounters).
struct VsockCounters {
  uint64_t tx_packets = 0;  ///< the child's packets handed to the host side
  uint64_t tx_refused = 0;  ///< the child's chains refused (vsock_packet.hpp), malformed chains
  uint64_t rx_packets = 0;  ///< packets put into the child's receive buffers
  uint64_t rx_errors = 0;   ///< receive chains unusable (readable, shorter than a header, RAM)
  VsockMuxerCounters host;
};

/// Where the device's work runs.
enum class VsockServing : uint8_t {
  kThread,  ///< a thread of the device's own (the default)
  kInline,  ///< the thread that called notify()
};

/// A virtio-vsock device.
class VsockDevice final : public Device {
 public:
  static constexpr uint16_t kRxQueue = static_cast<uint16_t>(VsockQueue::kRx);
  static constexpr uint16_t kTxQueue = static_cast<uint16_t>(VsockQueue::kTx);
  static constexpr uint16_t kEventQueue = static_cast<uint16_t>(VsockQueue::kEvent);
  static constexpr uint16_t kQueueSize = 256;

  /// A device for the child `guest_cid` (3 or more) whose host side listens at `uds_path`
  /// (a stale socket there is replaced; vsock_unix.hpp).
  [[nodiscard]] static Result<std::unique_ptr<VsockDevice>> open(
      uint64_t guest_cid, std::string uds_path, VsockServing serving = VsockServing::kThread);
  /// Stops the thread, closes every connection and removes the socket file.
  ~VsockDevice() override;
  VsockDevice(const VsockDevice&) = delete;
  VsockDevice& operator=(const VsockDevice&) = delete;

  [[nodiscard]] DeviceType type() const override { return DeviceType::kVsock; }
  [[nodiscard]] uint64_t features() const override;
  [[nodiscard]] uint16_t queue_count() const override { return 3; }
  [[nodiscard]] uint16_t max_queue_size(uint16_t queue) const override;
  [[nodiscard]] uint32_t config_size() const override { return sizeof(VsockConfig); }
  void read_config(uint32_t offset, std::span<uint8_t> out) const override;
  /// 5.10.4: the configuration is the device's; writes are ignored.
  void write_config(uint32_t offset, std::span<const uint8_t> data) override;
  /// Refused without the rx and tx queues (the event queue may be left out).
  [[nodiscard]] bool activate(uint64_t features, std::span<SplitVirtqueue*> queues,
                              DeviceLink& link) override;
  void notify(uint16_t queue) override;
  [[nodiscard]] int kick_fd(uint16_t queue) const override;
  void reset() override;

  [[nodiscard]] uint64_t guest_cid() const { return config_.guest_cid; }
  /// Where the host side listens.
  [[nodiscard]] std::string uds_path() const;
  [[nodiscard]] VsockCounters counters() const;
  /// Why the last chain or activation that failed did; empty while none has.
  [[nodiscard]] std::string last_error() const;

 private:
  VsockDevice(uint64_t guest_cid, std::unique_ptr<VsockMuxer> muxer, VsockServing serving);

  /// The thread's body.
  void run();
  /// One round after a poll: the host's fds that poll(2) looked at (`host_fds`, as the host
  /// side asked for them), deadlines, the child's packets, the packets owed to it.
  void serve_locked(std::span<const pollfd> host_fds);
  /// Takes every packet the child made available on tx.
  void transmit_locked(VsockMuxer::Clock::time_point now);
  /// Hands one tx chain's packet to the host side.
  void send_locked(const DescriptorChain& chain, VsockMuxer::Clock::time_point now);
  /// Puts what the host side owes the child into rx buffers while there are both.
  void receive_locked(VsockMuxer::Clock::time_point now);
  /// Makes rx_chain_ a usable receive chain (rx_held_): false when the ring is empty or broke.
  bool hold_rx_chain_locked();
  /// Puts one packet into the held chain and returns it: false if the queue broke.
  bool deliver_locked(const VsockHeader& header, uint32_t payload_len);
  /// A queue broke: DEVICE_NEEDS_RESET, and nothing more is served until reset().
  void break_locked(std::string reason);
  /// Stops the thread and waits for it.
  void stop_thread();

  VsockConfig config_{};
  const VsockServing serving_;
  UniqueFd rx_kick_fd_;  ///< eventfds, made at the first activate(); rx_kick_fd_ also stops
  UniqueFd tx_kick_fd_;
  std::thread thread_;
  bool active_ = false;  ///< between activate() and reset(); under the board lock

  mutable std::mutex mutex_;  ///< guards everything below
  bool stopping_ = false;
  bool broken_ = false;
  std::unique_ptr<VsockMuxer> muxer_;
  SplitVirtqueue* rx_queue_ = nullptr;
  SplitVirtqueue* tx_queue_ = nullptr;
  DeviceLink* link_ = nullptr;
  DescriptorChain rx_chain_;
  bool rx_held_ = false;  ///< rx_chain_ is taken from the ring and waits for a packet
  DescriptorChain tx_chain_;
  std::vector<uint8_t> tx_payload_;
  std::vector<uint8_t> rx_payload_;
  VsockCounters counters_;
  std::string last_error_;
};

}  // namespace rootstock::vmm::virtio
