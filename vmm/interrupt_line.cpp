#include "vmm/interrupt_line.hpp"

namespace rootstock::vmm {

const char* describe(Trigger trigger) {
  return trigger == Trigger::kEdge ? "edge" : "level";
}

Result<void> InterruptSink::msi(uint32_t /*address*/, uint32_t /*data*/) {
  return fail("this machine delivers no message signalled interrupts");
}

void InterruptLine::set(bool level) {
  std::lock_guard lock(mutex_);
  if (level == level_) return;
  level_ = level;
  Result<void> sent;
  if (trigger_ == Trigger::kLevel) {
    sent = sink_->level(gsi_, level);
  } else if (level) {
    sent = sink_->edge(gsi_);
  }
  if (!sent) ++failed_;
}

bool InterruptLine::level() const {
  std::lock_guard lock(mutex_);
  return level_;
}

uint64_t InterruptLine::failed() const {
  std::lock_guard lock(mutex_);
  return failed_;
}

}  // namespace rootstock::vmm
