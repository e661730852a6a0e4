// The seam between the VM manager and whatever runs a VM: the manager starts VMs through a
// VmRunner and drives each through its RunningVm handle, so it knows nothing of vmm/ (but what
// the devices count) and unit tests run it over a fake. The real runner is LinuxVmRunner
// (linux_vm_runner.hpp: vmm::LinuxVm on a thread).
#pragma once

#include <stdint.h>

#include <expected>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "appliance/console_ring.hpp"
#include "appliance/vm_spec.hpp"
#include "vmm/virtio/device_counters.hpp"

namespace rootstock::appliance {

/// How a VM's run ended (the words of the vm-exited milestone).
enum class ExitReason : uint8_t {
  kPowerOff,     ///< the guest powered off (ACPI S5)
  kReset,        ///< the guest reset itself
  kTripleFault,  ///< a vCPU shut down
  kFailed,       ///< the VMM could not go on (or the VM could not be built)
  kStopped,      ///< RunningVm::stop() ended it
};

/// "poweroff", "reset", "triple-fault", "failed", "stopped".
[[nodiscard]] const char* describe(ExitReason reason);

/// A run's end, with what the runner can say about it ("vcpu 1: …").
struct VmExit {
  ExitReason reason = ExitReason::kStopped;
  std::string detail;
  std::string stats;  ///< what the run cost, for people ("1234 exits, …"); may be empty
  bool operator==(const VmExit&) const = default;
};

/// One virtio-blk disk's counts (the spec's drive), and how often its medium was replaced.
struct DriveFigures {
  std::string drive_id;
  vmm::virtio::BlockCounters counters;
  uint64_t medium_replacements = 0;
};

/// One virtio-net interface's counts (the spec's network interface).
struct InterfaceFigures {
  std::string iface_id;
  vmm::virtio::NetCounters counters;
};

/// What a running VM has done so far, for the API's metrics.
struct VmFigures {
  /// hv's counts of the guest's exits by kind (docs/hypercalls.md, RS_STAT_*), every vCPU's.
  std::vector<std::pair<std::string, uint64_t>> exits_by_kind;
  uint64_t vmm_exits = 0;  ///< the exits the VMM's user space handled (port I/O, MMIO)
  uint32_t vcpus = 0;
  /// CPU time every vCPU's thread used (vmm::LinuxVm::vcpu_cpu_time), nanoseconds.
  uint64_t vcpu_time_ns = 0;
  /// Pages the root deposited with hv for the VM (its nested page tables, VMCBs, run state:
  /// its cost to hv beyond its RAM), and how many of them hv uses (PARTITION_QUERY).
  uint64_t hv_pages = 0;
  uint64_t hv_pages_used = 0;
  /// 4 KiB pages of the root's memory mapped into the VM as its RAM (PARTITION_QUERY).
  uint64_t mapped_pages = 0;
  std::vector<DriveFigures> drives;  ///< in the spec's order
  std::vector<InterfaceFigures> interfaces;
};

/// One started VM. Its methods may be called from any thread, also after the VM ended (then
/// they do nothing).
class RunningVm {
 public:
  /// Waits until the exit callback has returned, or stops the VM first if it still runs. Never
  /// called from inside the exit callback.
  virtual ~RunningVm() = default;
  /// Parks every vCPU; false if that did not happen within the runner's bound.
  [[nodiscard]] virtual bool pause() = 0;
  virtual void resume() = 0;
  /// Asks the guest to shut down (ACPI power button); it may ignore it.
  virtual void power_button() = 0;
  /// Ends the VM; the exit callback follows within the runner's own bound.
  virtual void stop() = 0;
  /// Bytes typed for the VM's console, queued for its serial port.
  virtual void send_input(std::string_view bytes) = 0;
  /// The size of the terminal the VM's console is shown in (its hvc0 follows it).
  virtual void resize_console(uint16_t cols, uint16_t rows) = 0;
  /// Its figures now (all zero once it ended, or for a runner that keeps none).
  [[nodiscard]] virtual VmFigures figures() { return {}; }
  /// Gives the running child's drive `drive_id` the file `path` as its medium (the drive's
  /// read-only setting stays); the refusal's words when that cannot be done.
  [[nodiscard]] virtual std::expected<void, std::string> replace_drive(const std::string& drive_id,
                                                                       const std::string& path) {
    (void)drive_id;
    (void)path;
    return std::unexpected("this VM's runner cannot change a drive while it runs");
  }
};

/// What a runner gets to start a VM.
struct VmLaunch {
  std::string id;
  /// Shared, and never changed: the runner may keep it as long as it likes.
  std::shared_ptr<const VmSpec> spec;
  /// Where the runner puts the VM's console output.
  std::shared_ptr<ConsoleRing> console;
  /// Called exactly once when a successfully started VM ends, on any thread (possibly before
  /// start() has returned, possibly inside stop()); never when start() fails.
  std::function<void(VmExit)> on_exit;
};

/// Starts VMs.
class VmRunner {
 public:
  virtual ~VmRunner() = default;
  /// Builds and starts the VM, or says why it could not.
  [[nodiscard]] virtual std::expected<std::unique_ptr<RunningVm>, std::string> start(
      VmLaunch launch) = 0;
};

}  // namespace rootstock::appliance
