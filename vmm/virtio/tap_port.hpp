// The production PacketPort (packet_port.hpp): a Linux tap device (Documentation/networking/
// tuntap.rst) opened as IFF_TAP | IFF_NO_PI | IFF_VNET_HDR with a 12-byte virtio-net header
// (TUNSETVNETHDRSZ), so that a packet crosses between the tap and the queues as it is: the
// kernel takes and gives the same struct virtio_net_hdr the driver does, checksum offload and
// TSO included (TUNSETOFFLOAD, from what the driver accepted). The fd is non-blocking.
//
// The tap is not persistent: it goes away, and leaves its bridge, when the port is destroyed.
// Bringing it up and attaching it to a bridge are tap_setup.hpp's, done by the owner once the
// port is open. Needs CAP_NET_ADMIN and /dev/net/tun.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "vmm/error.hpp"
#include "vmm/unique_fd.hpp"
#include "vmm/virtio/packet_port.hpp"

namespace rootstock::vmm::virtio {

/// The TUN_F_* word TUNSETOFFLOAD takes for `offloads` (TUN_F_CSUM, TUN_F_TSO4, TUN_F_TSO6;
/// never UFO or USO, which the device does not offer).
[[nodiscard]] unsigned int tun_offload_flags(const NetOffloads& offloads);

/// A tap device as a packet port.
class TapPort final : public PacketPort {
 public:
  /// Creates the tap `name`, or with an empty name one the kernel names ("tap0", …); a name
  /// with "%d" gets the first free number there. Refused, in words with the errno: no
  /// /dev/net/tun, no CAP_NET_ADMIN, a name of IFNAMSIZ bytes or more or already taken by a
  /// device that is not a free tap, a kernel without IFF_VNET_HDR.
  [[nodiscard]] static Result<std::unique_ptr<TapPort>> open(std::string_view name);

  /// The interface's name, as the kernel gave it.
  [[nodiscard]] const std::string& name() const { return name_; }

  [[nodiscard]] bool carries_offloads() const override { return true; }
  [[nodiscard]] Result<void> set_offloads(const NetOffloads& offloads) override;
  [[nodiscard]] Result<bool> send(std::span<const uint8_t> packet) override;
  [[nodiscard]] Result<size_t> receive(std::span<uint8_t> buffer) override;
  [[nodiscard]] int poll_fd() const override { return fd_.get(); }

 private:
  TapPort(UniqueFd fd, std::string name) : fd_(std::move(fd)), name_(std::move(name)) {}

  UniqueFd fd_;
  std::string name_;
};

}  // namespace rootstock::vmm::virtio
