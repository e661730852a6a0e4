#include "mm/boot_arena.hpp"

namespace hv {

void* BootArena::allocate_pages(size_t bytes, uint64_t& phys) {
  const uint64_t size = (static_cast<uint64_t>(bytes) + kPage - 1) & ~(kPage - 1);
  if (size == 0 || size > kBlock) {
    return nullptr;
  }
  if (block_ == 0 || used_ + size > kBlock) {
    uint64_t fresh = 0;
    if (frames_.allocate_block(fresh) != FrameStatus::kOk) {
      return nullptr;
    }
    block_ = fresh;
    used_ = 0;
  }
  phys = block_ + used_;
  used_ += size;
  return frames_.pointer_to(phys);  // blocks come zeroed
}

}  // namespace hv
