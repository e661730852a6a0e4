// The appliance's configuration: one JSON file on the EFI system partition that the user edits
// before the first boot (docs/configuration.md; the example is image/config/rootstock.json).
// parse_appliance_config() turns its text into these typed structs or refuses it with the key's
// full path, as parse_vm_spec() does for one VM, which it calls for each entry of "vms"; nothing
// below appliance/ sees JSON. An absent key takes the default written here, so ApplianceConfig{}
// is what the appliance runs with when the file is missing or refused.
#pragma once

#include <stdint.h>

#include <array>
#include <expected>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/vm_spec.hpp"

namespace rootstock::appliance {

/// An IPv4 or IPv6 address, in network byte order.
struct IpAddress {
  enum class Family : uint8_t { kIpv4, kIpv6 };
  Family family = Family::kIpv4;
  std::array<uint8_t, 16> bytes{};  ///< an IPv4 address in the first four
  /// inet_ntop's form: "192.0.2.10", "2001:db8::10".
  [[nodiscard]] std::string text() const;
  bool operator==(const IpAddress&) const = default;
};

/// An interface's address with its prefix length ("192.0.2.10/24").
struct InterfaceAddress {
  IpAddress address;
  uint8_t prefix_length = 0;  ///< 1 .. 32 for IPv4, 1 .. 128 for IPv6
  bool operator==(const InterfaceAddress&) const = default;
};

/// `network.mode`.
enum class NetworkMode : uint8_t { kDhcp, kStatic };

/// `network.vm_network`: what the VMs' bridge (kVmBridge) is joined to.
enum class VmNetwork : uint8_t {
  kBridged,   ///< the root's uplink is its port, the root's address on it: VMs on the LAN
  kIsolated,  ///< no uplink, no address: the VMs reach one another only
};

/// `network`: how the root partition's network interface gets its address.
struct NetworkConfig {
  static constexpr size_t kMaxDns = 3;  ///< glibc's and musl's MAXNS: resolv.conf reads three
  NetworkMode mode = NetworkMode::kDhcp;
  /// A Linux interface name ("enp1s0"); absent: the first Ethernet interface with a link.
  std::optional<std::string> interface;
  std::optional<InterfaceAddress> address;  ///< static: required
  std::optional<IpAddress> gateway;         ///< static: the default route, address's family
  std::vector<IpAddress> dns;               ///< static: at most kMaxDns
  VmNetwork vm_network = VmNetwork::kBridged;
  bool operator==(const NetworkConfig&) const = default;
};

/// `api.listen`: where the management API listens ("0.0.0.0:8080", "[::]:8080").
struct ListenAddress {
  static constexpr uint16_t kDefaultPort = 8080;
  IpAddress address;  ///< 0.0.0.0 (every IPv4 address) by default
  uint16_t port = kDefaultPort;
  bool operator==(const ListenAddress&) const = default;
};

/// `api`: the management API over the network, which answers only requests carrying the token.
struct ApiConfig {
  static constexpr size_t kMinToken = 32;  ///< 32 base64 characters are 192 bits
  static constexpr size_t kMaxToken = 256;
  std::string token;  ///< RFC 6750 2.1 b64token characters: an HTTP Bearer token as it is
  ListenAddress listen;
  /// HTTPS with the appliance's own certificate (tls_identity.hpp); false: plain HTTP, the token
  /// readable by anyone on the path.
  bool tls = true;
  /// The user's own certificate and key (PEM) instead of the appliance's: file names at the
  /// root of the EFI system partition, beside the configuration file; both or neither.
  std::optional<std::string> certificate_file;
  std::optional<std::string> key_file;
  bool operator==(const ApiConfig&) const = default;
};

/// The whole file.
struct ApplianceConfig {
  static constexpr size_t kMaxHostname = 63;  ///< RFC 1123 2.1: one label of 1 to 63
  static constexpr uint32_t kMaxStopTimeoutS = 3600;
  std::string hostname = "rootstock";
  NetworkConfig network;
  std::optional<ApiConfig> api;       ///< absent: no management API on the network
  std::map<std::string, VmSpec> vms;  ///< VMs to define at first boot, by id (is_valid_id)
  /// How long the VMs get after their power button at shutdown before they are stopped
  /// (Appliance::Options::stop_timeout).
  uint32_t stop_timeout_s = 30;
  bool operator==(const ApplianceConfig&) const = default;
};

/// The file's name, at the root of the EFI system partition (beside \EFI\BOOT\BOOTX64.EFI).
inline constexpr std::string_view kApplianceConfigFile = "rootstock.json";
/// Larger files are refused before parsing.
inline constexpr size_t kMaxApplianceConfigBytes = 1 << 20;

/// The bridge in the root that the VMs' network interfaces (their taps) are attached to: PID 1
/// makes it at boot (init/vm_bridge.hpp) and, with VmNetwork::kBridged, puts the uplink on it;
/// the appliance attaches each VM's taps.
inline constexpr std::string_view kVmBridge = "rootstock0";

/// Parses and checks the file; unknown keys, wrong types, values out of range or malformed and
/// keys that do not go with the network mode are refused, each VM as parse_vm_spec() refuses it
/// with its path under "vms.<id>.". Never throws.
[[nodiscard]] std::expected<ApplianceConfig, SpecError> parse_appliance_config(
    std::string_view text);

/// An RFC 1123 host name label: 1 to 63 of A-Z a-z 0-9 and '-', not starting or ending in '-'.
[[nodiscard]] bool is_valid_hostname(std::string_view name);

}  // namespace rootstock::appliance
