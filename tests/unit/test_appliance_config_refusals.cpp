// appliance/appliance_config: every kind of bad configuration is refused with the key's full
// path and the reason — the text the appliance shows on the console and in its milestone — and
// a VM's spec is refused as parse_vm_spec() refuses it, under "vms.<id>.".
#include <catch2/catch_test_macros.hpp>

#include "appliance/appliance_config.hpp"

using namespace rootstock::appliance;

namespace {

struct Case {
  std::string text;
  const char* error;  // SpecError::text()
};

void check_refusals(std::initializer_list<Case> cases) {
  for (const Case& c : cases) {
    INFO(c.text);
    auto r = parse_appliance_config(c.text);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().text() == c.error);
  }
}

// A static network section with `extra` keys after the address.
std::string static_net(std::string_view address, std::string_view extra = "") {
  return R"({"network": {"mode": "static", "address": ")" + std::string(address) + "\"" +
         (extra.empty() ? "" : ", " + std::string(extra)) + "}}";
}

std::string api(std::string_view fields) {
  return R"({"api": {)" + std::string(fields) + "}}";
}

std::string token(std::string_view t) {
  return api(R"("token": ")" + std::string(t) + "\"");
}

std::string listen(std::string_view l) {
  return api(R"("token": ")" + std::string(32, 't') + R"(", "listen": ")" + std::string(l) + "\"");
}

std::string vm(std::string_view id, std::string_view spec) {
  return R"({"vms": {")" + std::string(id) + R"(": )" + std::string(spec) + "}}";
}

constexpr const char* kUnicast =
    "must be a unicast address (not unspecified, loopback or multicast)";

}  // namespace

TEST_CASE("appliance config refusals: the document", "[appliance]") {
  check_refusals({
      {"", "not valid JSON"},
      {"{", "not valid JSON"},
      {"{} {}", "not valid JSON"},
      {"[]", "must be an object"},
      {"null", "must be an object"},
      {R"({"colour": "red"})", "colour: unknown key"},
      {R"({"Hostname": "a"})", "Hostname: unknown key"},
  });
  auto huge = parse_appliance_config(R"({"hostname": ")" + std::string(1 << 20, 'x') + "\"}");
  REQUIRE_FALSE(huge);
  CHECK(huge.error().text() == "larger than 1048576 bytes");
}

TEST_CASE("appliance config refusals: hostname", "[appliance]") {
  const char* rule =
      "hostname: must be 1 to 63 of A-Z a-z 0-9 and -, not starting or ending in - (RFC 1123)";
  check_refusals({
      {R"({"hostname": ""})", rule},
      {R"({"hostname": "-lab"})", rule},
      {R"({"hostname": "lab-"})", rule},
      {R"({"hostname": "lab_1"})", rule},
      {R"({"hostname": "lab.example.org"})", rule},
      {R"({"hostname": "l\u00e4b"})", rule},
      {R"({"hostname": ")" + std::string(64, 'h') + R"("})", rule},
      {R"({"hostname": 5})", "hostname: must be a string"},
  });
}

TEST_CASE("appliance config refusals: network", "[appliance]") {
  const char* ifname =
      "network.interface: must be a Linux interface name (1 to 15 bytes, no '/', ':' or white "
      "space)";
  check_refusals({
      {R"({"network": "dhcp"})", "network: must be an object"},
      {R"({"network": {}})", "network.mode: is required"},
      {R"({"network": {"mode": "ppp"}})", "network.mode: must be one of \"dhcp\", \"static\""},
      {R"({"network": {"mode": "dhcp", "colour": 1}})", "network.colour: unknown key"},
      {R"({"network": {"mode": "dhcp", "interface": ""}})", ifname},
      {R"({"network": {"mode": "dhcp", "interface": "eth/0"}})", ifname},
      {R"({"network": {"mode": "dhcp", "interface": "eth:0"}})", ifname},
      {R"({"network": {"mode": "dhcp", "interface": "eth 0"}})", ifname},
      {R"({"network": {"mode": "dhcp", "interface": ".."}})", ifname},
      {R"({"network": {"mode": "dhcp", "interface": "enp0s31f6abcdefg"}})", ifname},
      {R"({"network": {"mode": "dhcp", "interface": 0}})", "network.interface: must be a string"},
      {R"({"network": {"mode": "dhcp", "address": "192.0.2.10/24"}})",
       "network.address: is only for \"mode\": \"static\" (with DHCP the server gives it)"},
      {R"({"network": {"mode": "dhcp", "gateway": "192.0.2.1"}})",
       "network.gateway: is only for \"mode\": \"static\" (with DHCP the server gives it)"},
      {R"({"network": {"mode": "dhcp", "dns": []}})",
       "network.dns: is only for \"mode\": \"static\" (with DHCP the server gives it)"},
      {R"({"network": {"mode": "dhcp", "vm_network": "nat"}})",
       "network.vm_network: must be one of \"bridged\", \"isolated\""},
      {R"({"network": {"mode": "dhcp", "vm_network": "Bridged"}})",
       "network.vm_network: must be one of \"bridged\", \"isolated\""},
      {R"({"network": {"mode": "dhcp", "vm_network": true}})",
       "network.vm_network: must be a string"},
      {R"({"network": {"vm_network": "isolated"}})", "network.mode: is required"},
      {R"({"network": {"mode": "static"}})", "network.address: is required"},
      {static_net("192.0.2.10/24", R"("colour": 1)"), "network.colour: unknown key"},
  });
}

