// appliance/vm_manager: the state machine of one VM (every legal transition and the refusal of
// every illegal one, naming the state), ids, runs that end on their own, restart after a reset,
// and the bounded stop and shutdown, over the fake runner.
#include <catch2/catch_test_macros.hpp>

#include <chrono>
#include <thread>

#include "appliance/vm_manager.hpp"
#include "test_appliance_fake_runner.hpp"

using namespace rootstock::appliance;
using namespace std::chrono_literals;
using rootstock::appliance::testing::FakeBehaviour;
using rootstock::appliance::testing::FakeRunner;

namespace {

VmSpec spec(std::optional<std::string> name = {}, OnReset on_reset = OnReset::kStop) {
  VmSpec s;
  s.name = std::move(name);
  s.boot_source.kernel_image_path = "/k";
  s.on_reset = on_reset;
  return s;
}

VmState state(const VmManager& m, const std::string& id) {
  return m.get(id)->state;
}

// Waits for a change made on another thread (a guest's exit, a restart).
bool wait_state(const VmManager& m, const std::string& id, VmState want,
                std::chrono::milliseconds timeout = 5s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto info = m.get(id);
    if (info && info->state == want) return true;
    std::this_thread::sleep_for(1ms);
  }
  return false;
}

void check_refused(const VmManager::Result& r, VmState in) {
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == VmErrc::kWrongState);
  REQUIRE(r.error().state);
  CHECK(*r.error().state == in);
  CHECK(r.error().message.find(std::string(" is ") + describe(in)) != std::string::npos);
}

struct Fixture {
  FakeRunner runner;  // outlives the manager, which drops its handles
  VmManager manager{runner, testing::with_grace(200ms)};
};

}  // namespace

TEST_CASE("vm manager: created → running ⇄ paused → stopped → running", "[appliance]") {
  Fixture f;
  auto& m = f.manager;
  auto id = m.create(spec("web"), "web");
  REQUIRE(id);
  CHECK(*id == "web");
  CHECK(state(m, "web") == VmState::kCreated);
  CHECK(m.get("web")->name == "web");
  CHECK(m.get("web")->start_count == 0);

  REQUIRE(m.start("web"));
  CHECK(state(m, "web") == VmState::kRunning);
  CHECK(m.get("web")->start_count == 1);
  REQUIRE(m.pause("web"));
  CHECK(state(m, "web") == VmState::kPaused);
  CHECK(f.runner.last("web")->paused);
  REQUIRE(m.resume("web"));
  CHECK(state(m, "web") == VmState::kRunning);
  CHECK_FALSE(f.runner.last("web")->paused);

  REQUIRE(m.stop("web"));  // the fake guest powers off after the button
  CHECK(state(m, "web") == VmState::kStopped);
  CHECK(f.runner.last("web")->power_buttons == 1);
  CHECK(f.runner.last("web")->stops == 0);
  CHECK(m.get("web")->last_exit == VmExit{ExitReason::kPowerOff, "", ""});

  REQUIRE(m.start("web"));
  CHECK(state(m, "web") == VmState::kRunning);
  CHECK(m.get("web")->start_count == 2);
  CHECK(f.runner.runs() == 2);
}

TEST_CASE("vm manager: every illegal transition is refused with the state", "[appliance]") {
  Fixture f;
  auto& m = f.manager;
  REQUIRE(m.create(spec(), "a"));
  // created
  check_refused(m.pause("a"), VmState::kCreated);
  check_refused(m.resume("a"), VmState::kCreated);
  check_refused(m.stop("a"), VmState::kCreated);
  // running
  REQUIRE(m.start("a"));
  check_refused(m.start("a"), VmState::kRunning);
  check_refused(m.resume("a"), VmState::kRunning);
  check_refused(m.remove("a"), VmState::kRunning);
  // paused
  REQUIRE(m.pause("a"));
  check_refused(m.start("a"), VmState::kPaused);
  check_refused(m.pause("a"), VmState::kPaused);
  check_refused(m.remove("a"), VmState::kPaused);
  // stopped
  REQUIRE(m.stop("a"));
  check_refused(m.pause("a"), VmState::kStopped);
  check_refused(m.resume("a"), VmState::kStopped);
  check_refused(m.stop("a"), VmState::kStopped);
  CHECK(state(m, "a") == VmState::kStopped);
}

