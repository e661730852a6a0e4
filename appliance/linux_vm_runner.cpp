#include "appliance/linux_vm_runner.hpp"

#include <mutex>
#include <system_error>
#include <vector>

#include "appliance/virtio_devices.hpp"
#include "appliance/vm_image_files.hpp"
#include "vmm/kick.hpp"
#include "vmm/linux_vm.hpp"

namespace rootstock::appliance {
namespace {

ExitReason exit_reason(vmm::LinuxVmExit::Reason reason) {
  switch (reason) {
    case vmm::LinuxVmExit::Reason::kPowerOff:
      return ExitReason::kPowerOff;
    case vmm::LinuxVmExit::Reason::kReset:
      return ExitReason::kReset;
    case vmm::LinuxVmExit::Reason::kTripleFault:
      return ExitReason::kTripleFault;
    case vmm::LinuxVmExit::Reason::kStopped:
      return ExitReason::kStopped;
    case vmm::LinuxVmExit::Reason::kFailed:
      return ExitReason::kFailed;
  }
  return ExitReason::kFailed;
}

}  // namespace

LinuxRunningVm::LinuxRunningVm(std::unique_ptr<VmConsoleOutput> console,
                               std::function<void(VmExit)> on_exit)
    : console_(std::move(console)), on_exit_(std::move(on_exit)) {}

LinuxRunningVm::~LinuxRunningVm() {
  stop();
  if (thread_.joinable()) thread_.join();
}

void LinuxRunningVm::run() {
  // vm_ is read here without the lock: only this thread changes it once the thread runs.
  const vmm::LinuxVmExit end = vm_->run();
  const std::string stats = std::to_string(vm_->vp_exits()) + " exits, " +
                            std::to_string(vm_->handled_exits()) +
                            " handled by the VMM; by kind: " + vm_->exit_stats();
  {
    // The VM's memory, partition and VPs go here, before anyone hears of the end: the manager
    // may start the VM again at once, and two copies of its RAM must not coexist. (A vCPU that
    // did not leave VP_RUN keeps its VM until it does: vmm::LinuxVm::stranded_vms().)
    std::unique_lock lock(vm_mutex_);
    vm_.reset();
    devices_.reset();
  }
  console_->finish();  // no console byte comes any more: ~LinuxVm dropped the callback
  auto on_exit = std::move(on_exit_);
  on_exit(VmExit{exit_reason(end.reason), end.detail, stats});
}

bool LinuxRunningVm::pause() {
  std::shared_lock lock(vm_mutex_);
  return vm_ ? vm_->pause() : true;
}

void LinuxRunningVm::resume() {
  std::shared_lock lock(vm_mutex_);
  if (vm_) vm_->resume();
}

void LinuxRunningVm::power_button() {
  (void)press_power_button();
}

PowerButtonResult LinuxRunningVm::press_power_button() {
  std::shared_lock lock(vm_mutex_);
  if (!vm_) return PowerButtonResult::kEnded;
  vm_->press_power_button();
  return PowerButtonResult::kPressed;
}

void LinuxRunningVm::stop() {
  std::shared_lock lock(vm_mutex_);
  if (vm_) vm_->stop();
}

void LinuxRunningVm::send_input(std::string_view bytes) {
  std::shared_lock lock(vm_mutex_);
  if (vm_) vm_->send_input(bytes);
}

VmFigures LinuxRunningVm::figures() {
  std::shared_lock lock(vm_mutex_);
  VmFigures f;
  if (!vm_) return f;
  for (const auto& [name, count] : vm_->exit_counts_by_kind())
    f.exits_by_kind.emplace_back(name, count);
  f.vmm_exits = vm_->handled_exits();
  f.vcpus = vm_->vcpu_count();
  f.vcpu_time_ns = static_cast<uint64_t>(vm_->vcpu_cpu_time().count());
  if (const auto info = vm_->partition_info()) {
    f.hv_pages = info->deposited_pages;
    f.hv_pages_used = info->deposited_used;
    f.mapped_pages = info->mapped_pages;
  }
  if (devices_) {
    f.drives = devices_->drive_figures();
    f.interfaces = devices_->interface_figures();
  }
  return f;
}

void LinuxRunningVm::resize_console(uint16_t cols, uint16_t rows) {
  std::shared_lock lock(vm_mutex_);
  if (vm_ && devices_) devices_->resize_console(cols, rows);
}

std::expected<void, std::string> LinuxRunningVm::replace_drive(const std::string& drive_id,
                                                               const std::string& path) {
  std::shared_lock lock(vm_mutex_);
  if (!vm_ || !devices_) return std::unexpected("the VM does not run");
  return devices_->replace_drive(drive_id, path);
}

LinuxVmRunner::LinuxVmRunner(vmm::Backend& backend, VmConsoleOutput::TextFn console,
                             Options options)
    : backend_(backend), console_(std::move(console)), options_(options) {}

std::expected<std::unique_ptr<RunningVm>, std::string> LinuxVmRunner::start(VmLaunch launch) {
  auto vm = start_linux(std::move(launch));
  if (!vm) return std::unexpected(std::move(vm.error()));
  return std::unique_ptr<RunningVm>(std::move(*vm));
}

std::expected<std::unique_ptr<LinuxRunningVm>, std::string> LinuxVmRunner::start_linux(
    VmLaunch launch) {
  const VmSpec& spec = *launch.spec;
  auto kernel =
      read_image_file(spec.boot_source.kernel_image_path, "kernel", options_.max_kernel_bytes);
  if (!kernel) return std::unexpected(kernel.error());
  std::vector<uint8_t> initrd;
  if (spec.boot_source.initrd_path) {
    auto read = read_image_file(*spec.boot_source.initrd_path, "initrd", options_.max_initrd_bytes);
    if (!read) return std::unexpected(read.error());
    initrd = std::move(*read);
  }
  const std::string prefix = spec.name.value_or(launch.id) + ": ";
  auto console = VmConsoleOutput::open(
      launch.console, prefix, spec.console.appliance_console ? console_.writer(prefix) : nullptr,
      spec.console.log_path, options_.max_log_bytes);
  if (!console) return std::unexpected(console.error());
  // Idempotent, process-wide: the VM's end and pause() kick vCPUs out of VP_RUN with it.
  if (auto k = vmm::install_kick_handler(); !k) {
    return std::unexpected("vCPU kick signal: " + vmm::describe(k.error()));
  }
  std::unique_ptr<LinuxRunningVm> handle(
      new LinuxRunningVm(std::move(*console), std::move(launch.on_exit)));

  vmm::LinuxVmConfig config;
  config.ram_mib = spec.machine_config.mem_size_mib;
  config.vcpus = spec.machine_config.vcpu_count;
  config.kernel = *kernel;
  config.initramfs = initrd;
  if (spec.boot_source.boot_args) config.cmdline = *spec.boot_source.boot_args;
  config.console = [out = handle->console_.get()](uint8_t byte) { out->put(byte); };
  config.stop_timeout = options_.stop_timeout;
  auto devices = VirtioDevices::open(spec, launch.id);
  if (!devices) return std::unexpected(devices.error());
  handle->devices_ = *devices;
  config.extra_devices = std::move(*devices);
  // create() copies the images into the VM's RAM: `kernel` and `initrd` go when this returns.
  auto vm = vmm::LinuxVm::create(backend_, std::move(config));
  if (!vm) return std::unexpected(vmm::describe(vm.error()));
  handle->vm_ = std::move(*vm);
  try {
    handle->thread_ = std::thread([h = handle.get()] { h->run(); });
  } catch (const std::system_error& e) {
    // The handle's end stops and frees the VM that never ran; on_exit is not called.
    return std::unexpected(std::string("cannot start the VM's thread: ") + e.what());
  }
  return handle;
}

}  // namespace rootstock::appliance
