// to_json(): a VmSpec back to text in Firecracker's `/vm/config` shape. Every field is written,
// defaults included (as Firecracker's GET /vm/config does), so a saved spec says what the VM
// gets even if a default changes later; absent optional fields are left out.
#include <nlohmann/json.hpp>

#include "appliance/vm_spec.hpp"

namespace rootstock::appliance {
namespace {

// Insertion order kept, so that a saved spec reads in the order of the swagger.
using Out = nlohmann::ordered_json;

void put(Out& o, const char* key, const std::optional<std::string>& v) {
  if (v) o[key] = *v;
}

std::string mac_text(const std::array<uint8_t, 6>& mac) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (uint8_t b : mac) {
    if (!s.empty()) s += ':';
    s += kHex[b >> 4];
    s += kHex[b & 15];
  }
  return s;
}

Out drive(const Drive& d) {
  Out o;
  o["drive_id"] = d.drive_id;
  o["path_on_host"] = d.path_on_host;
  o["is_root_device"] = d.is_root_device;
  o["is_read_only"] = d.is_read_only;
  put(o, "partuuid", d.partuuid);
  o["cache_type"] = describe(d.cache_type);
  o["io_engine"] = describe(d.io_engine);
  return o;
}

Out network_interface(const NetworkInterface& n) {
  Out o;
  o["iface_id"] = n.iface_id;
  o["host_dev_name"] = n.host_dev_name;
  if (n.guest_mac) o["guest_mac"] = mac_text(*n.guest_mac);
  if (n.mtu) o["mtu"] = *n.mtu;
  return o;
}

}  // namespace

std::string to_json(const VmSpec& spec) {
  Out o;
  put(o, "name", spec.name);
  o["autostart"] = spec.autostart;
  Out& c = o["console"];
  c["appliance_console"] = spec.console.appliance_console;
  c["ring_kib"] = spec.console.ring_kib;
  put(c, "log_path", spec.console.log_path);
  o["on-reset"] = describe(spec.on_reset);
  o["virtio-transport"] = describe(spec.virtio_transport);
  Out& b = o["boot-source"];
  b["kernel_image_path"] = spec.boot_source.kernel_image_path;
  put(b, "initrd_path", spec.boot_source.initrd_path);
  put(b, "boot_args", spec.boot_source.boot_args);
  Out& m = o["machine-config"];
  m["vcpu_count"] = spec.machine_config.vcpu_count;
  m["mem_size_mib"] = spec.machine_config.mem_size_mib;
  m["smt"] = spec.machine_config.smt;
  m["track_dirty_pages"] = spec.machine_config.track_dirty_pages;
  m["huge_pages"] = "None";
  Out& drives = o["drives"] = Out::array();
  for (const Drive& d : spec.drives) drives.push_back(drive(d));
  Out& nics = o["network-interfaces"] = Out::array();
  for (const NetworkInterface& n : spec.network_interfaces) nics.push_back(network_interface(n));
  if (spec.entropy) o["entropy"] = Out::object();
  if (spec.vsock) {
    Out& v = o["vsock"];
    v["guest_cid"] = spec.vsock->guest_cid;
    v["uds_path"] = spec.vsock->uds_path;
    put(v, "vsock_id", spec.vsock->vsock_id);
  }
  if (spec.logger) {
    Out& l = o["logger"];
    put(l, "log_path", spec.logger->log_path);
    l["level"] = describe(spec.logger->level);
    l["show_level"] = spec.logger->show_level;
    l["show_log_origin"] = spec.logger->show_log_origin;
    put(l, "module", spec.logger->module);
  }
  if (spec.metrics) o["metrics"]["metrics_path"] = spec.metrics->metrics_path;
  // A spec built in code may hold bytes that are not UTF-8 (parsed ones cannot): replaced,
  // never thrown.
  return o.dump(2, ' ', false, Out::error_handler_t::replace) + "\n";
}

}  // namespace rootstock::appliance