TEST_CASE("appliance config refusals: network addresses", "[appliance]") {
  const char* form =
      "network.address: must be an address with its prefix length, like 192.0.2.10/24 or "
      "2001:db8::10/64";
  const std::string address_unicast = std::string("network.address: ") + kUnicast;
  check_refusals({
      {static_net("192.0.2.10"), form},
      {static_net("192.0.2.10/"), form},
      {static_net("192.0.2.10/0"), form},
      {static_net("192.0.2.10/33"), form},
      {static_net("192.0.2.10/+8"), form},
      {static_net("192.0.2.10/24x"), form},
      {static_net("192.0.2.10/0024"), form},
      {static_net("2001:db8::10/129"), form},
      {static_net("192.0.2.300/24"), form},
      {static_net("192.0.2/24"), form},
      {static_net("192.0.2.010/24"), form},
      {static_net("host.example/24"), form},
      {static_net("/24"), form},
      {static_net("0.0.0.0/8"), address_unicast.c_str()},
      {static_net("127.0.0.1/8"), address_unicast.c_str()},
      {static_net("224.0.0.5/4"), address_unicast.c_str()},
      {static_net("255.255.255.255/32"), address_unicast.c_str()},
      {static_net("::/64"), address_unicast.c_str()},
      {static_net("::1/128"), address_unicast.c_str()},
      {static_net("ff02::1/64"), address_unicast.c_str()},
      {R"({"network": {"mode": "static", "address": 3232235777}})",
       "network.address: must be a string"},
  });
}

TEST_CASE("appliance config refusals: gateway and DNS", "[appliance]") {
  const std::string gw_unicast = std::string("network.gateway: ") + kUnicast;
  const std::string dns_unicast = std::string("network.dns[1]: ") + kUnicast;
  check_refusals({
      {static_net("192.0.2.10/24", R"("gateway": "router")"),
       "network.gateway: must be an IPv4 or IPv6 address, like 192.0.2.1 or 2001:db8::1"},
      {static_net("192.0.2.10/24", R"("gateway": "192.0.2.1/24")"),
       "network.gateway: must be an IPv4 or IPv6 address, like 192.0.2.1 or 2001:db8::1"},
      {static_net("192.0.2.10/24", R"("gateway": 1)"), "network.gateway: must be a string"},
      {static_net("192.0.2.10/24", R"("gateway": "0.0.0.0")"), gw_unicast.c_str()},
      {static_net("192.0.2.10/24", R"("gateway": "239.1.1.1")"), gw_unicast.c_str()},
      {static_net("192.0.2.10/24", R"("gateway": "2001:db8::1")"),
       "network.gateway: must be an IPv4 address, as network.address is"},
      {static_net("2001:db8::10/64", R"("gateway": "192.0.2.1")"),
       "network.gateway: must be an IPv6 address, as network.address is"},
      {static_net("192.0.2.10/24", R"("dns": "192.0.2.53")"),
       "network.dns: must be an array of addresses"},
      {static_net("192.0.2.10/24", R"("dns": ["1.1.1.1", "8.8.8.8", "9.9.9.9", "1.0.0.1"])"),
       "network.dns: must hold at most 3 addresses"},
      {static_net("192.0.2.10/24", R"("dns": ["192.0.2.53", "dns.example"])"),
       "network.dns[1]: must be an IPv4 or IPv6 address, like 192.0.2.1 or 2001:db8::1"},
      {static_net("192.0.2.10/24", R"("dns": ["192.0.2.53", "127.0.0.53"])"), dns_unicast.c_str()},
      {static_net("192.0.2.10/24", R"("dns": [53])"), "network.dns[0]: must be a string"},
      {static_net("192.0.2.10/24", R"("dns": [null])"), "network.dns[0]: must be a string"},
  });
}

