// Where the modules (the root's kernel and initramfs) may lie for hv: below 4 GiB (Multiboot2's
// module tags are 32-bit) and outside the window hv will copy the root's kernel into, since hv
// reads the modules after it has placed the kernel's first bytes (hv/root/root_loader.cpp).
#pragma once

#include <stdint.h>

#include <rootstock/linux_boot/bzimage.hpp>
#include <rootstock/memory_map.hpp>

namespace rootstock::efi {

/// The lowest address hv loads the root's kernel at (hv/root/root_loader.cpp, kKernelMinAddress:
/// above the low boot data and the ISA holes).
inline constexpr uint64_t kKernelMinAddress = uint64_t{16} << 20;

/// Where hv puts `kernel` when RAM is there, as linux_boot::choose_load_address picks it: the
/// first kernel_alignment boundary at or above 16 MiB and the kernel's pref_address, for its
/// whole footprint.
[[nodiscard]] MemoryRange kernel_window(const linux_boot::BzImage& kernel);

/// True when a module at [base, base + size) can stay there: below 4 GiB, not wrapping, and
/// outside `window`.
[[nodiscard]] bool module_can_stay(uint64_t base, uint64_t size, const MemoryRange& window);

}  // namespace rootstock::efi
