#include "network.hpp"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "appliance/whole_file.hpp"
#include "dhcp_client.hpp"
#include "netlink_route.hpp"
#include "vm_bridge.hpp"

namespace rootstock::init {

using appliance::Existing;
using appliance::sync_folder;
using appliance::write_whole_file;
namespace {

using Clock = std::chrono::steady_clock;
using appliance::InterfaceAddress;
using appliance::IpAddress;

constexpr int kArphrdEther = 1;  // include/uapi/linux/if_arp.h
// How long the thread waits for a named interface to appear, and for a link on any.
constexpr auto kInterfaceWait = std::chrono::seconds(10);
constexpr auto kCarrierWait = std::chrono::seconds(5);
constexpr auto kPoll = std::chrono::milliseconds(100);

std::string read_word(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string word;
  in >> word;
  return word;
}

// An interface that may be chosen without being named: Ethernet, with a device behind it.
bool is_uplink_candidate(const NetInterface& i) {
  return i.ethernet && !i.virtual_link;
}

std::vector<NetInterface> list_interfaces() {
  std::vector<NetInterface> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/sys/class/net", ec)) {
    NetInterface i;
    i.name = entry.path().filename();
    i.index = std::atoi(read_word(entry.path() / "ifindex").c_str());
    i.ethernet = std::atoi(read_word(entry.path() / "type").c_str()) == kArphrdEther;
    // Reading carrier of a link that is down fails (EINVAL): no word, no carrier.
    i.carrier = read_word(entry.path() / "carrier") == "1";
    std::error_code absent;
    i.virtual_link = !std::filesystem::exists(entry.path() / "device", absent);
    out.push_back(i);
  }
  std::ranges::sort(out, {}, &NetInterface::name);
  return out;
}

// SIOCSIFFLAGS with IFF_UP (netdevice(7)).
bool set_up(const std::string& name) {
  const int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return false;
  ifreq r{};
  strncpy(r.ifr_name, name.c_str(), IFNAMSIZ - 1);
  bool ok = ::ioctl(s, SIOCGIFFLAGS, &r) == 0;
  r.ifr_flags = static_cast<short>(r.ifr_flags | IFF_UP);
  ok = ok && ::ioctl(s, SIOCSIFFLAGS, &r) == 0;
  ::close(s);
  return ok;
}

bool write_resolv_conf(const std::vector<IpAddress>& dns) {
  (void)::mkdir("/etc", 0755);
  return write_whole_file("/etc/resolv.conf", resolv_conf(dns), 0644, Existing::kReplace,
                          /*durable=*/false)
      .has_value();
}

// Waits for the interface to use: the named one to appear, or any Ethernet interface to get a
// link once all are up (a NIC's driver has probed before PID 1 starts; its link comes later).
std::optional<NetInterface> wait_for_interface(const std::optional<std::string>& wanted) {
  const Clock::time_point start = Clock::now();
  std::vector<NetInterface> all = list_interfaces();
  while (wanted && !choose_interface(all, wanted) && Clock::now() - start < kInterfaceWait) {
    std::this_thread::sleep_for(kPoll);
    all = list_interfaces();
  }
  auto candidate = [&](const NetInterface& i) {
    return wanted ? i.name == *wanted : is_uplink_candidate(i);
  };
  for (const NetInterface& i : all) {
    if (candidate(i)) (void)set_up(i.name);
  }
  // No candidate at all (no NIC): nothing to wait for.
  while (
      std::ranges::any_of(all, candidate) &&
      !std::ranges::any_of(all, [&](const NetInterface& i) { return i.carrier && candidate(i); }) &&
      Clock::now() - start < kInterfaceWait + kCarrierWait) {
    std::this_thread::sleep_for(kPoll);
    all = list_interfaces();
  }
  const auto name = choose_interface(all, wanted);
  if (!name) return std::nullopt;
  return *std::ranges::find(all, *name, &NetInterface::name);
}

// Where the root's address goes: the uplink itself, or the VMs' bridge that holds it as a port.
struct Addressed {
  std::string uplink;  // the interface chosen: the milestones' `interface`
  NetInterface link;   // the one that gets the address and the route
  bool bridged = false;
};

// The milestones' `bridge`: the bridge holding the uplink and the address, or none.
Text bridge_field(bool bridged) {
  return bridged ? Text(appliance::kVmBridge.data(), appliance::kVmBridge.size()) : Text("none");
}

milestone::Writer network_up(const Addressed& a, const char* mode, const InterfaceAddress& address,
                             const std::optional<IpAddress>& gateway) {
  const std::string cidr = address.address.text() + "/" + std::to_string(address.prefix_length);
  const std::string via = gateway ? gateway->text() : "none";
  milestone::Writer w("network-up");
  w.field("interface", Text(a.uplink.data(), a.uplink.size()))
      .field("mode", mode)
      .field("address", Text(cidr.data(), cidr.size()))
      .field("gateway", Text(via.data(), via.size()))
      .field("bridge", bridge_field(a.bridged));
  return w;
}

milestone::Writer network_unavailable(const char* reason, bool bridged) {
  milestone::Writer w("network-unavailable");
  w.field("reason", reason).field("bridge", bridge_field(bridged));
  return w;
}

// The file's static address, route and name servers.
void configure_static(const Addressed& a, const appliance::NetworkConfig& config,
                      const NetworkReports& reports) {
  const NetInterface& i = a.link;
  RouteSocket route;
  auto done = route.ok() ? route.add_address(i.index, *config.address)
                         : std::expected<void, std::string>(std::unexpected("no netlink socket"));
  if (done && config.gateway) done = route.add_default_route(i.index, *config.gateway);
  if (!done) {
    reports.say("network: cannot configure " + i.name + ": " + done.error());
    reports.announce(network_unavailable("failed", a.bridged));
    return;
  }
  if (!write_resolv_conf(config.dns)) reports.say("network: cannot write /etc/resolv.conf");
  reports.announce(network_up(a, "static", *config.address, config.gateway));
}

// How long one round of asking for a lease lasts before the line saying that none came; the
// asking goes on after it.
constexpr auto kLeaseRound = std::chrono::seconds(60);
constexpr auto kFailedRoundPause = std::chrono::seconds(5);

std::expected<void, std::string> apply_lease(RouteSocket& route, const NetInterface& i,
                                             const dhcp::Lease& lease) {
  auto done = route.add_address(i.index, dhcp::interface_address(lease));
  if (done && lease.router)
    done = route.add_default_route(i.index, dhcp::ip_address(*lease.router));
  if (!done) return done;
  std::vector<IpAddress> dns;
  for (const dhcp::Ipv4Address& a : lease.dns) dns.push_back(dhcp::ip_address(a));
  if (!write_resolv_conf(dns)) return std::unexpected("cannot write /etc/resolv.conf");
  return {};
}

void announce_lease(const NetworkReports& reports, const Addressed& a, const dhcp::Lease& lease) {
  std::optional<IpAddress> gateway;
  if (lease.router) gateway = dhcp::ip_address(*lease.router);
  reports.announce(network_up(a, "dhcp", dhcp::interface_address(lease), gateway));
}

// RFC 2131 4.4: INIT → BOUND, then at T1 RENEWING, at T2 REBINDING; a lease that is refused or
// runs out takes its address away and starts over. The thread lives for the appliance's life.
void run_dhcp(const Addressed& a, const std::string& hostname, const NetworkReports& reports) {
  const NetInterface& i = a.link;
  const auto mac = dhcp::read_mac(i.name);
  RouteSocket route;
  if (!mac || !route.ok()) {
    reports.say("network: cannot use " + i.name +
                " for DHCP: " + (mac ? std::string("no netlink socket") : mac.error()));
    reports.announce(network_unavailable("failed", a.bridged));
    return;
  }
  bool told = false;
  for (;;) {
    const Clock::time_point round = Clock::now();
    auto lease = dhcp::acquire_lease(i.name, *mac, hostname, round + kLeaseRound);
    if (!lease) {
      // A round cut short (no socket, the interface gone) waits before the next: no busy loop.
      if (Clock::now() - round < kFailedRoundPause) std::this_thread::sleep_for(kFailedRoundPause);
      if (!told) {
        reports.say("network: no DHCP lease on " + i.name + " yet (" + lease.error() +
                    "); still asking");
        reports.announce(network_unavailable("no-lease", a.bridged));
        told = true;
      }
      continue;
    }
    told = false;
    if (auto applied = apply_lease(route, i, *lease); !applied) {
      reports.say("network: cannot use the lease on " + i.name + ": " + applied.error());
      reports.announce(network_unavailable("failed", a.bridged));
      return;
    }
    announce_lease(reports, a, *lease);
    while (lease->lease_seconds != dhcp::Lease::kInfinite) {
      const auto at = [&](uint32_t seconds) {
        return lease->start + std::chrono::seconds(seconds);
      };
      std::this_thread::sleep_until(at(lease->t1_seconds));
      auto renewed = dhcp::renew_lease(i.name, *mac, hostname, *lease, at(lease->t2_seconds));
      if (!renewed && !renewed.error().refused) {
        renewed = dhcp::rebind_lease(i.name, *mac, hostname, *lease, at(lease->lease_seconds));
      }
      if (!renewed) {
        reports.say("network: the lease of " + lease->address.text() + " on " + i.name +
                    " ended (" + renewed.error().reason + "); asking for a new one");
        (void)route.remove_address(i.index, dhcp::interface_address(*lease));
        break;
      }
      const bool moved = renewed->address != lease->address;
      if (moved) (void)route.remove_address(i.index, dhcp::interface_address(*lease));
      if (auto applied = apply_lease(route, i, *renewed); !applied) {
        reports.say("network: cannot use the renewed lease on " + i.name + ": " + applied.error());
      } else if (moved) {
        announce_lease(reports, a, *renewed);
      }
      lease = std::move(renewed.value());
    }
    if (lease && lease->lease_seconds == dhcp::Lease::kInfinite) return;  // never ends
  }
}

// The bridge has a carrier once its port forwards, at once with STP off (vm_bridge.cpp); a
// DHCPDISCOVER sent before would be lost and cost the first retransmission's 4 s.
void wait_for_bridge_carrier() {
  const Clock::time_point start = Clock::now();
  const std::filesystem::path carrier =
      std::filesystem::path("/sys/class/net") / appliance::kVmBridge / "carrier";
  while (read_word(carrier) != "1" && Clock::now() - start < kCarrierWait) {
    std::this_thread::sleep_for(kPoll);
  }
}

// With "bridged" and a bridge: the uplink becomes its port and the address goes on the bridge.
// Failing that, the address goes on the uplink and the VMs stay off the LAN, which is said.
Addressed place_address(const NetInterface& uplink, const appliance::NetworkConfig& config,
                        std::optional<int> bridge, const NetworkReports& reports) {
  Addressed a{uplink.name, uplink, false};
  if (config.vm_network != appliance::VmNetwork::kBridged || !bridge) return a;
  const std::string name(appliance::kVmBridge);
  RouteSocket route;
  const auto mac = dhcp::read_mac(uplink.name);
  std::expected<void, std::string> joined = std::unexpected(std::string("no netlink socket"));
  if (!mac) {
    joined = std::unexpected(mac.error());
  } else if (route.ok()) {
    joined = join_bridge(route, *bridge, uplink.index, *mac);
  }
  if (!joined) {
    reports.say("network: cannot put " + uplink.name + " on the VMs' bridge " + name + " (" +
                joined.error() + "); its address goes on " + uplink.name +
                " and the VMs do not reach the LAN");
    return a;
  }
  wait_for_bridge_carrier();
  a.link = NetInterface{name, *bridge, true, true, true};
  a.bridged = true;
  return a;
}

void run_network(const appliance::NetworkConfig& config, const std::string& hostname,
                 std::optional<int> bridge, const NetworkReports& reports) {
  (void)set_up("lo");  // the kernel gives it 127.0.0.1/8 and ::1 as it comes up
  const auto chosen = wait_for_interface(config.interface);
  if (!chosen) {
    reports.say(
        config.interface ? "network: no interface " + *config.interface : std::string("network: no Ethernet interface"));
    reports.announce(network_unavailable("no-interface", false));
    return;
  }
  const Addressed a = place_address(*chosen, config, bridge, reports);
  if (config.mode == appliance::NetworkMode::kStatic) {
    configure_static(a, config, reports);
  } else {
    run_dhcp(a, hostname, reports);
  }
}

}  // namespace

