// appliance/vm_manager: the events the appliance turns into milestones (started, ended, with
// restarts and failed starts), in order and all delivered by the time the manager is gone, and
// console input routed to a running VM only.
#include <catch2/catch_test_macros.hpp>

#include <mutex>
#include <string>
#include <vector>

#include "appliance/vm_manager.hpp"
#include "test_appliance_fake_runner.hpp"

using namespace rootstock::appliance;
using namespace std::chrono_literals;
using rootstock::appliance::testing::FakeBehaviour;
using rootstock::appliance::testing::FakeRunner;

namespace {

VmSpec spec(OnReset on_reset = OnReset::kStop) {
  VmSpec s;
  s.boot_source.kernel_image_path = "/k";
  s.on_reset = on_reset;
  return s;
}

// Events as one line each: "started web 1", "ended web reset restarting".
struct Recorder {
  std::mutex mutex;
  std::vector<std::string> lines;
  void record(const VmEvent& e) {
    std::string line =
        e.kind == VmEvent::Kind::kStarted
            ? "started " + e.id + " " + std::to_string(e.start_count)
            : "ended " + e.id + " " + describe(e.exit.reason) + (e.restarting ? " restarting" : "");
    std::lock_guard lock(mutex);
    lines.push_back(line);
  }
  std::vector<std::string> seen() {
    std::lock_guard lock(mutex);
    return lines;
  }
  bool wait_for(size_t n) {
    for (int i = 0; i < 5000; ++i) {
      if (seen().size() >= n) return true;
      std::this_thread::sleep_for(1ms);
    }
    return false;
  }
};

VmManager::Options with(Recorder& r) {
  VmManager::Options o;
  o.stop_grace = 200ms;
  o.on_event = [&r](const VmEvent& e) { r.record(e); };
  return o;
}

}  // namespace

TEST_CASE("vm events: start, reset with restart, power-off, in order", "[appliance]") {
  FakeRunner runner;
  Recorder rec;
  {
    VmManager m(runner, with(rec));
    REQUIRE(m.create(spec(OnReset::kRestart), "web"));
    REQUIRE(m.start("web"));
    REQUIRE(rec.wait_for(1));
    runner.last("web")->end(ExitReason::kReset);
    REQUIRE(rec.wait_for(3));
    runner.last("web")->end(ExitReason::kPowerOff);
    REQUIRE(rec.wait_for(4));
  }
  CHECK(rec.seen() == std::vector<std::string>{"started web 1", "ended web reset restarting",
                                               "started web 2", "ended web poweroff"});
}

TEST_CASE("vm events: a failed start is an end with the runner's reason", "[appliance]") {
  FakeRunner runner;
  Recorder rec;
  std::string detail;
  {
    VmManager::Options o = with(rec);
    o.on_event = [&](const VmEvent& e) {
      rec.record(e);
      detail = e.exit.detail;
    };
    VmManager m(runner, o);
    runner.behave("bad", FakeBehaviour{.fail_start = true});
    REQUIRE(m.create(spec(), "bad"));
    CHECK_FALSE(m.start("bad"));
  }  // the destructor delivers what is queued
  CHECK(rec.seen() == std::vector<std::string>{"ended bad failed"});
  CHECK(detail == "no kernel at /k");
}

TEST_CASE("vm events: every run's end is told before the manager is gone", "[appliance]") {
  FakeRunner runner;
  Recorder rec;
  {
    VmManager m(runner, with(rec));
    runner.behave("c", FakeBehaviour{.ignore_power_button = true});
    for (const char* id : {"a", "b", "c"}) {
      REQUIRE(m.create(spec(), id));
      REQUIRE(m.start(id));
    }
    m.stop_all(100ms);
  }
  const auto seen = rec.seen();
  REQUIRE(seen.size() == 6);
  size_t ended = 0;
  for (const auto& line : seen) ended += line.starts_with("ended ") ? 1 : 0;
  CHECK(ended == 3);
}

TEST_CASE("vm events: an event handler may call the manager", "[appliance]") {
  FakeRunner runner;
  std::mutex mutex;
  std::vector<VmState> states;
  {
    VmManager* self = nullptr;
    VmManager::Options o;
    o.on_event = [&](const VmEvent& e) {
      auto info = self->get(e.id);  // no deadlock: never called under the manager's lock
      std::lock_guard lock(mutex);
      states.push_back(info ? info->state : VmState::kCreated);
    };
    VmManager m(runner, o);
    self = &m;
    REQUIRE(m.create(spec(), "x"));
    REQUIRE(m.start("x"));
    runner.last("x")->end(ExitReason::kPowerOff);
  }
  std::lock_guard lock(mutex);
  CHECK(states.size() == 2);
}

TEST_CASE("vm input: reaches a running VM, refused otherwise", "[appliance]") {
  FakeRunner runner;
  VmManager m(runner, testing::with_grace(200ms));
  REQUIRE(m.create(spec(), "web"));
  auto r = m.send_input("web", "ls\n");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == VmErrc::kWrongState);
  CHECK(m.send_input("nope", "x").error().code == VmErrc::kNotFound);
  REQUIRE(m.start("web"));
  REQUIRE(m.send_input("web", "ls\n"));
  REQUIRE(m.pause("web"));
  REQUIRE(m.send_input("web", "pwd\n"));  // queued for the UART while paused
  CHECK(runner.last("web")->typed() == "ls\npwd\n");
  REQUIRE(m.stop("web"));
  CHECK_FALSE(m.send_input("web", "x"));
}
