// Bytes waiting for a reader that is not ready yet, up to a fixed capacity: the console's input
// that found no receive buffer in the child (console_device.hpp). When more arrives than fits,
// the oldest bytes go, as a terminal's scrollback loses its top: what the child reads last is
// what the owner typed last. Not thread-safe: its owner locks around it.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <span>
#include <vector>

namespace rootstock::vmm::virtio {

/// A bounded byte queue that drops its oldest bytes to make room.
class ByteBacklog {
 public:
  /// Room for `capacity` bytes (at least 1), allocated now.
  explicit ByteBacklog(size_t capacity);

  /// Appends `data`; returns how many bytes were dropped to make room (the oldest held ones, and
  /// the start of `data` itself when it alone is larger than the capacity).
  size_t push(std::span<const uint8_t> data);
  /// The oldest bytes held, as one contiguous run: all of them, or those up to the ring's wrap
  /// (the rest follow in the next run after consume()). Empty when nothing is held.
  [[nodiscard]] std::span<const uint8_t> front() const;
  /// Drops the `count` oldest bytes (at most size()).
  void consume(size_t count);
  /// Drops everything.
  void clear();

  [[nodiscard]] size_t size() const { return size_; }
  [[nodiscard]] bool empty() const { return size_ == 0; }
  [[nodiscard]] size_t capacity() const { return bytes_.size(); }

 private:
  /// Copies `data` (which fits the free room) after the held bytes.
  void append(std::span<const uint8_t> data);

  std::vector<uint8_t> bytes_;  ///< a ring: size_ bytes from head_ on
  size_t head_ = 0;
  size_t size_ = 0;
};

}  // namespace rootstock::vmm::virtio
