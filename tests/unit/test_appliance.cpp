// appliance/appliance and spec_dir over the fake backend: VMs defined from specs and spec files,
// autostart, the vm-started and vm-exited milestones with id and name, console input passed
// between VMs, and the bounded shutdown that stops a VM ignoring its power button.
#include <catch2/catch_test_macros.hpp>

#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include "appliance/appliance.hpp"
#include "appliance/spec_dir.hpp"
#include "appliance_linux_fixture.hpp"

using namespace rootstock::appliance;
using namespace std::chrono_literals;
using rootstock::appliance::testing::busy;
using rootstock::appliance::testing::power_off;
using rootstock::appliance::testing::print;
using rootstock::appliance::testing::ScriptedBackend;
using rootstock::appliance::testing::TempDir;
using rootstock::vmm::FakeVp;

namespace {

// What the appliance told its console.
struct Told {
  std::mutex mutex;
  std::vector<std::string> said;
  std::vector<std::string> milestones;
  std::string shown;

  Appliance::Options options(std::chrono::milliseconds stop_timeout) {
    Appliance::Options o;
    o.stop_timeout = stop_timeout;
    o.say = [this](const std::string& s) {
      std::lock_guard lock(mutex);
      said.push_back(s);
    };
    o.announce = [this](const rootstock::milestone::Writer& w) {
      std::lock_guard lock(mutex);
      milestones.emplace_back(w.c_str());
    };
    o.console = [this](const std::string& t) {
      std::lock_guard lock(mutex);
      shown += t;
    };
    return o;
  }
  bool has_milestone(const std::string& part) {
    std::lock_guard lock(mutex);
    for (const auto& m : milestones) {
      if (m.find(part) != std::string::npos) return true;
    }
    return false;
  }
  bool said_something(const std::string& part) {
    std::lock_guard lock(mutex);
    for (const auto& s : said) {
      if (s.find(part) != std::string::npos) return true;
    }
    return false;
  }
  bool wait_milestone(const std::string& part) {
    for (int i = 0; i < 20000 && !has_milestone(part); ++i) std::this_thread::sleep_for(1ms);
    return has_milestone(part);
  }
};

VmSpec spec_for(const TempDir& dir, const char* name, bool autostart) {
  VmSpec s;
  s.name = name;
  s.autostart = autostart;
  s.boot_source.kernel_image_path = dir.kernel();
  s.machine_config.mem_size_mib = 64;
  return s;
}

void write(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

}  // namespace

TEST_CASE("appliance: autostart, milestones with id and name, the end said with its reason",
          "[appliance]") {
  TempDir dir;
  ScriptedBackend backend([](FakeVp& vp) {
    print(vp, "hello\n");
    power_off(vp);
  });
  Told told;
  {
    Appliance app(backend, told.options(1s));
    CHECK(app.define("web", spec_for(dir, "web-server", true), "test"));
    CHECK(app.define("db", spec_for(dir, "db", false), "test"));
    CHECK_FALSE(app.define("web", spec_for(dir, "again", true), "test2"));
    CHECK(told.said_something("vm web (test2): not defined: vm 'web' exists already"));
    REQUIRE(told.wait_milestone("vm-exited id=web name=web-server reason=poweroff"));
    CHECK(app.manager().get("db")->state == VmState::kCreated);  // not autostart
  }
  CHECK(told.has_milestone("vm-started id=web name=web-server vcpus=1 mem_mib=64 start=1"));
  CHECK_FALSE(told.has_milestone("id=db"));
  CHECK(told.said_something("web-server: ended: poweroff"));
  CHECK(told.said_something("console input goes to web-server"));
  std::lock_guard lock(told.mutex);
  CHECK(told.shown == "web-server: hello\n");
}

TEST_CASE("appliance: a start that fails is a vm-exited reason=failed with the reason said",
          "[appliance]") {
  TempDir dir;
  ScriptedBackend backend([](FakeVp&) {});
  Told told;
  {
    Appliance app(backend, told.options(1s));
    VmSpec s = spec_for(dir, "broken", true);
    s.boot_source.kernel_image_path = dir.file("missing");
    CHECK(app.define("b", s, "test"));  // defined; its start fails
    REQUIRE(told.wait_milestone("vm-exited id=b name=broken reason=failed"));
  }
  CHECK(told.said_something("broken: ended: failed (kernel " + dir.file("missing")));
}

TEST_CASE("appliance: shut_down stops a VM that ignores its power button at the bound",
          "[appliance]") {
  TempDir dir;
  auto running = std::make_shared<std::promise<void>>();
  ScriptedBackend backend([running](FakeVp& vp) { busy(vp, running); });
  Told told;
  Appliance app(backend, told.options(200ms));
  REQUIRE(app.define("deaf", spec_for(dir, "deaf", true), "test"));
  REQUIRE(running->get_future().wait_for(20s) == std::future_status::ready);
  const auto before = std::chrono::steady_clock::now();
  app.shut_down();
  const auto took = std::chrono::steady_clock::now() - before;
  CHECK(took >= 200ms);
  CHECK(took < 15s);
  CHECK(app.manager().get("deaf")->state == VmState::kStopped);
  CHECK(told.said_something("stopping 1 VM: the power button, then up to 0 s"));
  CHECK(told.has_milestone("vms-down vms=1 clean=0 stopped=1 ms="));
  REQUIRE(told.wait_milestone("vm-exited id=deaf name=deaf reason=stopped"));
  CHECK_FALSE(app.manager().start("deaf"));  // nothing starts after shutdown
}

TEST_CASE("spec dir: *.json files in name order, the id from the file name, bad ones named",
          "[appliance]") {
  TempDir dir;
  const std::string d = dir.file("vms");
  std::filesystem::create_directory(d);
  const std::string kernel = dir.kernel();
  write(d + "/b-web.json",
        R"({"boot-source": {"kernel_image_path": ")" + kernel + R"("}, "autostart": true})");
  write(d + "/a_db.json", R"({"boot-source": {"kernel_image_path": "/k"}})");
  write(d + "/bad id.json", R"({"boot-source": {"kernel_image_path": "/k"}})");
  write(d + "/broken.json", R"({"boot-source": {"kernel_image_path": 7}})");
  write(d + "/empty.json", "");
  write(d + "/notes.txt", "not a spec");
  std::filesystem::create_directory(d + "/sub.json");

  const SpecDir read = read_spec_dir(d);
  REQUIRE(read.specs.size() == 2);
  CHECK(read.specs[0].id == "a_db");
  CHECK(read.specs[1].id == "b-web");
  CHECK(read.specs[1].spec.autostart);
  CHECK(read.specs[1].spec.boot_source.kernel_image_path == kernel);
  REQUIRE(read.problems.size() == 4);
  CHECK(read.problems[0].find("bad id.json: the file's name is the VM's id") != std::string::npos);
  CHECK(read.problems[1].find("broken.json: boot-source.kernel_image_path") != std::string::npos);
  CHECK(read.problems[2].find("empty.json: is empty") != std::string::npos);
  CHECK(read.problems[3].find("sub.json: not a regular file") != std::string::npos);

  const SpecDir none = read_spec_dir(dir.file("no-such-folder"));
  CHECK(none.specs.empty());
  CHECK(none.problems.empty());
}
