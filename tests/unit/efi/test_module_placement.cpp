// Where the loader may leave the kernel and initramfs modules (efi/module_placement.hpp): below
// 4 GiB and outside the window hv copies the root's kernel into, computed as hv computes it.
#include "module_placement.hpp"

#include <catch2/catch_test_macros.hpp>
#include <vector>

#include "byte_image.hpp"

using namespace rootstock;
using namespace rootstock::efi;

namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;

linux_boot::BzImage kernel(uint64_t pref, uint32_t align, uint32_t init_size, size_t file_part) {
  linux_boot::BzImage k;
  k.pref_address = pref;
  k.kernel_alignment = align;
  k.init_size = init_size;
  k.kernel_size = file_part;
  return k;
}

}  // namespace

TEST_CASE("the kernel's window starts at 16 MiB or its preferred address, aligned") {
  MemoryRange w = kernel_window(kernel(16 * kMiB, 2 * kMiB, 40 * kMiB, 4 * kMiB));
  CHECK(w.base == 16 * kMiB);
  CHECK(w.length == 40 * kMiB);
  w = kernel_window(kernel(1 * kMiB, 2 * kMiB, 40 * kMiB, 4 * kMiB));
  CHECK(w.base == 16 * kMiB);
  w = kernel_window(kernel(33 * kMiB, 16 * kMiB, 8 * kMiB, 20 * kMiB));
  CHECK(w.base == 48 * kMiB);
  CHECK(w.length == 20 * kMiB);  // the file's kernel part when larger than init_size
}

TEST_CASE("a module stays only below 4 GiB and outside the kernel's window") {
  const MemoryRange w{16 * kMiB, 40 * kMiB, MemoryType::kReserved};
  CHECK(module_can_stay(0x3c000000, 7 * kMiB, w));
  CHECK(module_can_stay(56 * kMiB, kMiB, w));     // right after the window
  CHECK(module_can_stay(8 * kMiB, 8 * kMiB, w));  // right before it
  CHECK_FALSE(module_can_stay(8 * kMiB, 8 * kMiB + 1, w));
  CHECK_FALSE(module_can_stay(55 * kMiB, 2 * kMiB, w));
  CHECK_FALSE(module_can_stay(20 * kMiB, kMiB, w));
  CHECK_FALSE(module_can_stay(0xfff00000, 2 * kMiB, w));  // reaches past 4 GiB
  CHECK_FALSE(module_can_stay(uint64_t{5} << 30, kMiB, w));
  CHECK_FALSE(module_can_stay(~uint64_t{0} - 4, 16, w));
}

TEST_CASE("the project's kernel gets its window at 16 MiB") {
  const std::vector<uint8_t> file = rootstock::testing::read_file(ROOTSTOCK_TEST_BZIMAGE);
  if (file.empty()) SKIP("no " ROOTSTOCK_TEST_BZIMAGE);
  linux_boot::BzImage k;
  REQUIRE(linux_boot::parse_bzimage(file.data(), file.size(), k) == linux_boot::Status::kOk);
  const MemoryRange w = kernel_window(k);
  CHECK(w.base == 16 * kMiB);
  CHECK(w.length == k.footprint());
  CHECK(w.length > file.size());
}
