#include "appliance/virtio_devices.hpp"

#include <algorithm>

#include "appliance/appliance_config.hpp"
#include "vmm/virtio/block_backend.hpp"
#include "vmm/virtio/block_device.hpp"
#include "vmm/virtio/console_device.hpp"
#include "vmm/virtio/entropy_device.hpp"
#include "vmm/virtio/entropy_source.hpp"
#include "vmm/virtio/mmio_plug.hpp"
#include "vmm/virtio/net_device.hpp"
#include "vmm/virtio/pci_plug.hpp"
#include "vmm/virtio/tap_port.hpp"
#include "vmm/virtio/tap_setup.hpp"
#include "vmm/virtio/vsock_device.hpp"

namespace rootstock::appliance {

namespace {

constexpr uint8_t kLocallyAdministered = 0x02;  // IEEE 802: U/L bit set, I/G bit clear
constexpr uint64_t kFnvOffset = 0xcbf29ce484222325;
constexpr uint64_t kFnvPrime = 0x100000001b3;

uint64_t fnv1a(uint64_t hash, std::string_view text) {
  for (const char c : text) hash = (hash ^ static_cast<uint8_t>(c)) * kFnvPrime;
  return hash;
}

std::expected<std::unique_ptr<vmm::virtio::NetDevice>, std::string> open_nic(
    const NetworkInterface& nic, std::string_view vm_id) {
  const std::string what = "network interface " + nic.iface_id + ": ";
  auto tap = vmm::virtio::TapPort::open(nic.host_dev_name);
  if (!tap) return std::unexpected(what + vmm::describe(tap.error()));
  if (nic.mtu) {
    if (auto r = vmm::virtio::set_interface_mtu((*tap)->name(), *nic.mtu); !r) {
      return std::unexpected(what + vmm::describe(r.error()));
    }
  }
  if (auto r = vmm::virtio::attach_to_bridge((*tap)->name(), kVmBridge); !r) {
    return std::unexpected(what + vmm::describe(r.error()));
  }
  if (auto r = vmm::virtio::bring_interface_up((*tap)->name()); !r) {
    return std::unexpected(what + vmm::describe(r.error()));
  }
  const vmm::virtio::MacAddress mac =
      nic.guest_mac ? *nic.guest_mac : derived_mac(vm_id, nic.iface_id);
  auto device = std::make_unique<vmm::virtio::NetDevice>(std::move(*tap), mac);
  if (nic.mtu) device->offer_mtu(*nic.mtu);
  return device;
}

}  // namespace

vmm::virtio::MacAddress derived_mac(std::string_view vm_id, std::string_view iface_id) {
  const uint64_t hash = fnv1a(fnv1a(fnv1a(kFnvOffset, vm_id), "/"), iface_id);
  vmm::virtio::MacAddress mac{kLocallyAdministered};
  for (size_t i = 1; i < mac.size(); ++i) mac[i] = static_cast<uint8_t>(hash >> (8 * (i - 1)));
  return mac;
}

std::expected<std::shared_ptr<VirtioDevices>, std::string> VirtioDevices::open(
    const VmSpec& spec, std::string_view vm_id) {
  // virtio-mmio has its five slots; the PCI bus has 31 (one is the host bridge's). The
  // console takes one.
  const size_t wanted = spec.drives.size() + spec.network_interfaces.size() +
                        (spec.entropy ? 1 : 0) + (spec.vsock ? 1 : 0) + 1;
  const size_t slots = spec.virtio_transport == VirtioTransport::kMmio
                           ? vmm::virtio::kMmioSlots
                           : vmm::pci::kDevicesPerBus - 1;
  if (wanted > slots) {
    return std::unexpected(std::to_string(wanted) + " virtio devices (drives, interfaces, " +
                           "entropy, vsock and the console); at most " + std::to_string(slots) +
                           " work over virtio-" + appliance::describe(spec.virtio_transport));
  }
  std::vector<const Drive*> ordered;
  for (const Drive& d : spec.drives) {
    if (d.is_root_device) ordered.insert(ordered.begin(), &d);
    if (!d.is_root_device) ordered.push_back(&d);
  }
  std::shared_ptr<VirtioDevices> set(new VirtioDevices(spec.virtio_transport));
  for (const Drive* d : ordered) {
    auto medium = vmm::virtio::FileMedium::open(d->path_on_host, d->is_read_only);
    if (!medium) return std::unexpected("drive " + d->drive_id + ": " + medium.error());
    auto disk = std::make_unique<vmm::virtio::BlockDevice>(std::move(*medium), d->drive_id);
    set->drives_.push_back({d->drive_id, d->is_read_only, disk.get()});
    set->devices_.push_back(std::move(disk));
  }
  // The figures list drives in the spec's order, the root drive where the spec has it.
  std::vector<DriveDevice> in_spec_order;
  for (const Drive& d : spec.drives) {
    in_spec_order.push_back(*std::ranges::find(set->drives_, d.drive_id, &DriveDevice::drive_id));
  }
  set->drives_ = std::move(in_spec_order);
  for (const NetworkInterface& nic : spec.network_interfaces) {
    auto device = open_nic(nic, vm_id);
    if (!device) return std::unexpected(device.error());
    set->interfaces_.emplace_back(nic.iface_id, device->get());
    set->devices_.push_back(std::move(*device));
  }
  if (spec.entropy) {
    set->devices_.push_back(
        std::make_unique<vmm::virtio::EntropyDevice>(vmm::virtio::system_entropy()));
  }
  if (spec.vsock) {
    // Its socket at uds_path is made now and goes with the device, when the VM ends.
    auto vsock = vmm::virtio::VsockDevice::open(spec.vsock->guest_cid, spec.vsock->uds_path);
    if (!vsock) return std::unexpected(vmm::describe(vsock.error()));
    set->devices_.push_back(std::move(*vsock));
  }
  set->count_ = set->devices_.size() + 1;  // the console, made by plug()
  if (!ordered.empty() && ordered.front()->is_root_device) {
    set->root_words_ =
        std::string("root=/dev/vda ") + (ordered.front()->is_read_only ? "ro" : "rw");
  }
  return set;
}

void VirtioDevices::describe(vmm::acpi::AcpiConfig& acpi, std::string& cmdline) {
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

vmm::Result<void> VirtioDevices::plug(vmm::Board& board, vmm::GuestMemory& ram) {
  ram_ = std::make_unique<vmm::virtio::MappedGuestRam>(std::vector<vmm::GuestMemory*>{&ram});
  for (auto& device : devices_) {
    if (auto r = plug_one(board, std::move(device)); !r) return r;
  }
  devices_.clear();
  // hvc0: what the child writes goes where its UART's output goes; what the owner types goes
  // to both. The device lives on the board, as does the input function that names it.
  auto console =
      std::make_unique<vmm::virtio::ConsoleDevice>([&board](std::span<const uint8_t> bytes) {
        for (const uint8_t b : bytes) board.console_output(b);
      });
  vmm::virtio::ConsoleDevice* hvc0 = console.get();
  if (auto r = plug_one(board, std::move(console)); !r) return r;
  console_ = hvc0;
  return board.add_console_input([hvc0](std::string_view bytes) { hvc0->feed(bytes); });
}

std::vector<DriveFigures> VirtioDevices::drive_figures() const {
  std::vector<DriveFigures> out;
  for (const DriveDevice& d : drives_) {
    out.push_back({d.drive_id, d.device->counters(), d.device->medium_replacements()});
  }
  return out;
}

std::vector<InterfaceFigures> VirtioDevices::interface_figures() const {
  std::vector<InterfaceFigures> out;
  for (const auto& [iface_id, device] : interfaces_) out.push_back({iface_id, device->counters()});
  return out;
}

void VirtioDevices::resize_console(uint16_t cols, uint16_t rows) {
  if (console_ != nullptr) console_->set_size(cols, rows);
}

std::expected<void, std::string> VirtioDevices::replace_drive(const std::string& drive_id,
                                                              const std::string& path) {
  auto d = std::ranges::find(drives_, drive_id, &DriveDevice::drive_id);
  if (d == drives_.end()) return std::unexpected("there is no drive " + drive_id);
  auto medium = vmm::virtio::FileMedium::open(path, d->read_only);
  if (!medium) return std::unexpected("drive " + drive_id + ": " + medium.error());
  auto replaced = d->device->replace_medium(std::move(*medium));
  if (!replaced) return std::unexpected("drive " + drive_id + ": " + replaced.error());
  return {};
}

vmm::Result<void> VirtioDevices::plug_one(vmm::Board& board,
                                          std::unique_ptr<vmm::virtio::Device> device) {
  const size_t slot = plugged_++;
  if (transport_ == VirtioTransport::kPci) {
    auto plugged = vmm::virtio::plug_virtio_pci(board, std::move(device), *ram_);
    if (!plugged) return std::unexpected(plugged.error());
  } else {
    auto plugged = vmm::virtio::plug_virtio_mmio(
        board, *vmm::virtio::mmio_slot(static_cast<uint32_t>(slot)), std::move(device), *ram_);
    if (!plugged) return std::unexpected(plugged.error());
  }
  return {};
}

}  // namespace rootstock::appliance
