#include "vmm/virtio/queue_worker.hpp"

#include <errno.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <utility>

namespace rootstock::vmm::virtio {

QueueWorker::~QueueWorker() {
  stop();
}

Result<void> QueueWorker::start(std::function<void()> serve) {
  stop();
  if (!kick_fd_) {
    // Blocking: the thread sleeps in read(). A write blocks only at a counter of 2^64 - 2.
    kick_fd_ = UniqueFd(::eventfd(0, EFD_CLOEXEC));
    if (!kick_fd_) {
      return fail_errno("cannot create an eventfd", errno);
    }
  }
  serve_ = std::move(serve);
  stopping_.store(false);
  thread_ = std::thread([this] { loop(); });
  return {};
}

void QueueWorker::kick() {
  if (!kick_fd_) return;
  const uint64_t one = 1;
  (void)!::write(kick_fd_.get(), &one, sizeof(one));
}

void QueueWorker::stop() {
  if (!thread_.joinable()) return;
  stopping_.store(true);
  kick();
  thread_.join();
}

void QueueWorker::loop() {
  for (;;) {
    uint64_t kicks = 0;
    const ssize_t got = ::read(kick_fd_.get(), &kicks, sizeof(kicks));
    if (got < 0 && errno == EINTR) continue;
    if (stopping_.load()) return;
    if (got == static_cast<ssize_t>(sizeof(kicks))) serve_();
  }
}

}  // namespace rootstock::vmm::virtio
