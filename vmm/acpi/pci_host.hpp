// The child's PCI host bridge as its DSDT describes it (PCI Firmware Specification 3.2, 4.1;
// ACPI 6.5, 6.1 and 6.2): \_SB.PCI0 with _HID PNP0A03 (a PCI bus, not PCIe: no ECAM, see
// vmm/pci/pci_bus.hpp), segment 0, bus 0, and in _CRS what the bridge decodes: bus number 0,
// the configuration ports CF8h-CFFh as a resource it consumes, the I/O ports around them, and
// one memory window below 4 GiB for the functions' BARs. Linux's ACPI PCI root driver
// (drivers/acpi/pci_root.c) scans the bus from this and keeps BARs that lie in the window.
// There is no _PRT: the functions signal with MSI-X and have no INTx pin.
#pragma once

#include <stdint.h>

#include <vector>

namespace rootstock::vmm::acpi {

/// The window the bridge forwards to its bus.
struct PciHost {
  uint32_t window_base = 0;
  uint32_t window_size = 0;  ///< non-zero; the window ends at or below 4 GiB
};

/// The AML of Scope (\_SB) { Device (PCI0) } for the DSDT.
[[nodiscard]] std::vector<uint8_t> pci_host_aml(const PciHost& host);

}  // namespace rootstock::vmm::acpi
