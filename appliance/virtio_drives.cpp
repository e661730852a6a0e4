#include "appliance/virtio_drives.hpp"

#include "vmm/virtio/block_backend.hpp"
#include "vmm/virtio/block_device.hpp"
#include "vmm/virtio/mmio_plug.hpp"
#include "vmm/virtio/pci_plug.hpp"

namespace rootstock::appliance {

std::expected<std::shared_ptr<VirtioDrives>, std::string> VirtioDrives::open(
    const std::vector<Drive>& drives, VirtioTransport transport) {
  // virtio-mmio has its five slots; the PCI bus has 31 (one is the host bridge's).
  const size_t slots =
      transport == VirtioTransport::kMmio ? vmm::virtio::kMmioSlots : vmm::pci::kDevicesPerBus - 1;
  if (drives.size() > slots) {
    return std::unexpected("drives: " + std::to_string(drives.size()) + " drives; at most " +
                           std::to_string(slots) + " work over virtio-" +
                           appliance::describe(transport));
  }
  std::vector<const Drive*> ordered;
  for (const Drive& d : drives) {
    if (d.is_root_device) ordered.insert(ordered.begin(), &d);
    if (!d.is_root_device) ordered.push_back(&d);
  }
  std::shared_ptr<VirtioDrives> set(new VirtioDrives(transport));
  for (const Drive* d : ordered) {
    auto medium = vmm::virtio::FileMedium::open(d->path_on_host, d->is_read_only);
    if (!medium) return std::unexpected("drive " + d->drive_id + ": " + medium.error());
    set->devices_.push_back(
        std::make_unique<vmm::virtio::BlockDevice>(std::move(*medium), d->drive_id));
  }
  set->count_ = set->devices_.size();
  if (!ordered.empty() && ordered.front()->is_root_device) {
    set->root_words_ =
        std::string("root=/dev/vda ") + (ordered.front()->is_read_only ? "ro" : "rw");
  }
  return set;
}

void VirtioDrives::describe(vmm::acpi::AcpiConfig& acpi, std::string& cmdline) {
  if (count_ == 0) return;
  if (transport_ == VirtioTransport::kPci) {
    vmm::virtio::describe_pci_host(acpi);
  } else {
    acpi.overrides = vmm::virtio::kMmioOverrides;
    for (uint32_t i = 0; i < count_; ++i) {
      cmdline += " " + vmm::virtio::kernel_parameter(*vmm::virtio::mmio_slot(i));
    }
  }
  if (!root_words_.empty()) cmdline += " " + root_words_;
}

vmm::Result<void> VirtioDrives::plug(vmm::Board& board, vmm::GuestMemory& ram) {
  ram_ = std::make_unique<vmm::virtio::MappedGuestRam>(std::vector<vmm::GuestMemory*>{&ram});
  for (uint32_t i = 0; i < devices_.size(); ++i) {
    if (transport_ == VirtioTransport::kPci) {
      auto plugged = vmm::virtio::plug_virtio_pci(board, std::move(devices_[i]), *ram_);
      if (!plugged) return std::unexpected(plugged.error());
    } else {
      auto plugged = vmm::virtio::plug_virtio_mmio(board, *vmm::virtio::mmio_slot(i),
                                                   std::move(devices_[i]), *ram_);
      if (!plugged) return std::unexpected(plugged.error());
    }
  }
  devices_.clear();
  return {};
}

}  // namespace rootstock::appliance
