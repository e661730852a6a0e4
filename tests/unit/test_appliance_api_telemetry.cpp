// What the API tells of running VMs beyond their state: Firecracker's PUT /logger and PUT
// /metrics (kept in the spec, their files written by the VM's log and by FlushMetrics), GET
// /vms/{id}/metrics, the devices' counters in GET /metrics, and a running VM's drive given
// another file (PATCH /drives/{id}); the folders such files may lie in.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch_test_macros.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "appliance/api_router.hpp"
#include "appliance/firecracker_metrics.hpp"
#include "appliance/image_paths.hpp"
#include "appliance/vm_log.hpp"
#include "appliance/vm_manager.hpp"
#include "temp_dir.hpp"
#include "test_appliance_fake_runner.hpp"

using namespace rootstock::appliance;
using namespace std::chrono_literals;
using rootstock::appliance::testing::FakeBehaviour;
using rootstock::appliance::testing::FakeRunner;
using rootstock::appliance::testing::with_grace;
using rootstock::testing::TempDir;

namespace {

// A router whose VMs may write in `out` only; FlushMetrics through a flusher that never flushes
// on its own during a test.
struct Api {
  explicit Api(const std::string& out) {
    ApiRouterOptions o;
    o.output_roots = {out};
    o.metrics = &flusher;
    router = std::make_unique<ApiRouter>(vms, o);
  }
  ApiResponse call(std::string method, std::string path, std::string body = {}) {
    ApiRequest r;
    r.method = std::move(method);
    r.path = std::move(path);
    r.body = std::move(body);
    return router->handle(r);
  }

  FakeRunner runner;
  VmManager vms{runner, with_grace(50ms)};
  MetricsFlusher flusher{vms, std::chrono::hours(1)};
  std::unique_ptr<ApiRouter> router;
};

bool has(const ApiResponse& r, const std::string& text) {
  return r.body.find(text) != std::string::npos;
}

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

void touch(const std::string& path, size_t bytes = 4096) {
  std::ofstream(path) << std::string(bytes, '\0');
}

// A VM "t" with a kernel and the drive `disk`, created through the API.
void make_vm(Api& api, const std::string& disk) {
  REQUIRE(api.call("PUT", "/vms/t/boot-source", R"({"kernel_image_path": "/k"})").status == 204);
  REQUIRE(api.call("PUT", "/vms/t/drives/rootfs",
                   R"({"drive_id": "rootfs", "path_on_host": ")" + disk +
                       R"(", "is_root_device": true, "is_read_only": false})")
              .status == 204);
}

VmFigures some_figures(uint64_t scale) {
  VmFigures f;
  f.exits_by_kind = {{"io", 10 * scale}, {"hlt", 3 * scale}};
  f.vmm_exits = 7 * scale;
  f.vcpus = 2;
  f.vcpu_time_ns = 5'000'000 * scale;
  f.hv_pages = 30 * scale;
  f.hv_pages_used = 20 * scale;
  f.mapped_pages = 1000 * scale;
  DriveFigures d{"rootfs", {}, 0};
  d.counters.reads = 4 * scale;
  d.counters.bytes_read = 4096 * scale;
  d.counters.writes = scale;
  d.counters.bytes_written = 512 * scale;
  d.counters.flushes = scale;
  f.drives.push_back(d);
  InterfaceFigures n{"eth0", {}};
  n.counters.rx_packets = 2 * scale;
  n.counters.rx_bytes = 1500 * scale;
  n.counters.tx_packets = scale;
  n.counters.tx_bytes = 60 * scale;
  f.interfaces.push_back(n);
  return f;
}

// Every test's start: the folders, the API, and VM "t" with a drive.
struct Setup {
  Setup() {
    touch(disks.path() + "/disk");
    make_vm(api, disks.path() + "/disk");
  }
  TempDir out{"rootstock-telemetry"};
  TempDir disks{"rootstock-telemetry-disk"};
  Api api{out.path()};
};

}  // namespace

