// parse_appliance_config(): the configuration file into an ApplianceConfig, key by key, with
// the rules docs/configuration.md gives for each. Errors name the key's path and never quote a
// value back, so a mistyped API token does not end up on the console.
#include "appliance/appliance_config.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <charconv>
#include <utility>

#include "appliance/json_fields.hpp"

namespace rootstock::appliance {
namespace {

constexpr uint8_t kIpv4Bits = 32;
constexpr uint8_t kIpv6Bits = 128;
// Addresses no interface, gateway or DNS server can have (RFC 6890, 2.2.2: 0.0.0.0/8 "this
// network", 127.0.0.0/8 loopback, 224.0.0.0/4 multicast, 240.0.0.0/4 reserved with the
// limited broadcast; RFC 4291, 2.5.2, 2.5.3 and 2.7: ::, ::1, ff00::/8).
constexpr uint8_t kIpv4ThisNetwork = 0;
constexpr uint8_t kIpv4Loopback = 127;
constexpr uint8_t kIpv4MulticastFirst = 224;
constexpr uint8_t kIpv6Multicast = 0xFF;
constexpr size_t kMaxPrefixDigits = 3;
constexpr size_t kMaxPortDigits = 5;
constexpr uint32_t kMaxPort = 65535;

std::optional<IpAddress> parse_ip(std::string_view s) {
  if (s.find('\0') != std::string_view::npos) return std::nullopt;
  const std::string z(s);  // inet_pton wants a C string
  IpAddress a;
  a.family =
      s.find(':') == std::string_view::npos ? IpAddress::Family::kIpv4 : IpAddress::Family::kIpv6;
  int af = a.family == IpAddress::Family::kIpv4 ? AF_INET : AF_INET6;
  if (inet_pton(af, z.c_str(), a.bytes.data()) != 1) return std::nullopt;
  return a;
}

bool is_multicast(const IpAddress& a) {
  return a.family == IpAddress::Family::kIpv4 ? a.bytes[0] >= kIpv4MulticastFirst
                                              : a.bytes[0] == kIpv6Multicast;
}

bool is_unicast(const IpAddress& a) {
  if (is_multicast(a)) return false;
  if (a.family == IpAddress::Family::kIpv4) {
    return a.bytes[0] != kIpv4ThisNetwork && a.bytes[0] != kIpv4Loopback;
  }
  bool zero_but_last = true;
  for (size_t i = 0; i + 1 < a.bytes.size(); ++i) zero_but_last = zero_but_last && a.bytes[i] == 0;
  return !(zero_but_last && a.bytes.back() <= 1);  // neither :: nor ::1
}

// Decimal digits only, at most `max_digits` of them.
std::optional<uint32_t> parse_number(std::string_view s, size_t max_digits) {
  uint32_t n = 0;
  if (s.empty() || s.size() > max_digits) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return n;
}

std::optional<InterfaceAddress> parse_interface_address(std::string_view s) {
  size_t slash = s.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto ip = parse_ip(s.substr(0, slash));
  auto prefix = parse_number(s.substr(slash + 1), kMaxPrefixDigits);
  if (!ip || !prefix) return std::nullopt;
  uint32_t bits = ip->family == IpAddress::Family::kIpv4 ? kIpv4Bits : kIpv6Bits;
  if (*prefix < 1 || *prefix > bits) return std::nullopt;
  return InterfaceAddress{*ip, static_cast<uint8_t>(*prefix)};
}

// "192.0.2.10:8080" or "[2001:db8::10]:8080".
std::optional<ListenAddress> parse_listen(std::string_view s) {
  std::optional<IpAddress> ip;
  std::string_view port;
  if (s.starts_with('[')) {
    size_t close = s.find("]:");
    if (close == std::string_view::npos) return std::nullopt;
    ip = parse_ip(s.substr(1, close - 1));
    if (ip && ip->family != IpAddress::Family::kIpv6) return std::nullopt;
    port = s.substr(close + 2);
  } else {
    size_t colon = s.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    ip = parse_ip(s.substr(0, colon));  // an IPv6 address without brackets fails here
    port = s.substr(colon + 1);
  }
  auto number = parse_number(port, kMaxPortDigits);
  if (!ip || !number || *number < 1 || *number > kMaxPort) return std::nullopt;
  return ListenAddress{*ip, static_cast<uint16_t>(*number)};
}

// Linux's dev_valid_name() (net/core/dev.c): 1 to IFNAMSIZ-1 bytes, not "." or "..", no '/',
// ':' or white space; control characters refused as well.
bool is_valid_interface_name(std::string_view s) {
  if (s.empty() || s.size() > NetworkInterface::kMaxHostDevName || s == "." || s == "..") {
    return false;
  }
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u <= ' ' || u == 0x7f || c == '/' || c == ':') return false;
  }
  return true;
}

