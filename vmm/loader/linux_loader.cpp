#include "vmm/loader/linux_loader.hpp"

#include "vmm/loader/guest_copy.hpp"

#include <cstring>

#include <rootstock/linux_boot/zero_page.hpp>

#include "vmm/long_mode.hpp"

namespace rootstock::vmm::loader {
namespace {

namespace lb = rootstock::linux_boot;
using rootstock::MemoryRange;
using rootstock::MemoryType;

constexpr uint64_t kPage = 4096;

constexpr std::string_view kLoader = "linux loader";

Result<void> copy_in(GuestMemory& ram, uint64_t gpa, std::span<const uint8_t> data,
                     std::string_view what) {
  return loader::copy_in(ram, gpa, data, kLoader, what);
}

}  // namespace

Result<LoadedLinux> load_linux(GuestMemory& ram, const LinuxImage& image) {
  if (ram.gpa() != 0 || ram.size() < 2 * layout::kHighRam || ram.size() > kLongModeIdentityBytes) {
    return fail("linux loader: the child's RAM must start at 0 and be 2 MiB to 1 GiB");
  }
  lb::BzImage kernel;
  if (const lb::Status s = lb::parse_bzimage(image.kernel.data(), image.kernel.size(), kernel);
      s != lb::Status::kOk) {
    return fail(std::string("linux loader: not a bzImage it can boot: ") + lb::describe(s));
  }
  if (!kernel.entry64) {
    return fail("linux loader: the kernel has no 64-bit entry point (XLF_KERNEL_64)");
  }
  if (image.cmdline.size() > kernel.cmdline_size || image.cmdline.size() >= layout::kCmdlineMax) {
    return fail("linux loader: the command line is longer than the kernel takes (" +
                std::to_string(kernel.cmdline_size) + " bytes)");
  }
  // The child's memory map: low RAM, the BIOS hole (where its ACPI tables live), the rest.
  const MemoryRange e820[] = {
      {0, layout::kLowRamEnd, MemoryType::kUsable},
      {layout::kLowRamEnd, layout::kHighRam - layout::kLowRamEnd, MemoryType::kReserved},
      {layout::kHighRam, ram.size() - layout::kHighRam, MemoryType::kUsable},
  };
  uint64_t kernel_address = 0;
  if (const lb::Status s =
          lb::choose_load_address(kernel, e820, 3, layout::kHighRam, kernel_address);
      s != lb::Status::kOk) {
    return fail(std::string("linux loader: no room for the kernel: ") + lb::describe(s));
  }
  // The initramfs at the top of RAM (below what the kernel can reach), page-aligned, clear of
  // the kernel's footprint.
  uint64_t initrd_address = 0;
  if (!image.initramfs.empty()) {
    const uint64_t limit = std::min<uint64_t>(ram.size(), uint64_t{kernel.initrd_addr_max} + 1);
    if (image.initramfs.size() > limit) return fail("linux loader: the initramfs does not fit");
    initrd_address = (limit - image.initramfs.size()) & ~(kPage - 1);
    if (initrd_address < kernel_address + kernel.footprint()) {
      return fail("linux loader: the initramfs does not fit beside the kernel in " +
                  std::to_string(ram.size() >> 20) + " MiB");
    }
  }
  lb::ZeroPageInputs in;
  in.kernel_address = kernel_address;
  in.zero_page_address = layout::kZeroPage;
  in.cmdline_address = layout::kCmdline;
  in.cmdline = {image.cmdline.data(), image.cmdline.size()};
  in.initrd_address = initrd_address;
  in.initrd_size = image.initramfs.size();
  in.acpi_rsdp_address = image.acpi_rsdp;
  in.memory = e820;
  in.memory_count = 3;
  lb::BootParams params{};
  if (const lb::Status s = lb::build_zero_page(kernel, in, params); s != lb::Status::kOk) {
    return fail(std::string("linux loader: zero page: ") + lb::describe(s));
  }
  // Everything is checked: now the bytes go in.
  if (auto r = copy_in(ram, kernel_address,
                       image.kernel.subspan(kernel.kernel_offset, kernel.kernel_size), "kernel");
      !r) {
    return std::unexpected(r.error());
  }
  if (auto r = copy_in(ram, layout::kZeroPage,
                       {reinterpret_cast<const uint8_t*>(&params), sizeof(params)}, "zero page");
      !r) {
    return std::unexpected(r.error());
  }
  if (auto r = copy_cmdline(ram, layout::kCmdline, image.cmdline, kLoader); !r) {
    return std::unexpected(r.error());
  }
  if (!image.initramfs.empty()) {
    if (auto r = copy_in(ram, initrd_address, image.initramfs, "initramfs"); !r) {
      return std::unexpected(r.error());
    }
  }
  LoadedLinux out;
  out.kernel_address = kernel_address;
  out.initramfs_address = initrd_address;
  out.entry = lb::BzImage::entry_point(kernel_address);
  // 64-bit entry (boot.rst): identity-mapped paging, flat 64-bit CS and data segments,
  // interrupts off, RSI = the zero page. The kernel sets up its own stack.
  auto regs = setup_long_mode(ram, {out.entry, layout::kZeroPage});
  if (!regs) return std::unexpected(regs.error());
  out.registers = std::move(*regs);
  out.registers.push_back(scalar_register(RS_REG_RSI, layout::kZeroPage));
  return out;
}

}  // namespace rootstock::vmm::loader
