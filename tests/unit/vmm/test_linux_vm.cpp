// LinuxVm against the fake backend (no hv, and a synthetic bzImage, since no guest code runs):
// pause() parks a vCPU outside VP_RUN and it makes no VP_RUN call while parked; resume() lets it
// run on to the VM's end; the states are what vcpu_states() says at each point; a vCPU thread
// that outlives its VM (stuck in VP_RUN past the stop timeout) touches nothing freed; the PC's
// devices on the board answer the child's exits and raise their lines through hv's path.

#include <algorithm>
#include <catch2/catch_test_macros.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/fakes/fake_backend.hpp"
#include "tests/fakes/synthetic_bzimage.hpp"
#include "vmm/kick.hpp"
#include "vmm/linux_vm.hpp"

using namespace rootstock::vmm;

namespace {

// Returns from VP_RUN after a millisecond each: a second of runway in which the test's pause()
// must catch the thread, however slowly the test thread is scheduled.
constexpr size_t kInterruptions = 1000;

FakeExit slow_interruption() {
  FakeExit e = FakeExit::interrupted();
  e.during = [] { std::this_thread::sleep_for(std::chrono::milliseconds(1)); };
  return e;
}

// A 1-vCPU VM with 64 MiB on `fake`, loading `kernel` (which must outlive it); `config` gives
// the rest.
std::unique_ptr<LinuxVm> one_vcpu_vm(FakeBackend& fake, const std::vector<uint8_t>& kernel,
                                     LinuxVmConfig config = {}) {
  config.ram_mib = 64;
  config.vcpus = 1;
  config.kernel = kernel;
  auto created = LinuxVm::create(fake, config);
  REQUIRE(created);
  return std::move(*created);
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
    vm = one_vcpu_vm(fake, kernel);
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
  const std::vector<uint8_t> kernel = rootstock::vmm::synthetic_bzimage();
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
  const std::vector<uint8_t> kernel = rootstock::vmm::synthetic_bzimage();
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

TEST_CASE("linux vm: a vCPU thread stuck past the stop timeout outlives its VM safely",
          "[vmm][linux_vm]") {
  REQUIRE(install_kick_handler());
  const std::vector<uint8_t> kernel = rootstock::vmm::synthetic_bzimage();
  FakeBackend fake;
  LinuxVmConfig config;
  config.stop_timeout = std::chrono::milliseconds(50);
  std::unique_ptr<LinuxVm> vm = one_vcpu_vm(fake, kernel, config);
  // The vCPU's one VP_RUN neither exits nor yields to a kick until the test releases it: hv
  // stuck (or a driver that ignores signals).
  auto inside = std::make_shared<std::promise<void>>();
  std::future<void> entered = inside->get_future();
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  FakeExit stuck = FakeExit::interrupted();
  stuck.during = [inside, released] {
    inside->set_value();
    released.wait();
  };
  fake.vp(0, 0).script.push_back(stuck);

  std::future<LinuxVmExit> ended = std::async(std::launch::async, [&vm] { return vm->run(); });
  entered.wait();
  vm->stop();
  const LinuxVmExit e = ended.get();  // after the 50 ms of kicks
  CHECK(e.reason == LinuxVmExit::Reason::kStopped);
  CHECK(e.detail.find("vCPU 0 did not stop") != std::string::npos);
  const size_t stranded = LinuxVm::stranded_vms();
  vm.reset();  // the thread is still in VP_RUN
  CHECK(LinuxVm::stranded_vms() == stranded + 1);
  CHECK(fake.vp(0, 0).open);  // the VP (and the VM's memory) stay while the thread may use them
  release.set_value();
  // The thread comes back into its VM's state (ASan: none of it freed), then lets it go.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (LinuxVm::stranded_vms() > stranded && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  CHECK(LinuxVm::stranded_vms() == stranded);
  CHECK_FALSE(fake.vp(0, 0).open);  // closed by the thread, with the rest of the VM
}

TEST_CASE(
    "linux vm: a GPA with nothing behind it reads all ones and drops writes; an exit "
    "without instruction bytes is resumed",
    "[vmm][linux_vm]") {
  REQUIRE(install_kick_handler());
  const std::vector<uint8_t> kernel = rootstock::vmm::synthetic_bzimage();
  FakeBackend fake;
  const std::unique_ptr<LinuxVm> created = one_vcpu_vm(fake, kernel);
  LinuxVm& vm = *created;
  FakeVp& v = fake.vp(0, 0);
  constexpr uint64_t kHole = 0xfed00000;  // above the child's RAM: no RAM, no device
  rs_run_regs regs{};
  regs.rip = 0x1000;
  regs.rflags = 0x2;
  regs.gpr[RS_REG_RBX] = kHole;
  regs.gpr[RS_REG_RAX] = 0x1234;
  const uint8_t load[] = {0x8b, 0x03};   // mov eax, [rbx]
  const uint8_t store[] = {0x89, 0x03};  // mov [rbx], eax
  FakeExit read = FakeExit::memory(kHole, RS_ACCESS_READ, load);
  read.regs = regs;
  v.script.push_back(read);
  v.script.push_back(FakeExit::memory(kHole, RS_ACCESS_WRITE, store));
  v.script.push_back(FakeExit::memory(kHole, RS_ACCESS_READ, {}));  // hv fetched nothing
  v.script.push_back(FakeExit::shutdown());

  const LinuxVmExit e = vm.run();
  CHECK(e.reason == LinuxVmExit::Reason::kTripleFault);  // not kFailed: it went on to the end
  CHECK(vm.unclaimed_mmio() == 2);
  REQUIRE(v.entries.size() == 4);
  CHECK(v.entries[1].regs.gpr[RS_REG_RAX] == 0xffffffff);  // all ones, zero-extended (32-bit)
  CHECK(v.entries[1].regs.rip == 0x1002);
  CHECK(v.entries[2].regs.rip == 0x1004);  // the store completed, to nowhere
  CHECK(v.entries[3].completion == RS_RUN_COMPLETE_NONE);
  CHECK(v.entries[3].root_flags == 0);  // resumed as it was: the same instruction again
  CHECK(v.state.rip == 0x1004);
}

TEST_CASE("linux vm: the power button raises the child's SCI (GSI 9, a level) until it clears it",
          "[vmm][linux_vm]") {
  REQUIRE(install_kick_handler());
  const std::vector<uint8_t> kernel = rootstock::vmm::synthetic_bzimage();
  FakeBackend fake;
  const std::unique_ptr<LinuxVm> created = one_vcpu_vm(fake, kernel);
  LinuxVm& vm = *created;
  FakeVp& v = fake.vp(0, 0);
  constexpr uint16_t kPm1Sts = 0x600, kPm1En = 0x602;  // acpi_builder.hpp's PM1a block
  constexpr uint32_t kPwrbtn = 1u << 8;                // PWRBTN_STS / PWRBTN_EN
  std::promise<void> enabled;
  FakeExit enable = FakeExit::io_out(kPm1En, 2, kPwrbtn);
  v.script.push_back(enable);
  FakeExit waiting = FakeExit::interrupted();
  waiting.during = [&enabled] { enabled.set_value(); };
  v.script.push_back(waiting);
  for (size_t i = 0; i < 200; ++i) v.script.push_back(slow_interruption());
  v.script.push_back(FakeExit::io_out(kPm1Sts, 2, kPwrbtn));  // the child's driver clears it
  v.script.push_back(FakeExit::shutdown());

  std::future<LinuxVmExit> ended = std::async(std::launch::async, [&vm] { return vm.run(); });
  enabled.get_future().wait();
  vm.press_power_button();
  ended.get();
  const auto& irqs = fake.partition(0).interrupts;
  const uint64_t assert_sci = RS_INTERRUPT_GSI_LEVEL | RS_INTERRUPT_ASSERTED;
  const auto raised =
      std::find(irqs.begin(), irqs.end(), std::pair<uint32_t, uint64_t>{assert_sci, 9});
  REQUIRE(raised != irqs.end());
  CHECK(std::find(raised, irqs.end(), std::pair<uint32_t, uint64_t>{RS_INTERRUPT_GSI_LEVEL, 9}) !=
        irqs.end());
}

TEST_CASE(
    "linux vm: COM1 prints through the console callback, takes typed input as the child "
    "reads, and interrupts on GSI 4 as an edge",
    "[vmm][linux_vm]") {
  REQUIRE(install_kick_handler());
  const std::vector<uint8_t> kernel = rootstock::vmm::synthetic_bzimage();
  FakeBackend fake;
  std::string printed;
  LinuxVmConfig config;
  config.console = [&printed](uint8_t b) { printed += static_cast<char>(b); };
  const std::unique_ptr<LinuxVm> created = one_vcpu_vm(fake, kernel, config);
  LinuxVm& vm = *created;
  FakeVp& v = fake.vp(0, 0);
  constexpr uint16_t kCom1 = 0x3f8;
  v.script.push_back(FakeExit::io_out(kCom1 + 4, 1, 0x08));  // MCR.OUT2
  v.script.push_back(FakeExit::io_out(kCom1 + 1, 1, 0x02));  // IER.ETBEI: THRE pending
  v.script.push_back(FakeExit::io_out(kCom1, 1, 'o'));
  v.script.push_back(FakeExit::io_out(kCom1, 1, 'k'));
  v.script.push_back(FakeExit::io_in(kCom1, 1));  // RBR: the first typed byte
  v.script.push_back(FakeExit::io_in(kCom1, 1));  // the second, fed after the first was read
  v.script.push_back(FakeExit::io_in(0x80, 1));   // nobody's port
  v.script.push_back(FakeExit::shutdown());
  vm.send_input("hi");  // before the child runs: it waits in the UART

  CHECK(vm.run().reason == LinuxVmExit::Reason::kTripleFault);
  CHECK(printed == "ok");
  REQUIRE(v.entries.size() == 8);
  CHECK((v.entries[5].io_data & 0xff) == 'h');
  CHECK((v.entries[6].io_data & 0xff) == 'i');
  CHECK((v.entries[7].io_data & 0xff) == 0xff);
  CHECK(vm.unclaimed_io() == 1);
  // Each THR write lowers and raises the 16550's output (uart16550.hpp): an edge each time,
  // after the first one that IER.ETBEI made.
  const auto& irqs = fake.partition(0).interrupts;
  const std::pair<uint32_t, uint64_t> edge4{RS_INTERRUPT_GSI_EDGE, 4};
  CHECK(std::count(irqs.begin(), irqs.end(), edge4) == 3);
  CHECK(std::all_of(irqs.begin(), irqs.end(), [&](const auto& i) { return i == edge4; }));
}
