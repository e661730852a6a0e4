// A bench for the virtio-net tests: a PacketPort over a socket pair (the test holds the other
// end and sends and receives packets as the host network would), packets to send, and a
// NetDevice on such a port activated on a DeviceBench (virtio_device_bench.hpp), the driver of
// its two queues and the DeviceLink its receive thread raises interrupts through.
#pragma once

#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <catch2/catch_test_macros.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <utility>
#include <vector>

#include "tests/unit/eventually.hpp"
#include "tests/unit/vmm/virtio_device_bench.hpp"
#include "vmm/unique_fd.hpp"
#include "vmm/virtio/net_device.hpp"
#include "vmm/virtio/net_header.hpp"
#include "vmm/virtio/packet_port.hpp"

namespace rootstock::test {

using namespace std::chrono_literals;

/// A packet port over an AF_UNIX SOCK_SEQPACKET pair: each send() is one packet at the other
/// end. What the device set as offloads is kept in a state the test shares.
class SocketPort final : public vmm::virtio::PacketPort {
 public:
  struct State {
    std::mutex mutex;
    std::vector<vmm::virtio::NetOffloads> offloads;  ///< each set_offloads(), in order
    bool refuse_offloads = false;
  };

  SocketPort(vmm::UniqueFd fd, bool offloads, std::shared_ptr<State> state)
      : fd_(std::move(fd)), offloads_(offloads), state_(std::move(state)) {}

  [[nodiscard]] bool carries_offloads() const override { return offloads_; }
  [[nodiscard]] vmm::Result<void> set_offloads(const vmm::virtio::NetOffloads& o) override {
    std::lock_guard lock(state_->mutex);
    if (state_->refuse_offloads) return vmm::fail("the port refuses offloads");
    state_->offloads.push_back(o);
    return {};
  }
  [[nodiscard]] vmm::Result<bool> send(std::span<const uint8_t> packet) override {
    const ssize_t n = ::send(fd_.get(), packet.data(), packet.size(), MSG_DONTWAIT);
    if (n < 0 && errno == EAGAIN) return false;
    if (n < 0) return vmm::fail_errno("socket port send", errno);
    return true;
  }
  [[nodiscard]] vmm::Result<size_t> receive(std::span<uint8_t> buffer) override {
    const ssize_t n = ::recv(fd_.get(), buffer.data(), buffer.size(), MSG_DONTWAIT);
    if (n < 0 && errno == EAGAIN) return 0;
    if (n < 0) return vmm::fail_errno("socket port receive", errno);
    return static_cast<size_t>(n);
  }
  [[nodiscard]] int poll_fd() const override { return fd_.get(); }

 private:
  vmm::UniqueFd fd_;
  bool offloads_;
  std::shared_ptr<State> state_;
};

/// The host's end of a SocketPort.
struct HostEnd {
  vmm::UniqueFd fd;
  std::shared_ptr<SocketPort::State> state = std::make_shared<SocketPort::State>();

  /// Sends a packet to the device.
  void send(std::span<const uint8_t> packet) const {
    REQUIRE(::send(fd.get(), packet.data(), packet.size(), 0) ==
            static_cast<ssize_t>(packet.size()));
  }
  /// The next packet the device sent, waiting up to `timeout`.
  [[nodiscard]] std::optional<std::vector<uint8_t>> receive(
      std::chrono::milliseconds timeout = 5000ms) const {
    pollfd p{fd.get(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return std::nullopt;
    std::vector<uint8_t> packet(vmm::virtio::kMaxPacketBytes + 1);
    const ssize_t n = ::recv(fd.get(), packet.data(), packet.size(), MSG_DONTWAIT);
    if (n < 0) return std::nullopt;
    packet.resize(static_cast<size_t>(n));
    return packet;
  }
};

/// A port and the host's end of it.
inline std::pair<std::unique_ptr<SocketPort>, HostEnd> socket_port(bool offloads) {
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) == 0);
  HostEnd host{vmm::UniqueFd(fds[1])};
  return {std::make_unique<SocketPort>(vmm::UniqueFd(fds[0]), offloads, host.state),
          std::move(host)};
}

/// A packet: `header` and an Ethernet frame of `frame_bytes` whose bytes count up from `seed`.
inline std::vector<uint8_t> net_packet(size_t frame_bytes, uint8_t seed = 0,
                                       vmm::virtio::NetHeader header = {}) {
  std::vector<uint8_t> packet(sizeof(header) + frame_bytes);
  memcpy(packet.data(), &header, sizeof(header));
  for (size_t i = 0; i < frame_bytes; ++i) {
    packet[sizeof(header) + i] = static_cast<uint8_t>(seed + i);
  }
  return packet;
}

/// Offers a receive chain of one writable buffer per size on `bench`'s queue 0.
inline uint16_t offer_rx(DeviceBench& bench, std::initializer_list<uint32_t> sizes) {
  std::vector<ChainPart> parts;
  for (uint32_t n : sizes) parts.push_back(ChainPart::writable(n));
  return bench.send(0, parts);
}

/// Waits until the device has used `count` elements of `bench`'s queue `q` in all.
inline bool wait_used(DeviceBench& bench, uint16_t q, uint16_t count) {
  return eventually([&] { return bench.driver(q).used_idx() == count; });
}

/// The tests' NIC's address.
inline constexpr vmm::virtio::MacAddress kTestMac = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

/// The header fields the tests set.
inline vmm::virtio::NetHeader net_header(uint8_t flags, vmm::virtio::GsoType gso = {},
                                         uint16_t gso_size = 0) {
  vmm::virtio::NetHeader h{};
  h.flags = flags;
  h.gso_type = static_cast<uint8_t>(gso);
  h.gso_size = gso_size;
  return h;
}

/// The header at the front of `packet`.
inline vmm::virtio::NetHeader header_of(std::span<const uint8_t> packet) {
  vmm::virtio::NetHeader h{};
  memcpy(&h, packet.data(), sizeof(h));
  return h;
}

/// A NIC activated on a bench, and the host's end of its port.
struct Nic {
  /// A device on a port that carries offloads or not, activated with everything it offers but
  /// `without`.
  explicit Nic(bool offloads = true, uint64_t without = 0) {
    auto [p, h] = socket_port(offloads);
    host = std::move(h);
    device.emplace(std::move(p), kTestMac);
    negotiated = device->features() & ~without;
    bench.emplace(2, negotiated);
    REQUIRE(device->activate(negotiated, bench->queues(), *bench));
  }

  /// Offers a transmit chain of `parts` and kicks.
  /// Sends a transmit chain, kicks, and waits until the device's thread has returned it.
  uint16_t transmit(const std::vector<ChainPart>& parts) {
    const uint16_t used = bench->driver(1).used_idx();
    const uint16_t head = bench->send(1, parts);
    device->notify(vmm::virtio::NetDevice::kTransmitQueue);
    REQUIRE(wait_used(*bench, 1, static_cast<uint16_t>(used + 1)));
    return head;
  }

  HostEnd host;
  uint64_t negotiated = 0;
  // The device goes first: its receive thread reaches into the bench's RAM.
  std::optional<DeviceBench> bench;
  std::optional<vmm::virtio::NetDevice> device;
};

}  // namespace rootstock::test
