// appliance/appliance_config: every key of the configuration file is read into its typed field,
// an absent (or null) key takes its documented default, and the example that
// docs/configuration.md shows (image/config/rootstock.example.json) parses.
#include <catch2/catch_test_macros.hpp>
#include <fstream>
#include <sstream>

#include "appliance/appliance_config.hpp"

using namespace rootstock::appliance;

namespace {

ApplianceConfig parsed(std::string_view text) {
  auto r = parse_appliance_config(text);
  INFO((r ? std::string() : r.error().text()));
  REQUIRE(r.has_value());
  return *r;
}

IpAddress ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  IpAddress ip;
  ip.bytes[0] = a, ip.bytes[1] = b, ip.bytes[2] = c, ip.bytes[3] = d;
  return ip;
}

const std::string kToken(32, 'k');

}  // namespace

TEST_CASE("appliance config: an empty object gives the defaults", "[appliance]") {
  ApplianceConfig c = parsed("{}");
  CHECK(c == ApplianceConfig{});
  CHECK(c.hostname == "rootstock");
  CHECK(c.network.mode == NetworkMode::kDhcp);
  CHECK_FALSE(c.network.interface);
  CHECK_FALSE(c.network.address);
  CHECK_FALSE(c.network.gateway);
  CHECK(c.network.dns.empty());
  CHECK(c.network.vm_network == VmNetwork::kBridged);  // VMs on the LAN, as Proxmox's vmbr0
  CHECK_FALSE(c.api);
  CHECK(c.vms.empty());
  CHECK(c.stop_timeout_s == 30);
  // JSON null is an absent key.
  CHECK(parsed(R"({"hostname": null, "network": null, "api": null, "vms": null,
                   "stop_timeout_s": null})") == ApplianceConfig{});
}

TEST_CASE("appliance config: every key is read", "[appliance]") {
  ApplianceConfig c = parsed(R"({
    "hostname": "lab-1",
    "network": {"mode": "static", "interface": "enp1s0", "address": "192.0.2.10/24",
                "gateway": "192.0.2.1", "dns": ["192.0.2.53", "198.51.100.53", "2001:db8::53"]},
    "api": {"token": ")" + kToken +
                             R"(", "listen": "192.0.2.10:9000"},
    "vms": {"web": {"boot-source": {"kernel_image_path": "/k"},
                    "machine-config": {"vcpu_count": 4, "mem_size_mib": 512}},
            "db_2": {"boot-source": {"kernel_image_path": "/k2"}, "autostart": true}},
    "stop_timeout_s": 90})");
  CHECK(c.hostname == "lab-1");
  CHECK(c.network.mode == NetworkMode::kStatic);
  CHECK(c.network.interface == "enp1s0");
  REQUIRE(c.network.address);
  CHECK(c.network.address->address == ipv4(192, 0, 2, 10));
  CHECK(c.network.address->prefix_length == 24);
  CHECK(c.network.gateway == ipv4(192, 0, 2, 1));
  REQUIRE(c.network.dns.size() == 3);
  CHECK(c.network.dns[1] == ipv4(198, 51, 100, 53));
  CHECK(c.network.dns[2].family == IpAddress::Family::kIpv6);
  CHECK(c.network.dns[2].text() == "2001:db8::53");
  REQUIRE(c.api);
  CHECK(c.api->token == kToken);
  CHECK(c.api->listen.address == ipv4(192, 0, 2, 10));
  CHECK(c.api->listen.port == 9000);
  REQUIRE(c.vms.size() == 2);
  CHECK(c.vms.at("web").machine_config.vcpu_count == 4);
  CHECK(c.vms.at("web").machine_config.mem_size_mib == 512);
  CHECK(c.vms.at("db_2").boot_source.kernel_image_path == "/k2");
  CHECK(c.vms.at("db_2").autostart);
  CHECK(c.stop_timeout_s == 90);
}