TEST_CASE("api: PUT /logger and PUT /metrics configure the VM", "[appliance][api]") {
  Setup t;
  Api& api = t.api;
  const std::string log = t.out.path() + "/t.log";
  const std::string metrics = t.out.path() + "/t.metrics";
  CHECK(api.call("PUT", "/vms/t/logger",
                 R"({"log_path": ")" + log + R"(", "level": "warning", "show_level": true})")
            .status == 204);
  CHECK(api.call("PUT", "/vms/t/metrics", R"({"metrics_path": ")" + metrics + R"("})").status ==
        204);
  auto spec = api.vms.spec("t");
  REQUIRE(spec->logger);
  CHECK(spec->logger->log_path == log);
  CHECK(spec->logger->level == LogLevel::kWarning);  // case-insensitive, as the swagger says
  CHECK(spec->logger->show_level);
  CHECK_FALSE(spec->logger->show_log_origin);
  REQUIRE(spec->metrics);
  CHECK(spec->metrics->metrics_path == metrics);
  auto config = api.call("GET", "/vms/t/vm/config");
  CHECK(has(config, "\"level\": \"Warning\""));
  CHECK(has(config, "\"metrics_path\": \"" + metrics + "\""));

  SECTION("refusals change nothing") {
    CHECK(api.call("PUT", "/vms/t/logger", R"({"level": "Loud"})").status == 400);
    CHECK(api.call("PUT", "/vms/t/logger", R"({"log_path": "relative.log"})").status == 400);
    CHECK(api.call("PUT", "/vms/t/logger", R"({"colour": true})").status == 400);
    CHECK(api.call("PUT", "/vms/t/metrics", R"({})").status == 400);
    auto outside = api.call("PUT", "/vms/t/metrics", R"({"metrics_path": "/etc/t.metrics"})");
    CHECK(outside.status == 400);
    CHECK(has(outside, "outside the folders VMs may write to"));
    auto no_folder =
        api.call("PUT", "/vms/t/logger", R"({"log_path": ")" + t.out.path() + R"(/no/t.log"})");
    CHECK(no_folder.status == 400);
    CHECK(has(no_folder, "its folder does not exist"));
    std::filesystem::create_symlink("/etc/passwd", t.out.path() + "/link.log");
    auto link =
        api.call("PUT", "/vms/t/logger", R"({"log_path": ")" + t.out.path() + R"(/link.log"})");
    CHECK(link.status == 400);
    CHECK(has(link, "is a symbolic link"));
    // The console log is held to the same folders.
    auto console = api.call("PUT", "/vms/t", R"({"boot-source": {"kernel_image_path": "/k"},
        "console": {"log_path": "/etc/shadow"}})");
    CHECK(console.status == 400);
    CHECK(*api.vms.spec("t") == *spec);
  }
  SECTION("not after the start") {
    REQUIRE(api.vms.start("t"));
    auto r = api.call("PUT", "/vms/t/logger", R"({"level": "Error"})");
    CHECK(r.status == 400);
    CHECK(has(r, "not supported after starting the microVM"));
    CHECK(api.call("PUT", "/vms/t/metrics", R"({"metrics_path": ")" + metrics + R"("})").status ==
          400);
  }
}

