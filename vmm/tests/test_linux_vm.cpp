// LinuxVm's vCPU state machine against the fake backend (no hv): pause() parks a vCPU outside
// VP_RUN and it makes no VP_RUN call while parked; resume() lets it run on to the VM's end;
// the states are what vcpu_states() says at each point.
#include <catch2/catch_test_macros.hpp>
#include <chrono>
#include <fstream>
#include <future>
#include <iterator>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "vmm/fake_backend.hpp"
#include "vmm/kick.hpp"
#include "vmm/linux_vm.hpp"

using namespace rootstock::vmm;

namespace {

std::vector<uint8_t> read_kernel() {
  std::ifstream in(ROOTSTOCK_TEST_BZIMAGE, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Returns from VP_RUN after a millisecond each: a second of runway in which the test's pause()
// must catch the thread, however slowly the test thread is scheduled.
constexpr size_t kInterruptions = 1000;

FakeExit slow_interruption() {
  FakeExit e = FakeExit::interrupted();
  e.during = [] { std::this_thread::sleep_for(std::chrono::milliseconds(1)); };
  return e;
}

// A 1-vCPU VM on the fake backend whose VP returns from VP_RUN without an exit many times (as
// after physical interrupts), then ends with `last` if given; `running` is set at the first
// return, when the vCPU thread is known to run.
struct ScriptedVm {
  FakeBackend fake;
  std::unique_ptr<LinuxVm> vm;
  FakeVp* vp = nullptr;
  std::promise<void> running;

  ScriptedVm(const std::vector<uint8_t>& kernel, std::optional<FakeExit> last) {
    LinuxVmConfig config;
    config.ram_mib = 64;
    config.vcpus = 1;
    config.kernel = kernel;
    auto created = LinuxVm::create(fake, config);
    REQUIRE(created);
    vm = std::move(*created);
    vp = &fake.vp(0, 0);
    FakeExit first = FakeExit::interrupted();
    first.during = [this] { running.set_value(); };
    vp->script.push_back(first);
    for (size_t i = 0; i < kInterruptions; ++i) vp->script.push_back(slow_interruption());
    if (last) vp->script.push_back(*last);
  }
};

}  // namespace

TEST_CASE("linux vm: pause parks the vCPU outside VP_RUN, resume lets it run to the end",
          "[vmm][linux_vm]") {
  const std::vector<uint8_t> kernel = read_kernel();
  if (kernel.empty()) SKIP("no kernel built yet (" ROOTSTOCK_TEST_BZIMAGE ")");
  REQUIRE(install_kick_handler());
  ScriptedVm t(kernel, FakeExit::shutdown());
  LinuxVm& vm = *t.vm;
  FakeVp& v = *t.vp;
  CHECK(vm.vcpu_states() == std::vector<VcpuState>{VcpuState::kNotStarted});
  CHECK(vm.pause());  // nothing runs yet: at once
  vm.resume();

  std::future<LinuxVmExit> ended = std::async(std::launch::async, [&vm] { return vm.run(); });
  t.running.get_future().wait();
  REQUIRE(vm.pause());
  CHECK(vm.vcpu_states() == std::vector<VcpuState>{VcpuState::kPaused});
  // pause() saw the thread parked under the VM's mutex: what it did before is visible here.
  const size_t left = v.script.size();
  const size_t entries = v.entries.size();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the window watched
  CHECK(v.script.size() == left);
  CHECK(v.entries.size() == entries);
  CHECK(vm.vcpu_states() == std::vector<VcpuState>{VcpuState::kPaused});

  vm.resume();
  const LinuxVmExit e = ended.get();
  CHECK(e.reason == LinuxVmExit::Reason::kTripleFault);
  CHECK(v.script.empty());
  CHECK(vm.vcpu_states() == std::vector<VcpuState>{VcpuState::kStopped});
}

TEST_CASE("linux vm: stop() ends a paused VM", "[vmm][linux_vm]") {
  const std::vector<uint8_t> kernel = read_kernel();
  if (kernel.empty()) SKIP("no kernel built yet (" ROOTSTOCK_TEST_BZIMAGE ")");
  REQUIRE(install_kick_handler());
  ScriptedVm t(kernel, std::nullopt);
  LinuxVm& vm = *t.vm;
  FakeVp& v = *t.vp;
  std::future<LinuxVmExit> ended = std::async(std::launch::async, [&vm] { return vm.run(); });
  t.running.get_future().wait();
  REQUIRE(vm.pause());
  const size_t left = v.script.size();
  vm.stop();
  const LinuxVmExit e = ended.get();
  CHECK(e.reason == LinuxVmExit::Reason::kStopped);
  CHECK(v.script.size() == left);  // it never entered VP_RUN again
  CHECK(vm.vcpu_states() == std::vector<VcpuState>{VcpuState::kStopped});
}
