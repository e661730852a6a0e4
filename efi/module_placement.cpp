#include "module_placement.hpp"

namespace rootstock::efi {

MemoryRange kernel_window(const linux_boot::BzImage& kernel) {
  uint64_t base = kernel.pref_address > kKernelMinAddress ? kernel.pref_address : kKernelMinAddress;
  const uint64_t align = kernel.kernel_alignment != 0 ? kernel.kernel_alignment : 1;
  base = (base + align - 1) & ~(align - 1);
  return {base, kernel.footprint(), MemoryType::kReserved};
}

bool module_can_stay(uint64_t base, uint64_t size, const MemoryRange& window) {
  constexpr uint64_t k4GiB = uint64_t{1} << 32;
  if (base >= k4GiB || size > k4GiB - base) return false;
  const bool disjoint = base + size <= window.base || window.end() <= base;
  return disjoint;
}

}  // namespace rootstock::efi
