// appliance/api_router + firecracker_api: the management API's routes over the fake runner —
// the token, Firecracker's start sequence and its refusals (texts and status codes a Firecracker
// client tests for), Rootstock's VM collection, whole-document PUT, console and PATCH /vm.
#include <catch2/catch_test_macros.hpp>

#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "appliance/api_router.hpp"
#include "appliance/vm_manager.hpp"
#include "temp_dir.hpp"
#include "test_appliance_fake_runner.hpp"

using namespace rootstock::appliance;
using namespace std::chrono_literals;
using rootstock::appliance::testing::FakeRunner;
using rootstock::appliance::testing::with_grace;

namespace {

constexpr const char* kToken = "test-token-0123456789abcdefghijklmnopqrstuvwxyz";

ApiRouterOptions token_options() {
  ApiRouterOptions o;
  o.token = kToken;
  return o;
}

// A file that exists for the life of the test: a drive's backing file.
class TempFile {
 public:
  TempFile() {
    char name[] = "/tmp/rootstock-api-test-XXXXXX";
    const int fd = ::mkstemp(name);
    REQUIRE(fd >= 0);
    ::close(fd);
    path_ = name;
  }
  ~TempFile() { ::unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct Api {
  FakeRunner runner;
  VmManager vms{runner, with_grace(50ms)};
  ApiRouter router{vms, token_options()};

  ApiResponse call(std::string method, std::string path, std::string body = {},
                   std::string authorization = std::string("Bearer ") + kToken) {
    ApiRequest r;
    r.method = std::move(method);
    r.path = std::move(path);
    r.body = std::move(body);
    r.authorization = std::move(authorization);
    return router.handle(r);
  }
};

bool has(const ApiResponse& r, const std::string& text) {
  return r.body.find(text) != std::string::npos;
}

// Firecracker's pre-boot sequence as its Go SDK sends it, up to the start.
void configure_vm(Api& api, const std::string& id, const std::string& disk) {
  const std::string base = "/vms/" + id;
  REQUIRE(api.call("PUT", base + "/machine-config", R"({"vcpu_count": 2, "mem_size_mib": 256})")
              .status == 204);
  REQUIRE(api.call("PUT", base + "/boot-source",
                   R"({"kernel_image_path": "/k", "boot_args": "console=ttyS0"})")
              .status == 204);
  REQUIRE(api.call("PUT", base + "/drives/rootfs",
                   R"({"drive_id": "rootfs", "path_on_host": ")" + disk +
                       R"(", "is_root_device": true, "is_read_only": false})")
              .status == 204);
  REQUIRE(api.call("PUT", base + "/network-interfaces/eth0",
                   R"({"iface_id": "eth0", "host_dev_name": "tap0"})")
              .status == 204);
}

}  // namespace

TEST_CASE("api: every request needs the token", "[appliance][api]") {
  Api api;
  auto none = api.call("GET", "/version", "", "");
  CHECK(none.status == 401);
  CHECK(none.header_name == "WWW-Authenticate");
  CHECK(api.call("GET", "/vms", "", "Bearer wrong").status == 401);
  CHECK(api.call("GET", "/vms", "", std::string("Bearer ") + kToken + "x").status == 401);
  CHECK(api.call("GET", "/vms", "", std::string("Basic ") + kToken).status == 401);
  CHECK(api.call("GET", "/vms").status == 200);
  CHECK_FALSE(api.router.authorized(""));
  CHECK(api.router.authorized(std::string("Bearer ") + kToken));
}

TEST_CASE("api: GET /version names the Firecracker API it follows", "[appliance][api]") {
  Api api;
  auto r = api.call("GET", "/version");
  CHECK(r.status == 200);
  CHECK(has(r, "\"firecracker_version\":\"1."));
  CHECK(api.call("PUT", "/version", "{}").status == 400);
}

