// LinuxVmRunner over the fake backend: a synthetic bzImage (no guest code runs) and scripted
// VP exits stand for the guest. What a user relies on: the VM's output reaches the ring, the
// appliance console (prefixed) and the log; each end is reported once with the right reason;
// bad image files are refused by name with nothing left running; the manager drives it end to
// end.
#include <dirent.h>
#include <unistd.h>

#include <catch2/catch_test_macros.hpp>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "appliance/linux_vm_runner.hpp"
#include "appliance/vm_manager.hpp"
#include "appliance_linux_fixture.hpp"
#include "tests/fakes/fake_backend.hpp"
#include "tests/fakes/synthetic_bzimage.hpp"
#include "vmm/acpi/acpi_builder.hpp"
#include "vmm/devices/acpi_pm.hpp"

using namespace rootstock::appliance;
using namespace std::chrono_literals;
using rootstock::appliance::testing::busy;
using rootstock::appliance::testing::power_off;
using rootstock::appliance::testing::print;
using rootstock::appliance::testing::ScriptedBackend;
using rootstock::appliance::testing::TempDir;
using rootstock::vmm::FakeExit;
using rootstock::vmm::FakeVp;

namespace {

// What the runner reported: exits and console lines, from any thread.
struct Observed {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<VmExit> exits;
  std::string shown;  // what reached the appliance console

  VmConsoleOutput::TextFn text_fn() {
    return [this](const std::string& text) {
      std::lock_guard lock(mutex);
      shown += text;
    };
  }
  std::function<void(VmExit)> exit_fn() {
    return [this](VmExit e) {
      {
        std::lock_guard lock(mutex);
        exits.push_back(std::move(e));
      }
      changed.notify_all();
    };
  }
  bool wait_exit() {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, 20s, [this] { return !exits.empty(); });
  }
};

VmSpec spec_for(const TempDir& dir) {
  VmSpec s;
  s.boot_source.kernel_image_path = dir.kernel();
  s.machine_config.mem_size_mib = 64;
  return s;
}

VmLaunch launch(std::string id, VmSpec spec, Observed& seen) {
  return VmLaunch{std::move(id), std::make_shared<const VmSpec>(std::move(spec)),
                  std::make_shared<ConsoleRing>(4096), seen.exit_fn()};
}

size_t thread_count() {
  size_t n = 0;
  DIR* d = ::opendir("/proc/self/task");
  REQUIRE(d != nullptr);
  while (const dirent* e = ::readdir(d)) n += e->d_name[0] != '.' ? 1 : 0;
  ::closedir(d);
  return n;
}

}  // namespace

TEST_CASE("linux runner: output reaches the ring, the console and the log; power-off ends it",
          "[appliance]") {
  TempDir dir;
  std::ofstream(dir.file("console.log")) << "earlier run\n";
  ScriptedBackend backend([](FakeVp& vp) {
    print(vp, "hello\r\nbye");
    power_off(vp);
  });
  Observed seen;
  LinuxVmRunner runner(backend, seen.text_fn());
  VmSpec spec = spec_for(dir);
  spec.name = "web";
  spec.console.log_path = dir.file("console.log");
  VmLaunch l = launch("vm1", spec, seen);
  std::shared_ptr<ConsoleRing> ring = l.console;
  auto vm = runner.start_linux(std::move(l));
  REQUIRE(vm);
  REQUIRE(seen.wait_exit());
  vm->reset();  // joins the run's thread: on_exit has returned
  CHECK(ring->read_since(0).bytes == "hello\r\nbye");
  std::lock_guard lock(seen.mutex);
  REQUIRE(seen.exits.size() == 1);
  CHECK(seen.exits[0].reason == ExitReason::kPowerOff);
  // The unfinished line comes at the VM's end, ended for it; the child's '\r' is dropped.
  CHECK(seen.shown == "web: hello\nweb: bye\n");
  std::ifstream log(dir.file("console.log"));
  const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  CHECK(text == "earlier run\nhello\r\nbye");
  CHECK_FALSE(backend.fake.partition(0).open);  // the VM was gone before on_exit
}

TEST_CASE("linux runner: a triple fault ends the VM once, prefixed by the id without a name",
          "[appliance]") {
  TempDir dir;
  ScriptedBackend backend([](FakeVp& vp) {
    print(vp, "oops\n");
    vp.script.push_back(FakeExit::shutdown());
  });
  Observed seen;
  LinuxVmRunner runner(backend, seen.text_fn());
  auto vm = runner.start(launch("vm7", spec_for(dir), seen));
  REQUIRE(vm);
  REQUIRE(seen.wait_exit());
  (*vm)->stop();  // after the end: does nothing, and no second on_exit
  CHECK((*vm)->pause());
  (*vm)->resume();
  vm->reset();
  std::lock_guard lock(seen.mutex);
  REQUIRE(seen.exits.size() == 1);
  CHECK(seen.exits[0].reason == ExitReason::kTripleFault);
  CHECK(seen.exits[0].detail.find("vCPU 0") != std::string::npos);
  CHECK(seen.shown == "vm7: oops\n");
}

