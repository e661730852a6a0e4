// The zero page (struct boot_params) a loader builds for the 64-bit boot protocol (boot.rst,
// "64-bit Boot Protocol"; zero-page.rst), and where to put the kernel. hv uses it for the root
// partition's Linux, the VMM for a child's.
//
// The builder writes only the boot_params structure; copying the kernel, the command line and
// the initrd to their addresses is the caller's job. It checks every placement against the
// kernel's header and the memory map first and writes nothing the kernel would misread.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "rootstock/boot/boot_info.hpp"
#include "rootstock/linux_boot/boot_params.hpp"
#include "rootstock/linux_boot/bzimage.hpp"
#include "rootstock/memory_map.hpp"
#include "rootstock/text.hpp"

namespace rootstock::linux_boot {

/// Where the loader put each part, and the memory map the kernel is to see.
struct ZeroPageInputs {
  /// Where the protected-mode kernel (image[kernel_offset, +kernel_size)) is loaded; its
  /// footprint() bytes from here must be usable RAM.
  uint64_t kernel_address = 0;
  /// Where the BootParams will be placed (its 4096 bytes must overlap nothing else).
  uint64_t zero_page_address = 0;
  /// Where the NUL-terminated command line is placed (required, boot.rst cmd_line_ptr).
  uint64_t cmdline_address = 0;
  /// The command line's text without its NUL: only its length is used here.
  Text cmdline;
  /// The initrd's placement; initrd_size 0 means none.
  uint64_t initrd_address = 0;
  uint64_t initrd_size = 0;
  /// Physical address of the ACPI RSDP; 0 lets the kernel search the BIOS areas.
  uint64_t acpi_rsdp_address = 0;
  /// The e820 map to hand on: sorted by base, non-overlapping; zero-length ranges are left out.
  const MemoryRange* memory = nullptr;
  size_t memory_count = 0;
  /// The firmware's framebuffer for the kernel's console (screen_info, VIDEO_TYPE_EFI);
  /// nullptr, or one not present, leaves screen_info zero.
  const boot::Framebuffer* framebuffer = nullptr;
};

/// Fills `out` from zero for `kernel` (from parse_bzimage) loaded as `in` says. On failure
/// `out` may be partly written and must not be used.
[[nodiscard]] Status build_zero_page(const BzImage& kernel, const ZeroPageInputs& in,
                                     BootParams& out);

/// Lowest load address for `kernel` at or above max(min_addr, pref_address), aligned to
/// kernel_alignment, with footprint() bytes inside one kUsable range of ram[0, n), below 4 GiB
/// unless the kernel can be loaded above. pref_address itself is chosen whenever it fits.
/// Ranges are not joined: a window must fit one. kNoRoomForKernel when none fits.
[[nodiscard]] Status choose_load_address(const BzImage& kernel, const MemoryRange* ram, size_t n,
                                         uint64_t min_addr, uint64_t& out);

/// The e820 type for a MemoryType; false for a value outside the enumeration.
[[nodiscard]] bool e820_type(MemoryType type, E820Type& out);

}  // namespace rootstock::linux_boot