TEST_CASE("api: Firecracker's start sequence brings a VM up", "[appliance][api]") {
  Api api;
  TempFile disk;
  configure_vm(api, "vm-a", disk.path());
  auto info = api.call("GET", "/vms/vm-a/");
  CHECK(info.status == 200);
  CHECK(has(info, "\"state\":\"Not started\""));
  CHECK(has(info, "\"id\":\"vm-a\""));
  CHECK(api.call("PUT", "/vms/vm-a/actions", R"({"action_type": "InstanceStart"})").status == 204);
  CHECK(has(api.call("GET", "/vms/vm-a/"), "\"state\":\"Running\""));
  auto run = api.runner.last("vm-a");
  REQUIRE(run);
  CHECK(run->spec().machine_config.vcpu_count == 2);
  CHECK(run->spec().machine_config.mem_size_mib == 256);
  REQUIRE(run->spec().drives.size() == 1);
  CHECK(run->spec().drives[0].path_on_host == disk.path());
  CHECK(run->spec().network_interfaces.at(0).host_dev_name == "tap0");
  auto config = api.call("GET", "/vms/vm-a/vm/config");
  CHECK(config.status == 200);
  CHECK(has(config, "\"boot_args\": \"console=ttyS0\""));
  auto machine = api.call("GET", "/vms/vm-a/machine-config");
  CHECK(has(machine, "\"vcpu_count\":2"));
  CHECK(has(machine, "\"mem_size_mib\":256"));
}