TEST_CASE("linux runner: a missing or too large kernel is refused by path, nothing left running",
          "[appliance]") {
  TempDir dir;
  ScriptedBackend backend([](FakeVp&) {});
  Observed seen;
  LinuxVmRunner::Options small;
  small.max_kernel_bytes = 1024;  // the synthetic kernel is 6.5 KiB
  LinuxVmRunner runner(backend, seen.text_fn());
  LinuxVmRunner strict(backend, seen.text_fn(), small);
  const size_t threads = thread_count();

  VmSpec missing = spec_for(dir);
  missing.boot_source.kernel_image_path = dir.file("no-such-bzImage");
  auto r = runner.start(launch("a", missing, seen));
  REQUIRE_FALSE(r);
  CHECK(r.error() ==
        "kernel " + dir.file("no-such-bzImage") + ": cannot open: No such file or directory");

  auto big = strict.start(launch("b", spec_for(dir), seen));
  REQUIRE_FALSE(big);
  CHECK(big.error() ==
        "kernel " + dir.kernel() + ": is 6656 bytes, more than the 1024 bytes allowed");

  VmSpec no_initrd = spec_for(dir);
  no_initrd.boot_source.initrd_path = dir.path.string();  // a folder
  auto folder = runner.start(launch("c", no_initrd, seen));
  REQUIRE_FALSE(folder);
  CHECK(folder.error() == "initrd " + dir.path.string() + ": not a regular file");

  VmSpec huge = spec_for(dir);
  huge.machine_config.mem_size_mib = 4096;  // more than LinuxVm takes
  auto refused = runner.start(launch("d", huge, seen));
  REQUIRE_FALSE(refused);
  CHECK(refused.error().find("4096 MiB") != std::string::npos);

  CHECK(thread_count() == threads);
  CHECK(backend.fake.state().partitions.empty());
  std::lock_guard lock(seen.mutex);
  CHECK(seen.exits.empty());  // on_exit never follows a failed start
}

TEST_CASE("linux runner: stop() ends a running VM with stopped", "[appliance]") {
  TempDir dir;
  auto running = std::make_shared<std::promise<void>>();
  std::future<void> started = running->get_future();
  ScriptedBackend backend([running](FakeVp& vp) { busy(vp, running); });
  Observed seen;
  LinuxVmRunner runner(backend, seen.text_fn());
  auto vm = runner.start_linux(launch("s", spec_for(dir), seen));
  REQUIRE(vm);
  started.wait();
  CHECK((*vm)->press_power_button() == PowerButtonResult::kPressed);  // this guest ignores it
  (*vm)->stop();
  REQUIRE(seen.wait_exit());
  vm->reset();
  std::lock_guard lock(seen.mutex);
  REQUIRE(seen.exits.size() == 1);
  CHECK(seen.exits[0].reason == ExitReason::kStopped);
  CHECK_FALSE(backend.fake.partition(0).open);
}

TEST_CASE("linux runner: pause parks the guest, resume lets it run to its end", "[appliance]") {
  TempDir dir;
  auto running = std::make_shared<std::promise<void>>();
  std::future<void> started = running->get_future();
  FakeVp* guest = nullptr;
  ScriptedBackend backend([running, &guest](FakeVp& vp) {
    guest = &vp;
    busy(vp, running);
    vp.script.push_back(FakeExit::shutdown());
  });
  Observed seen;
  LinuxVmRunner runner(backend, seen.text_fn());
  auto vm = runner.start_linux(launch("p", spec_for(dir), seen));
  REQUIRE(vm);
  started.wait();
  REQUIRE((*vm)->pause());
  // Parked: the guest makes no progress (pause() synchronised with the parked vCPU thread).
  const size_t left = guest->script.size();
  std::this_thread::sleep_for(100ms);
  CHECK(guest->script.size() == left);
  {
    std::lock_guard lock(seen.mutex);
    CHECK(seen.exits.empty());
  }
  (*vm)->resume();
  REQUIRE(seen.wait_exit());
  vm->reset();
  std::lock_guard lock(seen.mutex);
  REQUIRE(seen.exits.size() == 1);
  CHECK(seen.exits[0].reason == ExitReason::kTripleFault);
}

