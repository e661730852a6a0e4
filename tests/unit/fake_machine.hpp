// A whole small machine for host tests of the partition calls: 64 MiB of "physical" memory in a
// heap buffer (physical address = offset), a firmware map with hv's last 16 MiB, the frame table
// over it, a Machine seam that counts hides, shows and TLB flushes, and the real SVM VpArch.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <set>
#include <vector>

#include "arch/x86/svm/svm_child.hpp"
#include "hypercall/dispatch.hpp"
#include "partition/partitions.hpp"

namespace fake {

class FakeMachine final : public hv::Machine {
 public:
  static constexpr uint64_t kBytes = 64ull << 20;
  FakeMachine() : memory_(static_cast<uint8_t*>(std::aligned_alloc(4096, kBytes))) {
    std::memset(memory_, 0x11, kBytes);
  }
  ~FakeMachine() { std::free(memory_); }
  void* frame(uint64_t pa) override { return pa < kBytes ? memory_ + pa : nullptr; }
  bool hide_from_root(uint64_t pa) override {
    if (fail_hide) return false;  // hv's own memory ran out: nothing changed
    if (hidden.count(pa) != 0) ++errors;
    hidden.insert(pa);
    return true;
  }
  bool show_to_root(uint64_t pa) override {
    if (hidden.erase(pa) != 1) ++errors;
    return true;
  }
  void flush_guest_tlbs() override { ++flushes; }
  void kick_cpu(uint32_t cpu) override { kicks.push_back(cpu); }

  std::set<uint64_t> hidden;
  uint64_t flushes = 0;
  std::vector<uint32_t> kicks;
  uint64_t errors = 0;
  bool fail_hide = false;

 private:
  uint8_t* memory_;
};

/// Frames [0, 48 MiB) the root's, [48, 64) MiB hv's.
struct World {
  static constexpr uint64_t kPage = 4096;
  static constexpr uint64_t kHvBase = 48ull << 20;
  rootstock::MemoryRange map[1] = {{0, FakeMachine::kBytes, rootstock::MemoryType::kUsable}};
  rootstock::MemoryRange hv_range[1] = {{kHvBase, 16ull << 20, rootstock::MemoryType::kReserved}};
  std::vector<uint16_t> storage = std::vector<uint16_t>(FakeMachine::kBytes / kPage);
  FakeMachine machine;
  hv::FrameTable table;
  hv::svm::SvmChildArch arch{hv::svm::ChildMaps{kHvBase, kHvBase + 0x4000}};
  hv::Partitions* partitions;
  std::vector<uint8_t> scratch_in = std::vector<uint8_t>(4096);
  std::vector<uint8_t> scratch_out = std::vector<uint8_t>(4096);
  hv::hypercall::HypercallEnv env;
  uint64_t next_frame = 1 << 20;  // root frames handed out by root_frame(), from 1 MiB up

  World() {
    if (table.init(storage.data(), storage.size(), map, 1, hv_range, 1) !=
        hv::FrameTableStatus::kOk) {
      std::abort();
    }
    partitions = new hv::Partitions(table, machine, arch);
    env.partitions = partitions;
    env.table = &table;
    env.machine = &machine;
    env.scratch_in = scratch_in.data();
    env.scratch_out = scratch_out.data();
  }
  ~World() { delete partitions; }
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  /// A fresh root frame (physical address), never handed out before by this world.
  uint64_t root_frame() {
    const uint64_t pa = next_frame;
    next_frame += kPage;
    return pa;
  }
  template <typename T>
  T& page(uint64_t pa) {
    return *static_cast<T*>(machine.frame(pa));
  }
  uint64_t count(hv::FrameState s) const { return table.count(s); }
};

}  // namespace fake