TEST_CASE("api: refusals as Firecracker words them", "[appliance][api]") {
  Api api;
  TempFile disk;
  configure_vm(api, "fc", disk.path());
  const std::string base = "/vms/fc";

  SECTION("unknown paths and methods") {
    auto r = api.call("GET", base + "/nothing-here/deeper");
    CHECK(r.status == 400);
    CHECK(has(r, "Invalid request method and/or path: GET nothing-here."));
    CHECK(has(api.call("PATCH", base + "/boot-source", "{}"),
              "Invalid request method and/or path: PATCH boot-source."));
    CHECK(api.call("DELETE", base + "/machine-config").status == 400);
    CHECK(api.call("GET", base + "/boot-source").status == 400);
    CHECK(api.call("GET", "/elsewhere").status == 400);
    CHECK(api.call("GET", base + "/drives/a/b").status == 400);
  }
  SECTION("bodies that are empty, not JSON, or wrong") {
    CHECK(has(api.call("PUT", base + "/boot-source", ""), "Empty PUT request."));
    CHECK(has(api.call("PATCH", base + "/machine-config", ""), "Empty PATCH request."));
    CHECK(has(api.call("PATCH", base + "/machine-config", "{}"), "Empty PATCH request."));
    CHECK(api.call("PUT", base + "/boot-source", "{").status == 400);
    auto unknown = api.call("PUT", base + "/boot-source", R"({"kernel_image_path": "/k", "x": 1})");
    CHECK(unknown.status == 400);
    CHECK(has(unknown, "x"));
    auto missing = api.call("PUT", base + "/machine-config", R"({"vcpu_count": 1})");
    CHECK(missing.status == 400);
    CHECK(has(missing, "mem_size_mib"));
  }
  SECTION("machine configurations out of range") {
    CHECK(api.call("PUT", base + "/machine-config", R"({"vcpu_count": 0, "mem_size_mib": 128})")
              .status == 400);
    CHECK(api.call("PUT", base + "/machine-config", R"({"vcpu_count": 33, "mem_size_mib": 128})")
              .status == 400);
    CHECK(api.call("PUT", base + "/machine-config", R"({"vcpu_count": 1, "mem_size_mib": 0})")
              .status == 400);
    CHECK(api.call("PUT", base + "/machine-config",
                   R"({"vcpu_count": 3, "mem_size_mib": 128, "smt": true})")
              .status == 400);
    // A PATCH that makes an odd count with smt, from either side.
    CHECK(api.call("PATCH", base + "/machine-config", R"({"smt": true, "vcpu_count": 3})").status ==
          400);
    CHECK(api.call("PATCH", base + "/machine-config", "{}").status == 400);
  }
  SECTION("ids in the path and the body differ") {
    auto r = api.call("PUT", base + "/drives/other",
                      R"({"drive_id": "rootfs", "path_on_host": ")" + disk.path() +
                          R"(", "is_root_device": true})");
    CHECK(r.status == 400);
    CHECK(has(r, "The id from the path does not match the id from the body!"));
    CHECK(has(api.call("PUT", base + "/network-interfaces/eth1",
                       R"({"iface_id": "eth0", "host_dev_name": "tap1"})"),
              "The id from the path [eth1] does not match the id from the body [eth0]!"));
  }
  SECTION("a second root drive, a missing file") {
    TempFile second;
    auto r = api.call("PUT", base + "/drives/data",
                      R"({"drive_id": "data", "path_on_host": ")" + second.path() +
                          R"(", "is_root_device": true})");
    CHECK(r.status == 400);
    CHECK(has(r, "a second root device"));
    auto gone = api.call("PUT", base + "/drives/data",
                         R"({"drive_id": "data", "path_on_host": "/nonexistent/disk.img",
                             "is_root_device": false})");
    CHECK(gone.status == 400);
    CHECK(has(gone, "does not exist"));
    CHECK(api.vms.spec("fc")->drives.size() == 1);
  }
  SECTION("a drive PATCH before the start") {
    auto r = api.call("PATCH", base + "/drives/rootfs",
                      R"({"drive_id": "rootfs", "path_on_host": ")" + disk.path() + R"("})");
    CHECK(r.status == 400);
    CHECK(has(r, "not supported before starting the microVM"));
  }
  SECTION("configuration after the start, a second start") {
    REQUIRE(api.call("PUT", base + "/actions", R"({"action_type": "InstanceStart"})").status ==
            204);
    auto r = api.call("PUT", base + "/boot-source", R"({"kernel_image_path": "/k2"})");
    CHECK(r.status == 400);
    CHECK(has(r, "not supported after starting the microVM"));
    CHECK(api.call("PUT", base + "/machine-config", R"({"vcpu_count": 1, "mem_size_mib": 128})")
              .status == 400);
    auto again = api.call("PUT", base + "/actions", R"({"action_type": "InstanceStart"})");
    CHECK(again.status == 400);
    CHECK(has(again, "not supported after starting the microVM"));
    CHECK(api.vms.spec("fc")->boot_source.kernel_image_path == "/k");
    // What Firecracker allows only now: a PATCH naming the drive or the interface.
    CHECK(api.call("PATCH", base + "/network-interfaces/eth0", R"({"iface_id": "eth0"})").status ==
          204);
    CHECK(api.call("PATCH", base + "/network-interfaces/eth9", R"({"iface_id": "eth9"})").status ==
          400);
  }
  SECTION("a start without a kernel") {
    CHECK(api.call("PUT", "/vms/bare/machine-config", R"({"vcpu_count": 1, "mem_size_mib": 64})")
              .status == 204);
    auto r = api.call("PUT", "/vms/bare/actions", R"({"action_type": "InstanceStart"})");
    CHECK(r.status == 400);
    CHECK(has(r, "Start microvm error: Cannot start microvm without kernel configuration."));
  }
  SECTION("PATCH /vm with a state that does not exist") {
    CHECK(api.call("PATCH", base + "/vm", R"({"state": "Sleeping"})").status == 400);
    CHECK(api.call("PUT", base + "/actions", R"({"action_type": "Reboot"})").status == 400);
  }
  SECTION("a VM that does not exist, an id that cannot be one") {
    // Firecracker's defaults: what a client polls to see the API up, before any PUT.
    auto defaults = api.call("GET", "/vms/nobody/machine-config");
    CHECK(defaults.status == 200);
    CHECK(has(defaults, "\"vcpu_count\":1"));
    CHECK(has(defaults, "\"mem_size_mib\":128"));
    CHECK_FALSE(api.vms.get("nobody"));
    CHECK(api.call("GET", "/vms/nobody/").status == 404);
    CHECK(api.call("GET", "/vms/nobody").status == 404);
    CHECK(api.call("PUT", "/vms/nobody/actions", R"({"action_type": "InstanceStart"})").status ==
          404);
    CHECK(api.call("PUT", "/vms/bad.id/boot-source", R"({"kernel_image_path": "/k"})").status ==
          400);
    CHECK_FALSE(api.vms.get("bad.id"));
  }
}

TEST_CASE("api: PATCH /machine-config changes only the fields it names", "[appliance][api]") {
  Api api;
  REQUIRE(api.call("PUT", "/vms/p/machine-config", R"({"vcpu_count": 4, "mem_size_mib": 512})")
              .status == 204);
  REQUIRE(api.call("PATCH", "/vms/p/machine-config", R"({"mem_size_mib": 1024})").status == 204);
  const MachineConfig m = api.vms.spec("p")->machine_config;
  CHECK(m.vcpu_count == 4);
  CHECK(m.mem_size_mib == 1024);
  CHECK(api.call("PATCH", "/vms/p/machine-config", R"({"cpus": 2})").status == 400);
}

