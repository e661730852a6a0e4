// A Linux child VM assembled from the VMM's parts (issue 7, first step): RAM from guest-physical
// 0, the child's ACPI tables in the BIOS area, the kernel and initramfs through the 64-bit boot
// protocol, one VP, and the port bus with the console UART at COM1, the ACPI PM block and PM
// timer, the PIT (with port 0x61) and the 0xcf9 reset register. There is no interrupt
// controller for the child yet (issue 7: LAPIC/IOAPIC in hv), so such a child gets as far as a
// kernel gets without interrupts: its banner and early boot on the console.
#pragma once

#include <stdint.h>

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "vmm/backend.hpp"
#include "vmm/devices/acpi_pm.hpp"
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
  std::span<const uint8_t> kernel;     ///< a bzImage
  std::span<const uint8_t> initramfs;  ///< may be empty
  std::string cmdline = "console=ttyS0";
  /// Each byte the child writes to its console (COM1).
  std::function<void(uint8_t)> console;
};

/// One Linux child with one vCPU.
class LinuxVm {
 public:
  /// Builds the VM: nothing runs yet.
  [[nodiscard]] static Result<std::unique_ptr<LinuxVm>> create(Backend& backend,
                                                               LinuxVmConfig config);

  /// Runs the boot vCPU until an exit the VM cannot continue from (HLT with nothing to wake
  /// it, shutdown, a stop request) and returns it.
  [[nodiscard]] Result<VpExit> run();
  /// The boot vCPU (request_stop(), counters).
  [[nodiscard]] Vp& vp() { return *vp_; }
  [[nodiscard]] uint64_t unclaimed_io() const { return bus_.unclaimed(); }
  /// Whether the child asked for soft-off (ACPI S5) or a reset (0xcf9).
  [[nodiscard]] bool powered_off() const { return powered_off_; }
  [[nodiscard]] bool reset_requested() const { return reset_requested_; }

 private:
  explicit LinuxVm(LinuxVmConfig config, GuestMemory ram);
  Result<void> build(Backend& backend);

  // Memory-mapped I/O with no device behind it: reads all ones, writes dropped, as on an empty
  // bus (the LAPIC and IOAPIC pages among them until hv emulates them).
  struct EmptyMmio final : MmioHandler {
    uint64_t accesses = 0;
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
  devices::Uart16550 uart_;
  devices::AcpiPm pm_;
  devices::Pit8254 pit_;
  devices::ResetPort reset_;
  bool powered_off_ = false;
  bool reset_requested_ = false;
  IoBus bus_;
  EmptyMmio mmio_;
  std::optional<Partition> partition_;
  std::optional<Vp> vp_;
};

}  // namespace rootstock::vmm
