#include "partition/deposit_pool.hpp"

extern "C" void* memset(void* dst, int c, __SIZE_TYPE__ n);

namespace hv {
namespace {
constexpr uint64_t kPage = 4096;
}

void DepositPool::add_free(uint64_t pa) {
  *static_cast<uint64_t*>(machine_.frame(pa)) = head_;
  head_ = pa;
  ++free_;
}

bool DepositPool::take_free(uint64_t& pa) {
  if (head_ == 0) return false;
  pa = head_;
  head_ = *static_cast<uint64_t*>(machine_.frame(pa));
  --free_;
  return true;
}

bool DepositPool::allocate_zeroed(uint64_t& pa) {
  if (!take_free(pa)) return false;
  // The table said DEPOSITED_FREE of this owner when the frame was added, and only this pool
  // moves it; a failure here is a broken table, which CHECK_INVARIANTS reports.
  (void)table_.move(pa / kPage, FrameState::kDepositedFree, owner_, FrameState::kDepositedUsed,
                    owner_);
  memset(machine_.frame(pa), 0, kPage);
  ++used_;
  return true;
}

void DepositPool::free(uint64_t pa) {
  (void)table_.move(pa / kPage, FrameState::kDepositedUsed, owner_, FrameState::kDepositedFree,
                    owner_);
  --used_;
  add_free(pa);
}

}  // namespace hv
