// appliance/spec_dir's save_spec and remove_spec: a kept spec reads back the same, a power cut
// between the steps (simulated by what each step leaves behind) never leaves a broken spec
// where read_spec_dir looks, and the API keeps what it makes and forgets what it deletes.
#include <catch2/catch_test_macros.hpp>

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "appliance/api_router.hpp"
#include "appliance/spec_dir.hpp"
#include "temp_dir.hpp"
#include "test_appliance_fake_runner.hpp"

using namespace rootstock::appliance;
namespace fs = std::filesystem;
using rootstock::testing::TempDir;

namespace {

VmSpec spec_with(uint32_t vcpus) {
  VmSpec s;
  s.boot_source.kernel_image_path = "/k";
  s.machine_config.vcpu_count = vcpus;
  s.autostart = true;
  return s;
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

}  // namespace

TEST_CASE("spec store: a kept spec reads back as it was", "[appliance][specs]") {
  TempDir dir("rootstock-specs");
  REQUIRE(save_spec(dir.path(), "web", spec_with(2)));
  REQUIRE(save_spec(dir.path(), "web", spec_with(4)));
  const SpecDir read = read_spec_dir(dir.path());
  REQUIRE(read.problems.empty());
  REQUIRE(read.specs.size() == 1);
  CHECK(read.specs[0].id == "web");
  CHECK(read.specs[0].spec == spec_with(4));
  // Nothing but the spec is left in the folder.
  size_t files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path())) ++files;
  CHECK(files == 1);
  REQUIRE(remove_spec(dir.path(), "web"));
  CHECK(read_spec_dir(dir.path()).specs.empty());
  CHECK(remove_spec(dir.path(), "web"));  // gone already is fine
  CHECK_FALSE(save_spec(dir.path(), "../escape", spec_with(1)));
  CHECK_FALSE(save_spec(dir.path() + "/missing", "web", spec_with(1)));
}

TEST_CASE("spec store: a power cut at any step leaves the old spec or the new one",
          "[appliance][specs]") {
  TempDir dir("rootstock-specs");
  REQUIRE(save_spec(dir.path(), "db", spec_with(2)));
  const std::string tmp = dir.path() + "/.db.json.tmp";

  SECTION("cut while the temporary file was written: the old spec stands") {
    write_text(tmp, "{\"boot-source\": {\"kernel_im");  // half written
    const SpecDir read = read_spec_dir(dir.path());
    CHECK(read.problems.empty());
    REQUIRE(read.specs.size() == 1);
    CHECK(read.specs[0].spec == spec_with(2));
    // The next save writes over what the cut left.
    REQUIRE(save_spec(dir.path(), "db", spec_with(6)));
    CHECK_FALSE(fs::exists(tmp));
    CHECK(read_spec_dir(dir.path()).specs.at(0).spec == spec_with(6));
  }
  SECTION("cut after the rename: the new spec stands") {
    write_text(tmp, to_json(spec_with(8)));
    fs::rename(tmp, dir.path() + "/db.json");
    CHECK(read_spec_dir(dir.path()).specs.at(0).spec == spec_with(8));
  }
}

TEST_CASE("api: the VMs it makes are kept, what it deletes is forgotten", "[appliance][api]") {
  TempDir dir("rootstock-specs");
  testing::FakeRunner runner;
  VmManager vms(runner, testing::with_grace(std::chrono::milliseconds(50)));
  ApiRouterOptions o;
  o.spec_dir = dir.path();
  const ApiRouter router(vms, o);
  auto call = [&router](std::string method, std::string path, std::string body = {}) {
    ApiRequest r;
    r.method = std::move(method);
    r.path = std::move(path);
    r.body = std::move(body);
    return router.handle(r).status;
  };
  const std::string file = dir.path() + "/fc.json";
  // Firecracker's order: not kept until it has a kernel.
  CHECK(call("PUT", "/vms/fc/machine-config", R"({"vcpu_count": 2, "mem_size_mib": 64})") == 204);
  CHECK_FALSE(fs::exists(file));
  CHECK(call("PUT", "/vms/fc/boot-source", R"({"kernel_image_path": "/k"})") == 204);
  REQUIRE(fs::exists(file));
  CHECK(read_spec_dir(dir.path()).specs.at(0).spec.machine_config.vcpu_count == 2);
  CHECK(call("PATCH", "/vms/fc/machine-config", R"({"vcpu_count": 4})") == 204);
  CHECK(read_spec_dir(dir.path()).specs.at(0).spec.machine_config.vcpu_count == 4);
  // A refused change changes no file.
  CHECK(call("PATCH", "/vms/fc/machine-config", R"({"vcpu_count": 99})") == 400);
  CHECK(read_spec_dir(dir.path()).specs.at(0).spec.machine_config.vcpu_count == 4);
  // The collection's ways too.
  CHECK(call("POST", "/vms", R"({"id": "posted", "autostart": true,
                                 "boot-source": {"kernel_image_path": "/k"}})") == 201);
  CHECK(fs::exists(dir.path() + "/posted.json"));
  CHECK(call("POST", "/vms", R"({"boot-source": {"kernel_image_path": "/k"}})") == 201);
  CHECK(fs::exists(dir.path() + "/vm1.json"));
  CHECK(call("DELETE", "/vms/fc") == 204);
  CHECK_FALSE(fs::exists(file));
  const SpecDir left = read_spec_dir(dir.path());
  REQUIRE(left.specs.size() == 2);
  CHECK(left.specs[0].id == "posted");
  CHECK(left.specs[0].spec.autostart);
}

TEST_CASE("api: a change it cannot keep is said, not hidden", "[appliance][api]") {
  testing::FakeRunner runner;
  VmManager vms(runner);
  ApiRouterOptions o;
  o.spec_dir = "/nonexistent/rootstock/vms";
  const ApiRouter router(vms, o);
  ApiRequest r;
  r.method = "PUT";
  r.path = "/vms/x";
  r.body = R"({"boot-source": {"kernel_image_path": "/k"}})";
  const ApiResponse answer = router.handle(r);
  CHECK(answer.status == 500);
  CHECK(answer.body.find("could not keep it") != std::string::npos);
}
