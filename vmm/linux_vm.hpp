// A Linux child VM assembled from the VMM's parts: RAM from guest-physical 0, the child's ACPI
// tables in the BIOS area (MADT with its vCPUs and the I/O APIC hv emulates), the kernel and
// initramfs through the 64-bit boot protocol, one thread per vCPU around VP_RUN, and a board
// (board.hpp) with the PC's devices plugged in (pc_devices.hpp: the console UART at COM1, the
// ACPI PM block and PM timer, the PIT with port 0x61, the 0xcf9 reset register, the CMOS RTC),
// each behind its own lock, their interrupt lines wired to hv's PARTITION_INTERRUPT. The
// child's LAPICs, I/O APIC and timers are hv's (docs/hypercalls.md "Child interrupts"): halts
// sleep in the driver.
#pragma once

#include <stdint.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "vmm/backend.hpp"
#include "vmm/extra_devices.hpp"

namespace rootstock::vmm {

/// What the child is made of.
struct LinuxVmConfig {
  uint64_t ram_mib = 256;
  uint32_t vcpus = 1;                  ///< 1 .. kMaxVcpus
  std::span<const uint8_t> kernel;     ///< a bzImage
  std::span<const uint8_t> initramfs;  ///< may be empty
  std::string cmdline = "console=ttyS0";
  /// Devices beyond the PC's (virtio disks …), kept as long as the machine; null: none.
  std::shared_ptr<ExtraDevices> extra_devices;
  /// Each byte the child writes to its console (COM1); called on a vCPU thread.
  std::function<void(uint8_t)> console;
  /// Virtio kicks through hvroot's doorbells (docs/hvroot.md "Doorbells"), without an exit to
  /// the VMM; false makes every kick one (the "before" of the exits-per-request figures).
  bool doorbells = true;
  /// How long run() and pause() kick a vCPU that stays in VP_RUN before they give up on it.
  std::chrono::steady_clock::duration stop_timeout = std::chrono::seconds(10);
};

/// rs_run_page.exit_stats of every vCPU, totalled.
struct ExitCounts {
  uint64_t guest_exits = 0;  ///< every exit kind (not RS_STAT_INJECTED or _TIMER_REARM)
  uint64_t doorbells = 0;    ///< RS_STAT_DOORBELL
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

/// One Linux child. Its devices, partition, VPs and vCPU state live in a block each vCPU thread
/// co-owns (Machine): destroying the LinuxVm while a thread is still stuck in VP_RUN (run() gave
/// up on it after `stop_timeout`) frees nothing that thread touches when it comes back; the block
/// goes with the last thread (docs/vmm.md, "A vCPU thread that does not stop").
class LinuxVm {
 public:
  static constexpr uint32_t kMaxVcpus = 64;

  /// Builds the VM: nothing runs yet.
  [[nodiscard]] static Result<std::unique_ptr<LinuxVm>> create(Backend& backend,
                                                               LinuxVmConfig config);
  /// The console callback is never called again once this returns; a vCPU thread still in
  /// VP_RUN keeps the VM's memory and partition until it returns (stranded_vms()).
  ~LinuxVm();
  LinuxVm(const LinuxVm&) = delete;
  LinuxVm& operator=(const LinuxVm&) = delete;

  /// Runs every vCPU on its own thread until the VM ends (power-off, reset, a triple fault, a
  /// vCPU error, or stop()), stops the other vCPUs and returns why it ended; a vCPU still in
  /// VP_RUN after `stop_timeout` is left to itself and named in `detail` ("did not stop").
  [[nodiscard]] LinuxVmExit run();
  /// Ends run() from another thread.
  void stop();
  /// Parks every vCPU outside VP_RUN (a halted or busy one is kicked out) and returns once
  /// none is running; false if one still ran after `stop_timeout`. The child's state and its
  /// devices stay as they are; its clock (the TSC) goes on.
  [[nodiscard]] bool pause();
  /// Lets paused vCPUs enter VP_RUN again.
  void resume();
  [[nodiscard]] std::vector<VcpuState> vcpu_states();
  /// The ACPI power button (PWRBTN_STS and the SCI, if the child enabled the event): a Linux
  /// child answers with an orderly shutdown that ends in S5 (run() returns kPowerOff).
  void press_power_button();
  /// Typed input for the child's console: queued, and fed to the UART as the child reads.
  void send_input(std::string_view bytes);

  [[nodiscard]] uint32_t vcpu_count() const;
  /// The CPU time every vCPU's thread has used (the child's running time and the VMM's exit
  /// handling; halts sleep): thread_cpu_time.hpp.
  [[nodiscard]] std::chrono::nanoseconds vcpu_cpu_time() const;
  /// hv's PARTITION_QUERY for the child: its mapped pages and the pages the root deposited
  /// with hv for it (nested page tables, VMCBs, run state: the child's cost to hv beyond its
  /// RAM). PARTITION_QUERY is cheap (no walk), so this is fine for metrics.
  [[nodiscard]] Result<hvroot_partition_info> partition_info();
  /// Exits the VMM handled (port and MMIO) on every vCPU.
  [[nodiscard]] uint64_t handled_exits() const;
  /// Exits each vCPU returned from VP_RUN with (rs_run_page.exit_count), summed.
  [[nodiscard]] uint64_t vp_exits();
  /// hv's counts of every vCPU's guest exits by kind (rs_run_page.exit_stats), summed, as
  /// "cpuid=N msr=N …" with the kinds that occurred.
  [[nodiscard]] std::string exit_stats();
  /// The same counts, totalled: every guest exit hv saw, and the doorbells among them.
  [[nodiscard]] ExitCounts exit_counts();
  /// The same counts by kind (RS_STAT_*), summed over the vCPUs, with the kinds' names.
  [[nodiscard]] std::vector<std::pair<const char*, uint64_t>> exit_counts_by_kind();
  [[nodiscard]] uint64_t unclaimed_io() const;
  /// Accesses to guest-physical addresses with neither RAM nor a device behind them (they read
  /// all ones; writes are dropped).
  [[nodiscard]] uint64_t unclaimed_mmio() const;

  /// VMs destroyed while one of their vCPU threads was still in VP_RUN, whose memory and
  /// partition that thread still holds (process-wide; 0 once every such thread returned).
  [[nodiscard]] static size_t stranded_vms();

 private:
  struct Machine;  // everything a vCPU thread touches (linux_vm.cpp)
  explicit LinuxVm(std::shared_ptr<Machine> machine);
  // Under the machine's state mutex: asks every Vp to leave VP_RUN and kicks, every
  // kKickInterval, the threads whose vCPU is still in a state `still_in` accepts, until none is
  // (true) or `stop_timeout` has passed (false).
  bool kick_out(std::unique_lock<std::mutex>& lock, bool (*still_in)(VcpuState));

  std::shared_ptr<Machine> m_;
  std::vector<std::thread> threads_;  // run()'s, under the machine's state mutex (pause() kicks)
};

}  // namespace rootstock::vmm
