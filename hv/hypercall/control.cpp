#include "hypercall/control.hpp"

namespace hv::hypercall {
namespace {

// Every call of ABI 1.2 and its form, as docs/hypercalls.md §5 lists them.
constexpr CallForm kCalls[] = {
    {RS_HC_GET_VERSION, true, 0, 0, false, false},
    {RS_HC_CHECK_INVARIANTS, false, 0, kArgRcx, false, true},
    {RS_HC_PARTITION_CREATE, true, 0, kArgRbx, false, false},
    {RS_HC_PARTITION_DESTROY, true, 0, kArgRbx, false, false},
    {RS_HC_PARTITION_QUERY, true, 0, kArgRbx, false, false},
    {RS_HC_MAP_GPA_RANGE, false, RS_HC_MAP_GPA_MAX_REPS, kArgRbx, true, false},
    {RS_HC_UNMAP_GPA_RANGE, true, RS_HC_UNMAP_GPA_MAX_REPS, kArgRbx | kArgRcx | kArgRdx, false,
     false},
    {RS_HC_DEPOSIT_MEMORY, false, RS_HC_DEPOSIT_MAX_REPS, kArgRbx, true, false},
    {RS_HC_WITHDRAW_MEMORY, false, RS_HC_WITHDRAW_MAX_REPS, kArgRbx | kArgRcx, true, true},
    {RS_HC_VP_CREATE, true, 0, kArgRbx | kArgRcx | kArgRdx, false, false},
    {RS_HC_VP_DESTROY, true, 0, kArgRbx | kArgRcx, false, false},
    {RS_HC_VP_RUN, true, 0, kArgRbx | kArgRcx | kArgRdx, false, false},
    {RS_HC_VP_GET_REGISTERS, false, RS_HC_REGISTERS_MAX_REPS, kArgRbx | kArgRcx, true, true},
    {RS_HC_VP_SET_REGISTERS, false, RS_HC_REGISTERS_MAX_REPS, kArgRbx, true, false},
    {RS_HC_VP_INJECT, true, 0, kArgRbx | kArgRcx | kArgRdx, false, false},
    {RS_HC_PARTITION_INTERRUPT, true, 0, kArgRbx | kArgRcx | kArgRdx, false, false},
    {RS_HC_PARTITION_DOORBELL, true, 0, kArgRbx | kArgRcx | kArgRdx | kArgRsi, false, false},
};

constexpr uint64_t kPageMask = RS_HC_PAGE_SIZE - 1;

uint16_t check_page(uint64_t address, PageCheck root_page, void* context) {
  if ((address & kPageMask) != 0) return RS_STATUS_MISALIGNED;
  if (!root_page(address / RS_HC_PAGE_SIZE, context)) return RS_STATUS_ACCESS_DENIED;
  return RS_STATUS_SUCCESS;
}

}  // namespace

const CallForm* find_call(uint16_t code) {
  for (const CallForm& c : kCalls) {
    if (c.code == code) return &c;
  }
  return nullptr;
}

uint16_t validate_call(uint64_t rax, const Arguments& args, PageCheck root_page, void* context,
                       Control& control, const CallForm*& form) {
  Control c;
  c.code = static_cast<uint16_t>(rax & RS_HC_CONTROL_CODE_MASK);
  c.fast = (rax & RS_HC_CONTROL_FAST) != 0;
  c.rep_count =
      static_cast<uint16_t>((rax & RS_HC_CONTROL_REP_COUNT_MASK) >> RS_HC_CONTROL_REP_COUNT_SHIFT);
  c.rep_start =
      static_cast<uint16_t>((rax & RS_HC_CONTROL_REP_START_MASK) >> RS_HC_CONTROL_REP_START_SHIFT);
  // 2. The call code, before anything else: any version can be probed.
  const CallForm* f = find_call(c.code);
  if (f == nullptr) return RS_STATUS_INVALID_CALL_CODE;
  // 3. The control word.
  if ((rax & RS_HC_CONTROL_RESERVED_MASK) != 0) return RS_STATUS_RESERVED_NONZERO;
  if (c.fast != f->fast) return RS_STATUS_INVALID_CONTROL;
  if (f->max_reps == 0) {
    if (c.rep_count != 0 || c.rep_start != 0) return RS_STATUS_INVALID_CONTROL;
  } else {
    if (c.rep_count == 0 || c.rep_start >= c.rep_count) return RS_STATUS_INVALID_CONTROL;
    if (c.rep_count > f->max_reps) return RS_STATUS_REP_COUNT_TOO_LARGE;
  }
  // 4. Argument registers the call does not use.
  const uint64_t regs[] = {args.rbx, args.rcx, args.rdx, args.rsi};
  for (unsigned i = 0; i < 4; ++i) {
    if ((f->used_args & (1u << i)) == 0 && regs[i] != 0) return RS_STATUS_RESERVED_NONZERO;
  }
  // 5. Input and output pages: aligned root frames.
  if (f->input_page) {
    if (const uint16_t s = check_page(args.rbx, root_page, context); s != RS_STATUS_SUCCESS) {
      return s;
    }
  }
  if (f->output_page) {
    if (const uint16_t s = check_page(args.rcx, root_page, context); s != RS_STATUS_SUCCESS) {
      return s;
    }
  }
  // The input and output pages must be two different frames.
  if (f->input_page && f->output_page && args.rbx == args.rcx) return RS_STATUS_ACCESS_DENIED;
  control = c;
  form = f;
  return RS_STATUS_SUCCESS;
}

uint64_t result_word(uint16_t status, uint64_t detail, uint16_t reps_done) {
  const uint64_t d = detail > RS_HC_RESULT_DETAIL_MAX ? RS_HC_RESULT_DETAIL_MAX : detail;
  return (uint64_t{status} & RS_HC_RESULT_STATUS_MASK) | (d << RS_HC_RESULT_DETAIL_SHIFT) |
         ((uint64_t{reps_done} << RS_HC_RESULT_REPS_DONE_SHIFT) & RS_HC_RESULT_REPS_DONE_MASK);
}

}  // namespace hv::hypercall
