// parse_vm_spec(): the JSON text into a VmSpec, section by section. Field names, types, required
// fields and limits follow Firecracker's swagger (src/firecracker/swagger/firecracker.yaml,
// definitions BootSource, MachineConfiguration, Drive, NetworkInterface, Vsock,
// FullVmConfiguration); where Rootstock is stricter it says why.
#include <algorithm>
#include <cctype>
#include <set>
#include <string>
#include <utility>

#include "appliance/json_fields.hpp"
#include "appliance/vm_spec.hpp"
#include "appliance/vm_spec_sections.hpp"

namespace rootstock::appliance {
namespace {

std::optional<std::string> host_path(ParseErrors& e, JsonFields& f, std::string_view key,
                                     Need need) {
  auto v = f.string(key, need);
  if (v) check_host_path(e, f.path(key), *v);
  return v;
}

std::optional<std::string> id_field(ParseErrors& e, JsonFields& f, std::string_view key) {
  auto v = f.string(key, Need::kRequired);
  if (v && !is_valid_id(*v)) e.fail(f.path(key), "must be 1 to 64 of A-Z a-z 0-9 _ -");
  return v;
}

bool has_control(const std::string& s) {
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return true;
  }
  return false;
}

BootSource boot_source(ParseErrors& e, const Json& v) {
  JsonFields f(e, v, "boot-source");
  BootSource b;
  if (auto s = host_path(e, f, "kernel_image_path", Need::kRequired)) b.kernel_image_path = *s;
  b.initrd_path = host_path(e, f, "initrd_path", Need::kOptional);
  b.boot_args = f.string("boot_args", Need::kOptional);
  if (b.boot_args && b.boot_args->size() > VmSpec::kMaxBootArgs) {
    e.fail(f.path("boot_args"),
           "must be at most " + std::to_string(VmSpec::kMaxBootArgs) + " bytes");
  } else if (b.boot_args && b.boot_args->find('\0') != std::string::npos) {
    e.fail(f.path("boot_args"), "must not contain a NUL character");
  }
  f.finish();
  return b;
}

MachineConfig machine_config(ParseErrors& e, const Json& v) {
  JsonFields f(e, v, "machine-config");
  MachineConfig m;
  if (auto n = f.integer("vcpu_count", 1, MachineConfig::kMaxVcpus, Need::kRequired)) {
    m.vcpu_count = static_cast<uint32_t>(*n);
  }
  if (auto n = f.integer("mem_size_mib", 1, MachineConfig::kMaxMemMib, Need::kRequired)) {
    m.mem_size_mib = *n;
  }
  m.smt = f.boolean("smt", Need::kOptional).value_or(false);
  m.track_dirty_pages = f.boolean("track_dirty_pages", Need::kOptional).value_or(false);
  // Firecracker's GET /vm/config writes huge_pages "None"; anything else needs hugetlbfs
  // backing that the VMM does not have.
  (void)f.choice("huge_pages", {"None"}, Need::kOptional);
  f.unsupported("cpu_template");
  if (!e.failed() && m.smt && m.vcpu_count > 1 && m.vcpu_count % 2 != 0) {
    e.fail(f.path("vcpu_count"), "must be 1 or even when smt is true");
  }
  f.finish();
  return m;
}

Drive drive(ParseErrors& e, const Json& v, const std::string& path) {
  JsonFields f(e, v, path);
  Drive d;
  if (auto s = id_field(e, f, "drive_id")) d.drive_id = *s;
  if (auto s = host_path(e, f, "path_on_host", Need::kRequired)) d.path_on_host = *s;
  d.is_root_device = f.boolean("is_root_device", Need::kRequired).value_or(false);
  d.is_read_only = f.boolean("is_read_only", Need::kOptional).value_or(false);
  d.partuuid = f.string("partuuid", Need::kOptional);
  if (auto c = f.choice("cache_type", {"Unsafe", "Writeback"}, Need::kOptional)) {
    d.cache_type = static_cast<CacheType>(*c);
  }
  if (auto c = f.choice("io_engine", {"Sync", "Async"}, Need::kOptional)) {
    d.io_engine = static_cast<IoEngine>(*c);
  }
  f.unsupported("rate_limiter");
  f.unsupported("socket");  // vhost-user-block
  f.finish();
  return d;
}

std::optional<std::array<uint8_t, 6>> mac_address(const std::string& s) {
  // "02:fc:00:00:00:05": six two-digit hex octets.
  if (s.size() != 17) return std::nullopt;
  std::array<uint8_t, 6> mac{};
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < 6; ++i) {
    int hi = hex(s[i * 3]);
    int lo = hex(s[i * 3 + 1]);
    if (hi < 0 || lo < 0 || (i < 5 && s[i * 3 + 2] != ':')) return std::nullopt;
    mac[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return mac;
}

NetworkInterface network_interface(ParseErrors& e, const Json& v, const std::string& path) {
  JsonFields f(e, v, path);
  NetworkInterface n;
  if (auto s = id_field(e, f, "iface_id")) n.iface_id = *s;
  if (auto s = f.string("host_dev_name", Need::kRequired)) {
    n.host_dev_name = *s;
    // Linux's dev_valid_name(): at most IFNAMSIZ-1 bytes, no '/', ':' or white space.
    bool bad = s->empty() || s->size() > NetworkInterface::kMaxHostDevName || *s == "." ||
               *s == ".." || has_control(*s) || s->find_first_of("/: ") != std::string::npos;
    if (bad) e.fail(f.path("host_dev_name"), "must be a Linux interface name (1 to 15 bytes)");
  }
  if (auto s = f.string("guest_mac", Need::kOptional)) {
    n.guest_mac = mac_address(*s);
    if (!n.guest_mac) {
      e.fail(f.path("guest_mac"), "must be a MAC address like 02:fc:00:00:00:05");
    } else if (((*n.guest_mac)[0] & 1) != 0) {
      e.fail(f.path("guest_mac"), "must be a unicast address (a multicast one has bit 0 set)");
    }
  }
  if (auto m = f.integer("mtu", 68, 65535, Need::kOptional)) n.mtu = static_cast<uint16_t>(*m);
  f.unsupported("rx_rate_limiter");
  f.unsupported("tx_rate_limiter");
  f.finish();
  return n;
}

Entropy entropy(ParseErrors& e, const Json& v) {
  JsonFields f(e, v, "entropy");
  f.unsupported("rate_limiter");
  f.finish();
  return Entropy{};
}

Vsock vsock(ParseErrors& e, const Json& v) {
  JsonFields f(e, v, "vsock");
  Vsock s;
  if (auto c = f.integer("guest_cid", 3, 0xfffffffe, Need::kRequired)) {
    s.guest_cid = static_cast<uint32_t>(*c);
  }
  if (auto p = host_path(e, f, "uds_path", Need::kRequired)) s.uds_path = *p;
  s.vsock_id = f.string("vsock_id", Need::kOptional);
  f.finish();
  return s;
}

LoggerSpec logger(ParseErrors& e, const Json& v) {
  JsonFields f(e, v, "logger");
  LoggerSpec l;
  l.log_path = host_path(e, f, "log_path", Need::kOptional);
  if (auto level = f.string("level", Need::kOptional)) {
    // swagger: case-insensitive.
    auto same = [&level](const char* word) {
      return std::ranges::equal(*level, std::string_view(word), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) ==
               std::tolower(static_cast<unsigned char>(b));
      });
    };
    bool known = false;
    for (LogLevel candidate : {LogLevel::kOff, LogLevel::kError, LogLevel::kWarning,
                               LogLevel::kInfo, LogLevel::kDebug, LogLevel::kTrace}) {
      if (same(describe(candidate))) {
        l.level = candidate;
        known = true;
      }
    }
    if (!known) e.fail(f.path("level"), "must be one of Off, Error, Warning, Info, Debug, Trace");
  }
  l.show_level = f.boolean("show_level", Need::kOptional).value_or(false);
  l.show_log_origin = f.boolean("show_log_origin", Need::kOptional).value_or(false);
  l.module = f.string("module", Need::kOptional);
  f.finish();
  return l;
}

