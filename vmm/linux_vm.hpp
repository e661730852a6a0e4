// A Linux child VM assembled from the VMM's parts: RAM from guest-physical 0, the child's ACPI
// tables in the BIOS area (MADT with its vCPUs and the I/O APIC hv emulates), the kernel and
// initramfs through the 64-bit boot protocol, one thread per vCPU around VP_RUN, and the port
// bus with the console UART at COM1 (its interrupt on GSI 4), the ACPI PM block and PM timer,
// the PIT (with port 0x61), the CMOS RTC and the 0xcf9 reset register. The child's LAPICs, I/O APIC
// and timers are hv's (docs/hypercalls.md "Child interrupts"): halts sleep in the driver.
#pragma once

#include <stdint.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "vmm/backend.hpp"
#include "vmm/devices/acpi_pm.hpp"
#include "vmm/devices/cmos_rtc.hpp"
#include "vmm/devices/pit8254.hpp"
#include "vmm/devices/reset_port.hpp"
#include "vmm/devices/uart16550.hpp"
#include "vmm/guest_memory.hpp"
#include "vmm/io_bus.hpp"
#include "vmm/partition.hpp"
#include "vmm/vp.hpp"

namespace rootstock::vmm {

/// What the child is made of.
struct LinuxVmConfig {
  uint64_t ram_mib = 256;
  uint32_t vcpus = 1;                  ///< 1 .. kMaxVcpus
  std::span<const uint8_t> kernel;     ///< a bzImage
  std::span<const uint8_t> initramfs;  ///< may be empty
  std::string cmdline = "console=ttyS0";
  /// Each byte the child writes to its console (COM1); called on a vCPU thread.
  std::function<void(uint8_t)> console;
};

/// How a child VM ended.
struct LinuxVmExit {
  enum class Reason : uint8_t {
    kPowerOff,     ///< the child entered ACPI S5
    kReset,        ///< the child wrote the reset register (0xcf9)
    kTripleFault,  ///< a vCPU shut down (`vcpu` says which)
    kStopped,      ///< stop() was called
    kFailed,       ///< a vCPU could not go on (`detail` says why)
  };
  Reason reason = Reason::kStopped;
  uint32_t vcpu = 0;
  std::string detail;
};

/// A word for a log and for the vm-exited milestone ("poweroff", "triple-fault", …).
[[nodiscard]] const char* describe(LinuxVmExit::Reason reason);

/// Where a vCPU's thread is (the VMM's state machine around VP_RUN): not yet started; running
/// (in VP_RUN or handling an exit); paused (parked outside VP_RUN until resume()); stopped (its
/// thread is done: the VM ended).
enum class VcpuState : uint8_t { kNotStarted, kRunning, kPaused, kStopped };

/// "not-started", "running", "paused" or "stopped".
[[nodiscard]] const char* describe(VcpuState state);

/// One Linux child.
class LinuxVm {
 public:
  static constexpr uint32_t kMaxVcpus = 64;

  /// Builds the VM: nothing runs yet.
  [[nodiscard]] static Result<std::unique_ptr<LinuxVm>> create(Backend& backend,
                                                               LinuxVmConfig config);
  ~LinuxVm();
  LinuxVm(const LinuxVm&) = delete;
  LinuxVm& operator=(const LinuxVm&) = delete;

  /// Runs every vCPU on its own thread until the VM ends (power-off, reset, a triple fault, a
  /// vCPU error, or stop()), stops the other vCPUs and returns why it ended.
  [[nodiscard]] LinuxVmExit run();
  /// Ends run() from another thread.
  void stop();
  /// Parks every vCPU outside VP_RUN (a halted or busy one is kicked out) and returns once
  /// none is running; false if one still ran after kStopTimeout. The child's state and its
  /// devices stay as they are; its clock (the TSC) goes on.
  [[nodiscard]] bool pause();
  /// Lets paused vCPUs enter VP_RUN again.
  void resume();
  [[nodiscard]] std::vector<VcpuState> vcpu_states();
  /// Typed input for the child's console: queued, and fed to the UART as the child reads.
  void send_input(std::string_view bytes);

  [[nodiscard]] uint32_t vcpu_count() const { return static_cast<uint32_t>(vps_.size()); }
  /// Exits the VMM handled (port and MMIO) on every vCPU.
  [[nodiscard]] uint64_t handled_exits() const;
  /// Exits each vCPU returned from VP_RUN with (rs_run_page.exit_count), summed.
  [[nodiscard]] uint64_t vp_exits();
  /// hv's counts of every vCPU's guest exits by kind (rs_run_page.exit_stats), summed, as
  /// "cpuid=N msr=N …" with the kinds that occurred.
  [[nodiscard]] std::string exit_stats();
  [[nodiscard]] uint64_t unclaimed_io() const { return bus_.unclaimed(); }

 private:
  explicit LinuxVm(LinuxVmConfig config, GuestMemory ram);
  Result<void> build(Backend& backend);
  void vcpu_thread(uint32_t index);
  // Under state_mutex_: asks every Vp to leave VP_RUN and kicks, every kKickInterval, the
  // threads whose vCPU is still in a state `still_in` accepts, until none is (true) or
  // kStopTimeout has passed (false).
  bool kick_out(std::unique_lock<std::mutex>& lock, bool (*still_in)(VcpuState));
  void feed_input();  // under io_mutex_
  void end(LinuxVmExit exit);

  // Port I/O and MMIO from every vCPU thread, serialised: the device models are not
  // thread-safe, and the console input is fed after each access.
  struct SerialPorts final : PortIoHandler {
    LinuxVm* vm = nullptr;
    Next out(uint16_t port, uint8_t size, uint32_t value) override;
    uint32_t in(uint16_t port, uint8_t size) override;
  };
  // Memory-mapped I/O with no device behind it: reads all ones, writes dropped, as on an empty
  // bus. (The LAPIC and I/O APIC pages never get here: hv emulates them.)
  struct EmptyMmio final : MmioHandler {
    std::atomic<uint64_t> accesses{0};
    uint64_t read(uint64_t, uint8_t) override {
      ++accesses;
      return ~uint64_t{0};
    }
    Next write(uint64_t, uint8_t, uint64_t) override {
      ++accesses;
      return Next::kContinue;
    }
  };

  LinuxVmConfig config_;
  GuestMemory ram_;
  std::mutex io_mutex_;  // the devices, bus_ and input_
  devices::Uart16550 uart_;
  devices::AcpiPm pm_;
  devices::Pit8254 pit_;
  devices::ResetPort reset_;
  devices::CmosRtc rtc_;
  IoBus bus_;
  std::deque<uint8_t> input_;
  SerialPorts ports_;
  EmptyMmio mmio_;
  std::optional<Partition> partition_;
  std::vector<Vp> vps_;

  // The end of the VM (the first reason wins), the pause request and each vCPU's state: one
  // mutex, so that a parked vCPU cannot miss either the end or a resume.
  std::mutex state_mutex_;
  std::condition_variable state_cv_;
  std::optional<LinuxVmExit> end_;
  bool pause_requested_ = false;
  std::vector<VcpuState> vcpu_states_;
  std::vector<std::thread> threads_;
};

}  // namespace rootstock::vmm
