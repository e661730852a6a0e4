// appliance/vm_spec: every kind of bad spec is refused, and the message names the key's full
// path, so that a user can find the mistake in a long file.
#include <catch2/catch_test_macros.hpp>

#include "appliance/vm_spec.hpp"

using namespace rootstock::appliance;

namespace {

struct Case {
  const char* text;
  const char* error;  // SpecError::text()
};

// Around a valid minimal spec: `extra` goes at the top level.
std::string with(std::string_view extra) {
  return R"({"boot-source": {"kernel_image_path": "/k"})" +
         (extra.empty() ? std::string() : ", " + std::string(extra)) + "}";
}

void check_refusals(std::initializer_list<Case> cases) {
  for (const Case& c : cases) {
    INFO(c.text);
    auto r = parse_vm_spec(c.text);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().text() == c.error);
  }
}

}  // namespace

TEST_CASE("appliance spec refusals: the document", "[appliance]") {
  check_refusals({
      {"", "not valid JSON"},
      {"{", "not valid JSON"},
      {R"({"boot-source": {"kernel_image_path": "/k"}} x)", "not valid JSON"},
      {"[]", "must be an object"},
      {"{}", "boot-source: is required"},
      {R"({"boot-source": null})", "boot-source: is required"},
  });
  std::string huge = with(R"("name": ")" + std::string(kMaxSpecBytes, 'x') + "\"");
  auto r = parse_vm_spec(huge);
  REQUIRE_FALSE(r);
  CHECK(r.error().text() == "larger than 1048576 bytes");
  // Deep nesting is refused as a value, not a crash of the parser.
  std::string deep = with(R"("name": )" + std::string(100000, '[') + std::string(100000, ']'));
  CHECK_FALSE(parse_vm_spec(deep));
}

TEST_CASE("appliance spec refusals: unknown keys at every level", "[appliance]") {
  std::string drives = with(R"("drives": [{"drive_id": "a", "path_on_host": "/a",
                               "is_root_device": false, "colour": 1}])");
  std::string nics = with(R"("network-interfaces": [{"iface_id": "a", "host_dev_name": "t",
                             "colour": 1}])");
  check_refusals({
      {with(R"("colour": "red")").c_str(), "colour: unknown key"},
      {R"({"boot-source": {"kernel_image_path": "/k", "colour": 1}})",
       "boot-source.colour: unknown key"},
      {with(R"("machine-config": {"vcpu_count": 1, "mem_size_mib": 8, "colour": 1})").c_str(),
       "machine-config.colour: unknown key"},
      {drives.c_str(), "drives[0].colour: unknown key"},
      {nics.c_str(), "network-interfaces[0].colour: unknown key"},
      {with(R"("vsock": {"guest_cid": 3, "uds_path": "/v", "colour": 1})").c_str(),
       "vsock.colour: unknown key"},
      {with(R"("console": {"colour": 1})").c_str(), "console.colour: unknown key"},
  });
}

TEST_CASE("appliance spec refusals: Firecracker keys Rootstock does not implement", "[appliance]") {
  check_refusals({
      {with(R"("balloon": {"amount_mib": 1})").c_str(), "balloon: is not supported by Rootstock"},
      {with(R"("entropy": {"rate_limiter": {}})").c_str(),
       "entropy.rate_limiter: is not supported by Rootstock"},
      {with(R"("pmem": [])").c_str(), "pmem: is not supported by Rootstock"},
      {with(R"("machine-config": {"vcpu_count": 1, "mem_size_mib": 8, "cpu_template": "T2"})")
           .c_str(),
       "machine-config.cpu_template: is not supported by Rootstock"},
      {with(R"("machine-config": {"vcpu_count": 1, "mem_size_mib": 8, "huge_pages": "2M"})")
           .c_str(),
       "machine-config.huge_pages: must be one of \"None\""},
      {with(R"("drives": [{"drive_id": "a", "path_on_host": "/a", "is_root_device": false,
               "rate_limiter": {"bandwidth": {"size": 1, "refill_time": 1}}}])")
           .c_str(),
       "drives[0].rate_limiter: is not supported by Rootstock"},
      {with(R"("network-interfaces": [{"iface_id": "a", "host_dev_name": "t",
               "tx_rate_limiter": {}}])")
           .c_str(),
       "network-interfaces[0].tx_rate_limiter: is not supported by Rootstock"},
  });
}

