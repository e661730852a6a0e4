#include "hypercall/dispatch.hpp"

#include "hypercall/control.hpp"

namespace hv::hypercall {
namespace {

constexpr uint64_t kPage = RS_HC_PAGE_SIZE;

bool root_page(uint64_t pfn, void* context) {
  return pfn != 0 && static_cast<FrameTable*>(context)->is(pfn, FrameState::kRoot, 0);
}

// hv's copy of the input page, read once by dispatch() before anything else is checked (§2).
template <typename T>
const T& copy_input(HypercallEnv& env, uint64_t /*pa*/) {
  static_assert(sizeof(T) <= kPage);
  return *static_cast<const T*>(env.scratch_in);
}

// The output is built in hv's memory and copied out at the end (write_output), under the
// partitions' lock and only if the page is still the root's.
template <typename T>
T& output(HypercallEnv& env) {
  static_assert(sizeof(T) <= kPage);
  return *static_cast<T*>(env.scratch_out);
}

// Which bytes of the output page a completed call writes: its elements [start, done).
struct OutputSpan {
  uint64_t offset = 0, length = 0;
};

OutputSpan output_span(uint16_t code, uint16_t start, uint16_t done) {
  switch (code) {
    case RS_HC_CHECK_INVARIANTS:
      return {0, sizeof(rs_hc_invariants_output)};
    case RS_HC_WITHDRAW_MEMORY:
      return {start * sizeof(uint64_t), (done - start) * sizeof(uint64_t)};
    case RS_HC_VP_GET_REGISTERS:
      return {start * sizeof(rs_hc_register_value), (done - start) * sizeof(rs_hc_register_value)};
    default:
      return {};
  }
}

CallResult run_vp(HypercallEnv& env, uint64_t id, uint64_t vp, uint64_t flags) {
  RunTicket ticket;
  const CallResult begun = env.partitions->begin_run(id, vp, flags, ticket);
  if (begun.status != RS_STATUS_SUCCESS) return begun;
  LastExit exit;
  uint16_t status = RS_STATUS_SUCCESS;
  if (ticket.vp->shutdown) {
    // A VP that shut down is never entered again; it says so at every VP_RUN (§7).
    exit.reason = RS_EXIT_SHUTDOWN;
    ticket.run_page->exit_reason = RS_EXIT_SHUTDOWN;
  } else {
    status = env.run_vp(env.run_context, ticket, exit);
  }
  env.partitions->end_run(ticket, exit);
  return {status};
}

CallResult call(HypercallEnv& env, const Control& c, HypercallRegisters& r) {
  Partitions& p = *env.partitions;
  switch (c.code) {
    case RS_HC_GET_VERSION:
      r.rbx = RS_ABI_VERSION;
      r.rcx = RS_HC_FEATURES_NONE;
      r.rdx = kChildGpaBits | (uint64_t{kMaxVps} << RS_HC_LIMITS_VP_COUNT_SHIFT) |
              (uint64_t{Partitions::kCapacity} << RS_HC_LIMITS_PARTITION_COUNT_SHIFT);
      r.rsi = 0;
      return {};
    case RS_HC_CHECK_INVARIANTS: {
      auto& out = output<rs_hc_invariants_output>(env);
      rs_hc_invariants_output result;
      p.check_invariants(result);
      // The frame table counts hv's frames as one state; the allocator knows how many are free.
      const uint64_t hv = result.frames[RS_FRAME_HV_USED];
      result.frames[RS_FRAME_HV_FREE] = env.hv_free_frames < hv ? env.hv_free_frames : hv;
      result.frames[RS_FRAME_HV_USED] = hv - result.frames[RS_FRAME_HV_FREE];
      out = result;
      return {};
    }
    case RS_HC_PARTITION_CREATE: {
      uint64_t id = 0;
      const CallResult res = p.create(r.rbx, id);
      if (res.status == RS_STATUS_SUCCESS) r.rbx = id;
      return res;
    }
    case RS_HC_PARTITION_DESTROY:
      return p.destroy(r.rbx);
    case RS_HC_PARTITION_QUERY: {
      PartitionInfo info;
      const CallResult res = p.query(r.rbx, info);
      if (res.status == RS_STATUS_SUCCESS) {
        r.rbx = info.vps;
        r.rcx = info.mapped_pages;
        r.rdx = info.deposited_pages;
        r.rsi = info.deposited_used;
      }
      return res;
    }
    case RS_HC_MAP_GPA_RANGE:
      return p.map(copy_input<rs_hc_map_gpa_input>(env, r.rbx), r.rbx / kPage, c.rep_start,
                   c.rep_count);
    case RS_HC_UNMAP_GPA_RANGE:
      return p.unmap(r.rbx, r.rcx, r.rdx, c.rep_start, c.rep_count);
    case RS_HC_DEPOSIT_MEMORY:
      return p.deposit(copy_input<rs_hc_deposit_input>(env, r.rbx), r.rbx / kPage, c.rep_start,
                       c.rep_count);
    case RS_HC_WITHDRAW_MEMORY:
      return p.withdraw(copy_input<rs_hc_withdraw_input>(env, r.rbx), c.rep_start, c.rep_count,
                        output<rs_hc_withdraw_output>(env));
    case RS_HC_VP_CREATE:
      return p.vp_create(r.rbx, r.rcx, r.rdx);
    case RS_HC_VP_DESTROY:
      return p.vp_destroy(r.rbx, r.rcx);
    case RS_HC_VP_RUN:
      return run_vp(env, r.rbx, r.rcx, r.rdx);
    case RS_HC_VP_GET_REGISTERS:
      return p.get_registers(copy_input<rs_hc_get_registers_input>(env, r.rbx), c.rep_start,
                             c.rep_count, output<rs_hc_get_registers_output>(env));
    case RS_HC_VP_SET_REGISTERS:
      return p.set_registers(copy_input<rs_hc_set_registers_input>(env, r.rbx), c.rep_start,
                             c.rep_count);
    case RS_HC_VP_INJECT:
      return p.inject(r.rbx, r.rcx, r.rdx);
    case RS_HC_PARTITION_INTERRUPT: {
      uint64_t wake = 0;
      const CallResult res = p.interrupt(r.rbx, r.rcx, r.rdx, wake);
      if (res.status == RS_STATUS_SUCCESS) r.rbx = wake;
      return res;
    }
    case RS_HC_PARTITION_DOORBELL:
      return p.doorbell(r.rbx, r.rcx, r.rdx, r.rsi);
    default:
      return {RS_STATUS_INVALID_CALL_CODE};  // validate_call() knows every code listed above
  }
}

}  // namespace

void dispatch(HypercallEnv& env, HypercallRegisters& regs) {
  Control control;
  const CallForm* form = nullptr;
  const Arguments args{regs.rbx, regs.rcx, regs.rdx, regs.rsi};
  const uint16_t checked = validate_call(regs.rax, args, root_page, env.table, control, form);
  if (checked != RS_STATUS_SUCCESS) {
    // A refused rep call has done nothing from its start on (§3): reps done = rep start.
    const CallForm* f = find_call(static_cast<uint16_t>(regs.rax & RS_HC_CONTROL_CODE_MASK));
    const auto start = static_cast<uint16_t>((regs.rax & RS_HC_CONTROL_REP_START_MASK) >>
                                             RS_HC_CONTROL_REP_START_SHIFT);
    regs.rax = result_word(checked, 0, f != nullptr && f->max_reps != 0 ? start : 0);
    return;
  }
  // The input page is copied under the partitions' lock, checked again there: another CPU may
  // have deposited it (or handed it to a child) since validate_call() looked, and hv must not
  // read as input what is by then its own (a free-list link, a VMCB).
  if (form->input_page && !env.partitions->read_root_page(regs.rbx, env.scratch_in, kPage)) {
    regs.rax = result_word(RS_STATUS_ACCESS_DENIED, 0, form->max_reps != 0 ? control.rep_start : 0);
    return;
  }
  HypercallRegisters out = regs;
  CallResult res = call(env, control, out);
  if (form->output_page && (res.status == RS_STATUS_SUCCESS || res.status == RS_STATUS_PARTIAL)) {
    const uint16_t done = form->max_reps != 0 ? res.reps_done : 0;
    const OutputSpan span = output_span(control.code, control.rep_start, done);
    if (!env.partitions->write_root_page(regs.rcx, span.offset,
                                         static_cast<const uint8_t*>(env.scratch_out) + span.offset,
                                         span.length)) {
      // The root handed its own output page over during the call: the call is done, its
      // outputs are lost, and the caller learns it (docs/hypercalls.md §2).
      res = {RS_STATUS_ACCESS_DENIED, 0, 0};
    }
  }
  // Fast-call outputs only on success; otherwise the argument registers are unchanged (§2).
  if (res.status == RS_STATUS_SUCCESS && form->fast) regs = out;
  uint16_t reps = 0;
  if (form->max_reps != 0) {
    reps = res.status == RS_STATUS_SUCCESS || res.status == RS_STATUS_PARTIAL ? res.reps_done
                                                                              : control.rep_start;
  }
  regs.rax = result_word(res.status, res.detail, reps);
}

}  // namespace hv::hypercall