MetricsSpec metrics(ParseErrors& e, const Json& v) {
  JsonFields f(e, v, "metrics");
  MetricsSpec m;
  if (auto p = host_path(e, f, "metrics_path", Need::kRequired)) m.metrics_path = *p;
  f.finish();
  return m;
}

ConsoleSpec console(ParseErrors& e, const Json& v) {
  JsonFields f(e, v, "console");
  ConsoleSpec c;
  c.appliance_console = f.boolean("appliance_console", Need::kOptional).value_or(true);
  if (auto k = f.integer("ring_kib", 1, ConsoleSpec::kMaxRingKib, Need::kOptional)) {
    c.ring_kib = static_cast<uint32_t>(*k);
  }
  c.log_path = host_path(e, f, "log_path", Need::kOptional);
  f.finish();
  return c;
}

// `key` must be an array; each element goes to `one` with its path ("drives[2]").
template <typename T, typename Fn>
std::vector<T> array_of(ParseErrors& e, JsonFields& f, std::string_view key, Fn one) {
  std::vector<T> out;
  const Json* v = f.take(key, Need::kOptional);
  if (!v) return out;
  if (!v->is_array()) {
    e.fail(f.path(key), "must be an array");
    return out;
  }
  for (size_t i = 0; i < v->size() && !e.failed(); ++i) {
    out.push_back(one(e, (*v)[i], f.path(key) + "[" + std::to_string(i) + "]"));
  }
  return out;
}

void check_drives(ParseErrors& e, const std::vector<Drive>& drives) {
  std::set<std::string_view> ids;
  bool root = false;
  for (size_t i = 0; i < drives.size(); ++i) {
    std::string path = "drives[" + std::to_string(i) + "]";
    if (!ids.insert(drives[i].drive_id).second) e.fail(path + ".drive_id", "a duplicate id");
    if (drives[i].is_root_device && root) {
      e.fail(path + ".is_root_device", "a second root device");
    }
    root = root || drives[i].is_root_device;
  }
}

