// Where a virtio-net device's packets go and come from (net_device.hpp): a Linux tap with a
// virtio-net header (tap_port.hpp), or in the tests a socket pair. A packet crosses the seam
// as the queues carry it: the 12-byte NetHeader (net_header.hpp), then the Ethernet frame.
//
// Threading: the device sends from vCPU threads and receives on its own receive thread, both
// under the device's lock, so a port is never called by two threads at once; poll_fd() is
// polled by the receive thread without the lock.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <span>

#include "vmm/error.hpp"
#include "vmm/virtio/net_header.hpp"

namespace rootstock::vmm::virtio {

/// A packet port.
class PacketPort {
 public:
  virtual ~PacketPort() = default;

  /// Whether the port passes the header's offloads on (checksums left undone, TSO segments):
  /// the device offers VIRTIO_NET_F_CSUM, GUEST_CSUM and the TSO features only if it does. A
  /// port that does not is given headers with no offload and must give such headers back.
  [[nodiscard]] virtual bool carries_offloads() const = 0;
  /// The offloads the driver accepted to receive (at DRIVER_OK): the port hands over packets
  /// with those at most.
  [[nodiscard]] virtual Result<void> set_offloads(const NetOffloads& offloads) = 0;

  /// Sends one packet (header and frame): true once sent, false if the port had no room and
  /// dropped it (a full queue is no error on a network).
  [[nodiscard]] virtual Result<bool> send(std::span<const uint8_t> packet) = 0;
  /// Takes the next waiting packet into `buffer` without blocking: its length, or 0 when none
  /// is waiting. A packet longer than the buffer is cut to buffer.size(), the rest lost.
  [[nodiscard]] virtual Result<size_t> receive(std::span<uint8_t> buffer) = 0;
  /// An fd that polls readable (POLLIN) while a packet is waiting.
  [[nodiscard]] virtual int poll_fd() const = 0;
};

}  // namespace rootstock::vmm::virtio
