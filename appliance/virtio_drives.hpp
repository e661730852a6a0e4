// A VM spec's drives (Firecracker's `drives`) as the child's virtio disks: each drive a
// virtio-blk device (vmm/virtio/block_device.hpp) on its own transport, as the spec's
// `virtio-transport` says: a virtio-pci function (pci_plug.hpp; the default), which the child's
// kernel finds on the PCI bus its DSDT describes, or a virtio-mmio window (mmio_plug.hpp), which
// it finds on its command line. The root drive comes
// first, so it is /dev/vda, and the command line gets root=/dev/vda (rw, or ro for a read-only
// drive) as Firecracker gives it; the others follow in the spec's order (vdb, vdc, …).
#pragma once

#include <expected>
#include <memory>
#include <string>
#include <vector>

#include "appliance/vm_spec.hpp"
#include "vmm/extra_devices.hpp"
#include "vmm/virtio/device.hpp"
#include "vmm/virtio/mapped_guest_ram.hpp"

namespace rootstock::appliance {

class VirtioDrives final : public vmm::ExtraDevices {
 public:
  /// Opens every drive's file now, so that a missing or unreadable file refuses the start with
  /// the drive's id; more drives than the transport has slots for are refused too.
  [[nodiscard]] static std::expected<std::shared_ptr<VirtioDrives>, std::string> open(
      const std::vector<Drive>& drives, VirtioTransport transport);

  void describe(vmm::acpi::AcpiConfig& acpi, std::string& cmdline) override;
  [[nodiscard]] vmm::Result<void> plug(vmm::Board& board, vmm::GuestMemory& ram) override;

 private:
  explicit VirtioDrives(VirtioTransport transport) : transport_(transport) {}

  const VirtioTransport transport_;

  std::vector<std::unique_ptr<vmm::virtio::Device>> devices_;  // moved to the board by plug()
  size_t count_ = 0;
  std::string root_words_;  // "root=/dev/vda rw", or empty without a root drive
  std::unique_ptr<vmm::virtio::MappedGuestRam> ram_;
};

}  // namespace rootstock::appliance
