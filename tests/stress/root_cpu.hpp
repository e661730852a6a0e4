// One root CPU of the stress test: a thread that makes random hypercalls (seeded, valid and
// invalid arguments) through hv's real entry, hypercall::dispatch(), into the one Partitions
// all threads share, as the root's CPUs would; and VP_RUN's guest phase, simulated through the
// same fields and locks hv's guest loop uses (root/child_interrupt_exits.cpp).
#pragma once

#include <atomic>
#include <cstdint>
#include <random>
#include <vector>

#include "concurrent_machine.hpp"
#include "hypercall/dispatch.hpp"

namespace stress {

/// What the threads share besides the world: the partition ids they may name.
struct Shared {
  explicit Shared(StressWorld& w) : world(w) {}
  StressWorld& world;
  /// Live partition ids (0: empty slot): a call names one of these, or an invalid id.
  static constexpr unsigned kIdSlots = 12;
  std::atomic<uint64_t> ids[kIdSlots] = {};
  std::atomic<uint64_t> newest_id{0};
  /// VP exits with RS_EXIT_SHUTDOWN (see the race note in stress_partitions.cpp).
  bool shutdown_exits = false;
  /// Input pages from the shared frame pool instead of each CPU's own (see the race note).
  bool shared_input_pages = false;
};

/// The operations a root CPU picks from.
enum class Op : unsigned {
  kCreate,
  kDestroy,
  kQuery,
  kDeposit,
  kWithdraw,
  kMap,
  kMapLarge,
  kUnmap,
  kVpCreate,
  kVpDestroy,
  kSetRegisters,
  kGetRegisters,
  kInject,
  kInterrupt,
  kRun,
  kCount
};
inline constexpr unsigned kOps = static_cast<unsigned>(Op::kCount);
const char* op_name(Op op);

/// Calls made and calls that succeeded, per operation.
struct OpStats {
  uint64_t calls = 0, ok = 0;
};

/// What the simulated guest phases of VP_RUN did.
struct GuestStats {
  uint64_t entries = 0, ipis = 0, ioapic_writes = 0, deliveries = 0, eois = 0, child_reads = 0;
};

/// A thread's hypercalls: construct, then step() from that thread only.
class RootCpu {
 public:
  RootCpu(Shared& shared, uint32_t index, uint64_t seed);
  RootCpu(const RootCpu&) = delete;
  RootCpu& operator=(const RootCpu&) = delete;

  /// One random operation.
  void step();
  /// Counts an answer outside the ABI and keeps the first one's description.
  void anomaly(const char* what) {
    if (anomalies++ == 0) first_anomaly = what;
  }

  OpStats stats[kOps];
  GuestStats guest_stats;
  /// Answers no call may give whatever the arguments (a status outside the ABI's): must stay 0.
  uint64_t anomalies = 0;
  /// What the first anomaly was, for the report (static text; nullptr: none).
  const char* first_anomaly = nullptr;
  /// Calls refused as BUSY (a VP in VP_RUN, a partition being destroyed) and FRAME_NOT_OWNED
  /// (among them frames another CPU took first): the meetings the test is for.
  uint64_t busy = 0, not_owned = 0;

 private:
  // Frames: a pool of 4 KiB root frames all CPUs draw from (so calls race for the same
  // frames), 2 MiB frames for large maps, and two private pages per CPU for hypercall input
  // and output, which never enter a call as an element (the test writes them unlocked).
  static constexpr uint64_t kPoolFirstPfn = 256;  // 1 MiB
  static constexpr uint64_t kPoolFrames = 2048;   // up to 9 MiB
  static constexpr uint64_t kPrivateBase = 10ull << 20;
  static constexpr uint64_t kLargeBase = 16ull << 20;
  static constexpr uint64_t kLargeFrames = 16;  // up to 48 MiB, where hv's memory starts
  /// VP indices the calls name (besides invalid ones): few, so that calls on one VP meet.
  static constexpr uint64_t kVps = 4;

  hv::hypercall::HypercallRegisters call(uint64_t rax, uint64_t rbx = 0, uint64_t rcx = 0,
                                         uint64_t rdx = 0);
  uint16_t fast(uint16_t code, uint64_t rbx = 0, uint64_t rcx = 0, uint64_t rdx = 0);
  template <typename T>
  T& input() {
    return *static_cast<T*>(shared_.world.machine.frame(input_pa_));
  }
  template <typename T>
  const T& output() {
    return *static_cast<const T*>(shared_.world.machine.frame(output_pa_));
  }
  /// A page call with this CPU's input page (and output page when `with_output`).
  uint16_t page_call(uint16_t code, uint16_t count, uint16_t start, bool with_output,
                     uint64_t* reps_done = nullptr, uint64_t* detail = nullptr);

  uint64_t pick(uint64_t n) { return rng_() % n; }
  bool one_in(uint64_t n) { return pick(n) == 0; }
  uint64_t pick_id();
  uint64_t pick_vp();
  uint64_t pool_frame() { return (kPoolFirstPfn + pick(kPoolFrames)) * kPage; }
  /// A frame for an element: mostly the pool's, sometimes one a call must refuse.
  uint64_t element_frame();
  uint16_t count_reps(uint16_t most);

  bool create();
  bool destroy();
  bool query();
  bool deposit(uint64_t id, uint16_t count);
  bool withdraw();
  bool map(bool large);
  bool unmap();
  bool vp_create();
  bool vp_destroy();
  bool set_registers();
  bool get_registers();
  bool inject();
  bool interrupt();
  bool run();

  static uint16_t run_hook(void* self, const hv::RunTicket& ticket, hv::LastExit& exit);
  uint16_t guest(const hv::RunTicket& ticket, hv::LastExit& exit);
  void guest_step(const hv::RunTicket& ticket, uint64_t& wake);
  void complete_exit(const hv::RunTicket& ticket, hv::LastExit& exit);

  Shared& shared_;
  uint32_t index_;
  std::mt19937_64 rng_;
  uint64_t input_pa_, output_pa_;
  uint64_t tsc_ = 0;  ///< this CPU's made-up TSC for the LAPIC models
  /// This CPU's last successful MAP_GPA_RANGE, for an UNMAP_GPA_RANGE that finds something.
  struct LastMap {
    uint64_t id = 0, gpa_base = 0;
    uint16_t count = 0;
    bool large = false;
  };
  LastMap last_map_;
  std::vector<uint8_t> scratch_in_ = std::vector<uint8_t>(kPage);
  std::vector<uint8_t> scratch_out_ = std::vector<uint8_t>(kPage);
  hv::hypercall::HypercallEnv env_;
};

}  // namespace stress
