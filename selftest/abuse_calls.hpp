// The hypercalls of the `hypercall-abuse` self-test: docs/hypercalls.md's validation rules as
// raw calls (HVROOT_RAW_HYPERCALL) with the status each must get. fixed_calls() is one case
// per rule; random_call() draws a call from safe templates with random faults and predicts its
// status from the validation order (§2): every fault has a rank, and the lowest rank decides.
//
// Safety: the test shares hv with the driver's own partitions and with Linux, so no call here
// can succeed at anything that moves a frame or touches the driver's partitions beyond reading
// them, setting registers of a VP that never runs again, or queueing an interrupt in it. Frames
// named in calls come only from a pool of frames that are not the root's (hv's reservation, an
// MMIO page, a child's frame, misaligned addresses); raw page addresses likewise, never a random
// value that might be some root frame hv would then read or write.
#pragma once

#include <stdint.h>

#include <array>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <rootstock/hypercall_abi.h>

namespace rootstock::selftest::abuse {

/// What the test knows about the machine and about the partitions it set up.
struct Targets {
  uint32_t gpa_bits = 0;
  uint32_t vp_limit = 0;
  uint32_t partition_limit = 0;
  uint32_t live_partitions = 0;  ///< partitions hv holds while the calls run
  uint64_t hv_frame = 0;         ///< the first frame of hv's reservation (CPUID 0x40000002)
  uint64_t child_frame = 0;  ///< a frame mapped into child_a; 0: unknown (its cases are left out)
  uint64_t root_frame = 0;   ///< a frame the test owns; 0: unknown (its case is left out)
  uint64_t child_a = 0;      ///< driver partitions with mapped_bytes at GPA 0 and VP 0 created
  uint64_t child_b = 0;
  uint64_t mapped_bytes = 0;
  uint64_t scratch = 0;  ///< a partition made with raw PARTITION_CREATE: no memory, no VPs
  uint64_t dead = 0;     ///< the id of a destroyed partition
};

/// A frame that is never RAM: the xAPIC page.
inline constexpr uint64_t kMmioFrame = 0xfee00000;

/// One raw hypercall and what the contract says it must answer.
struct Call {
  std::string name;  ///< what is wrong with it (or "valid …"), for the log
  uint64_t control = 0;
  std::array<uint64_t, 4> args{};  ///< RBX, RCX, RDX, RSI
  uint32_t flags = 0;              ///< HVROOT_RAW_INPUT_PAGE, HVROOT_RAW_OUTPUT_PAGE
  std::vector<uint8_t> input;      ///< the input page's leading bytes (the rest is 0)
  uint16_t expect = RS_STATUS_SUCCESS;
  std::optional<uint16_t>
      expect_detail;  ///< the result's detail field, where the contract fixes it
};

/// How a call takes its arguments (hypercalls.md §5, the "form" column). Written here from the
/// document rather than taken from hv's own table: the test checks hv against the contract.
struct Form {
  uint16_t code = 0;
  bool fast = false;
  uint16_t max_reps = 0;  ///< 0: not a rep call
  uint8_t used_args = 0;  ///< bit i: argument register i (RBX, RCX, RDX, RSI) is used
  bool input_page = false;
  bool output_page = false;
};

/// The form of `code`, or nullptr for a code that is not a call.
[[nodiscard]] const Form* find_form(uint16_t code);

/// One case per validation rule. Cases that need child_frame or root_frame are left out when
/// those are 0.
[[nodiscard]] std::vector<Call> fixed_calls(const Targets& t);

/// A random call with its predicted status.
[[nodiscard]] Call random_call(const Targets& t, std::mt19937_64& rng);

/// What is wrong with `result` for `call` apart from its status: reserved result bits, an
/// unknown code answered with anything but exactly 0xffff, reps done and detail against §2–§3.
/// "" when nothing is.
[[nodiscard]] std::string check_result(const Call& call, uint64_t result);

/// Bytes of a page structure, for Call::input.
template <typename T>
[[nodiscard]] std::vector<uint8_t> bytes_of(const T& value) {
  const auto* p = reinterpret_cast<const uint8_t*>(&value);
  return std::vector<uint8_t>(p, p + sizeof(T));
}

}  // namespace rootstock::selftest::abuse
