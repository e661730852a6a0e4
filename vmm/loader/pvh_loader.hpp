// Loading a PVH ELF kernel into a child's RAM and entering it through Xen's "x86/HVM direct boot
// ABI" (xen docs/misc/pvh.pandoc), the path Firecracker and Cloud Hypervisor also offer: an ELF32
// or ELF64 image whose PT_NOTE holds a "Xen" note of type XEN_ELFNOTE_PHYS32_ENTRY with the 32-bit
// physical entry point. The PT_LOAD segments go to their physical addresses (p_paddr), an
// hvm_start_info (xen/include/public/arch-x86/hvm/start_info.h; the layout hv's own PVH entry
// reads, rootstock/boot/pvh.hpp) with the command line, the initramfs as one module, the RSDP
// and a memory map goes into low memory, and the boot CPU starts in 32-bit protected mode with
// paging off and EBX = the start info. The ELF parser checks every offset, length and count
// against the file before anything is used; a truncated or hostile image gets an error naming
// what is wrong and nothing is written to the child.
#pragma once

#include <stdint.h>

#include <span>
#include <string_view>
#include <vector>

#include "vmm/error.hpp"
#include "vmm/guest_memory.hpp"
#include "vmm/loader/linux_loader.hpp"
#include "vmm/registers.hpp"

namespace rootstock::vmm::loader {

/// XEN_ELFNOTE_PHYS32_ENTRY (xen/include/public/elfnote.h): the note's descriptor is the 32-bit
/// physical entry point (4 bytes, or 8 as 64-bit Linux writes it).
inline constexpr uint32_t kXenElfnotePhys32Entry = 18;

/// Where the PVH loader puts its own structures (guest-physical), in linux_loader's layout: the
/// zero page is not used in a PVH boot, so the start info takes its place.
namespace pvh_layout {
inline constexpr uint64_t kTss = 0;      ///< the TSS TR names: base 0, limit 0x67 (pvh.pandoc)
inline constexpr uint64_t kGdt = 0x500;  ///< null, null, code 0x10, data 0x18, TSS 0x20
inline constexpr uint64_t kStartInfo = layout::kZeroPage;  ///< hvm_start_info, one page with:
inline constexpr uint64_t kModlist = kStartInfo + 0x40;    ///< the one hvm_modlist_entry
inline constexpr uint64_t kMemmap = kStartInfo + 0x80;     ///< the hvm_memmap_table_entry array
/// End of the loader's area: [0, kLoaderEnd) holds the structures above and the command line at
/// layout::kCmdline; no kernel segment may reach into it.
inline constexpr uint64_t kLoaderEnd = layout::kCmdline + layout::kCmdlineMax;
}  // namespace pvh_layout

/// GDT selectors of the entry state (the Linux boot protocol's __BOOT_CS and __BOOT_DS).
inline constexpr uint16_t kPvhCodeSelector = 0x10;
inline constexpr uint16_t kPvhDataSelector = 0x18;
inline constexpr uint16_t kPvhTssSelector = 0x20;

/// One PT_LOAD segment: file bytes [offset, offset + filesz) go to guest-physical `paddr`,
/// followed by memsz - filesz zero bytes. Non-empty (memsz > 0); paddr + memsz does not wrap.
struct PvhSegment {
  uint64_t offset = 0;
  uint64_t paddr = 0;
  uint64_t filesz = 0;
  uint64_t memsz = 0;
};

/// What parse_pvh_elf() found, every field checked against the file.
struct PvhElf {
  uint32_t entry = 0;                ///< from the PHYS32_ENTRY note, inside a segment's bytes
  std::vector<PvhSegment> segments;  ///< in program header order
};

/// What to load.
struct PvhImage {
  std::span<const uint8_t> kernel;     ///< an ELF32 or ELF64 with a PHYS32_ENTRY note
  std::span<const uint8_t> initramfs;  ///< empty for none
  std::string_view cmdline;
  uint64_t acpi_rsdp = 0;  ///< the child's RSDP (its ACPI tables), 0 for none
};

/// Where the parts went, for logs and tests.
struct LoadedPvh {
  uint64_t kernel_start = 0;  ///< lowest segment address
  uint64_t kernel_end = 0;    ///< end of the highest segment (its memsz included)
  uint64_t initramfs_address = 0;
  uint64_t entry = 0;
  uint64_t start_info = 0;
  RegisterList registers;  ///< VP_SET_REGISTERS for the boot CPU: 32-bit, EBX = start info
};

/// Parses the ELF header, program headers and notes of `file` (no guest memory involved: the
/// part a fuzzer drives). An error names what is wrong.
[[nodiscard]] Result<PvhElf> parse_pvh_elf(std::span<const uint8_t> file);

/// Whether `file` is an ELF that load_pvh() can enter (parse_pvh_elf() succeeds), so a caller
/// can choose between it and load_linux(); parse_pvh_elf() gives the reason for a refusal.
[[nodiscard]] bool is_pvh_elf(std::span<const uint8_t> file);

/// Loads `image` into `ram` (the child's RAM from guest-physical 0, at least 2 MiB) and returns
/// the boot CPU's registers. The segments must lie in the memory map's RAM ([kLoaderEnd,
/// kLowRamEnd) or [kHighRam, end of RAM), below 4 GiB) and must not overlap each other.
[[nodiscard]] Result<LoadedPvh> load_pvh(GuestMemory& ram, const PvhImage& image);

}  // namespace rootstock::vmm::loader
