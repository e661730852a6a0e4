// The devices of a Linux child's PC: the ports and interrupt lines its ACPI tables promise
// (acpi/acpi_builder.hpp) and the legacy devices Linux probes. A device is its model under
// devices/ with a plug function that puts it on a Board; adding one to the PC is one line in
// kPcDevices (pc_devices.cpp).
#pragma once

#include "vmm/board.hpp"
#include "vmm/error.hpp"

namespace rootstock::vmm {

/// Plugs every device of the PC into `board`, in kPcDevices' order; the first refusal (an
/// overlapping range, a GSI taken twice) ends it and is returned.
[[nodiscard]] Result<void> plug_pc_devices(Board& board);

}  // namespace rootstock::vmm
