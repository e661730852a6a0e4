// rootstock.selftest=appliance-cycles: a small Linux VM (the default child's kernel, 1 vCPU,
// 64 MiB) created, started, stopped and deleted 50 times through the appliance's own VM manager
// and runner — the path every VM of the appliance takes. Most cycles stop the VM hard as soon as
// its kernel has printed (a VM torn down mid-boot must give back all it took); every tenth waits
// for the child's init and ends it with its ACPI power button. After the cycles, hv's frame
// counts, the root's pinned pages and its free memory are back where they started.
#include <chrono>
#include <string>
#include <string_view>

#include "appliance/linux_vm_runner.hpp"
#include "appliance/vm_manager.hpp"
#include "selftest/linux_child.hpp"
#include "selftest/resource_figures.hpp"
#include "selftest/selftests.hpp"
#include "selftest/vm_console_wait.hpp"

namespace rootstock::selftest {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr int kCycles = 50;
constexpr int kOrderlyEvery = 10;
constexpr uint32_t kVcpus = 1;
constexpr uint64_t kRamMib = 64;
constexpr auto kKernelDeadline = 120s;  // the kernel's first console line, under emulation
constexpr auto kInitDeadline = 300s;
constexpr auto kButtonGrace = 60s;
// 64 MiB of guest memory is pinned per run: a leak of one run's memory is far above this.
constexpr uint64_t kFreeSlackKib = 8192;
constexpr size_t kErrorsShown = 3;
constexpr std::string_view kKernelSays = "Linux version";
// The shell's banner: the child's init has started acpid (image/child/init.sh) by then.
constexpr std::string_view kInitSays = "Enter 'help' for a list of built-in commands.";

appliance::VmSpec small_vm(const DefaultChildImages& images) {
  appliance::VmSpec spec;
  spec.name = "cycle";
  spec.boot_source.kernel_image_path = images.kernel_path;
  spec.boot_source.initrd_path = images.initramfs_path;
  spec.boot_source.boot_args = "console=ttyS0";
  spec.machine_config.vcpu_count = kVcpus;
  spec.machine_config.mem_size_mib = kRamMib;
  spec.console.appliance_console = false;  // 50 boots on the console would drown the log
  return spec;
}

// One create/start/stop/delete; an error in words, or "".
std::string one_cycle(appliance::VmManager& manager, const appliance::VmSpec& spec, bool orderly) {
  auto id = manager.create(spec);
  if (!id) return "create: " + id.error().message;
  std::string error;
  if (auto s = manager.start(*id); !s) {
    error = "start: " + s.error().message;
  } else if (!wait_console(manager, *id, orderly ? kInitSays : kKernelSays,
                           Clock::now() + (orderly ? kInitDeadline : kKernelDeadline))) {
    error = std::string("the child did not print '") +
            std::string(orderly ? kInitSays : kKernelSays) + "' in time";
  }
  if (auto info = manager.get(*id); info && info->state == appliance::VmState::kRunning) {
    if (auto s = manager.stop(*id, orderly ? kButtonGrace : 0ms); !s && error.empty()) {
      error = "stop: " + s.error().message;
    }
  }
  auto info = manager.get(*id);
  if (error.empty() && orderly &&
      (!info || !info->last_exit || info->last_exit->reason != appliance::ExitReason::kPowerOff)) {
    error = "the power button did not power the child off (it ended " +
            std::string(info && info->last_exit ? describe(info->last_exit->reason) : "?") + ")";
  }
  if (auto d = manager.remove(*id); !d && error.empty()) error = "delete: " + d.error().message;
  return error;
}

}  // namespace

void selftest_appliance_cycles(SelftestContext& context, SelftestResult& r) {
  auto setup = set_up_linux_children(context);
  if (!setup) return r.check(false, setup.error());
  vmm::Backend& backend = *setup->backend;
  const appliance::VmSpec spec = small_vm(setup->images);
  appliance::LinuxVmRunner runner(backend, [](const std::string&) {});
  appliance::VmManager manager(runner);

  // One cycle first, so that what the first VM fills once (slab caches, the VMM's own heap)
  // counts as the starting point.
  if (std::string e = one_cycle(manager, spec, false); !e.empty()) {
    return r.check(false, "appliance-cycles: the first cycle: " + e);
  }
  auto before = take_resource_figures(backend);
  if (!before) return r.check(false, "appliance-cycles: " + before.error());
  const auto start = Clock::now();
  int failures = 0;
  for (int i = 0; i < kCycles; ++i) {
    const std::string e = one_cycle(manager, spec, (i + 1) % kOrderlyEvery == 0);
    if (e.empty()) continue;
    if (static_cast<size_t>(failures) < kErrorsShown) {
      r.note("appliance-cycles: cycle " + std::to_string(i) + ": " + e);
    }
    ++failures;
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  r.note("appliance-cycles: " + std::to_string(kCycles) + " create/start/stop/delete cycles (" +
         std::to_string(kCycles / kOrderlyEvery) +
         " to the child's init and its power button) in " + std::to_string(ms.count()) + " ms, " +
         std::to_string(failures) + " failed");
  r.check(failures == 0,
          std::to_string(failures) + " of " + std::to_string(kCycles) + " appliance cycles failed");
  r.check(manager.list().empty(), "appliance-cycles: VMs left in the manager");
  check_resources_back(backend, *before, "appliance-cycles: over the cycles", kFreeSlackKib, r);
}

}  // namespace rootstock::selftest