TEST_CASE("vm manager: a transient state refuses other operations", "[appliance]") {
  Fixture f;
  auto& m = f.manager;
  f.runner.behave("slow", FakeBehaviour{.ignore_power_button = true});
  REQUIRE(m.create(spec(), "slow"));
  REQUIRE(m.start("slow"));
  std::thread stopper([&] { CHECK(m.stop("slow", 300ms)); });
  REQUIRE(wait_state(m, "slow", VmState::kStopping));
  check_refused(m.start("slow"), VmState::kStopping);
  check_refused(m.pause("slow"), VmState::kStopping);
  check_refused(m.resume("slow"), VmState::kStopping);
  check_refused(m.stop("slow"), VmState::kStopping);
  check_refused(m.remove("slow"), VmState::kStopping);
  stopper.join();
  CHECK(state(m, "slow") == VmState::kStopped);

  f.runner.behave("slow", FakeBehaviour{.start_delay = 200ms});
  std::thread starter([&] { CHECK(m.start("slow")); });
  REQUIRE(wait_state(m, "slow", VmState::kStarting));
  check_refused(m.start("slow"), VmState::kStarting);
  check_refused(m.stop("slow"), VmState::kStarting);
  check_refused(m.remove("slow"), VmState::kStarting);
  starter.join();
  CHECK(state(m, "slow") == VmState::kRunning);
}

TEST_CASE("vm manager: stop presses the power button, then stops at the grace", "[appliance]") {
  Fixture f;
  auto& m = f.manager;
  f.runner.behave("deaf", FakeBehaviour{.ignore_power_button = true});
  REQUIRE(m.create(spec(), "deaf"));
  REQUIRE(m.start("deaf"));
  auto t0 = std::chrono::steady_clock::now();
  REQUIRE(m.stop("deaf", 150ms));
  auto took = std::chrono::steady_clock::now() - t0;
  CHECK(took >= 150ms);
  CHECK(took < 2s);
  CHECK(f.runner.last("deaf")->power_buttons == 1);
  CHECK(f.runner.last("deaf")->stops == 1);
  CHECK(m.get("deaf")->last_exit->reason == ExitReason::kStopped);
}

TEST_CASE("vm manager: a paused VM is stopped without the power button", "[appliance]") {
  Fixture f;
  auto& m = f.manager;
  REQUIRE(m.create(spec(), "p"));
  REQUIRE(m.start("p"));
  REQUIRE(m.pause("p"));
  auto t0 = std::chrono::steady_clock::now();
  REQUIRE(m.stop("p", 10s));
  CHECK(std::chrono::steady_clock::now() - t0 < 2s);
  CHECK(f.runner.last("p")->power_buttons == 0);
  CHECK(m.get("p")->last_exit->reason == ExitReason::kStopped);
}

TEST_CASE("vm manager: remove", "[appliance]") {
  Fixture f;
  auto& m = f.manager;
  REQUIRE(m.create(spec(), "a"));
  REQUIRE(m.create(spec(), "b"));
  auto ring = m.console("a");
  REQUIRE(ring);
  REQUIRE(m.remove("a"));  // created
  CHECK((*ring)->closed());
  CHECK(m.get("a").error().code == VmErrc::kNotFound);
  CHECK(m.start("a").error().code == VmErrc::kNotFound);
  CHECK(m.remove("a").error().code == VmErrc::kNotFound);
  REQUIRE(m.start("b"));
  REQUIRE(m.stop("b"));
  REQUIRE(m.remove("b"));  // stopped
  CHECK(m.list().empty());
}

