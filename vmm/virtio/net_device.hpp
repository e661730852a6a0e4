// virtio-net (virtio 1.2, 5.1 "Network Device"): a NIC for a child over a PacketPort
// (packet_port.hpp; a tap in production, tap_port.hpp), with one queue pair, receiveq1 (0) and
// transmitq1 (1), and no control queue. Offered: VIRTIO_NET_F_MAC (the address given at
// construction), _STATUS (the link always up), _MRG_RXBUF (so that the small receive buffers
// Linux posts take large packets), and, when the port carries the header's offloads, _CSUM,
// _GUEST_CSUM and TSO4/6 both ways; with VERSION_1, INDIRECT_DESC and EVENT_IDX.
//
// Both queues are served by a thread of the device's own, started by activate() and stopped
// and joined by reset() and the destructor. It polls the port's fd and two eventfds, the
// queues' kick fds (kick_fd(): notify() writes them, and so does hvroot for a doorbell, with no
// exit to the VMM): the receive kick ("the driver added receive buffers", also the stop) and
// the transmit kick. Transmit copies each chain once, bounded (net_tx.hpp), sends it to the
// port, and returns it with nothing written. Receive places each packet into the driver's
// buffers (net_rx.hpp); when the driver has no buffers it stops reading the port, leaving
// packets queued there (the host drops what overflows), until the next receive kick.
//
// Locking: activate(), notify() and reset() come from vCPU threads under the transport's board
// lock; the device's own mutex guards the queues, the link, the port and the counters, and the
// thread takes it around each batch. DeviceLink is called under it
// (board lock → device mutex → transport's interrupt mutex). reset() joins the receive thread
// before it lets go of the queues, so nothing touches guest memory for them afterwards.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "vmm/unique_fd.hpp"
#include "vmm/virtio/device.hpp"
#include "vmm/virtio/device_counters.hpp"
#include "vmm/virtio/net_header.hpp"
#include "vmm/virtio/net_rx.hpp"
#include "vmm/virtio/packet_port.hpp"

namespace rootstock::vmm::virtio {

/// Where transmit chains are served.
enum class NetTransmit : uint8_t {
  kThread,  ///< on the device's thread, woken by the transmit kick fd
  kInline,  ///< in notify(1) on the calling thread: the fuzzer's deterministic mode
};

/// A virtio-net device.
class NetDevice final : public Device {
 public:
  /// The queues (5.1.2) and the largest size the driver may give each.
  static constexpr uint16_t kReceiveQueue = 0;
  static constexpr uint16_t kTransmitQueue = 1;
  static constexpr uint16_t kQueueSize = 256;

  /// A NIC with the address `mac` on `port`, transmitting as `transmit` says.
  NetDevice(std::unique_ptr<PacketPort> port, const MacAddress& mac,
            NetTransmit transmit = NetTransmit::kThread);
  /// Stops the receive thread.
  ~NetDevice() override;
  NetDevice(const NetDevice&) = delete;
  NetDevice& operator=(const NetDevice&) = delete;

  [[nodiscard]] DeviceType type() const override { return DeviceType::kNet; }
  [[nodiscard]] uint64_t features() const override;
  [[nodiscard]] uint16_t queue_count() const override { return 2; }
  [[nodiscard]] uint16_t max_queue_size(uint16_t queue) const override;
  [[nodiscard]] uint32_t config_size() const override { return sizeof(NetConfig); }
  void read_config(uint32_t offset, std::span<uint8_t> out) const override;
  /// 5.1.4: "All of the device configuration fields are read-only for the driver": ignored.
  void write_config(uint32_t offset, std::span<const uint8_t> data) override;
  /// Refused: a queue not enabled, features against 5.1.3.1, the port refusing the offloads.
  [[nodiscard]] bool activate(uint64_t features, std::span<SplitVirtqueue*> queues,
                              DeviceLink& link) override;
  void notify(uint16_t queue) override;
  void reset() override;
  /// The queues' kick fds while the thread runs.
  [[nodiscard]] int kick_fd(uint16_t queue) const override;

  /// Offers VIRTIO_NET_F_MTU with `mtu` (5.1.4.1): the largest the driver should use, and the
  /// one Linux's driver starts with. Before the device is plugged; 68 and up (RFC 791's
  /// minimum; 5.1.4.1: at least 68).
  void offer_mtu(uint16_t mtu);

  /// The configuration space as the driver reads it.
  [[nodiscard]] const NetConfig& config() const { return config_; }
  /// A snapshot of the counters.
  [[nodiscard]] NetCounters counters() const;
  /// Why the last packet, chain or activation that failed did; empty while none has.
  [[nodiscard]] std::string last_error() const;

 private:
  /// What one receive batch ended on.
  enum class RxStop : uint8_t { kPortEmpty, kNoBuffers, kBatchDone, kPortFailed, kBroken };

  /// The device thread's body.
  void receive_loop();
  /// Moves up to a batch of packets from the port into the receive queue.
  RxStop receive_locked();
  /// Takes the next packet from the port into rx_packet_ (rx_pending_ its length): false when
  /// the port is empty or failed (`stop` says which).
  bool take_packet_locked(RxStop& stop);
  /// Serves every chain in the transmit queue.
  void transmit_locked();
  /// Sends the packet in `chain` to the port.
  void send_locked(const DescriptorChain& chain);
  /// Counts `refusal` against transmit or receive and keeps its words.
  void refused_locked(NetRefusal refusal, bool receive);
  /// A queue broke: DEVICE_NEEDS_RESET, and nothing more is served until reset().
  void break_locked(std::string reason);
  /// Stops the receive thread and waits for it.
  void stop_receiving();
  /// Wakes the thread for a receive kick (or the stop).
  void wake();

  std::unique_ptr<PacketPort> port_;
  const NetTransmit transmit_;
  NetConfig config_{};
  bool mtu_offered_ = false;
  UniqueFd wake_fd_;  ///< the receive kick and the stop: an eventfd, made at the first activate()
  UniqueFd tx_fd_;    ///< the transmit kick, the same
  std::thread receiver_;
  bool active_ = false;  ///< between activate() and reset(); under the board lock

  mutable std::mutex mutex_;  ///< guards everything below
  bool stopping_ = false;     ///< the receive thread is to end
  bool broken_ = false;       ///< a queue broke: nothing is served until reset()
  uint64_t negotiated_ = 0;
  SplitVirtqueue* rx_queue_ = nullptr;
  SplitVirtqueue* tx_queue_ = nullptr;
  DeviceLink* link_ = nullptr;
  RxPlacer placer_;
  std::vector<uint8_t> rx_packet_;  ///< one byte over the largest packet, to see one cut
  size_t rx_pending_ = 0;           ///< a packet taken from the port and not yet placed
  std::vector<uint8_t> tx_packet_;
  DescriptorChain tx_chain_;
  NetCounters counters_;
  std::string last_error_;
};

}  // namespace rootstock::vmm::virtio
