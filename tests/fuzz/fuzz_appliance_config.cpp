// Fuzzes the parser of the appliance's configuration (appliance/appliance_config.hpp): the JSON
// file a user edits on the EFI system partition, which PID 1 reads at boot.
//
// Input: the file's text.
// Checked: the parser never throws (an exception is a crash here) and reads nothing outside the
// text (ASan); a refusal says why. A configuration it accepts keeps the rules that
// appliance_config.hpp and docs/configuration.md give: the hostname is_valid_hostname(); the
// network's keys go with its mode (static: an address with a prefix length its family allows, a
// gateway of the same family, at most kMaxDns DNS servers; DHCP: none of them), each of these
// addresses unicast; the interface a Linux interface name; the API token kMinToken to
// kMaxToken b64token characters, listening on a port from 1, not on a multicast address;
// stop_timeout_s at most kMaxStopTimeoutS; every VM id is_valid_id(). The module has no writer
// for the whole file, but one for VM specs: each VM's to_json() (vm_spec_write.cpp) parses
// back to the same spec.
#include <stddef.h>
#include <stdint.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "appliance/appliance_config.hpp"

using namespace rootstock::appliance;

namespace {

constexpr uint8_t kIpv4Bits = 32;
constexpr uint8_t kIpv6Bits = 128;
constexpr size_t kIpv4Bytes = 4;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

// RFC 6890 2.2.2 and RFC 4291 2.5.2, 2.5.3, 2.7, as docs/configuration.md lists them: not
// 0.0.0.0/8, 127.0.0.0/8, 224.0.0.0/3 (multicast, reserved, broadcast), ::, ::1, ff00::/8.
bool unicast(const IpAddress& a) {
  if (a.family == IpAddress::Family::kIpv4) {
    const uint8_t first = a.bytes[0];
    return first != 0 && first != 127 && first < 224;
  }
  constexpr std::array<uint8_t, 16> kUnspecified{};
  constexpr std::array<uint8_t, 16> kLoopback{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return a.bytes[0] != 0xFF && a.bytes != kUnspecified && a.bytes != kLoopback;
}

bool multicast(const IpAddress& a) {
  return a.family == IpAddress::Family::kIpv4 ? (a.bytes[0] & 0xF0) == 0xE0 : a.bytes[0] == 0xFF;
}

// An address as IpAddress says it holds one: an IPv4 one in the first four bytes, the rest zero,
// and inet_ntop can write it.
void check_address(const IpAddress& a) {
  if (a.family == IpAddress::Family::kIpv4) {
    check(
        std::all_of(a.bytes.begin() + kIpv4Bytes, a.bytes.end(), [](uint8_t b) { return b == 0; }));
  }
  check(!a.text().empty());
}

void check_network(const NetworkConfig& n) {
  if (n.interface) {
    const std::string& i = *n.interface;
    check(!i.empty() && i.size() <= NetworkInterface::kMaxHostDevName && i != "." && i != "..");
    check(i.find_first_of("/: \t\n\v\f\r") == std::string::npos);
  }
  if (n.mode == NetworkMode::kDhcp) {
    check(!n.address && !n.gateway && n.dns.empty());
    return;
  }
  check(n.address.has_value());
  const IpAddress& a = n.address->address;
  check_address(a);
  check(unicast(a));
  const uint8_t bits = a.family == IpAddress::Family::kIpv4 ? kIpv4Bits : kIpv6Bits;
  check(n.address->prefix_length >= 1 && n.address->prefix_length <= bits);
  if (n.gateway) {
    check_address(*n.gateway);
    check(unicast(*n.gateway) && n.gateway->family == a.family);
  }
  check(n.dns.size() <= NetworkConfig::kMaxDns);
  for (const IpAddress& d : n.dns) {
    check_address(d);
    check(unicast(d));
  }
}

// RFC 6750, 2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
bool b64token(std::string_view t) {
  auto b64 = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           std::string_view("-._~+/").find(c) != std::string_view::npos;
  };
  const auto end = std::find_if_not(t.begin(), t.end(), b64);
  return end != t.begin() && std::all_of(end, t.end(), [](char c) { return c == '='; });
}

void check_api(const ApiConfig& a) {
  check(a.token.size() >= ApiConfig::kMinToken && a.token.size() <= ApiConfig::kMaxToken);
  check(b64token(a.token));
  check_address(a.listen.address);
  check(a.listen.port >= 1 && !multicast(a.listen.address));
}

void check_config(const ApplianceConfig& c) {
  check(is_valid_hostname(c.hostname));
  check_network(c.network);
  if (c.api) check_api(*c.api);
  check(c.stop_timeout_s <= ApplianceConfig::kMaxStopTimeoutS);
  for (const auto& [id, spec] : c.vms) {
    check(is_valid_id(id));
    auto again = parse_vm_spec(to_json(spec));
    check(again.has_value() && *again == spec);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = parse_appliance_config(text);
  if (!config) {
    check(!config.error().message.empty());
    return 0;
  }
  check_config(*config);
  return 0;
}
