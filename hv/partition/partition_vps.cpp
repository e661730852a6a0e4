// VP calls: VP_CREATE, VP_DESTROY, VP_GET/SET_REGISTERS, VP_INJECT and VP_RUN's checks and
// completion (docs/hypercalls.md §5, §7, §8).
#include "partition/partitions.hpp"

extern "C" void* memset(void* dst, int c, __SIZE_TYPE__ n);

namespace hv {
namespace {

constexpr uint64_t kPage = 4096;
// RFLAGS (§8): bit 1 set; bits 3, 5, 15 and 63:22 clear.
constexpr uint64_t kRflagsFixed1 = 1ull << 1;
constexpr uint64_t kRflagsFixed0 = (1ull << 3) | (1ull << 5) | (1ull << 15) | ~((1ull << 22) - 1);

CallResult element_error(uint16_t status, uint16_t index) {
  return {status, uint64_t{index} + 1, 0};
}

// VP_INJECT's event word (docs/hypercalls.md VP_INJECT).
uint16_t check_event(uint64_t event) {
  const bool has_error = (event & RS_EVENT_ERROR_CODE_VALID) != 0;
  if ((event & RS_EVENT_RESERVED_MASK) != 0) return RS_STATUS_RESERVED_NONZERO;
  if (!has_error && (event & RS_EVENT_ERROR_CODE_MASK) != 0) return RS_STATUS_RESERVED_NONZERO;
  const auto vector = static_cast<uint8_t>(event & RS_EVENT_VECTOR_MASK);
  const auto type = static_cast<uint32_t>((event & RS_EVENT_TYPE_MASK) >> RS_EVENT_TYPE_SHIFT);
  switch (type) {
    case RS_EVENT_TYPE_INTERRUPT:
      return vector < 32 || has_error ? RS_STATUS_INVALID_PARAMETER : RS_STATUS_SUCCESS;
    case RS_EVENT_TYPE_NMI:
      return vector != 2 || has_error ? RS_STATUS_INVALID_PARAMETER : RS_STATUS_SUCCESS;
    case RS_EVENT_TYPE_EXCEPTION: {
      if (vector == 2 || vector >= 32) return RS_STATUS_INVALID_PARAMETER;
      // Exceptions with an error code (Intel SDM vol. 3A, table 6-1; AMD APM vol. 2, 8.2).
      constexpr uint32_t kWithError = (1u << 8) | (1u << 10) | (1u << 11) | (1u << 12) |
                                      (1u << 13) | (1u << 14) | (1u << 17) | (1u << 21) |
                                      (1u << 29) | (1u << 30);
      const bool architectural = ((kWithError >> vector) & 1u) != 0;
      return architectural == has_error ? RS_STATUS_SUCCESS : RS_STATUS_INVALID_PARAMETER;
    }
    default:
      return RS_STATUS_INVALID_PARAMETER;
  }
}

}  // namespace

uint16_t Partitions::idle_vp(uint64_t id, uint64_t vp_index, ChildVp*& vp, Partition** owner) {
  Partition* p = nullptr;
  if (const uint16_t s = changeable(id, p); s != RS_STATUS_SUCCESS) return s;
  if (vp_index >= kMaxVps || !p->vps[vp_index].exists) return RS_STATUS_INVALID_VP_INDEX;
  vp = &p->vps[vp_index];
  if (vp->running) return RS_STATUS_BUSY;
  if (owner != nullptr) *owner = p;
  return RS_STATUS_SUCCESS;
}

CallResult Partitions::vp_create(uint64_t id, uint64_t vp_index, uint64_t run_page) {
  SpinlockGuard guard(lock_);
  Partition* p = nullptr;
  if (const uint16_t s = changeable(id, p); s != RS_STATUS_SUCCESS) return {s};
  if (vp_index >= kMaxVps) return {RS_STATUS_INVALID_VP_INDEX};
  ChildVp& vp = p->vps[vp_index];
  if (vp.exists) return {RS_STATUS_EXISTS};
  if ((run_page & (kPage - 1)) != 0) return {RS_STATUS_MISALIGNED};
  const uint64_t pfn = run_page / kPage;
  if (pfn == 0 || !table_.is(pfn, FrameState::kRoot, 0)) return {RS_STATUS_FRAME_NOT_OWNED};
  // The state page, the extended-state page, and the PML4 if no map has made it yet.
  const uint64_t need = p->npt.initialized() ? 2 : 3;
  if (!p->deposits.covers(need)) {
    return {RS_STATUS_INSUFFICIENT_MEMORY, need - p->deposits.free_count(), 0};
  }
  if (!p->npt.initialized()) (void)p->npt.init();
  (void)table_.move(pfn, FrameState::kRoot, 0, FrameState::kRunPage, p->owner);
  uint64_t state_pa = 0, xsave_pa = 0;
  (void)p->deposits.allocate_zeroed(state_pa);
  (void)p->deposits.allocate_zeroed(xsave_pa);
  {
    // Another VP's IPI may be looking at this slot.
    SpinlockGuard irq(p->irq_lock);
    vp = ChildVp{};
    VirtualLapicConfig lapic;
    lapic.apic_id = static_cast<uint32_t>(vp_index);
    lapic.bootstrap = vp_index == 0;
    lapic.tsc_per_bus_tick = tsc_per_bus_tick_;
    lapic.min_periodic_tsc = min_periodic_tsc_;
    lapic.phys_addr_bits = kChildGpaBits;
    vp.lapic = VirtualLapic(lapic);
    vp.exists = true;
  }
  vp.uid = next_vp_uid_++;
  vp.state_pa = state_pa;
  vp.xsave_pa = xsave_pa;
  vp.run_page_pa = run_page;
  arch_.reset(machine_.frame(state_pa), p->npt.root(), vp_index == 0);
  arch_.reset_extended(machine_.frame(xsave_pa));
  auto* page = static_cast<rs_run_page*>(machine_.frame(run_page));
  memset(page, 0, sizeof(*page));
  page->version = RS_RUN_PAGE_VERSION;
  arch_.publish(machine_.frame(state_pa), vp.regs, *page);
  ++p->vp_count;
  return {};
}

CallResult Partitions::vp_destroy(uint64_t id, uint64_t vp_index) {
  SpinlockGuard guard(lock_);
  Partition* p = nullptr;
  ChildVp* vp = nullptr;
  if (const uint16_t s = idle_vp(id, vp_index, vp, &p); s != RS_STATUS_SUCCESS) return {s};
  release_vp(*p, *vp);
  return {};
}

CallResult Partitions::get_registers(const rs_hc_get_registers_input& in, uint16_t start,
                                     uint16_t count, rs_hc_get_registers_output& out) {
  if (in.reserved0 != 0) return {RS_STATUS_RESERVED_NONZERO};
  SpinlockGuard guard(lock_);
  ChildVp* vp = nullptr;
  Partition* p = nullptr;
  if (const uint16_t s = idle_vp(in.partition_id, in.vp_index, vp, &p); s != RS_STATUS_SUCCESS) {
    return {s};
  }
  const void* state = machine_.frame(vp->state_pa);
  // Into a local copy first: the output page is written only when every element succeeded.
  static rs_hc_register_value values[RS_HC_REGISTERS_MAX_REPS];  // under lock_
  for (uint16_t i = start; i < count; ++i) {
    const uint32_t name = in.names[i];
    const uint16_t s = vp_register(name) ? get_vp_register(*p, *vp, name, values[i])
                                         : arch_.get_register(state, vp->regs, name, values[i]);
    if (s != RS_STATUS_SUCCESS) return element_error(s, i);
  }
  for (uint16_t i = start; i < count; ++i) out.values[i] = values[i];
  return {RS_STATUS_SUCCESS, 0, count};
}

CallResult Partitions::set_registers(const rs_hc_set_registers_input& in, uint16_t start,
                                     uint16_t count) {
  if (in.reserved0 != 0) return {RS_STATUS_RESERVED_NONZERO};
  SpinlockGuard guard(lock_);
  ChildVp* vp = nullptr;
  Partition* p = nullptr;
  if (const uint16_t s = idle_vp(in.partition_id, in.vp_index, vp, &p); s != RS_STATUS_SUCCESS) {
    return {s};
  }
  for (uint16_t i = start; i < count; ++i) {
    const rs_hc_register_assoc& e = in.elements[i];
    if (e.reserved0 != 0) return element_error(RS_STATUS_RESERVED_NONZERO, i);
    for (uint16_t j = start; j < i; ++j) {
      if (in.elements[j].name == e.name) return element_error(RS_STATUS_INVALID_PARAMETER, i);
    }
    const uint16_t s = vp_register(e.name) ? check_vp_register(*p, *vp, e.name, e.value)
                                           : arch_.check_register(e.name, e.value);
    if (s != RS_STATUS_SUCCESS) return element_error(s, i);
  }
  void* state = machine_.frame(vp->state_pa);
  for (uint16_t i = start; i < count; ++i) {
    const rs_hc_register_assoc& e = in.elements[i];
    if (vp_register(e.name)) {
      set_vp_register(*p, *vp, e.name, e.value);
    } else {
      arch_.set_register(state, vp->regs, e.name, e.value);
    }
  }
  return {RS_STATUS_SUCCESS, 0, count};
}

CallResult Partitions::inject(uint64_t id, uint64_t vp_index, uint64_t event) {
  if (const uint16_t s = check_event(event); s == RS_STATUS_RESERVED_NONZERO) return {s};
  SpinlockGuard guard(lock_);
  Partition* p = nullptr;
  if (const uint16_t s = changeable(id, p); s != RS_STATUS_SUCCESS) return {s};
  if (vp_index >= kMaxVps || !p->vps[vp_index].exists) return {RS_STATUS_INVALID_VP_INDEX};
  if (const uint16_t s = check_event(event); s != RS_STATUS_SUCCESS) return {s};
  ChildVp& vp = p->vps[vp_index];
  // 1.0: every event waits for the VP's next entry; while it runs, the root must interrupt
  // its thread first (docs/hypercalls.md "Open points").
  if (vp.running) return {RS_STATUS_BUSY};
  void* state = machine_.frame(vp.state_pa);
  const auto type = (event & RS_EVENT_TYPE_MASK) >> RS_EVENT_TYPE_SHIFT;
  if (type != RS_EVENT_TYPE_INTERRUPT && arch_.event_pending(state)) return {RS_STATUS_BUSY};
  arch_.queue_event(state, event);
  return {};
}

uint16_t Partitions::apply_completion(ChildVp& vp, rs_run_page& page) {
  // Read once: the root may change the page while hv works (§7).
  const uint32_t flags = __atomic_load_n(&page.root_flags, __ATOMIC_RELAXED);
  const uint32_t completion = __atomic_load_n(&page.completion, __ATOMIC_RELAXED);
  if ((flags & ~RS_RUN_ROOT_FLAGS_VALID) != 0) return RS_STATUS_RESERVED_NONZERO;
  for (uint64_t r : page.reserved3) {
    if (r != 0) return RS_STATUS_RESERVED_NONZERO;
  }
  if (completion > RS_RUN_COMPLETE_ADVANCE) return RS_STATUS_INVALID_PARAMETER;
  if (completion == RS_RUN_COMPLETE_ADVANCE && vp.last.instruction_length == 0) {
    return RS_STATUS_INVALID_PARAMETER;
  }
  rs_run_regs regs{};
  if ((flags & RS_RUN_LOAD_REGS) != 0) {
    regs = page.regs;
    if ((regs.rflags & kRflagsFixed0) != 0 || (regs.rflags & kRflagsFixed1) == 0) {
      return RS_STATUS_INVALID_PARAMETER;
    }
  }
  const uint64_t in_data = page.exit.io.data;
  void* state = machine_.frame(vp.state_pa);
  auto set = [&](uint32_t name, uint64_t v) {
    rs_hc_register_value value{};
    value.scalar.value = v;
    arch_.set_register(state, vp.regs, name, value);
  };
  auto get = [&](uint32_t name) {
    rs_hc_register_value value{};
    (void)arch_.get_register(state, vp.regs, name, value);
    return value.scalar.value;
  };
  if ((flags & RS_RUN_LOAD_REGS) != 0) {
    for (uint32_t r = RS_REG_RAX; r <= RS_REG_R15; ++r) set(r, regs.gpr[r]);
    set(RS_REG_RIP, regs.rip);
    set(RS_REG_RFLAGS, regs.rflags);
  }
  if (completion == RS_RUN_COMPLETE_ADVANCE) {
    if (vp.last.reason == RS_EXIT_IO && vp.last.io_in) {
      const uint64_t rax = get(RS_REG_RAX);
      const uint64_t v = in_data;
      // IN AL/AX keep the rest of RAX; IN EAX clears bits 63:32 (APM vol. 1, 3.1.2).
      const uint64_t merged = vp.last.io_size == 4   ? (v & 0xffffffffull)
                              : vp.last.io_size == 2 ? (rax & ~0xffffull) | (v & 0xffff)
                                                     : (rax & ~0xffull) | (v & 0xff);
      set(RS_REG_RAX, merged);
    }
    set(RS_REG_RIP, get(RS_REG_RIP) + vp.last.instruction_length);
  }
  __atomic_store_n(&page.completion, 0u, __ATOMIC_RELAXED);
  __atomic_store_n(&page.root_flags, 0u, __ATOMIC_RELAXED);
  vp.last = LastExit{};
  return RS_STATUS_SUCCESS;
}

CallResult Partitions::begin_run(uint64_t id, uint64_t vp_index, uint64_t flags,
                                 RunTicket& ticket) {
  if ((flags & ~RS_VP_RUN_FLAGS_VALID) != 0) return {RS_STATUS_RESERVED_NONZERO};
  SpinlockGuard guard(lock_);
  Partition* p = nullptr;
  ChildVp* vp = nullptr;
  if (const uint16_t s = idle_vp(id, vp_index, vp, &p); s != RS_STATUS_SUCCESS) return {s};
  auto* page = static_cast<rs_run_page*>(machine_.frame(vp->run_page_pa));
  if (const uint16_t s = apply_completion(*vp, *page); s != RS_STATUS_SUCCESS) return {s};
  vp->running = true;
  ++p->running_vps;
  ticket = {p, vp, machine_.frame(vp->state_pa), page, (flags & RS_VP_RUN_REPORT_PAUSE) != 0};
  return {};
}

void Partitions::end_run(const RunTicket& ticket, const LastExit& exit) {
  SpinlockGuard guard(lock_);
  ChildVp& vp = *ticket.vp;
  vp.last = exit;
  if (exit.reason == RS_EXIT_SHUTDOWN) {
    // Other VPs' IPIs and the I/O APIC read it under the irq lock (route_interrupt()).
    SpinlockGuard irq(ticket.partition->irq_lock);
    vp.shutdown = true;
  }
  if (exit.reason != RS_EXIT_NONE) ++vp.exit_count;
  ticket.run_page->exit_count = vp.exit_count;
  arch_.publish(ticket.state, vp.regs, *ticket.run_page);
  vp.running = false;
  --ticket.partition->running_vps;
}

}  // namespace hv