TEST_CASE("appliance spec refusals: wrong types", "[appliance]") {
  check_refusals({
      {R"({"boot-source": "/k"})", "boot-source: must be an object"},
      {R"({"boot-source": {"kernel_image_path": 7}})",
       "boot-source.kernel_image_path: must be a string"},
      {with(R"("autostart": "yes")").c_str(), "autostart: must be true or false"},
      {with(R"("name": 1)").c_str(), "name: must be a string"},
      {with(R"("machine-config": {"vcpu_count": "2", "mem_size_mib": 8})").c_str(),
       "machine-config.vcpu_count: must be an integer from 1 to 32"},
      {with(R"("machine-config": {"vcpu_count": 2.0, "mem_size_mib": 8})").c_str(),
       "machine-config.vcpu_count: must be an integer from 1 to 32"},
      {with(R"("machine-config": {"vcpu_count": 1, "mem_size_mib": 8, "smt": 1})").c_str(),
       "machine-config.smt: must be true or false"},
      {with(R"("drives": {})").c_str(), "drives: must be an array"},
      {with(R"("drives": [1])").c_str(), "drives[0]: must be an object"},
      {with(R"("network-interfaces": "eth0")").c_str(), "network-interfaces: must be an array"},
      {with(R"("vsock": [])").c_str(), "vsock: must be an object"},
      {with(R"("console": {"appliance_console": "no"})").c_str(),
       "console.appliance_console: must be true or false"},
      {with(R"("on-reset": true)").c_str(), "on-reset: must be a string"},
  });
}

TEST_CASE("appliance spec refusals: values out of range", "[appliance]") {
  check_refusals({
      {with(R"("machine-config": {"vcpu_count": 0, "mem_size_mib": 8})").c_str(),
       "machine-config.vcpu_count: must be an integer from 1 to 32"},
      {with(R"("machine-config": {"vcpu_count": 33, "mem_size_mib": 8})").c_str(),
       "machine-config.vcpu_count: must be an integer from 1 to 32"},
      {with(R"("machine-config": {"vcpu_count": -1, "mem_size_mib": 8})").c_str(),
       "machine-config.vcpu_count: must be an integer from 1 to 32"},
      {with(R"("machine-config": {"vcpu_count": 3, "mem_size_mib": 8, "smt": true})").c_str(),
       "machine-config.vcpu_count: must be 1 or even when smt is true"},
      {with(R"("machine-config": {"vcpu_count": 1, "mem_size_mib": 0})").c_str(),
       "machine-config.mem_size_mib: must be an integer from 1 to 1048576"},
      {with(R"("machine-config": {"vcpu_count": 1, "mem_size_mib": 1048577})").c_str(),
       "machine-config.mem_size_mib: must be an integer from 1 to 1048576"},
      {with(R"("vsock": {"guest_cid": 2, "uds_path": "/v"})").c_str(),
       "vsock.guest_cid: must be an integer from 3 to 4294967294"},
      {with(R"("vsock": {"guest_cid": 4294967295, "uds_path": "/v"})").c_str(),
       "vsock.guest_cid: must be an integer from 3 to 4294967294"},
      {with(R"("network-interfaces": [{"iface_id": "a", "host_dev_name": "t", "mtu": 67}])")
           .c_str(),
       "network-interfaces[0].mtu: must be an integer from 68 to 65535"},
      {with(R"("console": {"ring_kib": 0})").c_str(),
       "console.ring_kib: must be an integer from 1 to 65536"},
      {with(R"("on-reset": "reboot")").c_str(), "on-reset: must be one of \"stop\", \"restart\""},
      {with(R"("virtio-transport": "ccw")").c_str(),
       "virtio-transport: must be one of \"pci\", \"mmio\""},
      {with(R"("drives": [{"drive_id": "a", "path_on_host": "/a", "is_root_device": false,
               "cache_type": "None"}])")
           .c_str(),
       "drives[0].cache_type: must be one of \"Unsafe\", \"Writeback\""},
      {with(R"("drives": [{"drive_id": "a", "path_on_host": "/a", "is_root_device": false,
               "io_engine": "io_uring"}])")
           .c_str(),
       "drives[0].io_engine: must be one of \"Sync\", \"Async\""},
  });
}

