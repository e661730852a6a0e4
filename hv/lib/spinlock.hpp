// A test-and-set spinlock for the few places CPUs share mutable state in hv (the log). hv runs
// with interrupts off, so holding it cannot be interrupted by code that takes it again.
#pragma once

namespace hv {

/// Protects a short critical section across CPUs.
class Spinlock {
 public:
  void lock() {
    while (__atomic_exchange_n(&locked_, true, __ATOMIC_ACQUIRE)) {
      while (__atomic_load_n(&locked_, __ATOMIC_RELAXED)) {
        asm volatile("pause");
      }
    }
  }
  void unlock() { __atomic_store_n(&locked_, false, __ATOMIC_RELEASE); }

 private:
  bool locked_ = false;
};

/// Holds a Spinlock for a scope.
class SpinlockGuard {
 public:
  explicit SpinlockGuard(Spinlock& lock) : lock_(lock) { lock_.lock(); }
  ~SpinlockGuard() { lock_.unlock(); }
  SpinlockGuard(const SpinlockGuard&) = delete;
  SpinlockGuard& operator=(const SpinlockGuard&) = delete;

 private:
  Spinlock& lock_;
};

}  // namespace hv
