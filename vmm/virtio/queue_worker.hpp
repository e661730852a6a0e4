// A thread that serves a device's queue away from the vCPU threads (docs/virtio.md "Threads"):
// a kick — notify() from a vCPU thread, or hvroot signalling the kick eventfd for a doorbell
// the transport registered (docs/hvroot.md "Doorbells") — wakes it, and it runs the device's
// serve function, which takes the device's own lock. A vCPU's exit for a kick then costs an
// eventfd write, never the disk's latency.
//
// The kick fd is an eventfd made at the first start() and kept until the worker goes, so a
// doorbell registered for it stays valid across resets; kicks while the worker is stopped are
// counted by the eventfd and taken by the next start()'s first wake-up, which serves the queue
// once more than needed and nothing less.
#pragma once

#include <atomic>
#include <functional>
#include <thread>

#include "vmm/error.hpp"
#include "vmm/unique_fd.hpp"

namespace rootstock::vmm::virtio {

class QueueWorker {
 public:
  QueueWorker() = default;
  /// Stops the thread.
  ~QueueWorker();
  QueueWorker(const QueueWorker&) = delete;
  QueueWorker& operator=(const QueueWorker&) = delete;

  /// Starts the thread; `serve` runs on it after each wake-up until stop(). A running worker
  /// is stopped first.
  [[nodiscard]] Result<void> start(std::function<void()> serve);
  /// Wakes the thread (any thread may call it, at any time).
  void kick();
  /// Stops the thread and waits for it: `serve` is not running when this returns and does not
  /// run again until the next start().
  void stop();
  /// The eventfd a kick writes; -1 before the first start().
  [[nodiscard]] int kick_fd() const { return kick_fd_.get(); }
  [[nodiscard]] bool running() const { return thread_.joinable(); }

 private:
  void loop();

  UniqueFd kick_fd_;
  std::function<void()> serve_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace rootstock::vmm::virtio