TEST_CASE("api: pause, resume, power button and stop through the API", "[appliance][api]") {
  Api api;
  TempFile disk;
  configure_vm(api, "life", disk.path());
  REQUIRE(api.call("PUT", "/vms/life/actions", R"({"action_type": "InstanceStart"})").status ==
          204);
  CHECK(api.call("PATCH", "/vms/life/vm", R"({"state": "Paused"})").status == 204);
  CHECK(has(api.call("GET", "/vms/life/"), "\"state\":\"Paused\""));
  CHECK(api.call("PATCH", "/vms/life/vm", R"({"state": "Paused"})").status == 400);
  CHECK(api.call("PATCH", "/vms/life/vm", R"({"state": "Resumed"})").status == 204);
  CHECK(has(api.call("GET", "/vms/life"), "\"state\":\"running\""));
  // Running VMs are not deleted.
  CHECK(api.call("DELETE", "/vms/life").status == 400);
  // Ctrl-Alt-Del: the fake guest powers off on the button, as Linux does.
  CHECK(api.call("PUT", "/vms/life/actions", R"({"action_type": "SendCtrlAltDel"})").status == 204);
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (api.vms.get("life")->state != VmState::kStopped &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  CHECK(has(api.call("GET", "/vms/life"), "\"reason\":\"poweroff\""));
  CHECK(api.call("PUT", "/vms/life/actions", R"({"action_type": "SendCtrlAltDel"})").status == 400);
  // Rootstock's stop: the button, then the grace; refused when it is not running.
  CHECK(api.call("POST", "/vms/life/stop").status == 400);
  REQUIRE(api.call("PUT", "/vms/life/actions", R"({"action_type": "InstanceStart"})").status ==
          204);
  CHECK(api.call("GET", "/vms/life/stop").status == 400);
  CHECK(api.call("POST", "/vms/life/stop").status == 204);
  CHECK(api.vms.get("life")->state == VmState::kStopped);
  // Stopped, it may be configured again and deleted.
  CHECK(api.call("PUT", "/vms/life/boot-source", R"({"kernel_image_path": "/k3"})").status == 204);
  CHECK(api.call("DELETE", "/vms/life").status == 204);
  CHECK(api.call("GET", "/vms/life").status == 404);
}

TEST_CASE("api: the VM collection and whole documents", "[appliance][api]") {
  Api api;
  auto made = api.call("POST", "/vms", R"({"boot-source": {"kernel_image_path": "/k"}})");
  CHECK(made.status == 201);
  CHECK(has(made, "\"id\":\"vm1\""));
  auto named = api.call("POST", "/vms",
                        R"({"id": "web", "name": "web server",
                            "boot-source": {"kernel_image_path": "/k"}})");
  CHECK(named.status == 201);
  CHECK(has(named, "\"id\":\"web\""));
  CHECK(api.call("POST", "/vms", R"({"id": "web", "boot-source": {"kernel_image_path": "/k"}})")
            .status == 400);
  CHECK(api.call("POST", "/vms", R"({"id": "a/b", "boot-source": {"kernel_image_path": "/k"}})")
            .status == 400);
  CHECK(api.call("POST", "/vms", R"({"boot-source": {}})").status == 400);
  auto list = api.call("GET", "/vms");
  CHECK(has(list, "\"id\":\"vm1\""));
  CHECK(has(list, "\"name\":\"web server\""));
  CHECK(has(list, "\"state\":\"created\""));

  // PUT /vms/{id}: create, then replace while not running.
  CHECK(api.call("PUT", "/vms/doc", R"({"boot-source": {"kernel_image_path": "/k"}})").status ==
        201);
  CHECK(api.call("PUT", "/vms/doc",
                 R"({"boot-source": {"kernel_image_path": "/k"},
                     "machine-config": {"vcpu_count": 2, "mem_size_mib": 64}})")
            .status == 204);
  CHECK(api.vms.spec("doc")->machine_config.vcpu_count == 2);
  REQUIRE(api.vms.start("doc"));
  auto running = api.call("PUT", "/vms/doc", R"({"boot-source": {"kernel_image_path": "/x"}})");
  CHECK(running.status == 400);
  CHECK(has(running, "running"));
  CHECK(api.vms.spec("doc")->boot_source.kernel_image_path == "/k");
}

