// The VMMCALL entry end to end (docs/hypercalls.md §2): form checks before anything else,
// registers in and out, hv's copy of the input page, outputs only on success, VP_RUN through
// the run hook.
#include <catch2/catch_test_macros.hpp>

#include "fake_machine.hpp"

using namespace hv;
using fake::World;
using hv::hypercall::HypercallRegisters;

namespace {

uint64_t status(uint64_t rax) {
  return RS_HC_RESULT_STATUS(rax);
}

HypercallRegisters call(World& w, uint64_t rax, uint64_t rbx = 0, uint64_t rcx = 0,
                        uint64_t rdx = 0, uint64_t rsi = 0) {
  HypercallRegisters r{rax, rbx, rcx, rdx, rsi};
  hypercall::dispatch(w.env, r);
  return r;
}

constexpr uint64_t fast(uint16_t code) {
  return RS_HC_CONTROL(code, RS_HC_CONTROL_FAST, 0, 0);
}

}  // namespace

TEST_CASE("dispatch: version, and form errors before anything else", "[hv][hypercall]") {
  World w;
  auto r = call(w, fast(RS_HC_GET_VERSION));
  CHECK(status(r.rax) == RS_STATUS_SUCCESS);
  CHECK(r.rbx == RS_ABI_VERSION);
  CHECK((r.rdx & RS_HC_LIMITS_GPA_BITS_MASK) == 48);
  CHECK(status(call(w, fast(0x7777)).rax) == RS_STATUS_INVALID_CALL_CODE);
  CHECK(status(call(w, RS_HC_GET_VERSION).rax) == RS_STATUS_INVALID_CONTROL);  // not fast
  CHECK(status(call(w, fast(RS_HC_GET_VERSION), 1).rax) == RS_STATUS_RESERVED_NONZERO);
  // A page call whose input page is hv's, misaligned or the output page.
  const uint64_t page = w.root_frame();
  CHECK(status(call(w, RS_HC_CONTROL(RS_HC_DEPOSIT_MEMORY, 0, 1, 0), World::kHvBase).rax) ==
        RS_STATUS_ACCESS_DENIED);
  CHECK(status(call(w, RS_HC_CONTROL(RS_HC_DEPOSIT_MEMORY, 0, 1, 0), page + 8).rax) ==
        RS_STATUS_MISALIGNED);
  CHECK(status(call(w, RS_HC_CONTROL(RS_HC_WITHDRAW_MEMORY, 0, 1, 0), page, page).rax) ==
        RS_STATUS_ACCESS_DENIED);
  CHECK(status(call(w, RS_HC_CONTROL(RS_HC_DEPOSIT_MEMORY, 0, 511, 0), page).rax) ==
        RS_STATUS_REP_COUNT_TOO_LARGE);
  // A refused rep call reports reps done = its start.
  const auto refused = call(w, RS_HC_CONTROL(RS_HC_DEPOSIT_MEMORY, 0, 9, 3), World::kHvBase);
  CHECK(status(refused.rax) == RS_STATUS_ACCESS_DENIED);
  CHECK(RS_HC_RESULT_REPS_DONE(refused.rax) == 3);
}

