// The fake machine of tests/unit/fake_machine.hpp made safe for several threads at once, for the
// ThreadSanitizer stress test of the partition calls: the same 64 MiB of "physical" memory
// (physical address = offset), the same firmware map with hv's last 16 MiB, the frame table
// over it and the real SVM VpArch. The unit tests' FakeMachine keeps std::set/std::vector
// records without a lock; here every record is an atomic or under a mutex, so a report from
// TSan is about hv's code, never about the fake.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <vector>

#include "arch/x86/svm/svm_child.hpp"
#include "partition/partitions.hpp"

namespace stress {

inline constexpr uint64_t kPage = 4096;
/// Root CPUs (threads) the test can have: kick_cpu() counts per CPU.
inline constexpr uint32_t kMaxCpus = 8;

/// hv's Machine seam over a heap buffer; every method may run on several threads at once.
class ConcurrentMachine final : public hv::Machine {
 public:
  static constexpr uint64_t kBytes = 64ull << 20;

  ConcurrentMachine() : memory_(static_cast<uint8_t*>(std::aligned_alloc(kPage, kBytes))) {
    std::memset(memory_, 0x11, kBytes);
  }
  ~ConcurrentMachine() { std::free(memory_); }
  ConcurrentMachine(const ConcurrentMachine&) = delete;
  ConcurrentMachine& operator=(const ConcurrentMachine&) = delete;

  void* frame(uint64_t pa) override { return pa < kBytes ? memory_ + pa : nullptr; }
  bool hide_from_root(uint64_t pa) override {
    const std::lock_guard<std::mutex> guard(lock_);
    if (!hidden_.insert(pa).second) errors.fetch_add(1);  // hidden twice
    return true;
  }
  bool show_to_root(uint64_t pa) override {
    const std::lock_guard<std::mutex> guard(lock_);
    if (hidden_.erase(pa) != 1) errors.fetch_add(1);  // shown without being hidden
    return true;
  }
  void flush_guest_tlbs() override { flushes.fetch_add(1, std::memory_order_relaxed); }
  void kick_cpu(uint32_t cpu) override {
    if (cpu >= kMaxCpus) {
      errors.fetch_add(1);  // only a VP in the guest loop is kicked, and it names its CPU
      return;
    }
    kicks[cpu].fetch_add(1, std::memory_order_relaxed);
  }

  /// Frames hidden from the root now (deposits).
  size_t hidden() {
    const std::lock_guard<std::mutex> guard(lock_);
    return hidden_.size();
  }

  std::atomic<uint64_t> flushes{0};
  std::atomic<uint64_t> kicks[kMaxCpus] = {};
  /// Seam misuse (double hide, show without hide, a kick of no CPU): must stay 0.
  std::atomic<uint64_t> errors{0};

 private:
  uint8_t* memory_;
  std::mutex lock_;
  std::set<uint64_t> hidden_;
};

/// The machine, its frame table and one Partitions: frames [0, 48 MiB) the root's, [48, 64) MiB
/// hv's (as tests/unit/fake_machine.hpp's World).
struct StressWorld {
  static constexpr uint64_t kHvBase = 48ull << 20;
  rootstock::MemoryRange map[1] = {{0, ConcurrentMachine::kBytes, rootstock::MemoryType::kUsable}};
  rootstock::MemoryRange hv_range[1] = {
      {kHvBase, ConcurrentMachine::kBytes - kHvBase, rootstock::MemoryType::kReserved}};
  std::vector<uint16_t> storage = std::vector<uint16_t>(ConcurrentMachine::kBytes / kPage);
  ConcurrentMachine machine;
  hv::FrameTable table;
  hv::svm::SvmChildArch arch{hv::svm::ChildMaps{kHvBase, kHvBase + 0x4000}};
  hv::Partitions* partitions = nullptr;

  StressWorld() {
    if (table.init(storage.data(), storage.size(), map, 1, hv_range, 1) !=
        hv::FrameTableStatus::kOk) {
      std::abort();
    }
    partitions = new hv::Partitions(table, machine, arch);
  }
  ~StressWorld() { delete partitions; }
  StressWorld(const StressWorld&) = delete;
  StressWorld& operator=(const StressWorld&) = delete;
};

}  // namespace stress
