// Loading the root partition's Linux through the 64-bit boot protocol (Linux
// Documentation/arch/x86/boot.rst, "64-bit Boot Protocol"): the protected-mode kernel at an
// aligned address in the root's RAM, the initramfs high, a zero page, the command line, a GDT
// with __BOOT_CS/__BOOT_DS and identity page tables for the first 4 GiB in low memory
// (the layout Firecracker and Cloud Hypervisor also use), and the register state at entry.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <rootstock/memory_map.hpp>
#include <rootstock/text.hpp>

#include "root/payload.hpp"

namespace hv::root {

/// Fixed low-memory places of the boot data (all inside the root's usable RAM).
namespace layout {
inline constexpr uint64_t kGdt = 0x500;
inline constexpr uint64_t kZeroPage = 0x7000;
inline constexpr uint64_t kPml4 = 0x9000;  ///< then the PDPT and four PDs: 0x9000-0xefff
inline constexpr uint64_t kPageTablesEnd = 0xf000;
inline constexpr uint64_t kCmdline = 0x20000;
inline constexpr uint64_t kCmdlineMax = 4096;  ///< bytes reserved, NUL included
inline constexpr uint16_t kBootCs = 0x10;      ///< __BOOT_CS (boot.rst)
inline constexpr uint16_t kBootDs = 0x18;      ///< __BOOT_DS
}  // namespace layout

/// The register state the kernel starts with (boot.rst: 64-bit mode, paging on with an
/// identity map, RSI = the zero page, CS = __BOOT_CS, DS/ES/SS = __BOOT_DS, interrupts off).
struct RootEntry {
  uint64_t rip = 0;
  uint64_t rsi = 0;
  uint64_t cr3 = 0;
  uint64_t gdt_base = 0;
  uint16_t gdt_limit = 0;
  uint64_t kernel_address = 0;
  uint64_t initramfs_address = 0;
  uint64_t initramfs_size = 0;
};

/// Places and writes everything into the root's memory (identity-mapped in hv) and fills
/// `entry`. `extra_cmdline` (the boot loader's words for the root) follows the payload's
/// default command line. Returns nullptr, or what is wrong in words.
const char* load_root(const Payload& payload, rootstock::Text extra_cmdline,
                      const rootstock::MemoryRange* root_map, size_t root_count, uint64_t rsdp,
                      RootEntry& entry);

}  // namespace hv::root
