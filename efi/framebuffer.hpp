// The framebuffer the root's Linux may draw its console on, from the firmware's Graphics Output
// Protocol (UEFI 2.10, 12.9): its current mode's pixel layout and the framebuffer's place, as a
// direct-RGB Multiboot2 framebuffer (3.6.12). A mode without a linear framebuffer (BltOnly) or
// with sizes that do not add up gives none; the machine boots without it.
#pragma once

#include <stdint.h>

#include <rootstock/boot/boot_info.hpp>

#include "uefi_tables.hpp"

namespace rootstock::efi {

/// Fills `out` from GOP's current mode; false when the mode gives no usable framebuffer.
[[nodiscard]] bool framebuffer_from_gop(const GraphicsModeInformation& info, PhysicalAddress base,
                                        uint64_t size, boot::Framebuffer& out);

}  // namespace rootstock::efi
