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
#include "tests/fakes/fake_backend.hpp"
#include "tests/fakes/synthetic_bzimage.hpp"
#include "vmm/acpi/acpi_builder.hpp"
#include "vmm/devices/acpi_pm.hpp"

using namespace rootstock::appliance;
using namespace std::chrono_literals;
using rootstock::vmm::FakeBackend;
using rootstock::vmm::FakeExit;
using rootstock::vmm::FakeVp;

namespace {

// A folder of its own per test, with the kernel in it; removed at the end.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "runner-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
    const std::vector<uint8_t> k = rootstock::vmm::synthetic_bzimage();
    std::ofstream(kernel(), std::ios::binary)
        .write(reinterpret_cast<const char*>(k.data()), static_cast<std::streamsize>(k.size()));
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string kernel() const { return (path / "bzImage").string(); }
  std::string file(const char* name) const { return (path / name).string(); }
};

// The fake backend, scripting each new partition's VP 0 the moment the VMM creates it: the
// runner builds and runs the VM inside start(), so a test cannot script it in between.
class ScriptedBackend final : public rootstock::vmm::Backend {
 public:
  using Script = std::function<void(FakeVp&)>;
  explicit ScriptedBackend(Script script) : script_(std::move(script)) {}
  FakeBackend fake;

  rootstock::vmm::Result<hvroot_version> version() override { return fake.version(); }
  rootstock::vmm::Result<std::unique_ptr<rootstock::vmm::PartitionBackend>> create_partition()
      override {
    auto p = fake.create_partition();
    if (p) script_(fake.vp(fake.state().partitions.size() - 1, 0));
    return p;
  }
  rootstock::vmm::Result<rs_hc_invariants_output> check_invariants() override {
    return fake.check_invariants();
  }
  rootstock::vmm::Result<void> raw_hypercall(hvroot_raw_hypercall& call) override {
    return fake.raw_hypercall(call);
  }

 private:
  Script script_;
};

// The guest's side: text out of COM1, then the ACPI S5 write (acpi_builder.hpp, PM1a_CNT).
void print(FakeVp& vp, const std::string& text) {
  for (char c : text) vp.script.push_back(FakeExit::io_out(0x3f8, 1, static_cast<uint8_t>(c)));
}
void power_off(FakeVp& vp) {
  namespace pm = rootstock::vmm::devices::acpi_pm;
  const auto slp = static_cast<uint32_t>(rootstock::vmm::acpi::kS5SleepType << pm::kSlpTypShift |
                                         static_cast<uint32_t>(pm::Pm1Cnt::kSlpEn));
  vp.script.push_back(FakeExit::io_out(rootstock::vmm::acpi::AcpiConfig{}.pm1a_cnt_port, 2, slp));
}
// A second or more of VP_RUN returns without exits (1 ms each), the first one setting
// `running`: a guest busy long enough for the test to pause or stop it.
void busy(FakeVp& vp, std::shared_ptr<std::promise<void>> running) {
  FakeExit first = FakeExit::interrupted();
  first.during = [running] { running->set_value(); };
  vp.script.push_back(first);
  for (int i = 0; i < 1000; ++i) {
    FakeExit e = FakeExit::interrupted();
    e.during = [] { std::this_thread::sleep_for(1ms); };
    vp.script.push_back(e);
  }
}

// What the runner reported: exits and console lines, from any thread.
struct Observed {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<VmExit> exits;
  std::vector<std::string> lines;

  VmConsoleOutput::LineFn line_fn() {
    return [this](const std::string& line) {
      std::lock_guard lock(mutex);
      lines.push_back(line);
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
  LinuxVmRunner runner(backend, seen.line_fn());
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
  // The unfinished line comes at the VM's end.
  CHECK(seen.lines == std::vector<std::string>{"web: hello", "web: bye"});
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
  LinuxVmRunner runner(backend, seen.line_fn());
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
  CHECK(seen.lines == std::vector<std::string>{"vm7: oops"});
}

TEST_CASE("linux runner: a missing or too large kernel is refused by path, nothing left running",
          "[appliance]") {
  TempDir dir;
  ScriptedBackend backend([](FakeVp&) {});
  Observed seen;
  LinuxVmRunner::Options small;
  small.max_kernel_bytes = 1024;  // the synthetic kernel is 6.5 KiB
  LinuxVmRunner runner(backend, seen.line_fn());
  LinuxVmRunner strict(backend, seen.line_fn(), small);
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
  LinuxVmRunner runner(backend, seen.line_fn());
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
  LinuxVmRunner runner(backend, seen.line_fn());
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
  std::mutex mutex;
  std::vector<std::string> lines;
  LinuxVmRunner runner(backend, [&](const std::string& line) {
    std::lock_guard lock(mutex);
    lines.push_back(line);
  });
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
    std::lock_guard lock(mutex);
    CHECK(lines == std::vector<std::string>{"e2e vm: booted"});
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
  LinuxVmRunner runner(backend, seen.line_fn(), options);

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