TEST_CASE("api: a VM's console, read and typed into", "[appliance][api]") {
  Api api;
  REQUIRE(api.call("PUT", "/vms/con", R"({"boot-source": {"kernel_image_path": "/k"}})").status ==
          201);
  CHECK(api.call("POST", "/vms/con/console", "ls\n").status == 400);  // not running
  REQUIRE(api.vms.start("con"));
  CHECK(api.call("POST", "/vms/con/console", "ls\n").status == 204);
  CHECK(api.runner.last("con")->typed() == "ls\n");
  (*api.vms.console("con"))->write("hello from the guest\n");
  auto r = api.call("GET", "/vms/con/console");
  CHECK(r.status == 200);
  CHECK(r.content_type.starts_with("text/plain"));
  CHECK(r.body == "hello from the guest\n");
  CHECK(api.call("GET", "/vms/none/console").status == 404);
}

TEST_CASE("api: the viewer's terminal size for a VM's console", "[appliance][api]") {
  Api api;
  REQUIRE(api.call("PUT", "/vms/con", R"({"boot-source": {"kernel_image_path": "/k"}})").status ==
          201);
  const std::string size = R"({"cols": 132, "rows": 43})";
  CHECK(api.call("PUT", "/vms/con/console/size", size).status == 400);  // not running
  REQUIRE(api.vms.start("con"));
  CHECK(api.call("PUT", "/vms/con/console/size", size).status == 204);
  CHECK(api.runner.last("con")->console_size() == std::pair<uint16_t, uint16_t>{132, 43});
  // Refused, changing nothing: zero, too large, missing, unknown keys, not JSON, other methods.
  for (const char* bad : {R"({"cols": 0, "rows": 43})", R"({"cols": 65536, "rows": 43})",
                          R"({"cols": 80})", R"({"cols": 80, "rows": 24, "x": 1})", "80x24"}) {
    CAPTURE(bad);
    CHECK(api.call("PUT", "/vms/con/console/size", bad).status == 400);
  }
  CHECK(api.call("GET", "/vms/con/console/size").status == 400);
  CHECK(api.runner.last("con")->console_size() == std::pair<uint16_t, uint16_t>{132, 43});
  CHECK(api.call("PUT", "/vms/none/console/size", size).status == 404);
}

namespace {

// Collects a streamed answer; ends it after `limit` writes.
class CollectingWriter final : public ChunkWriter {
 public:
  explicit CollectingWriter(int limit) : limit_(limit) {}
  bool write(std::string_view bytes) override {
    text += bytes;
    return --limit_ > 0;
  }
  bool open() override { return limit_ > 0; }
  std::string text;

 private:
  int limit_;
};

}  // namespace

TEST_CASE("api: a console followed as the VM prints", "[appliance][api]") {
  Api api;
  REQUIRE(api.call("PUT", "/vms/f", R"({"boot-source": {"kernel_image_path": "/k"}})").status ==
          201);
  auto ring = *api.vms.console("f");
  ring->write("before\n");
  ApiRequest r;
  r.method = "GET";
  r.path = "/vms/f/console";
  r.query = "x=2&follow=1";
  r.authorization = std::string("Bearer ") + kToken;
  const ApiResponse follow = api.router.handle(r);
  REQUIRE(follow.stream);
  std::thread guest([&ring] {
    std::this_thread::sleep_for(20ms);
    ring->write("after\n");
  });
  CollectingWriter out(2);
  follow.stream(out);
  guest.join();
  CHECK(out.text == "before\nafter\n");
  // The VM deleted: a follower sees the end.
  REQUIRE(api.vms.remove("f"));
  CollectingWriter rest(100);
  follow.stream(rest);
  CHECK(rest.text.empty());
}

TEST_CASE("api: GET /metrics in Prometheus's text format", "[appliance][api]") {
  Api api;
  REQUIRE(api.call("PUT", "/vms", "").status == 400);  // POST only: the collection stays empty
  REQUIRE(api.call("PUT", "/vms/m1", R"({"name": "web \"one\"",
      "boot-source": {"kernel_image_path": "/k"},
      "machine-config": {"vcpu_count": 2, "mem_size_mib": 64}})")
              .status == 201);
  REQUIRE(api.vms.start("m1"));
  const ApiResponse r = api.call("GET", "/metrics");
  CHECK(r.status == 200);
  CHECK(r.content_type.starts_with("text/plain; version=0.0.4"));
  CHECK(has(r, "# TYPE rootstock_vm_info gauge\n"));
  CHECK(has(r, "rootstock_vm_info{id=\"m1\",name=\"web \\\"one\\\"\",state=\"running\"} 1\n"));
  CHECK(has(r, "rootstock_vm_running{id=\"m1\"} 1\n"));
  CHECK(has(r, "rootstock_vm_vcpus{id=\"m1\"} 2\n"));
  CHECK(has(r, "rootstock_vm_memory_bytes{id=\"m1\"} 67108864\n"));
  CHECK(has(r, "rootstock_vm_starts_total{id=\"m1\"} 1\n"));
  // No appliance figures given: none written.
  CHECK_FALSE(has(r, "rootstock_uptime_seconds"));
  CHECK(api.call("POST", "/metrics", "{}").status == 400);
  CHECK(prometheus_label("a\\b\"c\nd") == "a\\\\b\\\"c\\nd");
}

