// appliance/vm_spec: a spec in Firecracker's /vm/config shape is read into typed structs, its
// defaults are Firecracker's, and to_json() gives text that parses back to the same spec.
#include <catch2/catch_test_macros.hpp>

#include "appliance/vm_spec.hpp"

using namespace rootstock::appliance;

namespace {

VmSpec parsed(std::string_view text) {
  auto r = parse_vm_spec(text);
  INFO((r ? std::string() : r.error().text()));
  REQUIRE(r.has_value());
  return *r;
}

VmSpec full_spec() {
  VmSpec s;
  s.name = "web server";
  s.autostart = true;
  s.console = ConsoleSpec{false, 256, "/data/logs/web.log"};
  s.on_reset = OnReset::kRestart;
  s.virtio_transport = VirtioTransport::kMmio;
  s.entropy = Entropy{};
  s.boot_source = BootSource{"/data/images/vmlinux", "/data/images/initrd.cpio",
                             "console=ttyS0 reboot=k panic=1"};
  s.machine_config = MachineConfig{4, 1024, true, true};
  s.drives.push_back(Drive{"rootfs", "/data/disks/root.ext4", true, false, "0eaa91a0-01",
                           CacheType::kWriteback, IoEngine::kAsync});
  s.drives.push_back(Drive{"scratch", "/data/disks/scratch.img", false, true, std::nullopt,
                           CacheType::kUnsafe, IoEngine::kSync});
  s.network_interfaces.push_back(
      NetworkInterface{"eth0", "tap0", std::array<uint8_t, 6>{0x02, 0xfc, 0, 0, 0, 0x05}, 9000});
  s.network_interfaces.push_back(NetworkInterface{"eth1", "tap1", std::nullopt, std::nullopt});
  s.vsock = Vsock{52, "/run/web.vsock", "vsock0"};
  return s;
}

}  // namespace

TEST_CASE("appliance spec: a minimal spec gets Firecracker's defaults", "[appliance]") {
  VmSpec s = parsed(R"({"boot-source": {"kernel_image_path": "/k"}})");
  CHECK(s.boot_source.kernel_image_path == "/k");
  CHECK_FALSE(s.boot_source.initrd_path);
  CHECK_FALSE(s.boot_source.boot_args);
  CHECK(s.machine_config.vcpu_count == 1);
  CHECK(s.machine_config.mem_size_mib == 128);
  CHECK_FALSE(s.machine_config.smt);
  CHECK(s.drives.empty());
  CHECK(s.network_interfaces.empty());
  CHECK_FALSE(s.vsock);
  CHECK_FALSE(s.name);
  CHECK_FALSE(s.autostart);
  CHECK(s.console.appliance_console);
  CHECK(s.console.ring_kib == 64);
  CHECK(s.on_reset == OnReset::kStop);
  CHECK(s.virtio_transport == VirtioTransport::kPci);
}

TEST_CASE("appliance spec: every field is read", "[appliance]") {
  VmSpec s = parsed(R"({
    "name": "web server", "autostart": true, "on-reset": "restart", "virtio-transport": "mmio",
    "console": {"appliance_console": false, "ring_kib": 256, "log_path": "/data/logs/web.log"},
    "boot-source": {"kernel_image_path": "/data/images/vmlinux",
                    "initrd_path": "/data/images/initrd.cpio",
                    "boot_args": "console=ttyS0 reboot=k panic=1"},
    "machine-config": {"vcpu_count": 4, "mem_size_mib": 1024, "smt": true,
                       "track_dirty_pages": true, "huge_pages": "None"},
    "drives": [{"drive_id": "rootfs", "path_on_host": "/data/disks/root.ext4",
                "is_root_device": true, "is_read_only": false, "partuuid": "0eaa91a0-01",
                "cache_type": "Writeback", "io_engine": "Async"},
               {"drive_id": "scratch", "path_on_host": "/data/disks/scratch.img",
                "is_root_device": false, "is_read_only": true}],
    "network-interfaces": [{"iface_id": "eth0", "host_dev_name": "tap0",
                            "guest_mac": "02:FC:00:00:00:05", "mtu": 9000},
                           {"iface_id": "eth1", "host_dev_name": "tap1"}],
    "vsock": {"guest_cid": 52, "uds_path": "/run/web.vsock", "vsock_id": "vsock0"},
    "entropy": {}
  })");
  CHECK(s == full_spec());
}

