// A child's PCI bus: bus 0 of one PCI segment behind a host bridge, reached through
// configuration mechanism #1 (PCI Local Bus 3.0, 3.2.2.3.2: CONFIG_ADDRESS at port CF8h,
// CONFIG_DATA at CFCh-CFFh), with one memory window below 4 GiB where the functions' BARs
// decode. The child's DSDT describes the bridge (PNP0A03) and the window (acpi_builder.hpp,
// PciHost), so Linux scans the bus through ACPI, keeps the BARs the VMM assigned, and would
// place BARs it moves inside the window.
//
// Why ports CF8h/CFCh and not ECAM (PCIe's memory-mapped configuration, found through MCFG):
// every x86 kernel has mechanism #1, with or without ACPI, and it needs no memory range that the
// kernel must first find reserved in the firmware's map before it trusts MCFG. Its cost is two
// port exits per configuration access instead of one MMIO exit, paid while the child's kernel
// enumerates the bus and sets up its drivers, not on any I/O path: virtio's registers are in
// the BARs. The 256 bytes of conventional configuration space hold everything the functions
// here have (MSI-X and virtio's capabilities).
//
// Each function is a board device with its own lock; the bus calls it through its locked
// PciFunction (locked_device.hpp). The BAR decode table is read by every BAR access (a shared
// lock, released before the function is called) and rewritten after each configuration write
// to the function (the configuration mutex, then the function's lock, then the table's). The
// CONFIG_ADDRESS latch is one per machine, as on a PC: the child's kernel serialises its
// configuration accesses (Linux: pci_config_lock) across its CPUs.
#pragma once

#include <stdint.h>

#include <array>
#include <atomic>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "vmm/devices.hpp"
#include "vmm/error.hpp"
#include "vmm/pci/host_bridge.hpp"
#include "vmm/pci/pci_function.hpp"

namespace rootstock::vmm::pci {

/// Configuration mechanism #1's ports.
inline constexpr uint16_t kConfigAddressPort = 0xcf8;
inline constexpr uint16_t kConfigDataPort = 0xcfc;
inline constexpr uint32_t kConfigDataPorts = 4;

/// Devices on a bus (PCI 3.0, 3.2.2.3.2: a 5-bit device number).
inline constexpr unsigned kDevicesPerBus = 32;

/// CONFIG_ADDRESS (PCI 3.0, Figure 3-2).
struct ConfigAddress {
  static constexpr uint32_t kEnable = 1u << 31;
  uint32_t raw = 0;

  [[nodiscard]] bool enabled() const { return (raw & kEnable) != 0; }
  [[nodiscard]] uint8_t bus() const { return static_cast<uint8_t>(raw >> 16); }
  [[nodiscard]] uint8_t device() const { return (raw >> 11) & 0x1f; }
  [[nodiscard]] uint8_t function() const { return (raw >> 8) & 0x7; }
  /// The DWORD register (bits 7:2), as a byte offset.
  [[nodiscard]] uint16_t register_offset() const { return raw & 0xfc; }
};

class PciBus {
 public:
  /// A bus whose BARs the VMM places in guest-physical [window_base, window_base +
  /// window_size), below 4 GiB (32-bit BARs); the host bridge is device 0.
  PciBus(uint64_t window_base, uint64_t window_size);
  PciBus(const PciBus&) = delete;
  PciBus& operator=(const PciBus&) = delete;

  // ---- Assembly (one thread, before any vCPU runs) ----

  /// Space for a BAR of `size` bytes (a power of two), naturally aligned, from the window.
  [[nodiscard]] Result<uint32_t> allocate_bar(uint32_t size, std::string_view name);
  /// Puts `function` (which outlives the bus) in the next free device slot, function 0;
  /// returns the device number.
  [[nodiscard]] Result<uint8_t> add(PciFunction& function, std::string_view name);

  // ---- For the board's buses ----

  /// Port CF8h (DWORD accesses: CONFIG_ADDRESS; narrower ones are not the bridge's, 3.2.2.3.2)
  /// and CFCh-CFFh (CONFIG_DATA at the latched register plus the port's low bits).
  [[nodiscard]] PortIoHandler& config_ports() { return ports_; }
  /// The BAR window: accesses go to the function whose BAR decodes there, else read all ones
  /// and are dropped, as on an empty bus.
  [[nodiscard]] MmioHandler& bar_window() { return window_; }
  [[nodiscard]] uint64_t window_base() const { return window_base_; }
  [[nodiscard]] uint64_t window_size() const { return window_size_; }

  // ---- Configuration accesses (also for tests) ----

  [[nodiscard]] uint32_t config_read(ConfigAddress address, uint8_t byte, uint8_t size);
  void config_write(ConfigAddress address, uint8_t byte, uint8_t size, uint32_t value);
  /// BAR accesses no function decoded.
  [[nodiscard]] uint64_t unclaimed() const { return unclaimed_.load(std::memory_order_relaxed); }

 private:
  struct Ports final : PortIoHandler {
    explicit Ports(PciBus& b) : bus(b) {}
    Next out(uint16_t port, uint8_t size, uint32_t value) override;
    uint32_t in(uint16_t port, uint8_t size) override;
    PciBus& bus;
  };
  struct Window final : MmioHandler {
    explicit Window(PciBus& b) : bus(b) {}
    uint64_t read(uint64_t gpa, uint8_t size) override;
    Next write(uint64_t gpa, uint8_t size, uint64_t value) override;
    PciBus& bus;
  };
  /// Where an access in the window lands.
  struct Target {
    PciFunction* function = nullptr;
    unsigned bar = 0;
    uint64_t offset = 0;
  };

  /// The function `address` selects, or null.
  [[nodiscard]] PciFunction* function_at(ConfigAddress address) const;
  [[nodiscard]] Target decode(uint64_t gpa) const;

  const uint64_t window_base_;
  const uint64_t window_size_;
  uint64_t window_used_ = 0;  // assembly only
  HostBridge host_bridge_;
  std::array<PciFunction*, kDevicesPerBus> slots_{};  // set at assembly, then read-only
  std::array<std::string, kDevicesPerBus> names_{};

  std::atomic<uint32_t> config_address_{0};
  std::mutex config_mutex_;  // one configuration access at a time, and the table's writer
  mutable std::shared_mutex decode_mutex_;
  std::array<BarWindows, kDevicesPerBus> decoded_{};  // under decode_mutex_
  std::atomic<uint64_t> unclaimed_{0};
  Ports ports_{*this};
  Window window_{*this};
};

}  // namespace rootstock::vmm::pci
