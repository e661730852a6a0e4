// The root's VMMCALL, end to end (docs/hypercalls.md §2): the form checks (control.hpp), hv's
// own copy of the input page, the call (partition/partitions.hpp), the output registers and page,
// and the result word. Hardware-free: VP_RUN's guest execution and the frame pointers come in
// through HypercallEnv, so host tests drive every call through this one entry.
#pragma once

#include <stdint.h>

#include "partition/partitions.hpp"

namespace hv::hypercall {

/// Enters a VP that begin_run() accepted and runs it until an exit the root must see or a
/// physical interrupt: fills the run page's exit data and `exit`, and returns
/// RS_STATUS_SUCCESS or RS_STATUS_INTERRUPTED.
using RunVp = uint16_t (*)(void* context, const RunTicket& ticket, LastExit& exit);

/// What a hypercall needs around it.
struct HypercallEnv {
  Partitions* partitions = nullptr;
  FrameTable* table = nullptr;
  Machine* machine = nullptr;
  RunVp run_vp = nullptr;
  void* run_context = nullptr;
  uint64_t hv_free_frames = 0;  ///< for CHECK_INVARIANTS: hv's frames not in use
  void* scratch_in = nullptr;   ///< 4 KiB of hv memory for this CPU: the input page's copy
  void* scratch_out = nullptr;  ///< 4 KiB: the output, copied to the output page at the end
};

/// The registers of one call: RAX and the argument registers in, results out.
struct HypercallRegisters {
  uint64_t rax = 0, rbx = 0, rcx = 0, rdx = 0, rsi = 0;
};

/// Runs the call in `regs` (from the root at CPL 0 in 64-bit mode; the caller checked that)
/// and writes the result word and outputs back into `regs`.
void dispatch(HypercallEnv& env, HypercallRegisters& regs);

}  // namespace hv::hypercall
