#include "vmm/virtio/tap_port.hpp"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <string.h>
#include <unistd.h>

#include <utility>

#include "vmm/ioctl_request.hpp"

namespace rootstock::vmm::virtio {
namespace {

constexpr const char* kTunDevice = "/dev/net/tun";
/// The kernel's default name pattern for a tap (drivers/net/tun.c, tun_set_iff).
constexpr std::string_view kKernelNamePattern = "tap%d";
/// The header the kernel reads before and writes before every frame: ours, whole.
constexpr int kVnetHeaderBytes = sizeof(NetHeader);

/// Whether `error` from a non-blocking read or write means "not now".
bool would_block(int error) {
  return error == EAGAIN || error == EWOULDBLOCK;
}

}  // namespace

unsigned int tun_offload_flags(const NetOffloads& offloads) {
  // The kernel looks at the TSO bits only with TUN_F_CSUM (tun.c, set_offload): segments are
  // handed over with their checksums left undone.
  if (!offloads.csum) return 0;
  unsigned int flags = TUN_F_CSUM;
  if (offloads.tso4) flags |= TUN_F_TSO4;
  if (offloads.tso6) flags |= TUN_F_TSO6;
  return flags;
}

Result<std::unique_ptr<TapPort>> TapPort::open(std::string_view name) {
  const std::string_view wanted = name.empty() ? kKernelNamePattern : name;
  if (wanted.size() >= IFNAMSIZ) {
    return fail("cannot create tap " + std::string(wanted) + ": the name is longer than " +
                std::to_string(IFNAMSIZ - 1) + " bytes");
  }
  UniqueFd fd(::open(kTunDevice, O_RDWR | O_NONBLOCK | O_CLOEXEC));
  if (!fd) return fail_errno(std::string("cannot open ") + kTunDevice, errno);

  unsigned int features = 0;
  if (::ioctl(fd.get(), ioctl_request(TUNGETFEATURES), &features) != 0) {
    return fail_errno("cannot read the tun driver's features (TUNGETFEATURES)", errno);
  }
  if ((features & IFF_VNET_HDR) == 0) {
    return fail("the tun driver has no virtio-net header (IFF_VNET_HDR)");
  }

  ifreq request{};
  memcpy(request.ifr_name, wanted.data(), wanted.size());
  request.ifr_flags = static_cast<short>(IFF_TAP | IFF_NO_PI | IFF_VNET_HDR);
  if (::ioctl(fd.get(), ioctl_request(TUNSETIFF), &request) != 0) {
    return fail_errno("cannot create tap " + std::string(wanted) + " (TUNSETIFF)", errno);
  }
  std::string actual(request.ifr_name, strnlen(request.ifr_name, IFNAMSIZ));

  int header_bytes = kVnetHeaderBytes;
  if (::ioctl(fd.get(), ioctl_request(TUNSETVNETHDRSZ), &header_bytes) != 0) {
    return fail_errno("cannot set tap " + actual + "'s header to 12 bytes (TUNSETVNETHDRSZ)",
                      errno);
  }
  auto port = std::unique_ptr<TapPort>(new TapPort(std::move(fd), std::move(actual)));
  // No offload until a driver accepts some: the kernel hands over whole, checksummed frames.
  if (auto none = port->set_offloads({}); !none) return std::unexpected(none.error());
  return port;
}

Result<void> TapPort::set_offloads(const NetOffloads& offloads) {
  const unsigned int flags = tun_offload_flags(offloads);
  // TUNSETOFFLOAD takes the flags as the argument itself, not a pointer to them.
  if (::ioctl(fd_.get(), ioctl_request(TUNSETOFFLOAD), static_cast<unsigned long>(flags)) != 0) {
    return fail_errno("cannot set tap " + name_ + "'s offloads (TUNSETOFFLOAD)", errno);
  }
  return {};
}

Result<bool> TapPort::send(std::span<const uint8_t> packet) {
  for (;;) {
    const ssize_t n = ::write(fd_.get(), packet.data(), packet.size());
    if (n == static_cast<ssize_t>(packet.size())) return true;
    if (n >= 0) return fail("tap " + name_ + " took part of a packet");
    if (errno == EINTR) continue;
    if (would_block(errno) || errno == ENOBUFS) return false;
    return fail_errno("cannot send a packet to tap " + name_, errno);
  }
}

Result<size_t> TapPort::receive(std::span<uint8_t> buffer) {
  for (;;) {
    const ssize_t n = ::read(fd_.get(), buffer.data(), buffer.size());
    if (n >= 0) return static_cast<size_t>(n);
    if (errno == EINTR) continue;
    if (would_block(errno)) return 0;
    return fail_errno("cannot receive a packet from tap " + name_, errno);
  }
}

}  // namespace rootstock::vmm::virtio