void check_interfaces(ParseErrors& e, const std::vector<NetworkInterface>& nics) {
  std::set<std::string_view> ids;
  std::set<std::string_view> devs;
  std::set<std::array<uint8_t, 6>> macs;
  for (size_t i = 0; i < nics.size(); ++i) {
    std::string path = "network-interfaces[" + std::to_string(i) + "]";
    if (!ids.insert(nics[i].iface_id).second) e.fail(path + ".iface_id", "a duplicate id");
    // Two interfaces on one tap would both read its frames; two equal MACs confuse the guest.
    if (!devs.insert(nics[i].host_dev_name).second) {
      e.fail(path + ".host_dev_name", "a duplicate device");
    }
    if (nics[i].guest_mac && !macs.insert(*nics[i].guest_mac).second) {
      e.fail(path + ".guest_mac", "a duplicate address");
    }
  }
}

VmSpec spec(ParseErrors& e, const Json& doc) {
  JsonFields f(e, doc, "");
  VmSpec s;
  if (!f.ok()) return s;
  s.name = f.string("name", Need::kOptional);
  if (s.name && (s.name->empty() || s.name->size() > VmSpec::kMaxName || has_control(*s.name))) {
    e.fail("name", "must be 1 to 64 bytes without control characters");
  }
  s.autostart = f.boolean("autostart", Need::kOptional).value_or(false);
  if (const Json* v = f.take("console", Need::kOptional)) s.console = console(e, *v);
  if (auto r = f.choice("on-reset", {"stop", "restart"}, Need::kOptional)) {
    s.on_reset = static_cast<OnReset>(*r);
  }
  if (auto r = f.choice("virtio-transport", {"pci", "mmio"}, Need::kOptional)) {
    s.virtio_transport = static_cast<VirtioTransport>(*r);
  }
  if (const Json* v = f.take("boot-source", Need::kRequired)) s.boot_source = boot_source(e, *v);
  if (const Json* v = f.take("machine-config", Need::kOptional)) {
    s.machine_config = machine_config(e, *v);
  }
  s.drives = array_of<Drive>(e, f, "drives", drive);
  s.network_interfaces = array_of<NetworkInterface>(e, f, "network-interfaces", network_interface);
  if (const Json* v = f.take("vsock", Need::kOptional)) s.vsock = vsock(e, *v);
  if (const Json* v = f.take("entropy", Need::kOptional)) s.entropy = entropy(e, *v);
  if (const Json* v = f.take("logger", Need::kOptional)) s.logger = logger(e, *v);
  if (const Json* v = f.take("metrics", Need::kOptional)) s.metrics = metrics(e, *v);
  for (const char* key : {"balloon", "cpu-config", "memory-hotplug", "mmds-config", "pmem"}) {
    f.unsupported(key);
  }
  f.finish();
  if (!e.failed()) check_drives(e, s.drives);
  if (!e.failed()) check_interfaces(e, s.network_interfaces);
  return s;
}

}  // namespace

namespace sections {

BootSource boot_source(ParseErrors& e, const Json& v) {
  return appliance::boot_source(e, v);
}
MachineConfig machine_config(ParseErrors& e, const Json& v) {
  return appliance::machine_config(e, v);
}
Drive drive(ParseErrors& e, const Json& v, const std::string& path) {
  return appliance::drive(e, v, path);
}
NetworkInterface network_interface(ParseErrors& e, const Json& v, const std::string& path) {
  return appliance::network_interface(e, v, path);
}
Vsock vsock(ParseErrors& e, const Json& v) {
  return appliance::vsock(e, v);
}
Entropy entropy(ParseErrors& e, const Json& v) {
  return appliance::entropy(e, v);
}
LoggerSpec logger(ParseErrors& e, const Json& v) {
  return appliance::logger(e, v);
}
MetricsSpec metrics(ParseErrors& e, const Json& v) {
  return appliance::metrics(e, v);
}
void check_drives(ParseErrors& e, const std::vector<Drive>& drives) {
  appliance::check_drives(e, drives);
}
void check_interfaces(ParseErrors& e, const std::vector<NetworkInterface>& nics) {
  appliance::check_interfaces(e, nics);
}

std::expected<Json, SpecError> parse_document(std::string_view text) {
  if (text.size() > kMaxSpecBytes) {
    return std::unexpected(
        SpecError{"", "larger than " + std::to_string(kMaxSpecBytes) + " bytes"});
  }
  // No exceptions: a syntax error gives a discarded value (nlohmann's parser is iterative, so
  // deep nesting does not overflow the stack).
  Json doc = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return std::unexpected(SpecError{"", "not valid JSON"});
  return doc;
}

}  // namespace sections

std::expected<VmSpec, SpecError> parse_vm_spec(std::string_view text) {
  auto doc = sections::parse_document(text);
  if (!doc) return std::unexpected(doc.error());
  ParseErrors errors;
  VmSpec s = spec(errors, *doc);
  if (errors.failed()) return std::unexpected(errors.error());
  return s;
}

}  // namespace rootstock::appliance
