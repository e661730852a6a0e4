// PID 1's event loop: epoll over signalfd (SIGCHLD and the power requests), the power-button
// input device and, in later issues, the VMM's descriptors. One thread; handlers run in order.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>

namespace rootstock::init {

/// An epoll loop that calls a handler when its descriptor is readable.
class EventLoop {
 public:
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  /// Watches `fd`; false (errno set) when epoll refuses it.
  bool watch(int fd, std::function<void()> on_readable);
  void unwatch(int fd);

  /// Runs handlers until `done()` is true (checked after each batch) or `deadline` passes;
  /// returns whether done() became true.
  bool run_until(const std::function<bool()>& done,
                 std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt);

 private:
  int epoll_fd_;
  std::map<int, std::function<void()>> handlers_;
};

}  // namespace rootstock::init
