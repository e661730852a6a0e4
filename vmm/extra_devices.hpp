// Devices a child has beyond its PC (pc_devices.hpp): those its spec asks for, such as virtio
// disks. LinuxVm knows none of them; it asks the set twice while it builds the machine, at the
// two moments a device has a say: before the ACPI tables and the kernel are placed (the
// interrupt overrides its lines need, the command-line words that tell the child's kernel where
// it is) and after the PC's devices are on the board (the device itself, over the child's RAM).
// The set belongs to the layer that read the spec (appliance/), which keeps vmm/ free of the
// device models' library.
#pragma once

#include <string>

#include "vmm/acpi/acpi_builder.hpp"
#include "vmm/board.hpp"
#include "vmm/error.hpp"
#include "vmm/guest_memory.hpp"

namespace rootstock::vmm {

class ExtraDevices {
 public:
  virtual ~ExtraDevices() = default;
  /// Before the ACPI tables and the kernel: sets what the devices need in `acpi` and appends
  /// their words to `cmdline`.
  virtual void describe(acpi::AcpiConfig& acpi, std::string& cmdline) = 0;
  /// After the PC's devices: puts the devices on `board`; their buffers are in `ram`, which
  /// outlives the board. The set itself lives as long as the machine.
  [[nodiscard]] virtual Result<void> plug(Board& board, GuestMemory& ram) = 0;
};

}  // namespace rootstock::vmm
