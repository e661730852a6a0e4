// The tap port and its setup (vmm/virtio/tap_port.hpp, tap_setup.hpp) on a real tap: a packet
// through the tap both ways with the virtio-net header, the offloads, a bridge port, and the
// refusals in words. Everything happens in a network namespace of the test's own (unshare), so
// no interface of the machine is touched and what the test makes goes with it; without the
// privileges for that (CAP_SYS_ADMIN, CAP_NET_ADMIN) or without /dev/net/tun the tests SKIP.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch_test_macros.hpp>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <vector>

#include "vmm/unique_fd.hpp"
#include "vmm/virtio/tap_port.hpp"
#include "vmm/virtio/tap_setup.hpp"

using namespace rootstock::vmm;
using namespace rootstock::vmm::virtio;

namespace {

/// An EtherType for local experiments (IEEE 802): nothing in the kernel answers it.
constexpr uint16_t kExperimentalEtherType = 0x88b5;
constexpr int kWaitMs = 2000;

/// The calling thread in a network namespace of its own until the object goes.
class PrivateNetns {
 public:
  PrivateNetns() : old_(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)) {
    entered_ = old_ && ::unshare(CLONE_NEWNET) == 0;
  }
  ~PrivateNetns() {
    // The rest of the test program must not run in the private namespace.
    if (entered_ && ::setns(old_.get(), CLONE_NEWNET) != 0) std::abort();
  }
  PrivateNetns(const PrivateNetns&) = delete;
  PrivateNetns& operator=(const PrivateNetns&) = delete;
  [[nodiscard]] bool entered() const { return entered_; }

 private:
  UniqueFd old_;
  bool entered_ = false;
};

/// A tap in a private namespace, or a SKIP saying why there cannot be one.
std::unique_ptr<TapPort> open_tap(const PrivateNetns& ns, std::string_view name) {
  if (!ns.entered()) SKIP("no network namespace of our own: " << strerror(errno));
  auto port = TapPort::open(name);
  if (!port && (port.error().errno_value == ENOENT || port.error().errno_value == EPERM ||
                port.error().errno_value == EACCES || port.error().errno_value == ENODEV)) {
    SKIP("no tap: " << describe(port.error()));
  }
  REQUIRE(port);
  return std::move(*port);
}

/// A broadcast Ethernet frame with the experimental EtherType, filled with `tag`.
std::vector<uint8_t> frame(uint8_t tag) {
  std::vector<uint8_t> f(64, tag);
  std::fill_n(f.begin(), 6, uint8_t{0xff});
  const uint8_t source[6] = {0x52, 0x54, 0x00, 0xab, 0xcd, tag};
  std::copy_n(source, 6, f.begin() + 6);
  f[12] = kExperimentalEtherType >> 8;
  f[13] = kExperimentalEtherType & 0xff;
  return f;
}

