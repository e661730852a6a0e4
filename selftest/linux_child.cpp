#include "selftest/linux_child.hpp"

#include "vmm/hvroot_backend.hpp"
#include "vmm/kick.hpp"

namespace rootstock::selftest {

std::expected<LinuxChildSetup, std::string> set_up_linux_children(SelftestContext& context) {
  auto images = context.default_child_images();
  if (!images) return std::unexpected(images.error());
  auto backend = vmm::open_hvroot();
  if (!backend) return std::unexpected(vmm::describe(backend.error()));
  if (auto k = vmm::install_kick_handler(); !k) return std::unexpected(vmm::describe(k.error()));
  return LinuxChildSetup{std::move(*images), std::move(*backend)};
}

vmm::Result<ChildRun> build_child(SelftestContext& context, vmm::Backend& backend,
                                  const ChildRunConfig& config) {
  ChildRun child;
  if (!config.console_prefix.empty()) {
    child.console =
        std::make_unique<ConsoleLines>(config.console_prefix, ConsoleLines::kDefaultMaxLines,
                                       [&context](const std::string& line) { context.say(line); });
  }
  vmm::LinuxVmConfig vm_config;
  vm_config.ram_mib = config.ram_mib;
  vm_config.vcpus = config.vcpus;
  vm_config.kernel = config.kernel;
  vm_config.initramfs = config.initramfs;
  vm_config.cmdline = config.cmdline;
  vm_config.extra_devices = config.extra_devices;
  vm_config.doorbells = config.doorbells;
  ConsoleLines* console = child.console.get();  // stays where it is when `child` moves
  vm_config.console = [console](uint8_t b) {
    if (console != nullptr) console->put(b);
  };
  auto vm = vmm::LinuxVm::create(backend, vm_config);
  if (!vm) return std::unexpected(vm.error());
  child.vm = std::move(*vm);
  return child;
}

void start(ChildRun& child) {
  vmm::LinuxVm* vm = child.vm.get();
  ConsoleLines* console = child.console.get();
  child.ended = std::async(std::launch::async, [vm, console] {
    vmm::LinuxVmExit e = vm->run();
    if (console != nullptr) console->close();
    return e;
  });
}

vmm::LinuxVmExit finish(ChildRun& child, std::chrono::steady_clock::duration deadline) {
  if (child.ended.wait_for(deadline) != std::future_status::ready) child.vm->stop();
  return child.ended.get();
}

}  // namespace rootstock::selftest
