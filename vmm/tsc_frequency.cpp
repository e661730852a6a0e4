#include "vmm/tsc_frequency.hpp"

#include <chrono>
#include <thread>

namespace rootstock::vmm {

uint64_t measure_tsc_khz() {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point t0 = Clock::now();
  const uint64_t c0 = __builtin_ia32_rdtsc();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const uint64_t c1 = __builtin_ia32_rdtsc();
  const Clock::time_point t1 = Clock::now();
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count();
  return ns > 0 ? (c1 - c0) * 1000000 / static_cast<uint64_t>(ns) : 0;
}

}  // namespace rootstock::vmm
