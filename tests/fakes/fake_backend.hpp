// A Backend for unit tests of the layers above it (Partition, Vp, the payload runner): it
// records every call, owns real run pages, and plays hv's part of the run-page protocol
// (docs/hypercalls.md §7) against a script of exits a test writes. At each HVROOT_RUN_VP it
// records what the VMM left in the run page (FakeEntry), checks and applies it as hv would
// (LOAD_REGS, then ADVANCE: IN data into RAX, RIP += length), and writes the next scripted exit.
#pragma once

#include <stdint.h>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "vmm/backend.hpp"

namespace rootstock::vmm {

/// What one HVROOT_RUN_VP of a fake VP returns.
struct FakeExit {
  enum class Kind : uint8_t { kExit, kInterrupted, kError };
  Kind kind = Kind::kExit;
  int errno_value = 0;  ///< kError
  uint32_t reason = RS_EXIT_NONE;
  uint8_t cpu_mode = RS_CPU_MODE_LONG64;
  uint8_t instruction_length = 0;
  rs_exit_data data{};
  std::optional<rs_run_regs> regs;  ///< the VP's registers from this exit on (else unchanged)
  /// Called while "in" HVROOT_RUN_VP, before this step's result: what another thread does
  /// meanwhile (e.g. Vp::request_stop() before the kick that interrupts the call).
  std::function<void()> during;

  /// OUT of `size` bytes of `value` to `port` by an instruction of `length` bytes.
  static FakeExit io_out(uint16_t port, uint8_t size, uint32_t value, uint8_t length = 1);
  /// IN of `size` bytes from `port`.
  static FakeExit io_in(uint16_t port, uint8_t size, uint8_t length = 1);
  /// A memory exit at `gpa` for `access`, with the instruction bytes hv fetched.
  static FakeExit memory(uint64_t gpa, uint8_t access, std::span<const uint8_t> bytes,
                         uint8_t cpu_mode = RS_CPU_MODE_LONG64);
  /// RS_EXIT_DOORBELL: a write of `value` (`length` bytes) hv completed at `gpa`.
  static FakeExit doorbell(uint64_t gpa, uint8_t length, uint64_t value, uint32_t cookie = 1);
  static FakeExit halt();
  static FakeExit shutdown();
  /// Any exit_reason value, with no data (RS_EXIT_HYPERCALL, or values the ABI lacks).
  static FakeExit reason_only(uint32_t reason);
  /// HVROOT_RUN_VP fails with -EINTR (a signal).
  static FakeExit interrupted();
  /// HVROOT_RUN_VP fails with `errno_value`.
  static FakeExit error(int errno_value);
};

/// What the VMM had left in the run page when it called HVROOT_RUN_VP.
struct FakeEntry {
  uint32_t completion = 0;
  uint32_t root_flags = 0;
  rs_run_regs regs{};
  uint64_t io_data = 0;
};

/// A fake VP: its run page, script and history.
struct FakeVp {
  uint32_t index = 0;
  bool created = false;  ///< the VMM created it (a test may script a VP before that)
  bool open = false;     ///< created and not yet closed
  std::unique_ptr<rs_run_page> page = std::make_unique<rs_run_page>();
  std::deque<FakeExit> script;
  std::vector<FakeEntry> entries;
  rs_run_regs state{};                                 ///< the registers "hv" holds for the VP
  std::map<uint32_t, rs_hc_register_value> registers;  ///< SET_REGISTERS, last value per name
  std::vector<uint32_t> set_order;                     ///< every name SET_REGISTERS got
  std::vector<uint64_t> injected;
  bool halt_in_kernel = false;
};

/// A fake partition.
struct FakePartition {
  uint64_t id = 0;
  bool open = true;
  struct Mapping {
    uint64_t gpa = 0;
    uint64_t size = 0;
    uint32_t flags = 0;
    uint8_t* host = nullptr;
  };
  std::vector<Mapping> mappings;
  std::vector<std::shared_ptr<FakeVp>> vps;
  /// HVROOT_INTERRUPT calls: flags and argument.
  std::vector<std::pair<uint32_t, uint64_t>> interrupts;
  /// HVROOT_DOORBELL calls, adds and removes.
  std::vector<hvroot_doorbell> doorbells;
};

/// Everything the fake knows; shared by the backend and the objects it hands out, so that a
/// test can inspect a partition or VP after the VMM closed it.
struct FakeState {
  std::vector<std::string> calls;  ///< "create_partition", "map 1 gpa=0x0 size=0x1000 …"
  std::vector<std::shared_ptr<FakePartition>> partitions;
  hvroot_version version{RS_ABI_VERSION, 48, 64, 64};
  rs_hc_invariants_output invariants{};
  std::vector<hvroot_raw_hypercall> raw_calls;
  /// Fails the next call whose name (the first word of its `calls` line) matches.
  struct Failure {
    std::string call;
    int errno_value = 0;
    uint32_t hv_status = 0;
  };
  std::vector<Failure> failures;
  uint64_t next_id = 1;
};

/// The fake Backend.
class FakeBackend final : public Backend {
 public:
  FakeBackend() : state_(std::make_shared<FakeState>()) {}

  FakeState& state() { return *state_; }
  /// Partition `n` in creation order.
  FakePartition& partition(size_t n) { return *state_->partitions.at(n); }
  /// VP `index` of partition `n`; created by the VMM, or (to script ahead) here.
  FakeVp& vp(size_t n, uint32_t index);
  /// Makes the next call named `call` fail.
  void fail_next(std::string call, int errno_value, uint32_t hv_status = 0) {
    state_->failures.push_back({std::move(call), errno_value, hv_status});
  }

  Result<hvroot_version> version() override;
  Result<std::unique_ptr<PartitionBackend>> create_partition() override;
  Result<rs_hc_invariants_output> check_invariants() override;
  Result<void> raw_hypercall(hvroot_raw_hypercall& call) override;

 private:
  std::shared_ptr<FakeState> state_;
};

}  // namespace rootstock::vmm
