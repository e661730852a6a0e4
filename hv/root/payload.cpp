#include "root/payload.hpp"

extern "C" {
extern const uint8_t hv_payload_kernel_start[], hv_payload_kernel_end[];
extern const uint8_t hv_payload_initramfs_start[], hv_payload_initramfs_end[];
extern const char hv_payload_cmdline[];
extern char __hv_end[];
}

namespace hv::root {
namespace {

// Linux boot protocol: the setup header's magic "HdrS" at offset 0x202.
constexpr size_t kHeaderMagicOffset = 0x202;
constexpr uint8_t kHeaderMagic[4] = {'H', 'd', 'r', 'S'};

bool looks_like_bzimage(const uint8_t* data, size_t size) {
  if (size < kHeaderMagicOffset + sizeof(kHeaderMagic)) return false;
  for (size_t i = 0; i < sizeof(kHeaderMagic); ++i) {
    if (data[kHeaderMagicOffset + i] != kHeaderMagic[i]) return false;
  }
  return true;
}

}  // namespace

Payload find_payload(const rootstock::boot::BootInfo& boot) {
  Payload p;
  p.kernel = {hv_payload_kernel_start,
              static_cast<size_t>(hv_payload_kernel_end - hv_payload_kernel_start), false};
  p.initramfs = {hv_payload_initramfs_start,
                 static_cast<size_t>(hv_payload_initramfs_end - hv_payload_initramfs_start), false};
  p.cmdline = rootstock::Text(hv_payload_cmdline);
  p.framebuffer = boot.framebuffer;
  for (size_t i = 0; i < boot.module_count; ++i) {
    const auto& m = boot.modules[i];
    // Modules lie in the boot identity map (the parsers checked their bounds).
    const auto* data = reinterpret_cast<const uint8_t*>(m.base);
    const Blob blob{data, static_cast<size_t>(m.size), true};
    if (looks_like_bzimage(data, blob.size)) {
      p.kernel = blob;
    } else {
      p.initramfs = blob;
    }
  }
  return p;
}

uint64_t image_end() {
  return reinterpret_cast<uintptr_t>(__hv_end);
}

}  // namespace hv::root
