// Small CPU instructions hv needs everywhere (AMD APM vol. 3).
#pragma once

#include <stdint.h>

namespace hv::x86 {

/// The time-stamp counter (RDTSC): hv's log timestamps and its cycle counts.
inline uint64_t rdtsc() {
  uint32_t lo, hi;
  asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return (static_cast<uint64_t>(hi) << 32) | lo;
}

/// CR3: the page-table root of the code running now (hv's own in host mode).
inline uint64_t read_cr3() {
  uint64_t v;
  asm volatile("mov %%cr3, %0" : "=r"(v));
  return v;
}

}  // namespace hv::x86
