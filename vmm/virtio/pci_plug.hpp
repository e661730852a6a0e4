// Virtio-pci devices on a child's board: the PCI bus they sit on (the board's, with its BAR
// window), how the child's DSDT describes it, and the plug function that puts a transport with
// its device on the bus — the PCI counterpart of mmio_plug.hpp.
//
// Addresses: the BAR window is the 256 MiB at kPciWindowBase (0xc0000000), below the virtio-mmio
// windows at 0xd0000000 and far above a LinuxVm's RAM (1 GiB at most, linux_vm.cpp); each
// function's BAR 0 takes vpci::kBarSize of it, so the window holds far more functions than the
// bus has slots (31).
#pragma once

#include <stdint.h>

#include <memory>

#include "vmm/acpi/acpi_builder.hpp"
#include "vmm/board.hpp"
#include "vmm/error.hpp"
#include "vmm/virtio/device.hpp"
#include "vmm/virtio/guest_ram.hpp"
#include "vmm/virtio/pci_transport.hpp"

namespace rootstock::vmm::virtio {

inline constexpr uint64_t kPciWindowBase = 0xc0000000;
inline constexpr uint64_t kPciWindowSize = 0x10000000;

/// The host bridge and window for the child's DSDT (acpi::PciHost): set in `acpi` before the
/// tables are built by a machine that will plug virtio-pci devices.
void describe_pci_host(acpi::AcpiConfig& acpi);

/// Puts a virtio-pci transport carrying `device` on `board`'s PCI bus (enabled with the window
/// describe_pci_host() gave, if it is not yet): its BAR 0 from the window, its MSI-X messages
/// to the board's interrupt sink, its buffers in `ram`, which outlives the board.
[[nodiscard]] Result<LockedDevice<PciTransport>*> plug_virtio_pci(Board& board,
                                                                  std::unique_ptr<Device> device,
                                                                  GuestRam& ram);

}  // namespace rootstock::vmm::virtio