TEST_CASE("appliance config refusals: api", "[appliance]") {
  const char* length = "api.token: must be 32 to 256 characters";
  const char* charset =
      "api.token: must be of A-Z a-z 0-9 - . _ ~ + / with = only at the end (an HTTP bearer "
      "token, RFC 6750 2.1)";
  const char* address = "api.listen: must be address:port, like 0.0.0.0:8080 or [::]:8080";
  check_refusals({
      {R"({"api": "secret"})", "api: must be an object"},
      {api(""), "api.token: is required"},
      {api(R"("listen": "0.0.0.0:8080")"), "api.token: is required"},
      {api(R"("token": 12345)"), "api.token: must be a string"},
      {token(std::string(31, 't')), length},
      {token(std::string(257, 't')), length},
      {token(std::string(31, 't') + " "), charset},
      {token(std::string(16, 't') + "=" + std::string(16, 't')), charset},
      {token(std::string(32, '=')), charset},
      {token(std::string(30, 't') + "\\u00e4"), charset},
      {token(std::string(31, 't') + "\\n"), charset},
      {api(R"("token": ")" + std::string(32, 't') + R"(", "colour": 1)"),
       "api.colour: unknown key"},
      {listen("8080"), address},
      {listen("0.0.0.0"), address},
      {listen("0.0.0.0:"), address},
      {listen("0.0.0.0:0"), address},
      {listen("0.0.0.0:65536"), address},
      {listen("0.0.0.0:http"), address},
      {listen("localhost:8080"), address},
      {listen(":::8080"), address},
      {listen("[::]8080"), address},
      {listen("[0.0.0.0]:8080"), address},
      {listen("[::]:"), address},
      {listen("239.0.0.1:8080"), "api.listen: must not be a multicast address"},
      {listen("[ff02::1]:8080"), "api.listen: must not be a multicast address"},
  });
  const std::string t = R"("token": ")" + std::string(32, 't') + R"(", )";
  const char* name = "must be the name of a file beside the configuration file";
  check_refusals({
      {api(t + R"("certificate": "api.crt")"),
       "api.key: is needed too: a certificate and its key go together"},
      {api(t + R"("key": "api.key")"),
       "api.certificate: is needed too: a certificate and its key go together"},
      {api(t + R"("certificate": "../api.crt", "key": "api.key")"),
       (std::string("api.certificate: ") + name).c_str()},
      {api(t + R"("certificate": "api.crt", "key": "")"),
       (std::string("api.key: ") + name).c_str()},
      {api(t + R"("certificate": "api.crt", "key": "..")"),
       (std::string("api.key: ") + name).c_str()},
      {api(t + R"("tls": false, "certificate": "api.crt", "key": "api.key")"),
       "api.certificate: is for HTTPS, which \"tls\": false turns off"},
  });
  auto given = parse_appliance_config(api(t + R"("certificate": "api.crt", "key": "api.key")"));
  REQUIRE(given);
  CHECK(given->api->certificate_file == "api.crt");
  CHECK(given->api->key_file == "api.key");
}

TEST_CASE("appliance config refusals: a bad token is not quoted back", "[appliance]") {
  const std::string secret = std::string(40, 's') + " leaked";
  auto r = parse_appliance_config(token(secret));
  REQUIRE_FALSE(r);
  CHECK(r.error().text().find("sss") == std::string::npos);
}

TEST_CASE("appliance config refusals: vms, with each VM's key path", "[appliance]") {
  const char* minimal = R"({"boot-source": {"kernel_image_path": "/k"}})";
  check_refusals({
      {R"({"vms": []})", "vms: must be an object of VM ids to VM specs"},
      {vm("we b", minimal), "vms: \"we b\" is not a VM id (1 to 64 of A-Z a-z 0-9 _ -)"},
      {vm("", minimal), "vms: \"\" is not a VM id (1 to 64 of A-Z a-z 0-9 _ -)"},
      {vm("x\\u0001", minimal), "vms: \"x\\u0001\" is not a VM id (1 to 64 of A-Z a-z 0-9 _ -)"},
      {vm(std::string(65, 'v'), minimal),
       ("vms: \"" + std::string(65, 'v') + "\" is not a VM id (1 to 64 of A-Z a-z 0-9 _ -)")
           .c_str()},
      {vm("web", "[]"), "vms.web: must be an object"},
      {vm("web", "{}"), "vms.web.boot-source: is required"},
      {vm("web", R"({"boot-source": {"kernel_image_path": "k"}})"),
       "vms.web.boot-source.kernel_image_path: must be an absolute path"},
      {vm("web", R"({"boot-source": {"kernel_image_path": "/k"},
                     "machine-config": {"vcpu_count": 33, "mem_size_mib": 64}})"),
       "vms.web.machine-config.vcpu_count: must be an integer from 1 to 32"},
      {vm("web", R"({"boot-source": {"kernel_image_path": "/k"},
                     "drives": [{"drive_id": "a", "path_on_host": "/a", "is_root_device": 1}]})"),
       "vms.web.drives[0].is_root_device: must be true or false"},
      {vm("web", R"({"boot-source": {"kernel_image_path": "/k"}, "colour": 1})"),
       "vms.web.colour: unknown key"},
      {R"({"vms": {"a": {"boot-source": {"kernel_image_path": "/k"}},
                   "b": {"boot-source": {}}}})",
       "vms.b.boot-source.kernel_image_path: is required"},
  });
}

TEST_CASE("appliance config refusals: stop_timeout_s", "[appliance]") {
  const char* range = "stop_timeout_s: must be an integer from 0 to 3600";
  check_refusals({
      {R"({"stop_timeout_s": -1})", range},
      {R"({"stop_timeout_s": 3601})", range},
      {R"({"stop_timeout_s": 1.5})", range},
      {R"({"stop_timeout_s": 30.0})", range},
      {R"({"stop_timeout_s": "30"})", range},
      {R"({"stop_timeout_s": true})", range},
  });
}
