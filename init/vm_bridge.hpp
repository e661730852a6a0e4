// The VMs' bridge in the root (appliance_config.hpp kVmBridge; docs/configuration.md,
// `network.vm_network`). PID 1 makes it at boot, up and without ports, so that a VM's taps (the
// appliance attaches them) always have a bridge to join; with "bridged" the root's uplink becomes
// a port of it and the root's address goes on the bridge, so that the VMs sit on the LAN beside
// the appliance (as Proxmox's vmbr0). Done through rtnetlink, as `ip link add NAME type bridge`
// and `ip link set DEV master NAME` do: the requests are built as bytes by encode_*(), which the
// unit tests read back, and sent on a RouteSocket.
#pragma once

#include <stdint.h>

#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dhcp_message.hpp"
#include "netlink_route.hpp"

namespace rootstock::init {

/// RTM_NEWLINK (NLM_F_CREATE | NLM_F_EXCL) making the bridge `name`, down: IFLA_IFNAME, and
/// IFLA_LINKINFO holding IFLA_INFO_KIND "bridge" and IFLA_INFO_DATA with IFLA_BR_FORWARD_DELAY 0.
[[nodiscard]] std::vector<uint8_t> encode_new_bridge(uint32_t sequence, std::string_view name);

/// What encode_set_link() changes on an existing link; what is absent stays as it is.
struct LinkChange {
  std::optional<dhcp::MacAddress> address;  ///< IFLA_ADDRESS: the link's hardware address
  std::optional<int> master;                ///< IFLA_MASTER: the bridge's index, making a port
  bool up = false;                          ///< IFF_UP in ifi_flags and ifi_change
};

/// RTM_NEWLINK without NLM_F_CREATE (`ip link set`) for the link of index `index`.
[[nodiscard]] std::vector<uint8_t> encode_set_link(uint32_t sequence, int index,
                                                   const LinkChange& change);

/// Makes the bridge `name`, or takes the one there is, and brings it up; returns its index.
[[nodiscard]] std::expected<int, std::string> make_bridge(RouteSocket& route,
                                                          std::string_view name);

/// Makes the interface `uplink` a port of the bridge `bridge`, up. The bridge takes `mac`, the
/// uplink's, first: the root keeps its hardware address on the LAN, so a DHCP server that leases
/// by it gives the address it gave before, and the bridge's address no longer follows its ports.
[[nodiscard]] std::expected<void, std::string> join_bridge(RouteSocket& route, int bridge,
                                                           int uplink, const dhcp::MacAddress& mac);

}  // namespace rootstock::init
