#include "vmm/virtio/byte_backlog.hpp"

#include <string.h>

#include <algorithm>

namespace rootstock::vmm::virtio {

ByteBacklog::ByteBacklog(size_t capacity) : bytes_(std::max<size_t>(capacity, 1)) {}

size_t ByteBacklog::push(std::span<const uint8_t> data) {
  size_t dropped = 0;
  if (data.size() > capacity()) {
    dropped = size_ + data.size() - capacity();
    clear();
    data = data.last(capacity());
  } else if (data.size() > capacity() - size_) {
    dropped = data.size() - (capacity() - size_);
    consume(dropped);
  }
  append(data);
  return dropped;
}

void ByteBacklog::append(std::span<const uint8_t> data) {
  const size_t tail = (head_ + size_) % capacity();
  const size_t first = std::min(data.size(), capacity() - tail);
  if (first != 0) memcpy(bytes_.data() + tail, data.data(), first);
  if (first != data.size()) memcpy(bytes_.data(), data.data() + first, data.size() - first);
  size_ += data.size();
}

std::span<const uint8_t> ByteBacklog::front() const {
  return std::span(bytes_).subspan(head_, std::min(size_, capacity() - head_));
}

void ByteBacklog::consume(size_t count) {
  count = std::min(count, size_);
  head_ = (head_ + count) % capacity();
  size_ -= count;
  if (size_ == 0) head_ = 0;  // the next push is one contiguous run again
}

void ByteBacklog::clear() {
  head_ = 0;
  size_ = 0;
}

}  // namespace rootstock::vmm::virtio
