#include "vmm/virtio/pci_plug.hpp"

#include <string>
#include <utility>

namespace rootstock::vmm::virtio {

void describe_pci_host(acpi::AcpiConfig& acpi) {
  acpi.pci_host =
      acpi::PciHost{static_cast<uint32_t>(kPciWindowBase), static_cast<uint32_t>(kPciWindowSize)};
}

Result<LockedDevice<PciTransport>*> plug_virtio_pci(Board& board, std::unique_ptr<Device> device,
                                                    GuestRam& ram) {
  if (!device) return fail("virtio-pci: no device");
  pci::PciBus* bus = board.pci();
  if (bus == nullptr) {
    auto enabled = board.enable_pci(kPciWindowBase, kPciWindowSize);
    if (!enabled) return std::unexpected(enabled.error());
    bus = *enabled;
  }
  const std::string name = "virtio-pci " + std::string(describe(device->type()));
  auto bar = bus->allocate_bar(vpci::kBarSize, name);
  if (!bar) return std::unexpected(bar.error());
  auto& transport = board.add_device<PciTransport>(name, std::move(device), ram, board.interrupts(),
                                                   *bar, board.doorbells());
  if (auto added = board.add_pci(transport); !added) return std::unexpected(added.error());
  return &transport;
}

}  // namespace rootstock::vmm::virtio
