// The root's own network, from the configuration file's `network` (docs/configuration.md): one
// Ethernet interface — the one named, or the first with a link — brought up with its address
// from DHCP or the file, the default route and /etc/resolv.conf, on a thread of its own so that
// a DHCP server that does not answer never holds the appliance up. Loopback comes up too, and the
// VMs' bridge (vm_bridge.hpp) is made before the thread starts; with `vm_network` "bridged" the
// interface becomes the bridge's port and the address goes on the bridge. The outcome is a
// milestone: network-up, or network-unavailable with the reason.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "appliance/appliance_config.hpp"
#include "rootstock/milestone.hpp"

namespace rootstock::init {

/// A network interface as sysfs shows it (/sys/class/net/NAME).
struct NetInterface {
  std::string name;
  int index = 0;
  bool ethernet = false;  ///< type 1, ARPHRD_ETHER (include/uapi/linux/if_arp.h)
  bool carrier = false;   ///< the link is up (a cable, a switch port, QEMU's NIC)
  /// No device behind it (no /sys/class/net/NAME/device): the VMs' bridge, their taps, a veth.
  /// These say ARPHRD_ETHER too, but are never the uplink unless named.
  bool virtual_link = false;
  bool operator==(const NetInterface&) const = default;
};

/// The interface to configure: `wanted` when given and present; else the first Ethernet
/// interface with a device by name with a carrier, else the first of them. nullopt: none.
[[nodiscard]] std::optional<std::string> choose_interface(
    const std::vector<NetInterface>& interfaces, const std::optional<std::string>& wanted);

/// /etc/resolv.conf's text for `dns` (resolv.conf(5): one nameserver line each).
[[nodiscard]] std::string resolv_conf(const std::vector<appliance::IpAddress>& dns);

/// What the network thread reports with.
struct NetworkReports {
  std::function<void(const std::string&)> say;
  std::function<void(const milestone::Writer&)> announce;
};

/// Makes the VMs' bridge (appliance::kVmBridge), then starts the network thread with `config`;
/// `hostname` goes to the DHCP server (option 12). Returns once the bridge is there, so that VMs
/// started after it can attach their taps; the thread lives as long as the appliance (DHCP renews
/// the lease).
void start_network(const appliance::NetworkConfig& config, const std::string& hostname,
                   NetworkReports reports);

}  // namespace rootstock::init