void start_network(const appliance::NetworkConfig& config, const std::string& hostname,
                   NetworkReports reports) {
  // Here rather than on the thread: the VMs that start next attach their taps to it.
  std::optional<int> bridge;
  RouteSocket route;
  if (auto made = make_bridge(route, appliance::kVmBridge)) {
    bridge = *made;
  } else {
    reports.say("network: cannot make the VMs' bridge " + std::string(appliance::kVmBridge) + ": " +
                made.error() + "; VMs with network interfaces cannot start");
  }
  std::thread([config, hostname, bridge, reports = std::move(reports)] {
    run_network(config, hostname, bridge, reports);
  }).detach();
}

std::optional<std::string> choose_interface(const std::vector<NetInterface>& interfaces,
                                            const std::optional<std::string>& wanted) {
  if (wanted) {
    if (std::ranges::find(interfaces, *wanted, &NetInterface::name) != interfaces.end()) {
      return wanted;
    }
    return std::nullopt;
  }
  std::optional<std::string> first;
  for (const NetInterface& i : interfaces) {
    if (!is_uplink_candidate(i)) continue;
    if (i.carrier) return i.name;
    if (!first) first = i.name;
  }
  return first;
}

std::string resolv_conf(const std::vector<IpAddress>& dns) {
  std::string text = "# Written by Rootstock from its network configuration\n";
  for (const IpAddress& a : dns) text += "nameserver " + a.text() + "\n";
  return text;
}

}  // namespace rootstock::init