/// Reads from `fd` until `match` accepts what came (the kernel sends its own IPv6 packets on
/// a link that is up), for up to kWaitMs.
template <typename Read, typename Match>
bool wait_for(int fd, Read read, Match match) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(kWaitMs);
  while (std::chrono::steady_clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, kWaitMs) != 1) return false;
    std::vector<uint8_t> got = read();
    if (match(got)) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("tap port: a packet through a tap both ways, with the virtio-net header",
          "[virtio][net][tap]") {
  PrivateNetns ns;
  auto tap = open_tap(ns, "rstk%d");
  CHECK(tap->name() == "rstk0");
  CHECK(tap->carries_offloads());
  REQUIRE(tap->set_offloads({true, true, true}));
  REQUIRE(tap->set_offloads({}));
  REQUIRE(bring_interface_up(tap->name()));

  const int index = static_cast<int>(::if_nametoindex(tap->name().c_str()));
  REQUIRE(index > 0);
  UniqueFd raw(::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL)));
  REQUIRE(raw);
  sockaddr_ll at{};
  at.sll_family = AF_PACKET;
  at.sll_protocol = htons(ETH_P_ALL);
  at.sll_ifindex = index;
  REQUIRE(::bind(raw.get(), reinterpret_cast<const sockaddr*>(&at), sizeof(at)) == 0);

  // Device to host: the header goes in front, the interface receives the frame alone.
  const auto out = frame(1);
  std::vector<uint8_t> packet(sizeof(NetHeader), 0);
  packet.insert(packet.end(), out.begin(), out.end());
  auto sent = tap->send(packet);
  REQUIRE(sent);
  CHECK(*sent);
  CHECK(wait_for(
      raw.get(),
      [&] {
        std::vector<uint8_t> b(2048);
        const ssize_t n = ::recv(raw.get(), b.data(), b.size(), 0);
        b.resize(static_cast<size_t>(std::max<ssize_t>(n, 0)));
        return b;
      },
      [&](const std::vector<uint8_t>& got) { return got == out; }));

  // Host to device: what the interface sends comes out of the tap after a header, here with
  // no offload (flags 0, GSO_NONE).
  const auto in = frame(2);
  REQUIRE(::sendto(raw.get(), in.data(), in.size(), 0, reinterpret_cast<const sockaddr*>(&at),
                   sizeof(at)) == static_cast<ssize_t>(in.size()));
  std::optional<NetHeader> header;
  CHECK(wait_for(
      tap->poll_fd(),
      [&] {
        std::vector<uint8_t> b(kMaxPacketBytes);
        auto n = tap->receive(b);
        REQUIRE(n);
        b.resize(*n);
        return b;
      },
      [&](const std::vector<uint8_t>& got) {
        if (got.size() != sizeof(NetHeader) + in.size()) return false;
        if (!std::equal(in.begin(), in.end(), got.begin() + sizeof(NetHeader))) return false;
        header.emplace();
        memcpy(&*header, got.data(), sizeof(NetHeader));
        return true;
      }));
  REQUIRE(header);
  CHECK(header->flags == 0);
  CHECK(header->gso_type == static_cast<uint8_t>(GsoType::kNone));
  // Nothing more waiting that is ours; an empty tap reads as 0.
  std::vector<uint8_t> b(kMaxPacketBytes);
  for (;;) {
    auto n = tap->receive(b);
    REQUIRE(n);
    if (*n == 0) break;
  }
}

TEST_CASE("tap setup: a bridge port, and refusals in words", "[virtio][net][tap]") {
  PrivateNetns ns;
  auto tap = open_tap(ns, "");
  CHECK(tap->name() == "tap0");  // the kernel's name
  auto bridge = create_bridge("rstkbr0");
  if (!bridge && bridge.error().errno_value == ENOPKG) SKIP("no bridge support");
  REQUIRE(bridge);
  REQUIRE(attach_to_bridge(tap->name(), "rstkbr0"));
  REQUIRE(bring_interface_up("rstkbr0"));
  // A port already: the kernel says so.
  auto again = attach_to_bridge(tap->name(), "rstkbr0");
  REQUIRE_FALSE(again);
  CHECK(again.error().errno_value == EBUSY);

  auto no_bridge = attach_to_bridge(tap->name(), "nosuchbr0");
  REQUIRE_FALSE(no_bridge);
  CHECK(no_bridge.error().what.find("cannot attach interface tap0 to bridge nosuchbr0") == 0);
  CHECK_FALSE(attach_to_bridge("nosuchif0", "rstkbr0"));
  auto no_interface = bring_interface_up("nosuchif0");
  REQUIRE_FALSE(no_interface);
  CHECK(no_interface.error().errno_value == ENODEV);
  CHECK_FALSE(bring_interface_up(""));
  CHECK_FALSE(create_bridge("a-name-far-too-long-for-linux"));
  auto long_tap = TapPort::open("a-name-far-too-long");
  REQUIRE_FALSE(long_tap);
  CHECK(long_tap.error().what.find("longer than 15 bytes") != std::string::npos);
}
