// rootstock.selftest=vm-isolation (issue 7): children do not take each other, or the appliance,
// down. Four Linux children boot at once (one vCPU each), and while they boot a fifth child
// whose kernel entry is a UD2 with no IDT triple-faults: it must be reported as exactly that,
// and the four must still reach their init and power off. A truncated and an empty kernel
// image must be refused by the VMM with an error that says what is wrong, before any VM exists.
#include <chrono>
#include <span>
#include <string>
#include <vector>

#include <rootstock/linux_boot/bzimage.hpp>

#include "selftest/linux_child.hpp"
#include "selftest/selftests.hpp"

namespace rootstock::selftest {
namespace {

namespace lb = rootstock::linux_boot;

constexpr unsigned kSiblings = 4;
constexpr uint64_t kSiblingMib = 128;
constexpr auto kDeadline = std::chrono::seconds(400);
constexpr uint8_t kUd2[] = {0x0f, 0x0b};

ChildRunConfig sibling_config(std::span<const uint8_t> kernel, std::span<const uint8_t> initramfs,
                              std::string console_prefix) {
  ChildRunConfig config;
  config.kernel = kernel;
  config.initramfs = initramfs;
  config.ram_mib = kSiblingMib;
  config.vcpus = 1;
  config.cmdline = "console=ttyS0 quiet rootstock.child_cmd=poweroff";
  config.console_prefix = std::move(console_prefix);
  return config;
}

}  // namespace

void selftest_vm_isolation(SelftestContext& context, SelftestResult& r) {
  auto setup = set_up_linux_children(context);
  if (!setup) return r.check(false, setup.error());
  const std::vector<uint8_t>& kernel = setup->images.kernel;
  const std::vector<uint8_t>& initramfs = setup->images.initramfs;
  vmm::Backend& backend = *setup->backend;

  // Hostile images: refused with a reason, nothing started.
  const std::vector<uint8_t> truncated(kernel.begin(), kernel.begin() + 1000);
  for (const auto& [name, image] : {std::pair<const char*, std::span<const uint8_t>>{
                                        "a truncated bzImage (1000 bytes)", truncated},
                                    {"an empty kernel", {}}}) {
    auto vm = build_child(context, backend, sibling_config(image, {}, ""));
    r.check(!vm, std::string(name) + " was accepted");
    if (!vm)
      r.note("vm-isolation: " + std::string(name) + " refused: " + vmm::describe(vm.error()));
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

  std::vector<ChildRun> siblings;
  for (unsigned i = 0; i < kSiblings; ++i) {
    auto child =
        build_child(context, backend,
                    sibling_config(kernel, initramfs, "child" + std::to_string(i + 1) + ": "));
    if (!child) {
      return r.check(false,
                     "sibling " + std::to_string(i + 1) + ": " + vmm::describe(child.error()));
    }
    siblings.push_back(std::move(*child));
  }
  auto bad = build_child(context, backend, sibling_config(faulting, initramfs, ""));
  if (!bad) return r.check(false, "the faulting child: " + vmm::describe(bad.error()));
  const auto started = std::chrono::steady_clock::now();
  for (ChildRun& c : siblings) start(c);
  start(*bad);

  const vmm::LinuxVmExit fault = finish(*bad, kDeadline);
  r.note("vm-isolation: the faulting child ended: " + std::string(vmm::describe(fault.reason)) +
         " (" + fault.detail + ")");
  r.check(fault.reason == vmm::LinuxVmExit::Reason::kTripleFault && fault.vcpu == 0,
          std::string("the faulting child was not reported as a triple fault of vCPU 0: ") +
              vmm::describe(fault.reason));

  for (unsigned i = 0; i < kSiblings; ++i) {
    ChildRun& c = siblings[i];
    const std::string name = "child" + std::to_string(i + 1);
    const auto reached = c.console->wait_for("rootstock-child: init reached cpus=1", 0, kDeadline);
    r.check(reached.has_value(), name + " did not reach its init beside the faulting child");
    const vmm::LinuxVmExit e = finish(c, kDeadline);
    r.check(e.reason == vmm::LinuxVmExit::Reason::kPowerOff,
            name + " did not power off: " + vmm::describe(e.reason) + " " + e.detail);
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
  r.note("vm-isolation: " + std::to_string(kSiblings) +
         " children booted and powered off beside a " + "triple-faulting one in " +
         std::to_string(ms) + " ms");
}

}  // namespace rootstock::selftest
