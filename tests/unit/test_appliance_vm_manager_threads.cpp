// appliance/vm_manager under concurrent callers: threads creating, starting, pausing,
// stopping and removing the same few VMs while "guests" end runs on their own. Every call must
// come back (no deadlock), each answer must be a success or a typed refusal, and at the end
// the manager and the runner must agree: no run left without its end, no VM left between
// states.
#include <catch2/catch_test_macros.hpp>

#include <atomic>
#include <future>
#include <random>
#include <thread>
#include <vector>

#include "appliance/vm_manager.hpp"
#include "test_appliance_fake_runner.hpp"

using namespace rootstock::appliance;
using namespace std::chrono_literals;
using rootstock::appliance::testing::FakeBehaviour;
using rootstock::appliance::testing::FakeRunner;

namespace {

constexpr int kThreads = 6;
constexpr int kOpsPerThread = 400;
const std::vector<std::string> kIds = {"a", "b", "c", "d"};

VmSpec spec(OnReset on_reset) {
  VmSpec s;
  s.boot_source.kernel_image_path = "/k";
  s.on_reset = on_reset;
  return s;
}

// One caller: random operations on random ids; counts answers that are neither a success nor
// an expected refusal.
int storm(VmManager& m, FakeRunner& runner, unsigned seed) {
  std::mt19937 rng(seed);
  int unexpected = 0;
  auto ok_or = [&](const VmManager::Result& r, std::initializer_list<VmErrc> allowed) {
    if (r) return;
    for (VmErrc e : allowed) {
      if (r.error().code == e) return;
    }
    ++unexpected;
  };
  for (int i = 0; i < kOpsPerThread; ++i) {
    const std::string& id = kIds[rng() % kIds.size()];
    switch (rng() % 8) {
      case 0: {
        auto r = m.create(spec(rng() % 2 ? OnReset::kRestart : OnReset::kStop), id);
        if (!r && r.error().code != VmErrc::kIdTaken) ++unexpected;
        break;
      }
      case 1:
      case 2:
        ok_or(m.start(id), {VmErrc::kNotFound, VmErrc::kWrongState});
        break;
      case 3:
        ok_or(m.pause(id), {VmErrc::kNotFound, VmErrc::kWrongState});
        break;
      case 4:
        ok_or(m.resume(id), {VmErrc::kNotFound, VmErrc::kWrongState});
        break;
      case 5:
        ok_or(m.stop(id, 5ms), {VmErrc::kNotFound, VmErrc::kWrongState});
        break;
      case 6:
        ok_or(m.remove(id), {VmErrc::kNotFound, VmErrc::kWrongState});
        break;
      case 7: {
        // The guest's side: the newest run ends by itself.
        static constexpr ExitReason kReasons[] = {ExitReason::kPowerOff, ExitReason::kReset,
                                                  ExitReason::kTripleFault};
        if (auto vm = runner.last(id)) vm->end(kReasons[rng() % 3]);
        (void)m.list();
        break;
      }
    }
  }
  return unexpected;
}

}  // namespace

TEST_CASE("vm manager threads: storms of create/start/pause/stop/remove", "[appliance]") {
  FakeRunner runner;
  // One VM ignores the power button, so stops of it take their grace while others go on.
  runner.behave("d", FakeBehaviour{.ignore_power_button = true});
  VmManager m(runner, testing::with_grace(5ms));
  std::vector<std::future<int>> callers;
  for (int t = 0; t < kThreads; ++t) {
    callers.push_back(std::async(std::launch::async, storm, std::ref(m), std::ref(runner),
                                 static_cast<unsigned>(1234 + t)));
  }
  // A deadlock shows as a caller that never returns.
  for (auto& c : callers) REQUIRE(c.wait_for(60s) == std::future_status::ready);
  for (auto& c : callers) CHECK(c.get() == 0);

  m.stop_all(100ms);
  for (const VmInfo& vm : m.list()) {
    INFO(vm.id << " " << describe(vm.state));
    CHECK((vm.state == VmState::kCreated || vm.state == VmState::kStopped));
  }
  CHECK(runner.unended() == 0);
  INFO("runs started: " << runner.runs());
  CHECK(runner.runs() > 0);
}

TEST_CASE("vm manager threads: stop_all while callers keep starting", "[appliance]") {
  FakeRunner runner;
  VmManager m(runner, testing::with_grace(5ms));
  for (const auto& id : kIds) REQUIRE(m.create(spec(OnReset::kRestart), id));
  std::atomic<bool> go{true};
  std::vector<std::thread> callers;
  for (int t = 0; t < 3; ++t) {
    callers.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t));
      while (go) {
        const std::string& id = kIds[rng() % kIds.size()];
        (void)m.start(id);
        if (auto vm = runner.last(id)) vm->end(ExitReason::kReset);  // restarts, until shutdown
      }
    });
  }
  std::this_thread::sleep_for(50ms);
  auto stopped = std::async(std::launch::async, [&] { m.stop_all(200ms); });
  REQUIRE(stopped.wait_for(30s) == std::future_status::ready);
  go = false;
  for (auto& c : callers) c.join();
  for (const VmInfo& vm : m.list()) {
    INFO(vm.id << " " << describe(vm.state));
    CHECK((vm.state == VmState::kCreated || vm.state == VmState::kStopped));
  }
  CHECK(runner.unended() == 0);
}
