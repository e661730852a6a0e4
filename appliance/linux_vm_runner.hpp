// The real VmRunner: a VmSpec becomes a vmm::LinuxVm on the backend it was given (hvroot in
// PID 1, the fake in unit tests), run on a thread of its own until it ends. The spec's paths are
// read here, bounded, so nothing below appliance/ sees a path a user chose.
#pragma once

#include <stdint.h>

#include <chrono>
#include <expected>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>

#include "appliance/console_mux.hpp"
#include "appliance/virtio_devices.hpp"
#include "appliance/vm_console_output.hpp"
#include "appliance/vm_runner.hpp"
#include "vmm/backend.hpp"

namespace rootstock::vmm {
class LinuxVm;
}

namespace rootstock::appliance {

/// What LinuxRunningVm::press_power_button() did.
enum class PowerButtonResult : uint8_t {
  kPressed,  ///< the child got an ACPI power-button event (it may ignore it)
  kEnded,    ///< the run has ended: there is no child to press it for
};

/// One run of a LinuxVm. Every method may be called from any thread, also after the run ended
/// (then it does nothing); the exit callback runs on the run's own thread.
class LinuxRunningVm final : public RunningVm {
 public:
  /// Stops the VM if it still runs and waits until the exit callback has returned.
  ~LinuxRunningVm() override;
  LinuxRunningVm(const LinuxRunningVm&) = delete;
  LinuxRunningVm& operator=(const LinuxRunningVm&) = delete;

  /// true also once the run has ended (no vCPU runs).
  [[nodiscard]] bool pause() override;
  void resume() override;
  /// press_power_button(), its result dropped: the seam has no way to say it did nothing.
  void power_button() override;
  void stop() override;

  /// The child's ACPI power button (vmm::LinuxVm::press_power_button): a Linux child shuts
  /// down in order; one that ignores it is stopped by the VM manager at the end of its grace.
  [[nodiscard]] PowerButtonResult press_power_button();
  /// Bytes typed for the VM, queued for its UART (COM1).
  void send_input(std::string_view bytes) override;
  void resize_console(uint16_t cols, uint16_t rows) override;
  [[nodiscard]] VmFigures figures() override;
  [[nodiscard]] std::expected<void, std::string> replace_drive(const std::string& drive_id,
                                                               const std::string& path) override;

 private:
  friend class LinuxVmRunner;
  LinuxRunningVm(std::unique_ptr<VmConsoleOutput> console, std::function<void(VmExit)> on_exit);
  void run();  // the run's thread

  std::unique_ptr<VmConsoleOutput> console_;  // before vm_, so it outlives the VM's callback
  // Exclusive only for the run's thread dropping vm_ when the VM has ended; the methods above
  // share it, so that a pause() kicking vCPUs for seconds holds up no stop().
  std::shared_mutex vm_mutex_;
  std::unique_ptr<vmm::LinuxVm> vm_;
  std::shared_ptr<VirtioDevices> devices_;  // used only while vm_ (whose board has them) lives
  std::function<void(VmExit)> on_exit_;
  std::thread thread_;  // last: started once everything above is in place
};

/// Starts LinuxVms from specs.
class LinuxVmRunner final : public VmRunner {
 public:
  struct Options {
    uint64_t max_kernel_bytes = uint64_t{64} << 20;   ///< bzImages are ~10-30 MiB
    uint64_t max_initrd_bytes = uint64_t{512} << 20;  ///< half of LinuxVm's largest RAM
    uint64_t max_log_bytes = uint64_t{64} << 20;      ///< per run, into console.log_path
    /// How long pause() and the VM's end kick a vCPU that stays in VP_RUN
    /// (vmm::LinuxVmConfig::stop_timeout).
    std::chrono::milliseconds stop_timeout{10'000};
  };

  /// `console` gets each VM's text for the appliance console (VmConsoleOutput::TextFn); it must
  /// be safe to call from several threads at once. `backend` must outlive every VM this runner
  /// starts.
  LinuxVmRunner(vmm::Backend& backend, VmConsoleOutput::TextFn console)
      : LinuxVmRunner(backend, std::move(console), Options{}) {}
  LinuxVmRunner(vmm::Backend& backend, VmConsoleOutput::TextFn console, Options options);

  /// start_linux(), as the seam's handle.
  [[nodiscard]] std::expected<std::unique_ptr<RunningVm>, std::string> start(
      VmLaunch launch) override;
  /// Reads the images, builds the VM and starts its thread; on failure nothing is left running
  /// and the message names the file or the setting at fault.
  [[nodiscard]] std::expected<std::unique_ptr<LinuxRunningVm>, std::string> start_linux(
      VmLaunch launch);

 private:
  vmm::Backend& backend_;
  ConsoleMux console_;  // every VM's text, one line at a time
  Options options_;
};

}  // namespace rootstock::appliance