TEST_CASE("appliance spec refusals: bad strings", "[appliance]") {
  std::string long_args = R"({"boot-source": {"kernel_image_path": "/k", "boot_args": ")" +
                          std::string(2049, 'a') + "\"}}";
  check_refusals({
      {R"({"boot-source": {"kernel_image_path": "vmlinux"}})",
       "boot-source.kernel_image_path: must be an absolute path"},
      {R"({"boot-source": {"kernel_image_path": ""}})",
       "boot-source.kernel_image_path: must be an absolute path"},
      {R"({"boot-source": {"kernel_image_path": "/k\u0000x"}})",
       "boot-source.kernel_image_path: must not contain a NUL character"},
      {R"({"boot-source": {"kernel_image_path": "/k", "initrd_path": "i"}})",
       "boot-source.initrd_path: must be an absolute path"},
      {long_args.c_str(), "boot-source.boot_args: must be at most 2048 bytes"},
      {with(R"("name": "")").c_str(), "name: must be 1 to 64 bytes without control characters"},
      {with(R"("name": "a\nb")").c_str(), "name: must be 1 to 64 bytes without control characters"},
      {with(R"("console": {"log_path": "log.txt"})").c_str(),
       "console.log_path: must be an absolute path"},
      {with(R"("drives": [{"drive_id": "a b", "path_on_host": "/a", "is_root_device": false}])")
           .c_str(),
       "drives[0].drive_id: must be 1 to 64 of A-Z a-z 0-9 _ -"},
      {with(R"("network-interfaces": [{"iface_id": "a", "host_dev_name": "tap/0"}])").c_str(),
       "network-interfaces[0].host_dev_name: must be a Linux interface name (1 to 15 bytes)"},
      {with(R"("network-interfaces": [{"iface_id": "a", "host_dev_name": "tap-0123456789ab"}])")
           .c_str(),
       "network-interfaces[0].host_dev_name: must be a Linux interface name (1 to 15 bytes)"},
      {with(R"("network-interfaces": [{"iface_id": "a", "host_dev_name": "t",
               "guest_mac": "02:fc:00:00:00"}])")
           .c_str(),
       "network-interfaces[0].guest_mac: must be a MAC address like 02:fc:00:00:00:05"},
      {with(R"("network-interfaces": [{"iface_id": "a", "host_dev_name": "t",
               "guest_mac": "02-fc-00-00-00-05"}])")
           .c_str(),
       "network-interfaces[0].guest_mac: must be a MAC address like 02:fc:00:00:00:05"},
      {with(R"("network-interfaces": [{"iface_id": "a", "host_dev_name": "t",
               "guest_mac": "01:00:5e:00:00:01"}])")
           .c_str(),
       "network-interfaces[0].guest_mac: must be a unicast address (a multicast one has bit 0 "
       "set)"},
  });
}

TEST_CASE("appliance spec refusals: required keys", "[appliance]") {
  check_refusals({
      {R"({"boot-source": {}})", "boot-source.kernel_image_path: is required"},
      {with(R"("machine-config": {"mem_size_mib": 8})").c_str(),
       "machine-config.vcpu_count: is required"},
      {with(R"("machine-config": {"vcpu_count": 1})").c_str(),
       "machine-config.mem_size_mib: is required"},
      {with(R"("drives": [{"path_on_host": "/a", "is_root_device": false}])").c_str(),
       "drives[0].drive_id: is required"},
      {with(R"("drives": [{"drive_id": "a", "is_root_device": false}])").c_str(),
       "drives[0].path_on_host: is required"},
      {with(R"("drives": [{"drive_id": "a", "path_on_host": "/a"}])").c_str(),
       "drives[0].is_root_device: is required"},
      {with(R"("network-interfaces": [{"host_dev_name": "t"}])").c_str(),
       "network-interfaces[0].iface_id: is required"},
      {with(R"("network-interfaces": [{"iface_id": "a"}])").c_str(),
       "network-interfaces[0].host_dev_name: is required"},
      {with(R"("vsock": {"uds_path": "/v"})").c_str(), "vsock.guest_cid: is required"},
      {with(R"("vsock": {"guest_cid": 3})").c_str(), "vsock.uds_path: is required"},
  });
}

TEST_CASE("appliance spec refusals: duplicates and a second root device", "[appliance]") {
  check_refusals({
      {with(R"("drives": [
         {"drive_id": "a", "path_on_host": "/a", "is_root_device": false},
         {"drive_id": "b", "path_on_host": "/b", "is_root_device": false},
         {"drive_id": "a", "path_on_host": "/c", "is_root_device": false}])")
           .c_str(),
       "drives[2].drive_id: a duplicate id"},
      {with(R"("drives": [
         {"drive_id": "a", "path_on_host": "/a", "is_root_device": true},
         {"drive_id": "b", "path_on_host": "/b", "is_root_device": true}])")
           .c_str(),
       "drives[1].is_root_device: a second root device"},
      {with(R"("network-interfaces": [{"iface_id": "a", "host_dev_name": "t0"},
                                      {"iface_id": "a", "host_dev_name": "t1"}])")
           .c_str(),
       "network-interfaces[1].iface_id: a duplicate id"},
      {with(R"("network-interfaces": [{"iface_id": "a", "host_dev_name": "t0"},
                                      {"iface_id": "b", "host_dev_name": "t0"}])")
           .c_str(),
       "network-interfaces[1].host_dev_name: a duplicate device"},
      {with(R"("network-interfaces": [
         {"iface_id": "a", "host_dev_name": "t0", "guest_mac": "02:00:00:00:00:01"},
         {"iface_id": "b", "host_dev_name": "t1", "guest_mac": "02:00:00:00:00:01"}])")
           .c_str(),
       "network-interfaces[1].guest_mac: a duplicate address"},
  });
}
