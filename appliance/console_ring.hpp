// A VM's console output, the last N bytes of it, for readers that come and go (the API's
// GET …/console, a future ?follow=1). Every byte ever written has an offset that only grows, so
// a reader keeps its place across calls and learns exactly how much it missed when the ring
// overwrote what it had not read yet. One writer (the VM's console device) and any number of
// readers, each call safe from any thread.
#pragma once

#include <stdint.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace rootstock::appliance {

class ConsoleRing {
 public:
  /// What a read found: `bytes` start at offset `from`; `missed` bytes between the offset asked
  /// for and `from` were overwritten; `next` is the offset to ask for next time.
  struct Read {
    std::string bytes;
    uint64_t from = 0;
    uint64_t missed = 0;
    uint64_t next = 0;
  };

  /// Keeps the newest `capacity` bytes (at least 1).
  explicit ConsoleRing(size_t capacity);

  /// Appends output; the oldest bytes go when the ring is full.
  void write(std::string_view bytes);
  /// Everything from `offset` on, at most `max` bytes. An offset past the end reads nothing
  /// and `next` is the end.
  [[nodiscard]] Read read_since(uint64_t offset, size_t max = SIZE_MAX) const;
  /// read_since(), once there is something at or after `offset` (or something was missed), the
  /// ring is closed, or `timeout` has passed; then the read may be empty.
  [[nodiscard]] Read wait_since(uint64_t offset, std::chrono::milliseconds timeout,
                                size_t max = SIZE_MAX) const;
  /// The offset the next written byte gets (bytes written since the start).
  [[nodiscard]] uint64_t end() const;
  /// The oldest offset still held.
  [[nodiscard]] uint64_t begin() const;
  [[nodiscard]] size_t capacity() const { return buffer_.size(); }
  /// No more output comes (the VM was removed): waiters return at once, now and later.
  void close();
  [[nodiscard]] bool closed() const;

 private:
  Read read_locked(uint64_t offset, size_t max) const;

  mutable std::mutex mutex_;  // everything below
  mutable std::condition_variable grown_;
  std::vector<char> buffer_;  // offset o lives at buffer_[o % size]
  uint64_t end_ = 0;
  bool closed_ = false;
};

}  // namespace rootstock::appliance
