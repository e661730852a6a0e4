#include "vmm/thread_cpu_time.hpp"

#include <pthread.h>

namespace rootstock::vmm {
namespace {

// A clock's reading in nanoseconds, or -1 when the clock is gone (its thread ended).
int64_t read_ns(clockid_t clock) {
  timespec ts{};
  if (clock_gettime(clock, &ts) != 0) return -1;
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

void ThreadCpuTime::begin() {
  clockid_t clock{};
  if (pthread_getcpuclockid(pthread_self(), &clock) != 0) return;  // then used() stays 0
  clock_.store(clock);
  running_.store(true);
}

void ThreadCpuTime::end() {
  if (!running_.load()) return;
  final_ns_.store(read_ns(CLOCK_THREAD_CPUTIME_ID));
  running_.store(false);
}

std::chrono::nanoseconds ThreadCpuTime::used() const {
  if (running_.load()) {
    // The thread may end between the two loads; then its clock is gone and the kept total,
    // stored before running_ went false, is the answer.
    if (const int64_t ns = read_ns(clock_.load()); ns >= 0) return std::chrono::nanoseconds(ns);
  }
  return std::chrono::nanoseconds(final_ns_.load() > 0 ? final_ns_.load() : 0);
}

}  // namespace rootstock::vmm
