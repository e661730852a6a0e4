#include "appliance/console_ring.hpp"

#include <algorithm>

namespace rootstock::appliance {

ConsoleRing::ConsoleRing(size_t capacity) : buffer_(std::max<size_t>(capacity, 1)) {}

void ConsoleRing::write(std::string_view bytes) {
  if (bytes.empty()) return;
  {
    std::lock_guard lock(mutex_);
    // Only the newest `size` bytes of a long write can survive it.
    size_t size = buffer_.size();
    if (bytes.size() > size) {
      end_ += bytes.size() - size;
      bytes.remove_prefix(bytes.size() - size);
    }
    while (!bytes.empty()) {
      size_t at = static_cast<size_t>(end_ % size);
      size_t n = std::min(bytes.size(), size - at);
      std::copy_n(bytes.data(), n, buffer_.begin() + static_cast<std::ptrdiff_t>(at));
      bytes.remove_prefix(n);
      end_ += n;
    }
  }
  grown_.notify_all();
}

ConsoleRing::Read ConsoleRing::read_locked(uint64_t offset, size_t max) const {
  size_t size = buffer_.size();
  uint64_t begin = end_ > size ? end_ - size : 0;
  Read r;
  r.from = std::clamp(offset, begin, end_);
  r.missed = offset < begin ? begin - offset : 0;
  uint64_t n = std::min<uint64_t>(end_ - r.from, max);
  r.bytes.reserve(static_cast<size_t>(n));
  for (uint64_t o = r.from; o < r.from + n;) {
    size_t at = static_cast<size_t>(o % size);
    size_t chunk = static_cast<size_t>(std::min<uint64_t>(r.from + n - o, size - at));
    r.bytes.append(buffer_.data() + at, chunk);
    o += chunk;
  }
  r.next = r.from + n;
  return r;
}

ConsoleRing::Read ConsoleRing::read_since(uint64_t offset, size_t max) const {
  std::lock_guard lock(mutex_);
  return read_locked(offset, max);
}

ConsoleRing::Read ConsoleRing::wait_since(uint64_t offset, std::chrono::milliseconds timeout,
                                          size_t max) const {
  std::unique_lock lock(mutex_);
  // end_ > offset also covers a missed range (offset below begin).
  grown_.wait_for(lock, timeout, [&] { return closed_ || end_ > offset; });
  return read_locked(offset, max);
}

uint64_t ConsoleRing::end() const {
  std::lock_guard lock(mutex_);
  return end_;
}

uint64_t ConsoleRing::begin() const {
  std::lock_guard lock(mutex_);
  return end_ > buffer_.size() ? end_ - buffer_.size() : 0;
}

void ConsoleRing::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  grown_.notify_all();
}

bool ConsoleRing::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

}  // namespace rootstock::appliance
