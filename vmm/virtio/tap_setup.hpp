// Putting a tap (tap_port.hpp) on the host's network: up, and a port of a bridge, through the
// classic interface ioctls (netdevice(7); the bridge's in net/bridge/br_ioctl.c) on an
// AF_UNIX socket, which needs no address family of the network namespace. The calls act on
// the caller's network namespace and need CAP_NET_ADMIN; failures come back in words with the
// errno.
#pragma once

#include <stdint.h>

#include <string_view>

#include "vmm/error.hpp"

namespace rootstock::vmm::virtio {

/// Sets IFF_UP on the interface `name` (SIOCGIFFLAGS, then SIOCSIFFLAGS), keeping its other
/// flags.
[[nodiscard]] Result<void> bring_interface_up(std::string_view name);

/// Sets the interface `name`'s MTU (SIOCSIFMTU). A bridge whose MTU was not set by hand follows
/// the smallest of its ports'.
[[nodiscard]] Result<void> set_interface_mtu(std::string_view name, uint16_t mtu);

/// Adds the interface `name` to the bridge `bridge` as a port (SIOCBRADDIF).
[[nodiscard]] Result<void> attach_to_bridge(std::string_view name, std::string_view bridge);

/// Creates the bridge `bridge` (SIOCBRADDBR), down and without ports.
[[nodiscard]] Result<void> create_bridge(std::string_view bridge);

}  // namespace rootstock::vmm::virtio
