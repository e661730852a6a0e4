// The first steps of every hypercall (docs/hypercalls.md §2, "Validation order", steps 2-5):
// the call code, the control word in RAX, the argument registers a call does not use, and the
// input/output page addresses — checked against each call's form before the call itself runs.
// Pure logic over register values: host-unit-tested path by path.
#pragma once

#include <stdint.h>

#include <rootstock/hypercall_abi.h>

namespace hv::hypercall {

/// How a call takes its arguments (docs/hypercalls.md §5, each call's "form" row).
struct CallForm {
  uint16_t code = 0;
  bool fast = false;         ///< arguments in registers; else input/output pages
  uint16_t max_reps = 0;     ///< 0: not a rep call
  uint8_t used_args = 0;     ///< which of RBX, RCX, RDX, RSI carry arguments (kArg* bits)
  bool input_page = false;   ///< page calls: RBX is an input page
  bool output_page = false;  ///< page calls: RCX is an output page
};

inline constexpr uint8_t kArgRbx = 1u << 0;
inline constexpr uint8_t kArgRcx = 1u << 1;
inline constexpr uint8_t kArgRdx = 1u << 2;
inline constexpr uint8_t kArgRsi = 1u << 3;

/// The form of `code`; nullptr for a code that is not a call.
const CallForm* find_call(uint16_t code);

/// The control word's fields.
struct Control {
  uint16_t code = 0;
  bool fast = false;
  uint16_t rep_count = 0;
  uint16_t rep_start = 0;
};

/// The argument registers of a call.
struct Arguments {
  uint64_t rbx = 0, rcx = 0, rdx = 0, rsi = 0;
};

/// Whether hv may read or write the root frame at `pfn` as a hypercall page (root-owned RAM).
using PageCheck = bool (*)(uint64_t pfn, void* context);

/// Steps 2-5 of the validation order. Returns RS_STATUS_SUCCESS with `control` and `form`
/// filled, or the first failing check's status; nothing has changed either way.
uint16_t validate_call(uint64_t rax, const Arguments& args, PageCheck root_page, void* context,
                       Control& control, const CallForm*& form);

/// The result word for RAX: status, detail (saturated) and reps done.
uint64_t result_word(uint16_t status, uint64_t detail, uint16_t reps_done);

}  // namespace hv::hypercall
