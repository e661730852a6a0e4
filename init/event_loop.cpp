#include "event_loop.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>

namespace rootstock::init {

EventLoop::EventLoop() : epoll_fd_(::epoll_create1(EPOLL_CLOEXEC)) {}

EventLoop::~EventLoop() {
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

bool EventLoop::watch(int fd, std::function<void()> on_readable) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) return false;
  handlers_[fd] = std::move(on_readable);
  return true;
}

void EventLoop::unwatch(int fd) {
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  handlers_.erase(fd);
}

bool EventLoop::run_until(const std::function<bool()>& done,
                          std::optional<std::chrono::steady_clock::time_point> deadline) {
  constexpr int kBatch = 16;
  while (!done()) {
    int timeout_ms = -1;
    if (deadline) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          *deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      timeout_ms = static_cast<int>(std::min<long long>(left.count(), 60000));
    }
    epoll_event events[kBatch];
    const int n = ::epoll_wait(epoll_fd_, events, kBatch, timeout_ms);
    if (n < 0 && errno != EINTR) return false;
    for (int i = 0; i < n; ++i) {
      // A handler may unwatch another descriptor of this batch: look each one up afresh.
      // A copy: the handler may unwatch (destroy) itself.
      const auto it = handlers_.find(events[i].data.fd);
      if (it == handlers_.end()) continue;
      const std::function<void()> handler = it->second;
      handler();
    }
  }
  return true;
}

}  // namespace rootstock::init