TEST_CASE("appliance spec: to_json parses back to the same spec", "[appliance]") {
  for (const VmSpec& s : {full_spec(), parsed(R"({"boot-source": {"kernel_image_path": "/k"}})")}) {
    std::string text = to_json(s);
    INFO(text);
    CHECK(parsed(text) == s);
    CHECK(to_json(parsed(text)) == text);
  }
}

TEST_CASE("appliance spec: to_json writes Firecracker's key names", "[appliance]") {
  std::string text = to_json(full_spec());
  for (const char* key : {"\"boot-source\"",
                          "\"kernel_image_path\"",
                          "\"initrd_path\"",
                          "\"boot_args\"",
                          "\"machine-config\"",
                          "\"vcpu_count\"",
                          "\"mem_size_mib\"",
                          "\"smt\"",
                          "\"track_dirty_pages\"",
                          "\"drives\"",
                          "\"drive_id\"",
                          "\"path_on_host\"",
                          "\"is_root_device\"",
                          "\"is_read_only\"",
                          "\"partuuid\"",
                          "\"cache_type\": \"Writeback\"",
                          "\"io_engine\": \"Async\"",
                          "\"network-interfaces\"",
                          "\"iface_id\"",
                          "\"host_dev_name\"",
                          "\"guest_mac\": \"02:fc:00:00:00:05\"",
                          "\"vsock\"",
                          "\"guest_cid\"",
                          "\"uds_path\"",
                          "\"on-reset\": \"restart\""}) {
    INFO(key);
    CHECK(text.find(key) != std::string::npos);
  }
}

TEST_CASE("appliance spec: Firecracker's nulls for unset options are accepted", "[appliance]") {
  // What Firecracker's GET /vm/config writes for options it has no value for.
  VmSpec s = parsed(R"({
    "balloon": null, "logger": null, "metrics": null, "mmds-config": null, "entropy": null,
    "boot-source": {"kernel_image_path": "/k", "initrd_path": null, "boot_args": null},
    "machine-config": {"vcpu_count": 2, "mem_size_mib": 256, "cpu_template": null},
    "drives": [{"drive_id": "rootfs", "path_on_host": "/r", "is_root_device": true,
                "partuuid": null, "rate_limiter": null, "socket": null}],
    "network-interfaces": [{"iface_id": "eth0", "host_dev_name": "tap0",
                            "rx_rate_limiter": null, "tx_rate_limiter": null}],
    "vsock": null
  })");
  CHECK(s.machine_config.vcpu_count == 2);
  CHECK_FALSE(s.boot_source.initrd_path);
  CHECK_FALSE(s.drives[0].partuuid);
  CHECK_FALSE(s.vsock);
}

TEST_CASE("appliance spec: limits at their edges are accepted", "[appliance]") {
  VmSpec s = parsed(R"({"boot-source": {"kernel_image_path": "/k"},
    "machine-config": {"vcpu_count": 32, "mem_size_mib": 1048576},
    "console": {"ring_kib": 65536},
    "network-interfaces": [{"iface_id": "a", "host_dev_name": "tap-0123456789a", "mtu": 68}],
    "vsock": {"guest_cid": 4294967294, "uds_path": "/v"}})");
  CHECK(s.machine_config.vcpu_count == 32);
  CHECK(s.console.ring_kib == 65536);
  CHECK(s.vsock->guest_cid == 0xfffffffe);
  CHECK(parsed(R"({"boot-source": {"kernel_image_path": "/k"},
    "machine-config": {"vcpu_count": 1, "mem_size_mib": 1, "smt": true}})")
            .machine_config.smt);
}

TEST_CASE("appliance spec: ids", "[appliance]") {
  CHECK(is_valid_id("a"));
  CHECK(is_valid_id("web-1_A"));
  CHECK(is_valid_id(std::string(64, 'x')));
  CHECK_FALSE(is_valid_id(""));
  CHECK_FALSE(is_valid_id(std::string(65, 'x')));
  CHECK_FALSE(is_valid_id("a b"));
  CHECK_FALSE(is_valid_id("a/b"));
  CHECK_FALSE(is_valid_id("a.b"));
}
