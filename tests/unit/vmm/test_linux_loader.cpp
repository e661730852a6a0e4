// The child's Linux loader (vmm/loader/linux_loader.hpp): the project's own bzImage loaded into
// a child's RAM with the zero page, command line and initramfs where the boot protocol wants
// them and 64-bit entry registers; truncated, foreign and oversized inputs refused by name.
#include <catch2/catch_test_macros.hpp>

#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include <rootstock/linux_boot/boot_params.hpp>

#include "vmm/loader/linux_loader.hpp"

using namespace rootstock::vmm;
using rootstock::linux_boot::BootParams;

namespace {

std::vector<uint8_t> read_kernel() {
  std::ifstream in(ROOTSTOCK_TEST_BZIMAGE, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

GuestMemory ram(uint64_t mib) {
  auto m = GuestMemory::allocate(0, mib << 20);
  REQUIRE(m);
  return std::move(*m);
}

const RegisterAssignment* find(const RegisterList& list, uint32_t name) {
  for (const auto& r : list) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("linux loader: the project's kernel goes where the boot protocol says", "[vmm][loader]") {
  const std::vector<uint8_t> kernel = read_kernel();
  if (kernel.empty()) SKIP("no kernel built yet (" ROOTSTOCK_TEST_BZIMAGE ")");
  GuestMemory mem = ram(256);
  const std::vector<uint8_t> initramfs(300000, 0x42);
  loader::LinuxImage image{kernel, initramfs, "console=ttyS0 quiet", 0xe0000};
  auto loaded = loader::load_linux(mem, image);
  REQUIRE(loaded);
  CHECK(loaded->kernel_address >= loader::layout::kHighRam);
  CHECK(loaded->entry == loaded->kernel_address + 0x200);
  BootParams params;
  auto zp = mem.bytes(loader::layout::kZeroPage, sizeof(params));
  REQUIRE(zp);
  std::memcpy(&params, zp->data(), sizeof(params));
  CHECK(params.hdr.cmd_line_ptr == loader::layout::kCmdline);
  CHECK(params.hdr.ramdisk_image == loaded->initramfs_address);
  CHECK(params.hdr.ramdisk_size == initramfs.size());
  CHECK(params.acpi_rsdp_addr == 0xe0000);
  CHECK(params.e820_entries == 3);
  CHECK(loaded->initramfs_address % 4096 == 0);
  CHECK(loaded->initramfs_address + initramfs.size() <= mem.size());
  auto cmdline = mem.bytes(loader::layout::kCmdline, 20);
  REQUIRE(cmdline);
  CHECK(std::memcmp(cmdline->data(), "console=ttyS0 quiet", 20) == 0);  // with its NUL
  const RegisterAssignment* rsi = find(loaded->registers, RS_REG_RSI);
  const RegisterAssignment* rip = find(loaded->registers, RS_REG_RIP);
  REQUIRE(rsi);
  REQUIRE(rip);
  CHECK(rsi->value.scalar.value == loader::layout::kZeroPage);
  CHECK(rip->value.scalar.value == loaded->entry);
  auto first = mem.bytes(loaded->kernel_address, 64);
  REQUIRE(first);
  const size_t offset = (size_t{kernel[0x1f1]} + 1) * 512;
  CHECK(std::memcmp(first->data(), kernel.data() + offset, 64) == 0);
}

TEST_CASE("linux loader: bad images and bad fits are refused by name", "[vmm][loader]") {
  const std::vector<uint8_t> kernel = read_kernel();
  if (kernel.empty()) SKIP("no kernel built yet (" ROOTSTOCK_TEST_BZIMAGE ")");
  GuestMemory mem = ram(64);
  auto refused = [&](std::span<const uint8_t> k, std::span<const uint8_t> initrd,
                     std::string_view cmdline, GuestMemory& m) {
    auto r = loader::load_linux(m, {k, initrd, cmdline, 0});
    REQUIRE_FALSE(r);
    return describe(r.error());
  };
  const std::vector<uint8_t> none;
  // Truncated: the header alone, and half the file.
  CHECK(refused(std::span(kernel).first(600), none, "", mem).find("bzImage") != std::string::npos);
  (void)refused(std::span(kernel).first(kernel.size() / 2), none, "", mem);
  // Not a kernel at all.
  const std::vector<uint8_t> junk(4 << 20, 0x90);
  CHECK(refused(junk, none, "", mem).find("bzImage") != std::string::npos);
  // setup_sects claiming more than the file has.
  std::vector<uint8_t> hostile = kernel;
  hostile[0x1f1] = 0xff;
  hostile.resize(200 * 512);
  (void)refused(hostile, none, "", mem);
  // A command line longer than the kernel takes.
  const std::string long_line(1 << 20, 'x');
  CHECK(refused(kernel, none, long_line, mem).find("command line") != std::string::npos);
  // An initramfs bigger than RAM, and RAM too small for the kernel.
  const std::vector<uint8_t> huge(80 << 20, 0);
  CHECK(refused(kernel, huge, "", mem).find("initramfs") != std::string::npos);
  GuestMemory tiny = ram(4);
  CHECK(refused(kernel, none, "", tiny).find("room") != std::string::npos);
  // RAM that does not start at 0.
  auto high = GuestMemory::allocate(1 << 20, 8 << 20);
  REQUIRE(high);
  CHECK(refused(kernel, none, "", *high).find("RAM") != std::string::npos);
}
