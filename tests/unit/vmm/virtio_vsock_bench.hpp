// A bench for the virtio-vsock tests: a temporary folder for the Unix sockets, the child's
// packets as bytes, the host's end of Unix streams, and a VsockDevice activated on a
// DeviceBench (virtio_device_bench.hpp) whose rx queue the test fills with buffers and reads
// packets back from.
#pragma once

#include <dirent.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch_test_macros.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tests/unit/vmm/virtio_device_bench.hpp"
#include "vmm/unique_fd.hpp"
#include "vmm/virtio/vsock_device.hpp"
#include "vmm/virtio/vsock_header.hpp"

namespace rootstock::test {

using namespace std::chrono_literals;
using vmm::UniqueFd;
using vmm::virtio::VsockHeader;
using vmm::virtio::VsockOp;

inline constexpr uint64_t kGuestCid = 3;

/// A folder under /tmp, removed with what is in it.
struct TempDir {
  std::string path;
  TempDir() {
    char pattern[] = "/tmp/rootstock-vsock-XXXXXX";
    REQUIRE(::mkdtemp(pattern) != nullptr);
    path = pattern;
  }
  ~TempDir() {
    if (DIR* d = ::opendir(path.c_str())) {
      while (dirent* e = ::readdir(d)) {
        const std::string name = e->d_name;
        if (name != "." && name != "..") ::unlink((path + "/" + name).c_str());
      }
      ::closedir(d);
    }
    ::rmdir(path.c_str());
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

/// A header from the child (kGuestCid) to the host.
inline VsockHeader child_header(VsockOp op, uint32_t src_port, uint32_t dst_port,
                                uint32_t len = 0) {
  VsockHeader h{};
  h.src_cid = kGuestCid;
  h.dst_cid = vmm::virtio::kVsockHostCid;
  h.src_port = src_port;
  h.dst_port = dst_port;
  h.len = len;
  h.type = static_cast<uint16_t>(vmm::virtio::VsockType::kStream);
  h.op = static_cast<uint16_t>(op);
  h.buf_alloc = 64 * 1024;
  return h;
}

/// The bytes of a packet: `header` and `payload`.
inline std::vector<uint8_t> packet_bytes(const VsockHeader& header,
                                         std::span<const uint8_t> payload = {}) {
  std::vector<uint8_t> bytes(sizeof(header));
  memcpy(bytes.data(), &header, sizeof(header));
  bytes.insert(bytes.end(), payload.begin(), payload.end());
  return bytes;
}

inline std::span<const uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

/// A Unix stream socket listening at `path` (the host's server for `<uds_path>_<port>`).
inline UniqueFd listen_unix(const std::string& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  REQUIRE(fd);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  REQUIRE(path.size() < sizeof(a.sun_path));
  memcpy(a.sun_path, path.c_str(), path.size() + 1);
  REQUIRE(::bind(fd.get(), reinterpret_cast<const sockaddr*>(&a), sizeof(a)) == 0);
  REQUIRE(::listen(fd.get(), 8) == 0);
  return fd;
}

/// A blocking Unix stream connected to `path`, or an empty fd when the connect failed.
inline UniqueFd connect_to(const std::string& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  REQUIRE(fd);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  memcpy(a.sun_path, path.c_str(), path.size() + 1);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&a), sizeof(a)) != 0) return {};
  return fd;
}

/// Writes all of `text` to `fd`.
inline void write_all(int fd, std::string_view text) {
  REQUIRE(::send(fd, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size()));
}

/// Waits up to `timeout` for `fd` to be readable: false if it is not.
inline bool readable(int fd, std::chrono::milliseconds timeout = 5000ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(timeout.count())) == 1;
}

/// Reads exactly `n` bytes from `fd` (waiting up to 5 s for each part): fewer if the stream
/// ended or nothing came.
inline std::string read_exactly(int fd, size_t n) {
  std::string out;
  while (out.size() < n) {
    if (!readable(fd)) break;
    char buffer[4096];
    const ssize_t got = ::recv(fd, buffer, std::min(sizeof(buffer), n - out.size()), 0);
    if (got <= 0) break;
    out.append(buffer, static_cast<size_t>(got));
  }
  return out;
}

/// Whether the stream at `fd` ends (reads 0) within 5 s.
inline bool reads_end(int fd) {
  if (!readable(fd)) return false;
  char c = 0;
  return ::recv(fd, &c, 1, 0) == 0;
}

/// A packet the device put into a receive buffer.
struct RxPacket {
  VsockHeader header{};
  std::vector<uint8_t> payload;
  [[nodiscard]] VsockOp op() const { return static_cast<VsockOp>(header.op); }
  [[nodiscard]] std::string text() const { return {payload.begin(), payload.end()}; }
};

/// A VsockDevice for the child kGuestCid listening at `<dir>/v.sock`, activated on a bench.
struct Vsock {
  static constexpr uint32_t kRxBuffer = 4096 + sizeof(VsockHeader);

  Vsock() : uds(dir.path + "/v.sock") {
    auto made = vmm::virtio::VsockDevice::open(kGuestCid, uds);
    REQUIRE(made);
    device = std::move(*made);
    bench.emplace(3, device->features());
    REQUIRE(device->activate(device->features(), bench->queues(), *bench));
  }
  ~Vsock() { device.reset(); }  // its thread reaches into the bench's RAM: it goes first

  /// The child transmits `header` and `payload` in one readable buffer.
  void send(const VsockHeader& header, std::string_view payload = {}) {
    bench->send(vmm::virtio::VsockDevice::kTxQueue,
                {ChainPart::readable(packet_bytes(header, as_bytes(payload)))});
    device->notify(vmm::virtio::VsockDevice::kTxQueue);
  }
  /// The child gives `count` receive buffers of `size` bytes.
  void offer_rx(int count = 8, uint32_t size = kRxBuffer) {
    for (int i = 0; i < count; ++i) {
      bench->send(vmm::virtio::VsockDevice::kRxQueue, {ChainPart::writable(size)});
    }
    device->notify(vmm::virtio::VsockDevice::kRxQueue);
  }
  /// The next packet the device put into a receive buffer, waiting up to `timeout`.
  std::optional<RxPacket> receive(std::chrono::milliseconds timeout = 5000ms) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (bench->driver(0).used_idx() == rx_seen) {
      if (std::chrono::steady_clock::now() > end) return std::nullopt;
      std::this_thread::sleep_for(1ms);
    }
    const auto bytes = bench->used_bytes(0, rx_seen++);
    if (bytes.size() < sizeof(VsockHeader)) return RxPacket{};
    RxPacket p;
    memcpy(&p.header, bytes.data(), sizeof(p.header));
    p.payload.assign(bytes.begin() + sizeof(VsockHeader), bytes.end());
    return p;
  }

  TempDir dir;
  std::string uds;
  std::optional<DeviceBench> bench;
  std::unique_ptr<vmm::virtio::VsockDevice> device;
  uint16_t rx_seen = 0;
};

}  // namespace rootstock::test
