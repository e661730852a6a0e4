#include "rootstock/acpi/table_bytes.hpp"

namespace rootstock::acpi {

bool TableBytes::at(uint64_t offset, uint8_t& out) {
  if (offset >= table_.length) return false;
  if (offset < start_ || offset - start_ >= size_) {
    // Start a little before `offset`: scanners look back a few bytes from a match.
    constexpr uint64_t kLookBack = 16;
    const uint64_t start = offset > kLookBack ? offset - kLookBack : 0;
    const uint64_t left = table_.length - start;
    const size_t size = left < sizeof(window_) ? static_cast<size_t>(left) : sizeof(window_);
    if (!read_table(reader_, table_, start, window_, size)) {
      size_ = 0;
      return false;
    }
    start_ = start;
    size_ = size;
  }
  out = window_[offset - start_];
  return true;
}

}  // namespace rootstock::acpi
