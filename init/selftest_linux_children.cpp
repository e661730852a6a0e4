// rootstock.selftest=linux-children (issue 7, first part): the project's own kernel, kept in the
// root's initramfs as the default child kernel, booted in a child VM built by vmm/linux_vm.hpp.
// Without a child interrupt controller yet, the check is what a kernel does before it needs
// timer interrupts: it enters through the 64-bit boot protocol, finds its command line, and
// prints its banner through the emulated UART. The console lines are shown with a prefix.
#include <atomic>
#include <chrono>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "console.hpp"
#include "pid_one.hpp"
#include "selftest.hpp"
#include "vmm/hvroot_backend.hpp"
#include "vmm/kick.hpp"
#include "vmm/linux_vm.hpp"

namespace rootstock::init {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kChildKernel = "/lib/rootstock/child/bzImage";
constexpr auto kBannerDeadline = std::chrono::seconds(120);
// What the child is booted with: its console on COM1, and a marker the test looks for in the
// kernel's own echo of its command line.
constexpr const char* kCmdline = "console=ttyS0 loglevel=7 rootstock.child=0";

std::vector<uint8_t> read_all(const char* path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The child's console as lines, filled on the VP thread, read by the test.
class Console {
 public:
  void put(uint8_t b) {
    std::lock_guard lock(mutex_);
    if (b == '\n') {
      lines_.push_back(partial_);
      partial_.clear();
    } else if (b != '\r' && partial_.size() < 512) {
      partial_ += static_cast<char>(b >= 0x20 && b < 0x7f ? b : '?');
    }
  }
  bool contains(const std::string& text) {
    std::lock_guard lock(mutex_);
    for (const auto& l : lines_) {
      if (l.find(text) != std::string::npos) return true;
    }
    return false;
  }
  std::vector<std::string> lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> lines_;
  std::string partial_;
};

}  // namespace

void selftest_linux_children(PidOne& init, SelftestResult& r) {
  (void)init;
  const std::vector<uint8_t> kernel = read_all(kChildKernel);
  if (kernel.empty()) return r.check(false, std::string("no child kernel at ") + kChildKernel);
  auto backend = vmm::open_hvroot();
  if (!backend) return r.check(false, vmm::describe(backend.error()));
  if (auto k = vmm::install_kick_handler(); !k) return r.check(false, vmm::describe(k.error()));
  // On the heap: a VP thread that never returns keeps it (leaked on purpose).
  struct Child {
    Console console;
    std::unique_ptr<vmm::LinuxVm> vm;
    std::atomic<bool> done{false};
    std::optional<vmm::Result<vmm::VpExit>> outcome;
  };
  auto c = std::make_unique<Child>();
  Child* cp = c.get();
  auto vm = vmm::LinuxVm::create(
      **backend, {256, kernel, {}, kCmdline, [cp](uint8_t b) { cp->console.put(b); }});
  if (!vm) return r.check(false, "linux child: " + vmm::describe(vm.error()));
  c->vm = std::move(*vm);
  const auto start = Clock::now();
  std::thread runner([cp] {
    cp->outcome.emplace(cp->vm->run());
    cp->done.store(true);
  });
  while (!c->done.load() && !c->console.contains("rootstock.child=0") &&
         Clock::now() - start < kBannerDeadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  // Stop it: without timer interrupts it would wait for ever.
  c->vm->vp().request_stop();
  const auto asked = Clock::now();
  while (!c->done.load() && Clock::now() - asked < std::chrono::seconds(10)) {
    vmm::kick(runner.native_handle());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const bool stopped = c->done.load();
  if (stopped) {
    runner.join();
  } else {
    runner.detach();
    (void)c.release();
    return r.check(false, "the linux child's VP thread did not stop");
  }
  const std::vector<std::string> lines = c->console.lines();
  for (size_t i = 0; i < lines.size() && i < 40; ++i) say("child0: " + lines[i]);
  bool banner = false;
  for (const auto& l : lines) banner = banner || l.find("Linux version ") != std::string::npos;
  r.check(banner, "the linux child printed no 'Linux version' banner on its console");
  r.check(c->console.contains("rootstock.child=0"),
          "the linux child did not echo its command line");
  say("linux-children: child0 printed " + std::to_string(lines.size()) + " console lines in " +
      std::to_string(ms) + " ms, " + std::to_string(c->vm->vp().handled_exits()) +
      " exits handled by the VMM");
}

}  // namespace rootstock::init
