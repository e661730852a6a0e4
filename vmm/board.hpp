// The board a child's devices are plugged into: the machine assembled from parts. It holds the
// buses (port I/O, MMIO, and a PCI bus when a device needs one), the interrupt lines, what a device
// may use while the child runs (the clocks, the console, the VM's end) and the two controls the
// VM's owner has on devices (the power button, typed console input). A device is a model with a
// plug function (pc_devices.hpp lists them) that makes it with add_device(), puts its ranges on the
// buses and asks for its interrupt line; the board owns what it made, each device behind its own
// lock (locked_device.hpp). Nothing here knows hv: the lines deliver to the InterruptSink the
// owner wires in (LinuxVm: PARTITION_INTERRUPT).
//
// Assembly (add_*, *_line, set_power_button, add_console_input) happens on one thread before
// any vCPU runs; everything else may be called from any thread.
#pragma once

#include <stdint.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "vmm/acpi/acpi_builder.hpp"
#include "vmm/doorbell_sink.hpp"
#include "vmm/error.hpp"
#include "vmm/interrupt_line.hpp"
#include "vmm/io_bus.hpp"
#include "vmm/locked_device.hpp"
#include "vmm/mmio_bus.hpp"
#include "vmm/pci/pci_bus.hpp"

namespace rootstock::vmm {

/// Why a device ends the VM.
enum class BoardEnd : uint8_t {
  kPowerOff,  ///< the child asked for soft-off (ACPI S5)
  kReset,     ///< the child asked for a platform reset
};

/// A child's devices, buses and interrupt lines.
class Board {
 public:
  /// Nanoseconds on a monotonic clock.
  using MonotonicClockFn = std::function<uint64_t()>;
  /// Seconds since 1970-01-01 00:00:00 UTC.
  using WallClockFn = std::function<int64_t()>;
  /// A device ends the VM; called on the vCPU thread of the access, under the device's lock.
  using EndFn = std::function<void(BoardEnd end, std::string detail)>;
  /// Each byte the child writes to its console.
  using ConsoleFn = std::function<void(uint8_t byte)>;

  /// What the owner gives the board.
  struct Wiring {
    acpi::AcpiConfig platform;            ///< the PC the child's ACPI tables describe
    InterruptSink* interrupts = nullptr;  ///< where the lines deliver; outlives the board
    MonotonicClockFn now_ns;
    WallClockFn wall_seconds;
    EndFn end;
    DoorbellSink* doorbells = nullptr;  ///< where transports' doorbells go, if anywhere
  };

  explicit Board(Wiring wiring);
  Board(const Board&) = delete;
  Board& operator=(const Board&) = delete;

  // ---- Assembly, by the devices' plug functions ----

  /// Makes a `Model` from `args`, owned by the board, behind its own lock; `name` is for errors.
  template <typename Model, typename... Args>
  LockedDevice<Model>& add_device(std::string name, Args&&... args) {
    auto device =
        std::make_unique<LockedDevice<Model>>(std::move(name), std::forward<Args>(args)...);
    LockedDevice<Model>& made = *device;
    devices_.push_back(std::move(device));
    return made;
  }
  /// Ports [first, first + count) to `device` (IoBus::add).
  template <typename Model>
  [[nodiscard]] Result<void> add_ports(LockedDevice<Model>& device, uint16_t first,
                                       uint32_t count) {
    return io_.add(first, count, device.ports(), device.name());
  }
  /// Guest-physical [gpa, gpa + size) to `device` (MmioBus::add).
  template <typename Model>
  [[nodiscard]] Result<void> add_mmio(LockedDevice<Model>& device, uint64_t gpa, uint64_t size) {
    return mmio_.add(gpa, size, device.mmio(), device.name());
  }
  /// Gives the board a PCI bus (pci/pci_bus.hpp) whose BARs decode in guest-physical
  /// [window_base, window_base + window_size): its configuration ports and its window go on the
  /// port and MMIO buses. Once; the child's ACPI tables must describe the same window
  /// (acpi::PciHost).
  [[nodiscard]] Result<pci::PciBus*> enable_pci(uint64_t window_base, uint64_t window_size);
  /// The PCI bus, or null before enable_pci().
  [[nodiscard]] pci::PciBus* pci() { return pci_.get(); }
  /// `device` as a function on the PCI bus (PciBus::add); returns its device number.
  template <typename Model>
  [[nodiscard]] Result<uint8_t> add_pci(LockedDevice<Model>& device) {
    if (!pci_) return fail(device.name() + ": this board has no PCI bus");
    return pci_->add(device.pci(), device.name());
  }
  /// The line of ISA IRQ `irq` (0-15) where the MADT routes it: the GSI and trigger mode of its
  /// Interrupt Source Override, else GSI `irq`, edge-triggered (ACPI 6.5, 5.2.12.5).
  [[nodiscard]] Result<InterruptLine*> isa_line(uint32_t irq);
  /// A line on `gsi`, one of the I/O APIC's pins. A GSI has at most one line: a second device
  /// on it would need the lines OR-ed, which no device here needs, so it is refused.
  [[nodiscard]] Result<InterruptLine*> gsi_line(uint32_t gsi, Trigger trigger);
  /// What press_power_button() does; one device may offer it.
  [[nodiscard]] Result<void> set_power_button(std::function<void()> press);
  /// A console device that takes typed input: console_input() feeds every one, so the child
  /// reads it on whichever console it uses (the UART's ttyS0, virtio's hvc0).
  [[nodiscard]] Result<void> add_console_input(std::function<void(std::string_view)> feed);

  // ---- For devices ----

  [[nodiscard]] const acpi::AcpiConfig& platform() const { return wiring_.platform; }
  [[nodiscard]] uint64_t now_ns() const { return wiring_.now_ns(); }
  [[nodiscard]] int64_t wall_seconds() const { return wiring_.wall_seconds(); }
  /// Ends the VM (the owner's EndFn).
  void end(BoardEnd end, std::string detail) { wiring_.end(end, std::move(detail)); }
  /// A byte for the owner's console, if it has one.
  void console_output(uint8_t byte);

  // ---- For the owner ----

  [[nodiscard]] IoBus& io() { return io_; }
  [[nodiscard]] MmioBus& mmio() { return mmio_; }
  /// Where message signalled interrupts go (msix.hpp).
  [[nodiscard]] InterruptSink& interrupts() { return *wiring_.interrupts; }
  /// Where transports register their doorbells; null when the owner offers none (then every
  /// kick is an exit to the VMM).
  [[nodiscard]] DoorbellSink* doorbells() { return wiring_.doorbells; }
  /// Where console_output() goes; nullptr drops it. Once this returns, the previous function is
  /// not called again (so it may point into a caller that goes next).
  void set_console_output(ConsoleFn output);
  /// The power button; false if no device offers one.
  bool press_power_button();
  /// Typed input for the console device; false if there is none.
  bool console_input(std::string_view bytes);

 private:
  Wiring wiring_;
  IoBus io_;
  MmioBus mmio_;
  std::vector<std::unique_ptr<InterruptLine>> lines_;
  std::vector<std::unique_ptr<BoardDevice>> devices_;  // after lines_: they hold lines
  std::unique_ptr<pci::PciBus> pci_;                   // on io_ and mmio_ once enabled
  std::function<void()> power_button_;
  std::vector<std::function<void(std::string_view)>> console_inputs_;
  std::mutex console_mutex_;
  ConsoleFn console_output_;  // under console_mutex_
};

}  // namespace rootstock::vmm
