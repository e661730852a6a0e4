#include "vmm/virtio/tap_setup.hpp"

#include <errno.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>

#include <string>

#include "vmm/ioctl_request.hpp"
#include "vmm/unique_fd.hpp"

namespace rootstock::vmm::virtio {
namespace {

/// A socket to issue interface ioctls on.
Result<UniqueFd> control_socket() {
  UniqueFd s(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s) return fail_errno("cannot open a socket for interface requests", errno);
  return s;
}

/// An ifreq for the interface `name`, or a refusal of a name the kernel could not hold.
Result<ifreq> request_for(std::string_view name) {
  if (name.empty() || name.size() >= IFNAMSIZ) {
    return fail("no interface can be named \"" + std::string(name) + "\"");
  }
  ifreq request{};
  memcpy(request.ifr_name, name.data(), name.size());
  return request;
}

}  // namespace

Result<void> bring_interface_up(std::string_view name) {
  auto request = request_for(name);
  if (!request) return std::unexpected(request.error());
  auto s = control_socket();
  if (!s) return std::unexpected(s.error());
  const std::string what = "cannot bring interface " + std::string(name) + " up";
  if (::ioctl(s->get(), ioctl_request(SIOCGIFFLAGS), &*request) != 0) {
    return fail_errno(what + " (SIOCGIFFLAGS)", errno);
  }
  request->ifr_flags = static_cast<short>(request->ifr_flags | IFF_UP);
  if (::ioctl(s->get(), ioctl_request(SIOCSIFFLAGS), &*request) != 0) {
    return fail_errno(what + " (SIOCSIFFLAGS)", errno);
  }
  return {};
}

Result<void> set_interface_mtu(std::string_view name, uint16_t mtu) {
  auto request = request_for(name);
  if (!request) return std::unexpected(request.error());
  auto s = control_socket();
  if (!s) return std::unexpected(s.error());
  request->ifr_mtu = mtu;
  if (::ioctl(s->get(), ioctl_request(SIOCSIFMTU), &*request) != 0) {
    return fail_errno("cannot set interface " + std::string(name) + "'s MTU to " +
                          std::to_string(mtu) + " (SIOCSIFMTU)",
                      errno);
  }
  return {};
}

Result<void> attach_to_bridge(std::string_view name, std::string_view bridge) {
  const std::string what =
      "cannot attach interface " + std::string(name) + " to bridge " + std::string(bridge);
  auto request = request_for(bridge);
  if (!request) return std::unexpected(request.error());
  if (name.empty() || name.size() >= IFNAMSIZ) return fail(what + ": no such interface name");
  const unsigned int index = ::if_nametoindex(std::string(name).c_str());
  if (index == 0) return fail_errno(what, errno);
  auto s = control_socket();
  if (!s) return std::unexpected(s.error());
  request->ifr_ifindex = static_cast<int>(index);
  if (::ioctl(s->get(), ioctl_request(SIOCBRADDIF), &*request) != 0) {
    return fail_errno(what + " (SIOCBRADDIF)", errno);
  }
  return {};
}

Result<void> create_bridge(std::string_view bridge) {
  auto request = request_for(bridge);
  if (!request) return std::unexpected(request.error());
  auto s = control_socket();
  if (!s) return std::unexpected(s.error());
  // SIOCBRADDBR takes the name itself, not an ifreq.
  if (::ioctl(s->get(), ioctl_request(SIOCBRADDBR), request->ifr_name) != 0) {
    return fail_errno("cannot create bridge " + std::string(bridge) + " (SIOCBRADDBR)", errno);
  }
  return {};
}

}  // namespace rootstock::vmm::virtio