TEST_CASE("linux runner: the VM manager drives it end to end", "[appliance]") {
  TempDir dir;
  ScriptedBackend backend([](FakeVp& vp) {
    print(vp, "booted\n");
    power_off(vp);
  });
  Observed seen;
  LinuxVmRunner runner(backend, seen.text_fn());
  VmManager manager(runner);
  VmSpec spec = spec_for(dir);
  spec.name = "e2e vm";
  REQUIRE(manager.create(spec, "e2e"));
  REQUIRE(manager.start("e2e"));
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  auto info = manager.get("e2e");
  while (info && info->state != VmState::kStopped && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
    info = manager.get("e2e");
  }
  REQUIRE(info);
  CHECK(info->state == VmState::kStopped);
  REQUIRE(info->last_exit);
  CHECK(info->last_exit->reason == ExitReason::kPowerOff);
  CHECK(info->start_count == 1);
  auto ring = manager.console("e2e");
  REQUIRE(ring);
  CHECK((*ring)->read_since(0).bytes == "booted\n");
  {
    std::lock_guard lock(seen.mutex);
    CHECK(seen.shown == "e2e vm: booted\n");
  }
  REQUIRE(manager.remove("e2e"));
}

TEST_CASE("linux runner: the manager's stop ends a VM that ignores the power button",
          "[appliance]") {
  TempDir dir;
  auto running = std::make_shared<std::promise<void>>();
  std::future<void> started = running->get_future();
  ScriptedBackend backend([running](FakeVp& vp) { busy(vp, running); });
  LinuxVmRunner runner(backend, nullptr);
  VmManager manager(runner);
  REQUIRE(manager.create(spec_for(dir), "busy"));
  REQUIRE(manager.start("busy"));
  started.wait();
  REQUIRE(manager.pause("busy"));
  REQUIRE(manager.resume("busy"));
  REQUIRE(manager.stop("busy", 20ms));  // the guest ignores the button: stopped at the grace
  auto info = manager.get("busy");
  REQUIRE(info);
  CHECK(info->state == VmState::kStopped);
  REQUIRE(info->last_exit);
  CHECK(info->last_exit->reason == ExitReason::kStopped);
}

TEST_CASE("linux runner: the console log is bounded, and one that cannot open fails the start",
          "[appliance]") {
  TempDir dir;
  ScriptedBackend backend([](FakeVp& vp) {
    print(vp, "0123456789\nabcdef\n");
    power_off(vp);
  });
  Observed seen;
  LinuxVmRunner::Options options;
  options.max_log_bytes = 8;
  LinuxVmRunner runner(backend, seen.text_fn(), options);

  VmSpec nowhere = spec_for(dir);
  nowhere.console.log_path = dir.file("no-such-folder/console.log");
  auto refused = runner.start(launch("l", nowhere, seen));
  REQUIRE_FALSE(refused);
  CHECK(refused.error() == "console log " + dir.file("no-such-folder/console.log") +
                               ": cannot open: No such file or directory");

  VmSpec spec = spec_for(dir);
  spec.console.log_path = dir.file("console.log");
  VmLaunch l = launch("l", spec, seen);
  std::shared_ptr<ConsoleRing> ring = l.console;
  auto vm = runner.start(std::move(l));
  REQUIRE(vm);
  REQUIRE(seen.wait_exit());
  vm->reset();
  std::ifstream log(dir.file("console.log"));
  const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  CHECK(text == "01234567\n[console log full: the rest is not kept here]\n");
  CHECK(ring->read_since(0).bytes == "0123456789\nabcdef\n");  // the ring has it all
}

TEST_CASE("linux runner: a running VM's figures and its drive given another file", "[appliance]") {
  TempDir dir;
  std::ofstream(dir.file("data.img")) << std::string(4096, '\0');
  std::ofstream(dir.file("bigger.img")) << std::string(8192, '\0');
  auto running = std::make_shared<std::promise<void>>();
  std::future<void> started = running->get_future();
  ScriptedBackend backend([running](FakeVp& vp) { busy(vp, running); });
  Observed seen;
  LinuxVmRunner runner(backend, seen.text_fn());
  VmSpec spec = spec_for(dir);
  spec.drives.push_back(Drive{"data", dir.file("data.img"), false, false, std::nullopt,
                              CacheType::kUnsafe, IoEngine::kSync});
  auto vm = runner.start_linux(launch("f", spec, seen));
  REQUIRE(vm);
  started.wait();
  VmFigures f = (*vm)->figures();
  CHECK(f.vcpus == 1);
  REQUIRE(f.drives.size() == 1);
  CHECK(f.drives[0].drive_id == "data");
  CHECK(f.drives[0].medium_replacements == 0);
  CHECK(f.interfaces.empty());

  REQUIRE((*vm)->replace_drive("data", dir.file("bigger.img")));
  CHECK((*vm)->figures().drives.at(0).medium_replacements == 1);
  auto missing = (*vm)->replace_drive("data", dir.file("none.img"));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().starts_with("drive data: "));
  CHECK((*vm)->replace_drive("other", dir.file("bigger.img")).error() == "there is no drive other");

  (*vm)->stop();
  REQUIRE(seen.wait_exit());
  CHECK((*vm)->replace_drive("data", dir.file("data.img")).error() == "the VM does not run");
  CHECK((*vm)->figures().drives.empty());
  vm->reset();
}
