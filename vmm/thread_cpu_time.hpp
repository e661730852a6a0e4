// The CPU time one thread has used, readable from any other thread while it runs and after it
// ended: a vCPU's run time for the metrics. A vCPU thread's time is the child's time on a CPU
// (VP_RUN is a system call that runs the guest) plus the VMM's exit handling; a halted vCPU
// sleeps in the driver and adds nothing.
#pragma once

#include <stdint.h>
#include <time.h>

#include <atomic>
#include <chrono>

namespace rootstock::vmm {

class ThreadCpuTime {
 public:
  /// On the thread to be measured, first thing.
  void begin();
  /// On the same thread, last thing: its total is kept.
  void end();
  /// The thread's CPU time so far (0 before begin(), the kept total after end()).
  [[nodiscard]] std::chrono::nanoseconds used() const;

 private:
  std::atomic<clockid_t> clock_{0};
  std::atomic<bool> running_{false};
  std::atomic<int64_t> final_ns_{0};
};

}  // namespace rootstock::vmm
