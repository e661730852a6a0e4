// Raw hypercalls through the hvroot driver (HVROOT_RAW_HYPERCALL, allowed only when the module
// is loaded with allow_raw_hypercalls=1): what the self-tests that play a hostile root use to
// send hv calls the VMM library never would (hypercall-abuse, hostile-root).
#pragma once

#include <stdint.h>

#include <array>
#include <span>
#include <string>
#include <vector>

#include <rootstock/hypercall_abi.h>

#include "selftest/abuse_calls.hpp"
#include "vmm/backend.hpp"

namespace rootstock::selftest {

/// Raw hypercalls with the caller's own input and output pages.
class RawCaller {
 public:
  explicit RawCaller(vmm::Backend& backend) : backend_(backend) {}

  /// "" when raw hypercalls go through (GET_VERSION), else why not, for a self-test's log.
  std::string usable();
  /// One call as it is; the driver's error, or the call with hv's result and output registers.
  vmm::Result<hvroot_raw_hypercall> issue(const abuse::Call& call);
  /// A fast call with up to four argument registers.
  vmm::Result<hvroot_raw_hypercall> fast(uint16_t code, std::array<uint64_t, 4> args);
  /// PARTITION_CREATE: the new id.
  vmm::Result<uint64_t> create();
  /// PARTITION_DESTROY, re-issued while hv answers PARTIAL (hypercalls.md §3).
  vmm::Result<void> destroy(uint64_t id);
  /// DEPOSIT_MEMORY of `frames` (at most RS_HC_DEPOSIT_MAX_REPS) to `partition`: hv's status.
  vmm::Result<uint16_t> deposit(uint64_t partition, std::span<const uint64_t> frames);
  /// WITHDRAW_MEMORY of up to `count` free deposited frames: the frames hv gave back.
  vmm::Result<std::vector<uint64_t>> withdraw(uint64_t partition, uint16_t count);
  /// The output page of the last call.
  const uint8_t* output() const { return output_; }

 private:
  vmm::Backend& backend_;
  alignas(4096) uint8_t input_[4096];
  alignas(4096) uint8_t output_[4096];
};

}  // namespace rootstock::selftest
