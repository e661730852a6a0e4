// The root CPU's random hypercalls (root_cpu.hpp): partitions, deposits, mappings, VPs,
// registers, events and interrupts, each through hypercall::dispatch() with this CPU's own
// input and output pages, as the hvroot driver issues them.
#include "root_cpu.hpp"

#include <algorithm>

namespace stress {
namespace {

constexpr uint64_t kLargePage = RS_HC_LARGE_PAGE_SIZE;
// A window of child GPAs small enough that maps overlap and unmaps find mappings.
constexpr uint64_t kGpaPages = 512;
constexpr uint64_t kGpaLargePages = 4;
// How many partitions the threads keep alive: enough that calls on one of them meet.
constexpr unsigned kTargetLive = 6;

uint64_t fast_control(uint16_t code) {
  return RS_HC_CONTROL(code, RS_HC_CONTROL_FAST, 0, 0);
}

// Every status the ABI defines (hypercall_abi.h): anything else is an anomaly.
bool known_status(uint16_t s) {
  return s <= RS_STATUS_INSUFFICIENT_MEMORY ||
         (s >= RS_STATUS_FIRST_ERROR && s <= RS_STATUS_NOT_SUPPORTED) ||
         s == RS_STATUS_INVALID_CALL_CODE;
}

}  // namespace

const char* op_name(Op op) {
  static constexpr const char* kNames[kOps] = {"create",    "destroy",    "query",     "deposit",
                                               "withdraw",  "map",        "map-large", "unmap",
                                               "vp-create", "vp-destroy", "set-regs",  "get-regs",
                                               "inject",    "interrupt",  "vp-run"};
  return kNames[static_cast<unsigned>(op)];
}

RootCpu::RootCpu(Shared& shared, uint32_t index, uint64_t seed)
    : shared_(shared),
      index_(index),
      rng_(seed * 0x9e3779b97f4a7c15ull + index),
      input_pa_(kPrivateBase + 2 * index * kPage),
      output_pa_(kPrivateBase + (2 * index + 1) * kPage) {
  env_.partitions = shared.world.partitions;
  env_.table = &shared.world.table;
  env_.machine = &shared.world.machine;
  env_.run_vp = &RootCpu::run_hook;
  env_.run_context = this;
  env_.scratch_in = scratch_in_.data();
  env_.scratch_out = scratch_out_.data();
}

hv::hypercall::HypercallRegisters RootCpu::call(uint64_t rax, uint64_t rbx, uint64_t rcx,
                                                uint64_t rdx) {
  hv::hypercall::HypercallRegisters r;
  r.rax = rax;
  r.rbx = rbx;
  r.rcx = rcx;
  r.rdx = rdx;
  hv::hypercall::dispatch(env_, r);
  const auto status = static_cast<uint16_t>(RS_HC_RESULT_STATUS(r.rax));
  if (!known_status(status)) anomaly("a status the ABI does not define");
  if (status == RS_STATUS_BUSY) ++busy;
  if (status == RS_STATUS_FRAME_NOT_OWNED) ++not_owned;
  return r;
}

uint16_t RootCpu::fast(uint16_t code, uint64_t rbx, uint64_t rcx, uint64_t rdx) {
  return static_cast<uint16_t>(RS_HC_RESULT_STATUS(call(fast_control(code), rbx, rcx, rdx).rax));
}

uint16_t RootCpu::page_call(uint16_t code, uint16_t count, uint16_t start, bool with_output,
                            uint64_t* reps_done, uint64_t* detail) {
  uint64_t in_pa = input_pa_;
  // Now and then an input page another CPU hands over (deposits, maps) in the same moment.
  if (shared_.shared_input_pages && one_in(4)) in_pa = pool_frame();
  const auto r = call(RS_HC_CONTROL(code, 0, count, start), in_pa, with_output ? output_pa_ : 0);
  if (reps_done != nullptr) *reps_done = RS_HC_RESULT_REPS_DONE(r.rax);
  if (detail != nullptr) *detail = RS_HC_RESULT_DETAIL(r.rax);
  return static_cast<uint16_t>(RS_HC_RESULT_STATUS(r.rax));
}

uint64_t RootCpu::pick_id() {
  switch (pick(32)) {
    case 0:
      return RS_PARTITION_ID_NONE;
    case 1:
      return ~0ull;
    case 2:
      return shared_.newest_id.load(std::memory_order_relaxed) + 1 + pick(3);  // not yet made
    default:
      break;
  }
  // A live one, mostly (it may be destroyed by the time the call runs); else a stale slot.
  uint64_t id = 0;
  for (unsigned tries = 0; tries < 4 && id == 0; ++tries) {
    id = shared_.ids[pick(Shared::kIdSlots)].load(std::memory_order_relaxed);
  }
  return id;
}

uint64_t RootCpu::pick_vp() {
  return one_in(32) ? hv::kMaxVps + pick(4) : pick(kVps);
}

uint64_t RootCpu::element_frame() {
  switch (pick(40)) {
    case 0:
      return 0;
    case 1:
      return pool_frame() + 8;  // misaligned
    case 2:
      return StressWorld::kHvBase + pick(64) * kPage;  // hv's own
    case 3:
      return ConcurrentMachine::kBytes + pick(16) * kPage;  // not RAM
    case 4:
      // The call's own input page (refused); with shared input pages the call's page is
      // another, and this CPU's private page must not be handed over.
      return shared_.shared_input_pages ? 0 : input_pa_;
    default:
      return pool_frame();
  }
}

uint16_t RootCpu::count_reps(uint16_t most) {
  return static_cast<uint16_t>(1 + pick(most));
}

bool RootCpu::create() {
  const auto r = call(fast_control(RS_HC_PARTITION_CREATE), one_in(32) ? 1 : 0);
  if (RS_HC_RESULT_STATUS(r.rax) != RS_STATUS_SUCCESS) return false;
  uint64_t newest = shared_.newest_id.load();
  while (newest < r.rbx && !shared_.newest_id.compare_exchange_weak(newest, r.rbx)) {
  }
  for (auto& slot : shared_.ids) {
    uint64_t empty = 0;
    if (slot.compare_exchange_strong(empty, r.rbx)) break;
  }
  // No free slot: nobody names it until the final teardown, which destroys every id.
  return true;
}

bool RootCpu::destroy() {
  const uint64_t id = pick_id();
  uint16_t s = RS_STATUS_PARTIAL;
  // PARTIAL: the same call again, as the root must (docs/hypercalls.md §3).
  while (s == RS_STATUS_PARTIAL) s = fast(RS_HC_PARTITION_DESTROY, id);
  if (s != RS_STATUS_SUCCESS) return false;
  for (auto& slot : shared_.ids) {
    uint64_t expected = id;
    if (slot.compare_exchange_strong(expected, 0)) break;
  }
  return true;
}

bool RootCpu::query() {
  const auto r = call(fast_control(RS_HC_PARTITION_QUERY), pick_id());
  if (RS_HC_RESULT_STATUS(r.rax) != RS_STATUS_SUCCESS) return false;
  // A partition has at most kMaxVps VPs and never more pages in use than deposited.
  if (r.rbx > hv::kMaxVps || r.rsi > r.rdx) anomaly("PARTITION_QUERY: VPs or pages out of bounds");
  return true;
}

bool RootCpu::deposit(uint64_t id, uint16_t count) {
  auto& in = input<rs_hc_deposit_input>();
  in = rs_hc_deposit_input{};
  in.partition_id = id;
  in.reserved0 = one_in(64) ? 1 : 0;
  for (uint16_t i = 0; i < count; ++i) in.frames[i] = element_frame();
  const uint16_t start = one_in(8) ? static_cast<uint16_t>(pick(count)) : 0;
  return page_call(RS_HC_DEPOSIT_MEMORY, count, start, false) == RS_STATUS_SUCCESS;
}

bool RootCpu::withdraw() {
  auto& in = input<rs_hc_withdraw_input>();
  in = rs_hc_withdraw_input{};
  in.partition_id = pick_id();
  in.reserved0 = one_in(64) ? 1 : 0;
  const uint16_t count = count_reps(6);
  uint64_t done = 0;
  if (page_call(RS_HC_WITHDRAW_MEMORY, count, 0, true, &done) != RS_STATUS_SUCCESS) return false;
  // Withdrawn frames come back to the root page-aligned, and only from the pool the test used.
  for (uint64_t i = 0; i < done; ++i) {
    const uint64_t pa = output<rs_hc_withdraw_output>().frames[i];
    const bool pool = pa >= kPoolFirstPfn * kPage && pa < (kPoolFirstPfn + kPoolFrames) * kPage;
    const bool large = pa >= kLargeBase && pa < StressWorld::kHvBase;
    if ((pa & (kPage - 1)) != 0 || !(pool || large))
      anomaly("WITHDRAW_MEMORY: a frame the test never deposited");
  }
  return true;
}

bool RootCpu::map(bool large) {
  rs_hc_map_gpa_input in{};
  in.partition_id = pick_id();
  in.flags = RS_ACCESS_READ | (one_in(2) ? RS_ACCESS_WRITE : 0u) |
             (one_in(2) ? RS_ACCESS_EXECUTE : 0u) | (large ? RS_MAP_LARGE : 0u);
  if (one_in(64)) in.flags = RS_ACCESS_WRITE;  // no read: refused
  if (one_in(64)) in.flags |= 0x8000;          // reserved
  const uint16_t count = large ? 1 : count_reps(6);
  if (large) {
    in.gpa_base = pick(kGpaLargePages) * kLargePage;
    in.frames[0] = one_in(16) ? pool_frame() : kLargeBase + pick(kLargeFrames) * kLargePage;
  } else {
    in.gpa_base = pick(kGpaPages) * kPage;
    for (uint16_t i = 0; i < count; ++i) in.frames[i] = element_frame();
  }
  if (one_in(64)) in.gpa_base = 1ull << hv::kChildGpaBits;  // out of range
  if (one_in(64)) in.gpa_base += 512;                       // misaligned
  input<rs_hc_map_gpa_input>() = in;
  uint64_t detail = 0;
  uint16_t s = page_call(RS_HC_MAP_GPA_RANGE, count, 0, false, nullptr, &detail);
  if (s == RS_STATUS_INSUFFICIENT_MEMORY && detail <= 16) {
    // The protocol of docs/hypercalls.md §6: deposit what hv asked for, then the same call.
    if (deposit(in.partition_id, static_cast<uint16_t>(detail))) {
      input<rs_hc_map_gpa_input>() = in;
      s = page_call(RS_HC_MAP_GPA_RANGE, count, 0, false);
    }
  }
  if (s != RS_STATUS_SUCCESS) return false;
  last_map_ = {in.partition_id, in.gpa_base, count, large};
  return true;
}

bool RootCpu::unmap() {
  bool large = one_in(8);
  uint64_t id = pick_id();
  uint64_t base = large ? pick(kGpaLargePages) * kLargePage : pick(kGpaPages) * kPage;
  uint16_t count = large ? 1 : count_reps(4);
  if (last_map_.count != 0 && !one_in(4)) {
    // This CPU's last mapping (another CPU may have unmapped it, or destroyed its partition).
    id = last_map_.id;
    base = last_map_.gpa_base;
    count = last_map_.count;
    large = last_map_.large;
    last_map_ = {};
  }
  const uint64_t flags = (large ? RS_MAP_LARGE : 0u) | (one_in(64) ? 0x10u : 0u);
  const auto r =
      call(RS_HC_CONTROL(RS_HC_UNMAP_GPA_RANGE, RS_HC_CONTROL_FAST, count, 0), id, base, flags);
  return RS_HC_RESULT_STATUS(r.rax) == RS_STATUS_SUCCESS;
}

bool RootCpu::vp_create() {
  const uint64_t id = pick_id();
  const uint64_t vp = pick_vp();
  // Run pages come from the pool, never from this CPU's private pages.
  uint64_t run_page = pool_frame();
  if (one_in(32)) run_page = element_frame();
  if (run_page == input_pa_) run_page = 0;
  const auto r = call(fast_control(RS_HC_VP_CREATE), id, vp, run_page);
  uint16_t s = static_cast<uint16_t>(RS_HC_RESULT_STATUS(r.rax));
  if (s == RS_STATUS_INSUFFICIENT_MEMORY) {
    const uint64_t need = RS_HC_RESULT_DETAIL(r.rax);
    if (need <= 8 && deposit(id, static_cast<uint16_t>(need))) {
      s = fast(RS_HC_VP_CREATE, id, vp, run_page);
    }
  }
  return s == RS_STATUS_SUCCESS;
}

bool RootCpu::vp_destroy() {
  return fast(RS_HC_VP_DESTROY, pick_id(), pick_vp()) == 0;
}

namespace {

// Register names and values for VP_SET_REGISTERS, most of them valid (docs/hypercalls.md §8).
struct RegisterChoice {
  uint32_t name;
  uint64_t values[4];
};
constexpr RegisterChoice kSettable[] = {
    {RS_REG_RAX, {0, 1, 0x1234'5678'9abc'def0ull, ~0ull}},
    {RS_REG_RBX, {0, 7, 0xffff, 0x8000'0000'0000'0000ull}},
    {RS_REG_RIP, {0xfff0, 0x1000, 0x7c00, 0}},
    {RS_REG_RFLAGS, {0x2, 0x202, 0x246, 0}},  // 0: bit 1 clear, refused
    {RS_REG_APIC_BASE, {0xfee00800, 0xfee00900, 0xfee00c00, 0x1}},
    {RS_REG_ACTIVITY, {RS_ACTIVITY_RUNNING, RS_ACTIVITY_WAIT_FOR_SIPI, RS_ACTIVITY_RUNNING, 9}},
    {RS_REG_XCR0, {1, 3, 7, 2}},  // 2: SSE without x87, refused
    {RS_REG_CR8, {0, 5, 15, 16}},
};
constexpr uint32_t kGettable[] = {RS_REG_RAX,  RS_REG_RIP,  RS_REG_RFLAGS,    RS_REG_CS,
                                  RS_REG_CR0,  RS_REG_EFER, RS_REG_APIC_BASE, RS_REG_ACTIVITY,
                                  RS_REG_XCR0, 0x7777 /* none */};

}  // namespace

bool RootCpu::set_registers() {
  auto& in = input<rs_hc_set_registers_input>();
  in = rs_hc_set_registers_input{};
  in.partition_id = pick_id();
  in.vp_index = static_cast<uint32_t>(pick_vp());
  const uint16_t count = count_reps(3);
  for (uint16_t i = 0; i < count; ++i) {
    const RegisterChoice& c = kSettable[pick(std::size(kSettable))];
    in.elements[i].name = c.name;
    in.elements[i].value.scalar.value = c.values[pick(4)];
    if (one_in(64)) in.elements[i].reserved0 = 1;
  }
  return page_call(RS_HC_VP_SET_REGISTERS, count, 0, false) == RS_STATUS_SUCCESS;
}

bool RootCpu::get_registers() {
  auto& in = input<rs_hc_get_registers_input>();
  in = rs_hc_get_registers_input{};
  in.partition_id = pick_id();
  in.vp_index = static_cast<uint32_t>(pick_vp());
  const uint16_t count = count_reps(4);
  for (uint16_t i = 0; i < count; ++i) in.names[i] = kGettable[pick(std::size(kGettable))];
  if (page_call(RS_HC_VP_GET_REGISTERS, count, 0, true) != RS_STATUS_SUCCESS) return false;
  for (uint16_t i = 0; i < count; ++i) {
    // RFLAGS always has bit 1 set (§8): a torn or foreign state page would show otherwise.
    if (in.names[i] == RS_REG_RFLAGS &&
        (output<rs_hc_get_registers_output>().values[i].scalar.value & 2) == 0) {
      anomaly("VP_GET_REGISTERS: RFLAGS without bit 1 (a torn state page)");
    }
  }
  return true;
}

bool RootCpu::inject() {
  uint64_t event = 0;
  switch (pick(8)) {
    case 0:
    case 1:
    case 2:
      event = 32 + pick(224);  // an external interrupt
      break;
    case 3:
      event = 2 | (uint64_t{RS_EVENT_TYPE_NMI} << RS_EVENT_TYPE_SHIFT);
      break;
    case 4:  // #GP with its error code
      event = 13 | (uint64_t{RS_EVENT_TYPE_EXCEPTION} << RS_EVENT_TYPE_SHIFT) |
              RS_EVENT_ERROR_CODE_VALID | (pick(0x10000) << RS_EVENT_ERROR_CODE_SHIFT);
      break;
    case 5:  // #UD
      event = 6 | (uint64_t{RS_EVENT_TYPE_EXCEPTION} << RS_EVENT_TYPE_SHIFT);
      break;
    case 6:  // an interrupt below 32, or a reserved type: refused
      event = one_in(2) ? pick(32) : 7ull << RS_EVENT_TYPE_SHIFT;
      break;
    default:  // reserved bits
      event = 40 | (1ull << (12 + pick(20)));
      break;
  }
  return fast(RS_HC_VP_INJECT, pick_id(), pick_vp(), event) == RS_STATUS_SUCCESS;
}

bool RootCpu::interrupt() {
  uint64_t flags = 0, argument = 0;
  const uint64_t pin = one_in(32) ? RS_INTERRUPT_GSI_COUNT + pick(8) : pick(RS_INTERRUPT_GSI_COUNT);
  switch (pick(8)) {
    case 0:
    case 1:
      flags = RS_INTERRUPT_GSI_EDGE;
      argument = pin;
      break;
    case 2:
    case 3:
      flags = RS_INTERRUPT_GSI_LEVEL | (one_in(2) ? RS_INTERRUPT_ASSERTED : 0);
      argument = pin;
      break;
    case 4:
    case 5:
    case 6: {
      // An MSI (SDM 11.11): fixed, lowest priority, NMI or INIT to one APIC ID or a logical set.
      constexpr uint64_t kModes[] = {0, 0, 1, 4, 5, 3 /* reserved */};
      const uint64_t address = RS_MSI_ADDRESS_BASE | (pick(8) << RS_MSI_ADDRESS_DEST_SHIFT) |
                               (one_in(4) ? RS_MSI_ADDRESS_DEST_LOGICAL : 0);
      const uint64_t data = (16 + pick(240)) |
                            (kModes[pick(std::size(kModes))] << RS_MSI_DATA_DELIVERY_SHIFT) |
                            (one_in(4) ? RS_MSI_DATA_TRIGGER_LEVEL | RS_MSI_DATA_LEVEL_ASSERT : 0);
      flags = RS_INTERRUPT_MSI;
      argument = address | (data << 32);
      break;
    }
    default:  // reserved flags or kinds
      flags = one_in(2) ? 9 : RS_INTERRUPT_GSI_EDGE | (1ull << 12);
      argument = pin;
      break;
  }
  const auto r = call(fast_control(RS_HC_PARTITION_INTERRUPT), pick_id(), flags, argument);
  if (RS_HC_RESULT_STATUS(r.rax) != RS_STATUS_SUCCESS) return false;
  // `wake` names only VPs that exist (the test makes VPs 0..kVps-1).
  if ((r.rbx >> kVps) != 0) anomaly("PARTITION_INTERRUPT: woke a VP that does not exist");
  return true;
}

bool RootCpu::run() {
  // Now and then the flag the driver passes, or a reserved bit (refused).
  const uint64_t flags = one_in(4) ? RS_VP_RUN_REPORT_PAUSE : one_in(32) ? 2 : 0;
  return fast(RS_HC_VP_RUN, pick_id(), pick_vp(), flags) == RS_STATUS_SUCCESS;
}

void RootCpu::step() {
  // Weights out of 100: the calls a busy root makes most (maps, runs, interrupts) most often.
  static constexpr struct {
    Op op;
    unsigned weight;
  } kMix[] = {{Op::kCreate, 4},    {Op::kDestroy, 1},      {Op::kQuery, 6},
              {Op::kDeposit, 9},   {Op::kWithdraw, 4},     {Op::kMap, 12},
              {Op::kMapLarge, 2},  {Op::kUnmap, 8},        {Op::kVpCreate, 9},
              {Op::kVpDestroy, 3}, {Op::kSetRegisters, 7}, {Op::kGetRegisters, 7},
              {Op::kInject, 6},    {Op::kInterrupt, 10},   {Op::kRun, 12}};
  uint64_t roll = pick(100);
  Op op = Op::kQuery;
  for (const auto& m : kMix) {
    if (roll < m.weight) {
      op = m.op;
      break;
    }
    roll -= m.weight;
  }
  if (op == Op::kCreate) {
    unsigned live = 0;
    for (const auto& slot : shared_.ids) live += slot.load(std::memory_order_relaxed) != 0 ? 1 : 0;
    if (live >= kTargetLive && !one_in(8)) op = Op::kQuery;
  }
  bool ok = false;
  switch (op) {
    case Op::kCreate:
      ok = create();
      break;
    case Op::kDestroy:
      ok = destroy();
      break;
    case Op::kQuery:
      ok = query();
      break;
    case Op::kDeposit:
      ok = deposit(pick_id(), count_reps(8));
      break;
    case Op::kWithdraw:
      ok = withdraw();
      break;
    case Op::kMap:
      ok = map(false);
      break;
    case Op::kMapLarge:
      ok = map(true);
      break;
    case Op::kUnmap:
      ok = unmap();
      break;
    case Op::kVpCreate:
      ok = vp_create();
      break;
    case Op::kVpDestroy:
      ok = vp_destroy();
      break;
    case Op::kSetRegisters:
      ok = set_registers();
      break;
    case Op::kGetRegisters:
      ok = get_registers();
      break;
    case Op::kInject:
      ok = inject();
      break;
    case Op::kInterrupt:
      ok = interrupt();
      break;
    case Op::kRun:
      ok = run();
      break;
    case Op::kCount:
      break;
  }
  OpStats& s = stats[static_cast<unsigned>(op)];
  ++s.calls;
  if (ok) ++s.ok;
}

}  // namespace stress