TEST_CASE("api: the appliance's own figures in /metrics", "[appliance][api]") {
  FakeRunner runner;
  VmManager vms(runner);
  ApiRouterOptions o;
  o.appliance_figures = [] {
    ApplianceFigures f;
    f.uptime_seconds = 12.5;
    f.memory_total_bytes = 1 << 30;
    f.memory_available_bytes = 1 << 29;
    f.vmm_anon_bytes = 1 << 28;
    f.hv_frames = {{"root", 1000}, {"child", 20}};
    f.hv_partitions = 1;
    return f;
  };
  const ApiRouter router(vms, o);
  ApiRequest q;
  q.method = "GET";
  q.path = "/metrics";
  const ApiResponse r = router.handle(q);
  CHECK(has(r, "rootstock_uptime_seconds 12.500\n"));
  CHECK(has(r, "rootstock_memory_available_bytes 536870912\n"));
  CHECK(has(r, "rootstock_vmm_anon_bytes 268435456\n"));
  CHECK(has(r, "rootstock_hv_frames{state=\"child\"} 20\n"));
  CHECK(has(r, "rootstock_hv_partitions 1\n"));
}

TEST_CASE("api: every request in the log, GET /logs reads it", "[appliance][api]") {
  FakeRunner runner;
  VmManager vms(runner);
  EventLog log(EventLog::Options{});
  ApiRouterOptions o;
  o.log = &log;
  const ApiRouter router(vms, o);
  auto call = [&router](std::string method, std::string path, std::string query = {}) {
    ApiRequest r;
    r.method = std::move(method);
    r.path = std::move(path);
    r.query = std::move(query);
    return router.handle(r);
  };
  CHECK(call("GET", "/vms").status == 200);
  CHECK(call("GET", "/vms/nobody").status == 404);
  log.vm_event("web", "ended", "poweroff");
  const ApiResponse all = call("GET", "/logs");
  CHECK(all.content_type == "application/x-ndjson");
  CHECK(has(all, R"("kind":"api","method":"GET","path":"/vms","status":200)"));
  CHECK(has(all, R"("path":"/vms/nobody","status":404)"));
  CHECK(has(all, R"("kind":"vm","id":"web","event":"ended","detail":"poweroff")"));
  // Each line one JSON object with its time.
  size_t lines = 0;
  for (size_t at = 0; (at = all.body.find("{\"time\":\"", at)) != std::string::npos; ++at) ++lines;
  CHECK(lines == 3);
  const ApiResponse newest = call("GET", "/logs", "lines=1");
  CHECK(newest.body.find("/vms/nobody") == std::string::npos);
  CHECK(has(newest, R"("path":"/logs")"));
}

TEST_CASE("event log: bounded in memory, one generation kept on disk", "[appliance][api]") {
  rootstock::testing::TempDir dir("rootstock-log");
  const std::string file = dir.path() + "/appliance.jsonl";
  EventLog log(EventLog::Options{2048, file});
  for (int i = 0; i < 100; ++i) log.vm_event("vm" + std::to_string(i), "started", "start 1");
  const std::string kept = log.text(100000);
  CHECK(kept.size() <= 2048);
  CHECK(kept.find("\"id\":\"vm99\"") != std::string::npos);
  CHECK(kept.find("\"id\":\"vm0\"") == std::string::npos);
  CHECK(std::filesystem::file_size(file) <= 2048);
  CHECK(std::filesystem::file_size(file + ".1") <= 2048);
  CHECK(utc_timestamp(std::chrono::system_clock::time_point{}) == "1970-01-01T00:00:00.000Z");
}