TEST_CASE("dispatch: a partition's life through registers and pages", "[hv][hypercall]") {
  World w;
  auto r = call(w, fast(RS_HC_PARTITION_CREATE));
  REQUIRE(status(r.rax) == RS_STATUS_SUCCESS);
  const uint64_t id = r.rbx;
  // A failed fast call leaves the argument registers as they were.
  r = call(w, fast(RS_HC_PARTITION_QUERY), id + 1);
  CHECK(status(r.rax) == RS_STATUS_INVALID_PARTITION_ID);
  CHECK(r.rbx == id + 1);
  // Map without deposits: how many pages to deposit, reps done = start.
  const uint64_t in_pa = w.root_frame();
  auto& map = w.page<rs_hc_map_gpa_input>(in_pa);
  map = rs_hc_map_gpa_input{};
  map.partition_id = id;
  map.flags = RS_ACCESS_READ | RS_ACCESS_WRITE;
  for (unsigned i = 0; i < 8; ++i) map.frames[i] = w.root_frame();
  r = call(w, RS_HC_CONTROL(RS_HC_MAP_GPA_RANGE, 0, 8, 2), in_pa);
  CHECK(status(r.rax) == RS_STATUS_INSUFFICIENT_MEMORY);
  CHECK(RS_HC_RESULT_DETAIL(r.rax) == 4);
  CHECK(RS_HC_RESULT_REPS_DONE(r.rax) == 2);
  const uint64_t dep_pa = w.root_frame();
  auto& dep = w.page<rs_hc_deposit_input>(dep_pa);
  dep = rs_hc_deposit_input{};
  dep.partition_id = id;
  for (unsigned i = 0; i < 4; ++i) dep.frames[i] = w.root_frame();
  REQUIRE(status(call(w, RS_HC_CONTROL(RS_HC_DEPOSIT_MEMORY, 0, 4, 0), dep_pa).rax) ==
          RS_STATUS_SUCCESS);
  r = call(w, RS_HC_CONTROL(RS_HC_MAP_GPA_RANGE, 0, 8, 0), in_pa);
  CHECK(status(r.rax) == RS_STATUS_SUCCESS);
  CHECK(RS_HC_RESULT_REPS_DONE(r.rax) == 8);
  r = call(w, fast(RS_HC_PARTITION_QUERY), id);
  CHECK(r.rcx == 8);
  CHECK(r.rdx == 4);
  // The invariants through the output page.
  const uint64_t out_pa = w.root_frame();
  r = call(w, RS_HC_CHECK_INVARIANTS, 0, out_pa);
  REQUIRE(status(r.rax) == RS_STATUS_SUCCESS);
  const auto& inv = w.page<rs_hc_invariants_output>(out_pa);
  CHECK(inv.violations == 0);
  CHECK(inv.partitions == 1);
  CHECK(inv.frames[RS_FRAME_CHILD] == 8);
  CHECK(status(call(w, fast(RS_HC_PARTITION_DESTROY), id).rax) == RS_STATUS_SUCCESS);
}

TEST_CASE("dispatch: VP_RUN enters through the hook and reports its exit", "[hv][hypercall]") {
  World w;
  const uint64_t id = call(w, fast(RS_HC_PARTITION_CREATE)).rbx;
  const uint64_t dep_pa = w.root_frame();
  auto& dep = w.page<rs_hc_deposit_input>(dep_pa);
  dep = rs_hc_deposit_input{};
  dep.partition_id = id;
  for (unsigned i = 0; i < 3; ++i) dep.frames[i] = w.root_frame();
  REQUIRE(status(call(w, RS_HC_CONTROL(RS_HC_DEPOSIT_MEMORY, 0, 3, 0), dep_pa).rax) ==
          RS_STATUS_SUCCESS);
  const uint64_t run_pa = w.root_frame();
  REQUIRE(status(call(w, fast(RS_HC_VP_CREATE), id, 0, run_pa).rax) == RS_STATUS_SUCCESS);
  int entries = 0;
  w.env.run_context = &entries;
  w.env.run_vp = [](void* ctx, const RunTicket& t, LastExit& exit) -> uint16_t {
    ++*static_cast<int*>(ctx);
    t.run_page->exit_reason = RS_EXIT_SHUTDOWN;
    exit.reason = RS_EXIT_SHUTDOWN;
    return RS_STATUS_SUCCESS;
  };
  CHECK(status(call(w, fast(RS_HC_VP_RUN), id, 0).rax) == RS_STATUS_SUCCESS);
  CHECK(status(call(w, fast(RS_HC_VP_RUN), id, 0).rax) == RS_STATUS_SUCCESS);
  CHECK(entries == 1);  // a shut-down VP is not entered again
  CHECK(w.page<rs_run_page>(run_pa).exit_reason == RS_EXIT_SHUTDOWN);
  CHECK(w.page<rs_run_page>(run_pa).exit_count == 2);
  CHECK(status(call(w, fast(RS_HC_VP_RUN), id, 1).rax) == RS_STATUS_INVALID_VP_INDEX);
  CHECK(status(call(w, fast(RS_HC_VP_RUN), id, 0, 2).rax) == RS_STATUS_RESERVED_NONZERO);
}