TEST_CASE("api: FlushMetrics writes what was counted since the line before", "[appliance][api]") {
  Setup t;
  Api& api = t.api;
  const std::string metrics = t.out.path() + "/t.metrics";
  auto flush = [&api] {
    return api.call("PUT", "/vms/t/actions", R"({"action_type": "FlushMetrics"})");
  };
  auto before = flush();
  CHECK(before.status == 400);
  CHECK(has(before, "no metrics file"));
  REQUIRE(api.call("PUT", "/vms/t/metrics", R"({"metrics_path": ")" + metrics + R"("})").status ==
          204);
  REQUIRE(api.vms.start("t"));
  auto run = api.runner.last("t");
  run->set_figures(some_figures(1));
  CHECK(flush().status == 204);
  run->set_figures(some_figures(3));
  CHECK(flush().status == 204);
  const auto lines = lines_of(metrics);
  REQUIRE(lines.size() == 2);
  const auto first = nlohmann::json::parse(lines[0]);
  const auto second = nlohmann::json::parse(lines[1]);
  CHECK(first["utc_timestamp_ms"].get<int64_t>() > 0);
  CHECK(first["block"]["read_bytes"] == 4096);
  CHECK(first["block_rootfs"]["read_count"] == 4);
  CHECK(first["net_eth0"]["rx_bytes_count"] == 1500);
  CHECK(first["rootstock"]["exits"]["io"] == 10);
  // The second line: 3x less 1x.
  CHECK(second["block"]["read_bytes"] == 2 * 4096);
  CHECK(second["block_rootfs"]["flush_count"] == 2);
  CHECK(second["net"]["tx_packets_count"] == 2);
  CHECK(second["rootstock"]["vcpu_time_us"] == 10'000);
  CHECK(second["rootstock"]["exits"]["hlt"] == 6);

  // GET answers the run's totals.
  auto totals = api.call("GET", "/vms/t/metrics");
  CHECK(totals.status == 200);
  const auto doc = nlohmann::json::parse(totals.body);
  CHECK(doc["block_rootfs"]["read_bytes"] == 3 * 4096);
  CHECK(doc["rootstock"]["vmm_exits"] == 21);
  CHECK(api.call("GET", "/vms/nobody/metrics").status == 404);

  // A new run starts from zero again.
  REQUIRE(api.vms.stop("t", 0ms));
  REQUIRE(api.vms.start("t"));
  api.runner.last("t")->set_figures(some_figures(1));
  CHECK(flush().status == 204);
  const auto after = lines_of(metrics);
  REQUIRE(after.size() == 3);
  CHECK(nlohmann::json::parse(after[2])["block"]["read_bytes"] == 4096);

  // A VM deleted and made again under the same id is another VM: its first line is whole, not
  // what it counted less what the deleted one had.
  REQUIRE(api.vms.stop("t", 0ms));
  REQUIRE(api.call("DELETE", "/vms/t").status == 204);
  make_vm(api, t.disks.path() + "/disk");
  REQUIRE(api.call("PUT", "/vms/t/metrics", R"({"metrics_path": ")" + metrics + R"("})").status ==
          204);
  REQUIRE(api.vms.start("t"));
  api.runner.last("t")->set_figures(some_figures(3));
  CHECK(flush().status == 204);
  const auto again = lines_of(metrics);
  REQUIRE(again.size() == 4);
  CHECK(nlohmann::json::parse(again[3])["block"]["read_bytes"] == 3 * 4096);
}

TEST_CASE("api: the devices' counters in GET /metrics", "[appliance][api]") {
  Setup t;
  Api& api = t.api;
  REQUIRE(api.vms.start("t"));
  api.runner.last("t")->set_figures(some_figures(2));
  const ApiResponse r = api.call("GET", "/metrics");
  CHECK(has(r, "# TYPE rootstock_vm_block_read_bytes_total counter\n"));
  CHECK(has(r, "rootstock_vm_block_read_bytes_total{id=\"t\",drive=\"rootfs\"} 8192\n"));
  CHECK(has(r, "rootstock_vm_block_reads_total{id=\"t\",drive=\"rootfs\"} 8\n"));
  CHECK(has(r, "rootstock_vm_block_flushes_total{id=\"t\",drive=\"rootfs\"} 2\n"));
  CHECK(has(r, "rootstock_vm_net_rx_bytes_total{id=\"t\",interface=\"eth0\"} 3000\n"));
  CHECK(has(r, "rootstock_vm_net_tx_packets_total{id=\"t\",interface=\"eth0\"} 2\n"));
  CHECK(has(r, "rootstock_vm_vcpu_seconds_total{id=\"t\"} 0.010\n"));
  CHECK(has(r, "rootstock_vm_hv_bytes{id=\"t\"} 245760\n"));
  CHECK(has(r, "rootstock_vm_hv_used_bytes{id=\"t\"} 163840\n"));
  CHECK(has(r, "rootstock_vm_mapped_bytes{id=\"t\"} 8192000\n"));
}

TEST_CASE("api: a running VM's drive gets another file", "[appliance][api]") {
  Setup t;
  Api& api = t.api;
  touch(t.disks.path() + "/bigger", 8192);
  const std::string patch =
      R"({"drive_id": "rootfs", "path_on_host": ")" + t.disks.path() + R"(/bigger"})";
  SECTION("done") {
    REQUIRE(api.vms.start("t"));
    CHECK(api.call("PATCH", "/vms/t/drives/rootfs", patch).status == 204);
    auto replaced = api.runner.last("t")->replaced();
    REQUIRE(replaced.size() == 1);
    CHECK(replaced[0].first == "rootfs");
    CHECK(replaced[0].second == t.disks.path() + "/bigger");
    CHECK(api.vms.spec("t")->drives[0].path_on_host == t.disks.path() + "/bigger");
  }
  SECTION("refused by the runner, a missing file, a drive that does not exist") {
    api.runner.behave("t", FakeBehaviour{.replace_drive_fails = true});
    REQUIRE(api.vms.start("t"));
    auto r = api.call("PATCH", "/vms/t/drives/rootfs", patch);
    CHECK(r.status == 400);
    CHECK(has(r, "cannot open"));
    auto missing = api.call("PATCH", "/vms/t/drives/rootfs",
                            R"({"drive_id": "rootfs", "path_on_host": "/nonexistent"})");
    CHECK(missing.status == 400);
    CHECK(has(missing, "does not exist"));
    CHECK(api.call("PATCH", "/vms/t/drives/data",
                   R"({"drive_id": "data", "path_on_host": "/nonexistent"})")
              .status == 400);
    CHECK(api.vms.spec("t")->drives[0].path_on_host == t.disks.path() + "/disk");
  }
}

TEST_CASE("api: a VM's own log: its requests and its runs, by level", "[appliance][api]") {
  Setup t;
  Api& api = t.api;
  const std::string log = t.out.path() + "/t.log";
  REQUIRE(api.call("PUT", "/vms/t/logger",
                   R"({"log_path": ")" + log + R"(", "show_level": true, "show_log_origin": true})")
              .status == 204);
  CHECK(api.call("PUT", "/vms/t/machine-config", R"({"vcpu_count": 0})").status == 400);
  const auto lines = lines_of(log);
  REQUIRE(lines.size() == 2);  // the PUT /logger itself, then the refusal
  CHECK(lines[0].find(" [t:api:INFO:appliance/api_router.cpp:") != std::string::npos);
  CHECK(lines[0].ends_with("] PUT /vms/t/logger 204"));
  CHECK(lines[1].find(":WARN:") != std::string::npos);
  CHECK(lines[1].find("PUT /vms/t/machine-config 400: ") != std::string::npos);

  LoggerSpec errors_only{log, LogLevel::kError, false, false, std::nullopt};
  CHECK_FALSE(vm_log_line(errors_only, "t", "vmm", LogLevel::kInfo, "started"));
  auto line = vm_log_line(errors_only, "t", "vmm", LogLevel::kError, "ended\nforged line");
  REQUIRE(line);
  CHECK(line->ends_with(" [t:vmm] ended forged line"));
  CHECK_FALSE(vm_log_line(std::nullopt, "t", "vmm", LogLevel::kError, "x"));
  CHECK_FALSE(vm_log_line(LoggerSpec{}, "t", "vmm", LogLevel::kError, "x"));  // no log_path
}

TEST_CASE("firecracker metrics: differences between two readings", "[appliance][api]") {
  VmFigures before = some_figures(1);
  VmFigures now = some_figures(4);
  now.drives.push_back(DriveFigures{"new", {}, 1});
  now.drives.back().counters.reads = 5;
  const VmFigures d = figures_since(now, before);
  CHECK(d.vmm_exits == 21);
  CHECK(d.drives.at(0).counters.bytes_read == 3 * 4096);
  CHECK(d.drives.at(1).counters.reads == 5);  // new: from zero
  CHECK(d.drives.at(1).medium_replacements == 1);
  CHECK(d.interfaces.at(0).counters.rx_bytes == 3 * 1500);
  // A counter that went down (it cannot within a run) counts from zero rather than wrapping.
  CHECK(figures_since(before, now).vmm_exits == 7);
  const auto doc = nlohmann::json::parse(firecracker_metrics_json(VmFigures{}, {}));
  CHECK_FALSE(doc.contains("block"));
  CHECK_FALSE(doc.contains("net"));
  CHECK(doc["rootstock"]["vmm_exits"] == 0);
}
