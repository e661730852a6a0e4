// Loading a Linux bzImage into a child's RAM and entering it through the 64-bit boot protocol
// (Documentation/arch/x86/boot.rst, "64-bit Boot Protocol"): the protected-mode kernel at an
// address its header allows, the zero page (common/linux_boot: the same builder hv uses for the
// root), the command line and the initramfs, an e820 map of the child's RAM, and the VP's
// registers for 64-bit mode with identity paging (long_mode.hpp). Every length and offset read
// from the image is checked by the parser first; a truncated or hostile image gets an error
// naming what is wrong and nothing is entered.
#pragma once

#include <stdint.h>

#include <span>
#include <string_view>

#include "vmm/error.hpp"
#include "vmm/guest_memory.hpp"
#include "vmm/registers.hpp"

namespace rootstock::vmm::loader {

/// The child's low memory layout (guest-physical), below the kernel at 1 MiB or above.
namespace layout {
inline constexpr uint64_t kZeroPage = 0x7000;
inline constexpr uint64_t kCmdline = 0x20000;  ///< up to the kernel's cmdline_size + NUL
inline constexpr uint64_t kCmdlineMax = 0x10000;
inline constexpr uint64_t kLowRamEnd = 0x9fc00;  ///< usable below, the BIOS area above (e820)
inline constexpr uint64_t kHighRam = 0x100000;   ///< 1 MiB: the kernel's lowest load address
}  // namespace layout

/// What to load.
struct LinuxImage {
  std::span<const uint8_t> kernel;     ///< a bzImage
  std::span<const uint8_t> initramfs;  ///< empty for none
  std::string_view cmdline;
  uint64_t acpi_rsdp = 0;  ///< the child's RSDP (its ACPI tables), 0 for none
};

/// Where the parts went, for logs and tests.
struct LoadedLinux {
  uint64_t kernel_address = 0;
  uint64_t initramfs_address = 0;
  uint64_t entry = 0;
  RegisterList registers;  ///< VP_SET_REGISTERS for the boot CPU: 64-bit mode, RSI = zero page
};

/// Loads `image` into `ram` (the child's RAM from guest-physical 0, at least 2 MiB and at most
/// the 1 GiB long_mode.hpp identity-maps) and returns the boot CPU's registers.
[[nodiscard]] Result<LoadedLinux> load_linux(GuestMemory& ram, const LinuxImage& image);

}  // namespace rootstock::vmm::loader