// RFC 6750, 2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
bool is_b64token(std::string_view t) {
  size_t end = t.find_last_not_of('=');
  if (end == std::string_view::npos) return false;
  for (char c : t.substr(0, end + 1)) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              std::string_view("-._~+/").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

const char* family_name(IpAddress::Family f) {
  return f == IpAddress::Family::kIpv4 ? "IPv4" : "IPv6";
}

// A string key holding one unicast address.
std::optional<IpAddress> unicast(ParseErrors& e, const std::string& path, const Json& v) {
  if (!v.is_string()) {
    e.fail(path, "must be a string");
    return std::nullopt;
  }
  auto ip = parse_ip(v.get_ref<const std::string&>());
  if (!ip) {
    e.fail(path, "must be an IPv4 or IPv6 address, like 192.0.2.1 or 2001:db8::1");
  } else if (!is_unicast(*ip)) {
    e.fail(path, "must be a unicast address (not unspecified, loopback or multicast)");
    return std::nullopt;
  }
  return ip;
}

std::vector<IpAddress> dns(ParseErrors& e, JsonFields& f) {
  std::vector<IpAddress> out;
  const Json* v = f.take("dns", Need::kOptional);
  if (!v) return out;
  if (!v->is_array()) {
    e.fail(f.path("dns"), "must be an array of addresses");
  } else if (v->size() > NetworkConfig::kMaxDns) {
    e.fail(f.path("dns"),
           "must hold at most " + std::to_string(NetworkConfig::kMaxDns) + " addresses");
  }
  for (size_t i = 0; v->is_array() && i < v->size() && !e.failed(); ++i) {
    if (auto ip = unicast(e, f.path("dns") + "[" + std::to_string(i) + "]", (*v)[i])) {
      out.push_back(*ip);
    }
  }
  return out;
}

void static_network(ParseErrors& e, JsonFields& f, NetworkConfig& n) {
  if (auto s = f.string("address", Need::kRequired)) {
    n.address = parse_interface_address(*s);
    if (!n.address) {
      e.fail(f.path("address"),
             "must be an address with its prefix length, like 192.0.2.10/24 or 2001:db8::10/64");
    } else if (!is_unicast(n.address->address)) {
      e.fail(f.path("address"),
             "must be a unicast address (not unspecified, loopback or "
             "multicast)");
    }
  }
  if (const Json* v = f.take("gateway", Need::kOptional)) {
    n.gateway = unicast(e, f.path("gateway"), *v);
    if (!e.failed() && n.gateway && n.address && n.gateway->family != n.address->address.family) {
      e.fail(f.path("gateway"), std::string("must be an ") +
                                    family_name(n.address->address.family) +
                                    " address, as network.address is");
    }
  }
  n.dns = dns(e, f);
}

NetworkConfig network(ParseErrors& e, const Json& v) {
  JsonFields f(e, v, "network");
  NetworkConfig n;
  if (auto m = f.choice("mode", {"dhcp", "static"}, Need::kRequired)) {
    n.mode = static_cast<NetworkMode>(*m);
  }
  n.interface = f.string("interface", Need::kOptional);
  if (n.interface && !is_valid_interface_name(*n.interface)) {
    e.fail(f.path("interface"),
           "must be a Linux interface name (1 to 15 bytes, no '/', ':' or white space)");
  }
  if (auto m = f.choice("vm_network", {"bridged", "isolated"}, Need::kOptional)) {
    n.vm_network = static_cast<VmNetwork>(*m);
  }
  if (n.mode == NetworkMode::kStatic) {
    static_network(e, f, n);
  } else {
    for (const char* key : {"address", "gateway", "dns"}) {
      if (f.take(key, Need::kOptional)) {
        e.fail(f.path(key), "is only for \"mode\": \"static\" (with DHCP the server gives it)");
      }
    }
  }
  f.finish();
  return n;
}

ApiConfig api(ParseErrors& e, const Json& v) {
  JsonFields f(e, v, "api");
  ApiConfig a;
  if (auto t = f.string("token", Need::kRequired)) {
    a.token = *t;
    if (t->size() < ApiConfig::kMinToken || t->size() > ApiConfig::kMaxToken) {
      e.fail(f.path("token"), "must be " + std::to_string(ApiConfig::kMinToken) + " to " +
                                  std::to_string(ApiConfig::kMaxToken) + " characters");
    } else if (!is_b64token(*t)) {
      e.fail(f.path("token"),
             "must be of A-Z a-z 0-9 - . _ ~ + / with = only at the end (an HTTP bearer token, "
             "RFC 6750 2.1)");
    }
  }
  if (auto s = f.string("listen", Need::kOptional)) {
    auto listen = parse_listen(*s);
    if (!listen) {
      e.fail(f.path("listen"), "must be address:port, like 0.0.0.0:8080 or [::]:8080");
    } else if (is_multicast(listen->address)) {
      e.fail(f.path("listen"), "must not be a multicast address");
    } else {
      a.listen = *listen;
    }
  }
  a.tls = f.boolean("tls", Need::kOptional).value_or(true);
  // File names in the ESP's root folder: nothing that leads elsewhere.
  for (auto [key, out] :
       {std::pair<const char*, std::optional<std::string>*>{"certificate", &a.certificate_file},
        {"key", &a.key_file}}) {
    *out = f.string(key, Need::kOptional);
    if (*out && (out->value().empty() || out->value().size() > 255 || *out == "." || *out == ".." ||
                 out->value().find('/') != std::string::npos ||
                 out->value().find('\\') != std::string::npos)) {
      e.fail(f.path(key), "must be the name of a file beside the configuration file");
    }
  }
  if (a.certificate_file.has_value() != a.key_file.has_value()) {
    e.fail(f.path(a.certificate_file ? "key" : "certificate"),
           "is needed too: a certificate and its key go together");
  }
  if (a.certificate_file && !a.tls) {
    e.fail(f.path("certificate"), "is for HTTPS, which \"tls\": false turns off");
  }
  f.finish();
  return a;
}

std::map<std::string, VmSpec> vms(ParseErrors& e, JsonFields& f) {
  std::map<std::string, VmSpec> out;
  const Json* v = f.take("vms", Need::kOptional);
  if (!v) return out;
  if (!v->is_object()) {
    e.fail("vms", "must be an object of VM ids to VM specs");
    return out;
  }
  // Text in a message is JSON-escaped, so no control character reaches the console.
  constexpr auto kReplace = Json::error_handler_t::replace;
  for (const auto& [id, spec] : v->items()) {
    if (!is_valid_id(id)) {
      e.fail("vms", Json(id).dump(-1, ' ', false, kReplace) +
                        " is not a VM id (1 to 64 of A-Z a-z 0-9 _ -)");
      break;
    }
    auto parsed = parse_vm_spec(spec.dump(-1, ' ', false, kReplace));
    if (!parsed) {
      const SpecError& err = parsed.error();
      e.fail("vms." + id + (err.path.empty() ? "" : "." + err.path), err.message);
      break;
    }
    out.emplace(id, std::move(*parsed));
  }
  return out;
}

ApplianceConfig config(ParseErrors& e, const Json& doc) {
  JsonFields f(e, doc, "");
  ApplianceConfig c;
  if (!f.ok()) return c;
  if (auto h = f.string("hostname", Need::kOptional)) {
    c.hostname = *h;
    if (!is_valid_hostname(*h)) {
      e.fail("hostname",
             "must be 1 to 63 of A-Z a-z 0-9 and -, not starting or ending in - (RFC 1123)");
    }
  }
  if (const Json* v = f.take("network", Need::kOptional)) c.network = network(e, *v);
  if (const Json* v = f.take("api", Need::kOptional)) c.api = api(e, *v);
  c.vms = vms(e, f);
  if (auto t = f.integer("stop_timeout_s", 0, ApplianceConfig::kMaxStopTimeoutS, Need::kOptional)) {
    c.stop_timeout_s = static_cast<uint32_t>(*t);
  }
  f.finish();
  return c;
}

}  // namespace

std::string IpAddress::text() const {
  char buf[INET6_ADDRSTRLEN] = {};
  int af = family == Family::kIpv4 ? AF_INET : AF_INET6;
  return inet_ntop(af, bytes.data(), buf, sizeof buf) ? buf : "";
}

bool is_valid_hostname(std::string_view name) {
  if (name.empty() || name.size() > ApplianceConfig::kMaxHostname || name.front() == '-' ||
      name.back() == '-') {
    return false;
  }
  for (char c : name) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::expected<ApplianceConfig, SpecError> parse_appliance_config(std::string_view text) {
  if (text.size() > kMaxApplianceConfigBytes) {
    return std::unexpected(
        SpecError{"", "larger than " + std::to_string(kMaxApplianceConfigBytes) + " bytes"});
  }
  Json doc = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return std::unexpected(SpecError{"", "not valid JSON"});
  ParseErrors errors;
  ApplianceConfig c = config(errors, doc);
  if (errors.failed()) return std::unexpected(errors.error());
  return c;
}

}  // namespace rootstock::appliance