TEST_CASE("vm manager: ids are checked or made", "[appliance]") {
  Fixture f;
  auto& m = f.manager;
  CHECK(m.create(spec(), "bad id").error().code == VmErrc::kBadId);
  CHECK(m.create(spec(), "").error().code == VmErrc::kBadId);
  CHECK(m.create(spec(), std::string(65, 'a')).error().code == VmErrc::kBadId);
  REQUIRE(m.create(spec(), "vm2"));
  CHECK(m.create(spec(), "vm2").error().code == VmErrc::kIdTaken);
  CHECK(*m.create(spec()) == "vm1");
  CHECK(*m.create(spec()) == "vm3");   // vm2 was taken by hand
  CHECK(m.get("vm3")->name == "vm3");  // no name in the spec: the id
  auto all = m.list();
  REQUIRE(all.size() == 3);
  CHECK(all[0].id == "vm1");
  CHECK(all[2].id == "vm3");
  CHECK(m.spec("vm1")->boot_source.kernel_image_path == "/k");
  CHECK((*m.console("vm1"))->capacity() == 64 * 1024);
}

TEST_CASE("vm manager: a VM that ends on its own is stopped with its reason", "[appliance]") {
  Fixture f;
  auto& m = f.manager;
  for (ExitReason r :
       {ExitReason::kPowerOff, ExitReason::kReset, ExitReason::kTripleFault, ExitReason::kFailed}) {
    INFO(describe(r));
    REQUIRE(m.create(spec(), "a"));
    REQUIRE(m.start("a"));
    REQUIRE(m.pause("a"));
    f.runner.last("a")->end(r, "detail");  // also while paused
    CHECK(state(m, "a") == VmState::kStopped);
    CHECK(m.get("a")->last_exit == VmExit{r, "detail", ""});
    REQUIRE(m.start("a"));  // and it starts again
    f.runner.last("a")->end(r);
    REQUIRE(m.remove("a"));
  }
}

TEST_CASE("vm manager: one VM ending leaves the others running", "[appliance]") {
  Fixture f;
  auto& m = f.manager;
  for (const char* id : {"a", "b", "c"}) {
    REQUIRE(m.create(spec(), id));
    REQUIRE(m.start(id));
  }
  f.runner.last("b")->end(ExitReason::kTripleFault, "vcpu 1");
  CHECK(state(m, "a") == VmState::kRunning);
  CHECK(state(m, "b") == VmState::kStopped);
  CHECK(state(m, "c") == VmState::kRunning);
  CHECK_FALSE(f.runner.last("a")->ended());
  CHECK_FALSE(f.runner.last("c")->ended());
}

TEST_CASE("vm manager: on-reset=restart starts the VM again after a reset", "[appliance]") {
  Fixture f;
  auto& m = f.manager;
  REQUIRE(m.create(spec("r", OnReset::kRestart), "r"));
  REQUIRE(m.start("r"));
  auto first = f.runner.last("r");
  first->end(ExitReason::kReset);
  REQUIRE(wait_state(m, "r", VmState::kRunning));
  auto info = *m.get("r");
  CHECK(info.start_count == 2);
  CHECK(info.last_exit->reason == ExitReason::kReset);
  REQUIRE(f.runner.last("r") != first);
  // A power-off is not a reset: it stays stopped.
  f.runner.last("r")->end(ExitReason::kPowerOff);
  CHECK(state(m, "r") == VmState::kStopped);
  CHECK(f.runner.runs() == 2);
}

TEST_CASE("vm manager: a reset while the appliance stops the VM does not restart it",
          "[appliance]") {
  Fixture f;
  auto& m = f.manager;
  f.runner.behave("r", FakeBehaviour{.ignore_power_button = true});
  REQUIRE(m.create(spec("r", OnReset::kRestart), "r"));
  REQUIRE(m.start("r"));
  std::thread stopper([&] { CHECK(m.stop("r", 5s)); });
  REQUIRE(wait_state(m, "r", VmState::kStopping));
  f.runner.last("r")->end(ExitReason::kReset);  // the guest rebooted instead of powering off
  stopper.join();
  CHECK(state(m, "r") == VmState::kStopped);
  CHECK(f.runner.runs() == 1);
}

