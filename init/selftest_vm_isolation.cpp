// rootstock.selftest=vm-isolation (issue 7): children do not take each other, or the appliance,
// down. Four Linux children boot at once (one vCPU each), and while they boot a fifth child
// whose kernel entry is a UD2 with no IDT triple-faults: it must be reported as exactly that,
// and the four must still reach their init and power off. A truncated and an empty kernel
// image must be refused by the VMM with an error that says what is wrong, before any VM exists.
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include <rootstock/linux_boot/bzimage.hpp>

#include "child_images.hpp"
#include "console.hpp"
#include "console_lines.hpp"
#include "pid_one.hpp"
#include "selftest.hpp"
#include "vmm/hvroot_backend.hpp"
#include "vmm/kick.hpp"
#include "vmm/linux_vm.hpp"

namespace rootstock::init {
namespace {

namespace lb = rootstock::linux_boot;

constexpr unsigned kSiblings = 4;
constexpr uint64_t kSiblingMib = 128;
constexpr auto kDeadline = std::chrono::seconds(400);
constexpr uint8_t kUd2[] = {0x0f, 0x0b};

struct Child {
  std::unique_ptr<ConsoleLines> console;
  std::unique_ptr<vmm::LinuxVm> vm;
  std::future<vmm::LinuxVmExit> running;
};

vmm::Result<std::unique_ptr<vmm::LinuxVm>> make_vm(vmm::Backend& backend,
                                                   std::span<const uint8_t> kernel,
                                                   std::span<const uint8_t> initramfs,
                                                   ConsoleLines* console) {
  vmm::LinuxVmConfig config;
  config.ram_mib = kSiblingMib;
  config.vcpus = 1;
  config.kernel = kernel;
  config.initramfs = initramfs;
  config.cmdline = "console=ttyS0 quiet rootstock.child_cmd=poweroff";
  config.console = [console](uint8_t b) {
    if (console != nullptr) console->put(b);
  };
  return vmm::LinuxVm::create(backend, config);
}

void start(Child& c) {
  vmm::LinuxVm* vm = c.vm.get();
  ConsoleLines* console = c.console.get();
  c.running = std::async(std::launch::async, [vm, console] {
    vmm::LinuxVmExit e = vm->run();
    if (console != nullptr) console->close();
    return e;
  });
}

}  // namespace

void selftest_vm_isolation(PidOne& init, SelftestResult& r) {
  (void)init;
  const ChildImages images = read_child_images();
  const std::vector<uint8_t>& kernel = images.kernel;
  const std::vector<uint8_t>& initramfs = images.initramfs;
  if (kernel.empty() || initramfs.empty()) return r.check(false, "no child kernel or initramfs");
  auto backend = vmm::open_hvroot();
  if (!backend) return r.check(false, vmm::describe(backend.error()));
  if (auto k = vmm::install_kick_handler(); !k) return r.check(false, vmm::describe(k.error()));

  // Hostile images: refused with a reason, nothing started.
  const std::vector<uint8_t> truncated(kernel.begin(), kernel.begin() + 1000);
  for (const auto& [name, image] : {std::pair<const char*, std::span<const uint8_t>>{
                                        "a truncated bzImage (1000 bytes)", truncated},
                                    {"an empty kernel", {}}}) {
    auto vm = make_vm(**backend, image, {}, nullptr);
    r.check(!vm, std::string(name) + " was accepted");
    if (!vm) say("vm-isolation: " + std::string(name) + " refused: " + vmm::describe(vm.error()));
  }

  // The faulting child: the real kernel with UD2 at its 64-bit entry. No IDT is loaded (the
  // boot protocol leaves that to the kernel), so #UD cannot be delivered: a triple fault.
  std::vector<uint8_t> faulting = kernel;
  lb::BzImage parsed;
  if (lb::parse_bzimage(kernel.data(), kernel.size(), parsed) != lb::Status::kOk) {
    return r.check(false, "the child kernel does not parse");
  }
  std::copy(
      std::begin(kUd2), std::end(kUd2),
      faulting.begin() + static_cast<std::ptrdiff_t>(parsed.kernel_offset + lb::kEntry64Offset));

  std::vector<Child> siblings(kSiblings);
  for (unsigned i = 0; i < kSiblings; ++i) {
    siblings[i].console = std::make_unique<ConsoleLines>("child" + std::to_string(i + 1) + ": ");
    auto vm = make_vm(**backend, kernel, initramfs, siblings[i].console.get());
    if (!vm)
      return r.check(false, "sibling " + std::to_string(i + 1) + ": " + vmm::describe(vm.error()));
    siblings[i].vm = std::move(*vm);
  }
  Child bad;
  auto bad_vm = make_vm(**backend, faulting, initramfs, nullptr);
  if (!bad_vm) return r.check(false, "the faulting child: " + vmm::describe(bad_vm.error()));
  bad.vm = std::move(*bad_vm);
  const auto started = std::chrono::steady_clock::now();
  for (Child& c : siblings) start(c);
  start(bad);

  if (bad.running.wait_for(kDeadline) != std::future_status::ready) bad.vm->stop();
  const vmm::LinuxVmExit fault = bad.running.get();
  say("vm-isolation: the faulting child ended: " + std::string(vmm::describe(fault.reason)) + " (" +
      fault.detail + ")");
  r.check(fault.reason == vmm::LinuxVmExit::Reason::kTripleFault && fault.vcpu == 0,
          std::string("the faulting child was not reported as a triple fault of vCPU 0: ") +
              vmm::describe(fault.reason));

  for (unsigned i = 0; i < kSiblings; ++i) {
    Child& c = siblings[i];
    const std::string name = "child" + std::to_string(i + 1);
    const auto reached = c.console->wait_for("rootstock-child: init reached cpus=1", 0, kDeadline);
    r.check(reached.has_value(), name + " did not reach its init beside the faulting child");
    if (c.running.wait_for(kDeadline) != std::future_status::ready) c.vm->stop();
    const vmm::LinuxVmExit e = c.running.get();
    r.check(e.reason == vmm::LinuxVmExit::Reason::kPowerOff,
            name + " did not power off: " + vmm::describe(e.reason) + " " + e.detail);
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
  say("vm-isolation: " + std::to_string(kSiblings) + " children booted and powered off beside a " +
      "triple-faulting one in " + std::to_string(ms) + " ms");
}

}  // namespace rootstock::init