TEST_CASE("appliance config: IPv6, DHCP with an interface, and the bounds", "[appliance]") {
  ApplianceConfig v6 = parsed(R"({"network": {"mode": "static", "address": "2001:db8::10/64",
                                              "gateway": "fe80::1"},
                                  "api": {"token": ")" +
                              kToken + R"(", "listen": "[::]:8443"}})");
  REQUIRE(v6.network.address);
  CHECK(v6.network.address->address.family == IpAddress::Family::kIpv6);
  CHECK(v6.network.address->address.text() == "2001:db8::10");
  CHECK(v6.network.address->prefix_length == 64);
  CHECK(v6.network.gateway->text() == "fe80::1");
  CHECK(v6.network.dns.empty());
  CHECK(v6.api->listen.address.family == IpAddress::Family::kIpv6);
  CHECK(v6.api->listen.address.text() == "::");
  CHECK(v6.api->listen.port == 8443);

  // A static address needs no gateway (a network of its own) and no DNS.
  ApplianceConfig lan = parsed(R"({"network": {"mode": "static", "address": "10.1.2.3/32"}})");
  CHECK(lan.network.address->prefix_length == 32);
  CHECK_FALSE(lan.network.gateway);

  ApplianceConfig dhcp = parsed(R"({"network": {"mode": "dhcp", "interface": "eth1"}})");
  CHECK(dhcp.network.mode == NetworkMode::kDhcp);
  CHECK(dhcp.network.interface == "eth1");
  CHECK(dhcp.network.vm_network == VmNetwork::kBridged);

  // Either mode takes either kind of VM network.
  CHECK(parsed(R"({"network": {"mode": "dhcp", "vm_network": "isolated"}})").network.vm_network ==
        VmNetwork::kIsolated);
  CHECK(parsed(R"({"network": {"mode": "static", "address": "192.0.2.10/24",
                               "vm_network": "bridged"}})")
            .network.vm_network == VmNetwork::kBridged);
  CHECK(parsed(R"({"network": {"mode": "dhcp", "vm_network": null}})").network.vm_network ==
        VmNetwork::kBridged);

  // The API listens on every IPv4 address, port 8080, unless told.
  ApplianceConfig api = parsed(R"({"api": {"token": ")" + kToken + R"("}})");
  CHECK(api.api->listen.address == IpAddress{});
  CHECK(api.api->listen.address.text() == "0.0.0.0");
  CHECK(api.api->listen.port == 8080);

  CHECK(parsed(R"({"hostname": ")" + std::string(63, 'h') + R"("})").hostname.size() == 63);
  CHECK(parsed(R"({"hostname": "1u-rack-07"})").hostname == "1u-rack-07");  // RFC 1123 2.1
  CHECK(parsed(R"({"api": {"token": ")" + std::string(256, 'A') + R"("}})").api);
  CHECK(parsed(R"({"api": {"token": "abcdefghijklmnopqrstuvwxyz-._~+/0123456789ABCD=="}})").api);
  CHECK(parsed(R"({"stop_timeout_s": 0})").stop_timeout_s == 0);
  CHECK(parsed(R"({"stop_timeout_s": 3600})").stop_timeout_s == 3600);
  CHECK(parsed(R"({"network": {"mode": "static", "address": "192.0.2.1/24",
                               "dns": []}})")
            .network.dns.empty());
}

TEST_CASE("appliance config: the documented example parses", "[appliance]") {
  std::ifstream in(ROOTSTOCK_EXAMPLE_CONFIG);
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  ApplianceConfig c = parsed(text.str());
  CHECK(c.hostname == "rootstock-lab1");
  CHECK(c.network.mode == NetworkMode::kStatic);
  CHECK(c.network.address->address.text() == "192.0.2.10");
  CHECK(c.network.dns.size() == 2);
  CHECK(c.network.vm_network == VmNetwork::kBridged);
  REQUIRE(c.api);
  CHECK(c.api->listen.port == 8080);
  CHECK(c.vms.size() == 2);
  CHECK(c.vms.at("web").autostart);
  CHECK(c.vms.at("web").machine_config.vcpu_count == 2);
  CHECK(c.stop_timeout_s == 30);
}