TEST_CASE("vm manager: a failed start leaves the VM stopped with the reason", "[appliance]") {
  Fixture f;
  auto& m = f.manager;
  f.runner.behave("f", FakeBehaviour{.fail_start = true});
  REQUIRE(m.create(spec(), "f"));
  auto r = m.start("f");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == VmErrc::kStartFailed);
  CHECK(r.error().message.find("no kernel at /k") != std::string::npos);
  CHECK(state(m, "f") == VmState::kStopped);
  CHECK(m.get("f")->last_exit == VmExit{ExitReason::kFailed, "no kernel at /k", ""});
  CHECK(m.get("f")->start_count == 0);
}

TEST_CASE("vm manager: an exit before start() returned is kept", "[appliance]") {
  Fixture f;
  auto& m = f.manager;
  f.runner.behave("x", FakeBehaviour{.exit_during_start = true});
  REQUIRE(m.create(spec(), "x"));
  REQUIRE(m.start("x"));
  CHECK(state(m, "x") == VmState::kStopped);
  CHECK(m.get("x")->last_exit == VmExit{ExitReason::kTripleFault, "vcpu 0", ""});
  CHECK(m.get("x")->start_count == 1);
}

TEST_CASE("vm manager: a pause that fails leaves the VM running", "[appliance]") {
  Fixture f;
  auto& m = f.manager;
  f.runner.behave("p", FakeBehaviour{.pause_fails = true});
  REQUIRE(m.create(spec(), "p"));
  REQUIRE(m.start("p"));
  auto r = m.pause("p");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == VmErrc::kPauseFailed);
  CHECK(state(m, "p") == VmState::kRunning);
  CHECK(f.runner.last("p")->resumes == 1);  // what did park is let go
}

TEST_CASE("vm manager: stop_all is bounded by its timeout", "[appliance]") {
  Fixture f;
  auto& m = f.manager;
  f.runner.behave("deaf", FakeBehaviour{.ignore_power_button = true});
  for (const char* id : {"deaf", "polite", "paused", "idle"}) REQUIRE(m.create(spec(), id));
  for (const char* id : {"deaf", "polite", "paused"}) REQUIRE(m.start(id));
  REQUIRE(m.pause("paused"));
  auto t0 = std::chrono::steady_clock::now();
  m.stop_all(300ms);
  auto took = std::chrono::steady_clock::now() - t0;
  CHECK(took >= 300ms);  // the deaf one had its bound
  CHECK(took < 3s);      // and no more
  CHECK(m.get("deaf")->last_exit->reason == ExitReason::kStopped);
  CHECK(m.get("polite")->last_exit->reason == ExitReason::kPowerOff);
  CHECK(m.get("paused")->last_exit->reason == ExitReason::kStopped);
  CHECK(f.runner.last("paused")->power_buttons == 0);
  for (const char* id : {"deaf", "polite", "paused"}) CHECK(state(m, id) == VmState::kStopped);
  CHECK(state(m, "idle") == VmState::kCreated);
  CHECK(f.runner.unended() == 0);
  // Nothing starts once the appliance is shutting down.
  CHECK(m.start("idle").error().code == VmErrc::kShuttingDown);
}

TEST_CASE("vm manager: stop_all returns at once when every VM obeys", "[appliance]") {
  Fixture f;
  auto& m = f.manager;
  for (const char* id : {"a", "b"}) {
    REQUIRE(m.create(spec(), id));
    REQUIRE(m.start(id));
  }
  auto t0 = std::chrono::steady_clock::now();
  m.stop_all(10s);
  CHECK(std::chrono::steady_clock::now() - t0 < 2s);
  CHECK(f.runner.unended() == 0);
}

TEST_CASE("vm manager: destroying the manager stops what runs", "[appliance]") {
  FakeRunner runner;
  {
    VmManager m(runner);
    REQUIRE(m.create(spec(), "a"));
    REQUIRE(m.start("a"));
  }
  CHECK(runner.unended() == 0);
  CHECK(runner.last("a")->stops == 1);
}
