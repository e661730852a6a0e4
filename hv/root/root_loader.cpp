#include "root/root_loader.hpp"

#include <rootstock/linux_boot/boot_params.hpp>
#include <rootstock/linux_boot/bzimage.hpp>
#include <rootstock/linux_boot/zero_page.hpp>

#include "console/log.hpp"
#include "root/root_memory.hpp"

extern "C" {
void* memcpy(void* dst, const void* src, size_t n);
void* memset(void* dst, int c, size_t n);
}

namespace hv::root {
namespace {

using rootstock::MemoryRange;
using rootstock::MemoryType;
namespace lb = rootstock::linux_boot;

constexpr uint64_t kPage = 4096;
constexpr uint64_t k2MiB = 2ull << 20;
constexpr uint64_t k4GiB = 4ull << 30;
constexpr uint64_t kKernelMinAddress = 16ull << 20;  // above the low boot data and ISA holes
// Page-table entry bits (AMD APM vol. 2, 5.4.1): present, writable, 2 MiB page.
constexpr uint64_t kPtePresentWrite = 0x3;
constexpr uint64_t kPteLarge = 0x80;
// Flat 4 GiB descriptors (AMD APM vol. 2, 4.8): 64-bit code (L=1) and read/write data.
constexpr uint64_t kGdtCode64 = 0x00af9b000000ffffull;
constexpr uint64_t kGdtData = 0x00cf93000000ffffull;

void* at(uint64_t phys) {
  return reinterpret_cast<void*>(phys);
}

// The highest page-aligned place for `size` bytes in usable RAM below `limit` that overlaps
// none of `avoid`; 0 when there is none.
uint64_t place_high(const MemoryRange* map, size_t n, uint64_t size, uint64_t limit,
                    const MemoryRange* avoid, size_t avoid_count) {
  const uint64_t span = (size + kPage - 1) & ~(kPage - 1);
  for (size_t i = n; i-- > 0;) {
    const MemoryRange& r = map[i];
    if (r.type != MemoryType::kUsable) continue;
    uint64_t top = r.end() < limit ? r.end() : limit;
    while (top >= r.base + span && top >= span) {
      const uint64_t base = (top - span) & ~(kPage - 1);
      if (base < r.base) break;
      const MemoryRange* hit = nullptr;
      for (size_t k = 0; k < avoid_count; ++k) {
        if (avoid[k].length != 0 && ranges_overlap(base, span, avoid[k].base, avoid[k].length)) {
          hit = &avoid[k];
        }
      }
      if (hit == nullptr) return base;
      top = hit->base;  // try below what was in the way
    }
  }
  return 0;
}

void build_page_tables() {
  auto* pml4 = static_cast<uint64_t*>(at(layout::kPml4));
  memset(pml4, 0, layout::kPageTablesEnd - layout::kPml4);
  const uint64_t pdpt = layout::kPml4 + kPage;
  const uint64_t pd = pdpt + kPage;
  pml4[0] = pdpt | kPtePresentWrite;
  auto* pdpt_entries = static_cast<uint64_t*>(at(pdpt));
  for (uint64_t i = 0; i < 4; ++i) pdpt_entries[i] = (pd + i * kPage) | kPtePresentWrite;
  auto* pd_entries = static_cast<uint64_t*>(at(pd));
  for (uint64_t i = 0; i < 4 * 512; ++i) pd_entries[i] = (i * k2MiB) | kPtePresentWrite | kPteLarge;
}

}  // namespace

const char* load_root(const Payload& payload, rootstock::Text extra_cmdline, const MemoryRange* map,
                      size_t n, uint64_t rsdp, RootEntry& entry) {
  if (payload.kernel.size == 0) return "no root kernel (none embedded, none given as a module)";
  lb::BzImage kernel;
  if (const lb::Status s = lb::parse_bzimage(payload.kernel.data, payload.kernel.size, kernel);
      s != lb::Status::kOk) {
    return lb::describe(s);
  }
  if (!is_usable(map, n, layout::kGdt, kPage) || !is_usable(map, n, layout::kZeroPage, kPage) ||
      !is_usable(map, n, layout::kPml4, layout::kPageTablesEnd - layout::kPml4) ||
      !is_usable(map, n, layout::kCmdline, layout::kCmdlineMax)) {
    return "the low memory for the boot data (0x500-0x21000) is not usable RAM";
  }
  uint64_t load = 0;
  if (const lb::Status s = lb::choose_load_address(kernel, map, n, kKernelMinAddress, load);
      s != lb::Status::kOk) {
    return lb::describe(s);
  }

  // The initramfs goes high, away from the kernel's whole footprint and from the boot modules
  // it and the kernel may still be read from.
  const MemoryRange avoid[] = {
      {load, kernel.footprint(), MemoryType::kReserved},
      {reinterpret_cast<uintptr_t>(payload.kernel.data),
       payload.kernel.from_module ? payload.kernel.size : 0, MemoryType::kReserved},
      {reinterpret_cast<uintptr_t>(payload.initramfs.data),
       payload.initramfs.from_module ? payload.initramfs.size : 0, MemoryType::kReserved},
      {0, layout::kCmdline + layout::kCmdlineMax, MemoryType::kReserved},
  };
  uint64_t initrd = 0;
  if (payload.initramfs.size != 0) {
    uint64_t limit = uint64_t{kernel.initrd_addr_max} + 1;
    if (limit > k4GiB) limit = k4GiB;  // inside the boot page tables' identity map
    initrd = place_high(map, n, payload.initramfs.size, limit, avoid, 4);
    if (initrd == 0) return "no room for the initramfs in the root's RAM";
  }
  if (ranges_overlap(load, kernel.footprint(), reinterpret_cast<uintptr_t>(payload.kernel.data),
                     payload.kernel.size)) {
    return "the kernel module lies where the kernel must be loaded";
  }
  // The kernel is copied first: an initramfs module in its way would be overwritten before it is
  // read.
  if (payload.initramfs.from_module &&
      ranges_overlap(load, kernel.footprint(), reinterpret_cast<uintptr_t>(payload.initramfs.data),
                     payload.initramfs.size)) {
    return "the initramfs module lies where the kernel must be loaded";
  }

  // The command line: the payload's default, then the boot loader's words for the root.
  char* cmdline = static_cast<char*>(at(layout::kCmdline));
  size_t len = 0;
  auto put = [&](rootstock::Text t) {
    for (size_t i = 0; i < t.size && len + 1 < layout::kCmdlineMax; ++i) cmdline[len++] = t[i];
  };
  put(payload.cmdline);
  if (!extra_cmdline.empty()) {
    if (len != 0) put(" ");
    put(extra_cmdline);
  }
  cmdline[len] = '\0';

  lb::ZeroPageInputs in;
  in.kernel_address = load;
  in.zero_page_address = layout::kZeroPage;
  in.cmdline_address = layout::kCmdline;
  in.cmdline = {cmdline, len};
  in.initrd_address = initrd;
  in.initrd_size = payload.initramfs.size;
  in.acpi_rsdp_address = rsdp;
  in.framebuffer = &payload.framebuffer;
  if (payload.framebuffer.present) {
    log::info("root: the boot loader's framebuffer %ux%ux%u at 0x%lx goes to its console",
              payload.framebuffer.width, payload.framebuffer.height, payload.framebuffer.bpp,
              payload.framebuffer.address);
  }
  in.memory = map;
  in.memory_count = n;
  auto* params = static_cast<lb::BootParams*>(at(layout::kZeroPage));
  if (const lb::Status s = lb::build_zero_page(kernel, in, *params); s != lb::Status::kOk) {
    return lb::describe(s);
  }

  memcpy(at(load), payload.kernel.data + kernel.kernel_offset, kernel.kernel_size);
  if (payload.initramfs.size != 0)
    memcpy(at(initrd), payload.initramfs.data, payload.initramfs.size);
  auto* gdt = static_cast<uint64_t*>(at(layout::kGdt));
  gdt[0] = gdt[1] = 0;
  gdt[layout::kBootCs / 8] = kGdtCode64;
  gdt[layout::kBootDs / 8] = kGdtData;
  build_page_tables();

  entry.rip = lb::BzImage::entry_point(load);
  entry.rsi = layout::kZeroPage;
  entry.cr3 = layout::kPml4;
  entry.gdt_base = layout::kGdt;
  entry.gdt_limit = 4 * 8 - 1;
  entry.kernel_address = load;
  entry.initramfs_address = initrd;
  entry.initramfs_size = payload.initramfs.size;
  return nullptr;
}

}  // namespace hv::root
