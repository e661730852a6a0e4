// Function 00:00.0 of a child's PCI bus: the host bridge (PCI 3.0, 3.2.2.3.2 puts the
// configuration mechanism in it). It has no BARs and no interrupts; it is there because Linux's
// configuration mechanism #1 probe (arch/x86/pci/direct.c, pci_sanity_check) looks for a host
// bridge or a VGA device on bus 0 before it trusts ports CF8h/CFCh.
#pragma once

#include "vmm/pci/config_header.hpp"
#include "vmm/pci/pci_function.hpp"

namespace rootstock::vmm::pci {

/// The host bridge's IDs: Red Hat's 1B36h:0008h, the generic PCIe host bridge of virtual
/// machines, which no driver binds to and no quirk applies to.
inline constexpr uint16_t kHostBridgeVendorId = 0x1b36;
inline constexpr uint16_t kHostBridgeDeviceId = 0x0008;

class HostBridge final : public PciFunction {
 public:
  HostBridge();

  uint32_t config_read(uint16_t offset, uint8_t size) override {
    return header_.read(offset, size);
  }
  void config_write(uint16_t offset, uint8_t size, uint32_t value) override {
    header_.write(offset, size, value);
  }
  BarWindows bar_windows() override { return {}; }
  uint64_t bar_read(unsigned /*bar*/, uint64_t /*offset*/, uint8_t /*size*/) override { return 0; }
  void bar_write(unsigned /*bar*/, uint64_t /*offset*/, uint8_t /*size*/,
                 uint64_t /*value*/) override {}

 private:
  ConfigHeader header_;
};

}  // namespace rootstock::vmm::pci
