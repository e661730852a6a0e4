// A device model behind a lock of its own: every bus access to it and every call its owner makes
// (a power button, typed input) runs under that lock, and nothing else does. The models are not
// thread-safe (vmm/devices/: "the owner serialises"); one lock per device instead of one for the
// whole machine lets a vCPU in the UART go on while another is in the PIT.
//
// Lock order: a device's lock is taken first, by the bus or the owner; inside it a model may take
// the locks of the things it reaches: its interrupt line (interrupt_line.hpp), the board's
// console and the VM's end (board.hpp). None of those calls into a device, so no device lock is
// ever taken while one of them is held, and no device lock while another device's is.
#pragma once

#include <stdint.h>

#include <concepts>
#include <mutex>
#include <string>
#include <type_traits>
#include <utility>

#include "vmm/devices.hpp"
#include "vmm/pci/pci_function.hpp"

namespace rootstock::vmm {

/// What a board owns a device through, whatever its model.
class BoardDevice {
 public:
  virtual ~BoardDevice() = default;
  /// The name the board gave it (in bus errors).
  [[nodiscard]] virtual const std::string& name() const = 0;
};

/// `Model` with its lock; its bus handlers take the lock around each access.
template <typename Model>
class LockedDevice final : public BoardDevice {
 public:
  /// Whether the model takes port I/O, MMIO.
  static constexpr bool kPorts = std::derived_from<Model, PortIoHandler>;
  static constexpr bool kMmio = std::derived_from<Model, MmioHandler>;
  /// Whether the model is a PCI function (pci/pci_function.hpp).
  static constexpr bool kPci = std::derived_from<Model, pci::PciFunction>;

  template <typename... Args>
  explicit LockedDevice(std::string name, Args&&... args)
      : name_(std::move(name)), model_(std::forward<Args>(args)...) {}
  LockedDevice(const LockedDevice&) = delete;
  LockedDevice& operator=(const LockedDevice&) = delete;

  [[nodiscard]] const std::string& name() const override { return name_; }

  /// Runs `fn(model)` under the device's lock and returns what it returns.
  template <typename Fn>
  decltype(auto) with(Fn&& fn) {
    std::lock_guard lock(mutex_);
    return std::forward<Fn>(fn)(model_);
  }

  /// The model's port I/O under the lock, for IoBus::add.
  PortIoHandler& ports()
    requires kPorts
  {
    return ports_;
  }
  /// The model's MMIO under the lock, for MmioBus::add.
  MmioHandler& mmio()
    requires kMmio
  {
    return mmio_;
  }
  /// The model's PCI function under the lock, for PciBus::add.
  pci::PciFunction& pci()
    requires kPci
  {
    return pci_;
  }

 private:
  struct Ports final : PortIoHandler {
    explicit Ports(LockedDevice& d) : device(d) {}
    Next out(uint16_t port, uint8_t size, uint32_t value) override {
      return device.with([&](Model& m) { return m.out(port, size, value); });
    }
    uint32_t in(uint16_t port, uint8_t size) override {
      return device.with([&](Model& m) { return m.in(port, size); });
    }
    LockedDevice& device;
  };
  struct Mmio final : MmioHandler {
    explicit Mmio(LockedDevice& d) : device(d) {}
    uint64_t read(uint64_t gpa, uint8_t size) override {
      return device.with([&](Model& m) { return m.read(gpa, size); });
    }
    Next write(uint64_t gpa, uint8_t size, uint64_t value) override {
      return device.with([&](Model& m) { return m.write(gpa, size, value); });
    }
    LockedDevice& device;
  };
  struct Pci final : pci::PciFunction {
    explicit Pci(LockedDevice& d) : device(d) {}
    uint32_t config_read(uint16_t offset, uint8_t size) override {
      return device.with([&](Model& m) { return m.config_read(offset, size); });
    }
    void config_write(uint16_t offset, uint8_t size, uint32_t value) override {
      device.with([&](Model& m) { m.config_write(offset, size, value); });
    }
    pci::BarWindows bar_windows() override {
      return device.with([&](Model& m) { return m.bar_windows(); });
    }
    uint64_t bar_read(unsigned bar, uint64_t offset, uint8_t size) override {
      return device.with([&](Model& m) { return m.bar_read(bar, offset, size); });
    }
    void bar_write(unsigned bar, uint64_t offset, uint8_t size, uint64_t value) override {
      device.with([&](Model& m) { m.bar_write(bar, offset, size, value); });
    }
    LockedDevice& device;
  };
  // Ports, Mmio and Pci are only instantiated for a model that implements them.
  struct Neither {
    explicit Neither(LockedDevice&) {}
  };

  std::string name_;
  std::mutex mutex_;
  Model model_;  // under mutex_
  std::conditional_t<kPorts, Ports, Neither> ports_{*this};
  std::conditional_t<kMmio, Mmio, Neither> mmio_{*this};
  std::conditional_t<kPci, Pci, Neither> pci_{*this};
};

}  // namespace rootstock::vmm
