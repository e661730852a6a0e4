#include "tests/fakes/synthetic_bzimage.hpp"

#include <rootstock/linux_boot/boot_params.hpp>

#include <cstring>

namespace rootstock::vmm {

std::vector<uint8_t> synthetic_bzimage() {
  namespace lb = rootstock::linux_boot;
  constexpr size_t kSetup = 5 * lb::kSectorSize;  // the boot sector and 4 setup sectors
  constexpr size_t kKernel = 0x1000;
  std::vector<uint8_t> img(kSetup + kKernel, 0);
  lb::SetupHeader h{};
  h.setup_sects = 4;
  h.syssize = kKernel / 16;
  h.boot_flag = lb::kBootFlag;
  h.jump = 0x6aeb;  // to 0x26c, the end of a 2.15 header
  h.header = lb::kHeaderMagic;
  h.version = 0x020f;
  h.loadflags = lb::loadflags::kLoadedHigh;
  h.initrd_addr_max = 0x7fffffff;
  h.kernel_alignment = 0x200000;
  h.relocatable_kernel = 1;
  h.min_alignment = 21;
  h.xloadflags = lb::xloadflags::kKernel64 | lb::xloadflags::kCanBeLoadedAbove4G;
  h.cmdline_size = 2047;
  h.payload_offset = 0x800;
  h.payload_length = 0x800;
  h.pref_address = 0x1000000;
  h.init_size = 0x40000;
  std::memcpy(img.data() + lb::kSetupHeaderOffset, &h, sizeof(h));
  return img;
}

}  // namespace rootstock::vmm
