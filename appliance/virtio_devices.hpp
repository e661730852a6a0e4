// A VM spec's virtio devices, the child's machine beyond its PC: each drive (Firecracker's
// `drives`) a virtio-blk device, each network interface (`network-interfaces`) a virtio-net
// device on a tap of the root attached to the VMs' bridge (appliance_config.hpp kVmBridge),
// `entropy` a virtio-rng device fed by the root's getrandom, `vsock` a virtio-vsock device
// with Firecracker's host side (its Unix socket at `uds_path`), and always a virtio-console
// (the child's hvc0, with the same output and input as its UART, without an exit per
// character). Each is on its own transport, as the spec's `virtio-transport` says: a virtio-pci
// function (pci_plug.hpp; the default), which the child's kernel finds on the PCI bus its DSDT
// describes, or a virtio-mmio window (mmio_plug.hpp), which it finds on its command line.
//
// Order, which is the order the child's kernel finds them in: the root drive first, so it is
// /dev/vda and the command line gets root=/dev/vda (rw, or ro for a read-only drive) as
// Firecracker gives it; the other drives in the spec's order (vdb, vdc, …); the network
// interfaces in the spec's order (eth0, eth1, …); the entropy device; the vsock device; the
// console.
#pragma once

#include <expected>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "appliance/vm_runner.hpp"
#include "appliance/vm_spec.hpp"
#include "vmm/extra_devices.hpp"
#include "vmm/virtio/console_device.hpp"
#include "vmm/virtio/device.hpp"
#include "vmm/virtio/mapped_guest_ram.hpp"
#include "vmm/virtio/net_header.hpp"

namespace rootstock::vmm::virtio {
class BlockDevice;
class NetDevice;
}  // namespace rootstock::vmm::virtio

namespace rootstock::appliance {

/// The MAC of interface `iface_id` of VM `vm_id` when the spec gives none: locally
/// administered, unicast (02:…), the rest from a hash of both ids, so it is the same at every
/// start of the VM and differs between interfaces and VMs.
[[nodiscard]] vmm::virtio::MacAddress derived_mac(std::string_view vm_id,
                                                  std::string_view iface_id);

class VirtioDevices final : public vmm::ExtraDevices {
 public:
  /// Opens what the devices stand on now — every drive's file, every interface's tap (made,
  /// attached to the VMs' bridge and brought up), the vsock's listening socket — so that a
  /// missing file, a tap the root cannot make or a uds_path in use refuses the start with the
  /// drive's or interface's id or the path; more devices than the transport has slots for are
  /// refused too.
  [[nodiscard]] static std::expected<std::shared_ptr<VirtioDevices>, std::string> open(
      const VmSpec& spec, std::string_view vm_id);

  void describe(vmm::acpi::AcpiConfig& acpi, std::string& cmdline) override;
  [[nodiscard]] vmm::Result<void> plug(vmm::Board& board, vmm::GuestMemory& ram) override;

  // While the devices live (on the board, once plugged: as long as the VM), from any thread.
  /// Every drive's and interface's counts, in the spec's order.
  [[nodiscard]] std::vector<DriveFigures> drive_figures() const;
  [[nodiscard]] std::vector<InterfaceFigures> interface_figures() const;
  /// Opens `path` as drive `drive_id`'s new medium, with the drive's read-only setting, and
  /// puts the disk on it (BlockDevice::replace_medium); refused with the id and the reason.
  [[nodiscard]] std::expected<void, std::string> replace_drive(const std::string& drive_id,
                                                               const std::string& path);
  /// The size of the terminal the console is shown in, for hvc0 (ConsoleDevice::set_size).
  void resize_console(uint16_t cols, uint16_t rows);

 private:
  explicit VirtioDevices(VirtioTransport transport) : transport_(transport) {}
  /// Puts `device` on `board` over the spec's transport, in the next slot.
  [[nodiscard]] vmm::Result<void> plug_one(vmm::Board& board,
                                           std::unique_ptr<vmm::virtio::Device> device);

  const VirtioTransport transport_;
  std::vector<std::unique_ptr<vmm::virtio::Device>> devices_;  // moved to the board by plug()
  size_t count_ = 0;                                           // with the console
  size_t plugged_ = 0;
  std::string root_words_;  // "root=/dev/vda rw", or empty without a root drive
  std::unique_ptr<vmm::virtio::MappedGuestRam> ram_;
  // The devices the figures read, owned by devices_ and then by the board.
  struct DriveDevice {
    std::string drive_id;
    bool read_only;
    vmm::virtio::BlockDevice* device;
  };
  std::vector<DriveDevice> drives_;
  std::vector<std::pair<std::string, vmm::virtio::NetDevice*>> interfaces_;
  vmm::virtio::ConsoleDevice* console_ = nullptr;
};

}  // namespace rootstock::appliance
