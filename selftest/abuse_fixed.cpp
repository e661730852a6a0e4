// One raw hypercall per validation rule of docs/hypercalls.md (§2 "Validation order" and each
// call's table in §5), each with the status the first failing check gives. Not covered: CPL 3
// and non-64-bit callers (#UD): the driver always calls from CPL 0 in 64-bit mode.
#include "selftest/abuse_calls.hpp"

#include <cpuid.h>

#include "drivers/hvroot/uapi/hvroot.h"

namespace rootstock::selftest::abuse {
namespace {

constexpr uint64_t kFast = RS_HC_CONTROL_FAST;
constexpr uint32_t kIn = HVROOT_RAW_INPUT_PAGE;
constexpr uint32_t kOut = HVROOT_RAW_OUTPUT_PAGE;
constexpr uint64_t kMisaligned = 0x1008;

Call fast(std::string name, uint16_t code, std::array<uint64_t, 4> args, uint16_t expect) {
  Call c;
  c.name = std::move(name);
  c.control = RS_HC_CONTROL(code, kFast, 0, 0);
  c.args = args;
  c.expect = expect;
  return c;
}

Call paged(std::string name, uint16_t code, uint64_t count, uint64_t start,
           std::vector<uint8_t> input, uint32_t flags, uint16_t expect) {
  Call c;
  c.name = std::move(name);
  c.control = RS_HC_CONTROL(code, 0, count, start);
  c.input = std::move(input);
  c.flags = flags;
  c.expect = expect;
  return c;
}

Call with_detail(Call c, uint16_t detail) {
  c.expect_detail = detail;
  return c;
}

rs_hc_map_gpa_input map_input(uint64_t partition, uint64_t gpa, uint32_t flags, uint64_t frame) {
  rs_hc_map_gpa_input in{};
  in.partition_id = partition;
  in.gpa_base = gpa;
  in.flags = flags;
  for (uint64_t& f : in.frames) f = frame;
  return in;
}

rs_hc_deposit_input deposit_input(uint64_t partition, uint64_t frame) {
  rs_hc_deposit_input in{};
  in.partition_id = partition;
  for (uint64_t& f : in.frames) f = frame;
  return in;
}

rs_hc_set_registers_input set_input(uint64_t partition, uint32_t vp,
                                    std::initializer_list<rs_hc_register_assoc> elements) {
  rs_hc_set_registers_input in{};
  in.partition_id = partition;
  in.vp_index = vp;
  size_t i = 0;
  for (const auto& e : elements) in.elements[i++] = e;
  return in;
}

rs_hc_register_assoc scalar(uint32_t name, uint64_t value, uint64_t reserved = 0) {
  rs_hc_register_assoc a{};
  a.name = name;
  a.value.scalar.value = value;
  a.value.scalar.reserved0 = reserved;
  return a;
}

uint64_t event(uint64_t vector, uint64_t type, bool with_code, uint64_t code = 0) {
  return vector | type << RS_EVENT_TYPE_SHIFT | (with_code ? RS_EVENT_ERROR_CODE_VALID : 0) |
         code << RS_EVENT_ERROR_CODE_SHIFT;
}

void control_word_cases(std::vector<Call>& out) {
  for (const uint16_t code : {uint16_t{0}, uint16_t{0x0003}, uint16_t{0x0036}, uint16_t{0x0042},
                              uint16_t{0x004f}, uint16_t{0x1234}, uint16_t{0xffff}}) {
    out.push_back(
        fast("unknown call code " + std::to_string(code), code, {}, RS_STATUS_INVALID_CALL_CODE));
  }
  Call garbage = fast("unknown code with every other field garbage", 0x7777, {~0ull, 1, 2, 3},
                      RS_STATUS_INVALID_CALL_CODE);
  garbage.control |= RS_HC_CONTROL_RESERVED_MASK | RS_HC_CONTROL_REP_COUNT_MASK;
  out.push_back(garbage);

  for (const uint64_t bit : {17ull, 31ull, 44ull, 47ull, 60ull, 63ull}) {
    Call c = fast("control reserved bit " + std::to_string(bit), RS_HC_GET_VERSION, {},
                  RS_STATUS_RESERVED_NONZERO);
    c.control |= 1ull << bit;
    out.push_back(c);
  }
  Call slow =
      fast("fast call without the fast bit", RS_HC_GET_VERSION, {}, RS_STATUS_INVALID_CONTROL);
  slow.control &= ~kFast;
  out.push_back(slow);
  Call hasty = paged("page call with the fast bit", RS_HC_MAP_GPA_RANGE, 1, 0, {}, kIn,
                     RS_STATUS_INVALID_CONTROL);
  hasty.control |= kFast;
  out.push_back(hasty);
  Call reps = fast("rep count on a simple call", RS_HC_GET_VERSION, {}, RS_STATUS_INVALID_CONTROL);
  reps.control |= RS_HC_CONTROL(0, 0, 1, 0);
  out.push_back(reps);
  Call start =
      fast("rep start on a simple call", RS_HC_PARTITION_QUERY, {}, RS_STATUS_INVALID_CONTROL);
  start.control |= RS_HC_CONTROL(0, 0, 0, 1);
  out.push_back(start);
  Call zero =
      fast("rep count 0 on a rep call", RS_HC_UNMAP_GPA_RANGE, {}, RS_STATUS_INVALID_CONTROL);
  out.push_back(zero);
  Call beyond = fast("rep start = rep count", RS_HC_UNMAP_GPA_RANGE, {}, RS_STATUS_INVALID_CONTROL);
  beyond.control = RS_HC_CONTROL(RS_HC_UNMAP_GPA_RANGE, kFast, 3, 3);
  out.push_back(beyond);

  const struct {
    uint16_t code;
    uint64_t limit;
    bool fast;
  } limits[] = {{RS_HC_MAP_GPA_RANGE, RS_HC_MAP_GPA_MAX_REPS, false},
                {RS_HC_DEPOSIT_MEMORY, RS_HC_DEPOSIT_MAX_REPS, false},
                {RS_HC_WITHDRAW_MEMORY, RS_HC_WITHDRAW_MAX_REPS, false},
                {RS_HC_VP_GET_REGISTERS, RS_HC_REGISTERS_MAX_REPS, false},
                {RS_HC_VP_SET_REGISTERS, RS_HC_REGISTERS_MAX_REPS, false}};
  for (const auto& l : limits) {
    for (const uint64_t count : {l.limit + 1, uint64_t{RS_HC_REP_COUNT_FIELD_MAX}}) {
      Call c = paged("rep count " + std::to_string(count) + " over the limit of call " +
                         std::to_string(l.code),
                     l.code, count, 0, {}, kIn | kOut, RS_STATUS_REP_COUNT_TOO_LARGE);
      out.push_back(c);
    }
  }
}

void argument_register_cases(std::vector<Call>& out, const Targets& t) {
  out.push_back(fast("GET_VERSION with RBX set", RS_HC_GET_VERSION, {1, 0, 0, 0},
                     RS_STATUS_RESERVED_NONZERO));
  out.push_back(fast("GET_VERSION with RSI set", RS_HC_GET_VERSION, {0, 0, 0, 1ull << 63},
                     RS_STATUS_RESERVED_NONZERO));
  out.push_back(fast("PARTITION_CREATE with RCX set", RS_HC_PARTITION_CREATE, {0, 1, 0, 0},
                     RS_STATUS_RESERVED_NONZERO));
  out.push_back(fast("PARTITION_QUERY with RDX set", RS_HC_PARTITION_QUERY, {t.child_a, 0, 5, 0},
                     RS_STATUS_RESERVED_NONZERO));
  out.push_back(fast("VP_DESTROY with RDX set", RS_HC_VP_DESTROY, {t.scratch, 0, 1, 0},
                     RS_STATUS_RESERVED_NONZERO));
  out.push_back(fast("VP_CREATE with RSI set", RS_HC_VP_CREATE, {t.scratch, 0, t.hv_frame, 1},
                     RS_STATUS_RESERVED_NONZERO));
  Call map_rdx = paged("MAP_GPA_RANGE with RDX set", RS_HC_MAP_GPA_RANGE, 1, 0,
                       bytes_of(map_input(t.scratch, 0, RS_ACCESS_READ, t.hv_frame)), kIn,
                       RS_STATUS_RESERVED_NONZERO);
  map_rdx.args[2] = 1;
  out.push_back(map_rdx);
  Call map_rcx = map_rdx;
  map_rcx.name = "MAP_GPA_RANGE with RCX (no output page) set";
  map_rcx.args = {0, 0x2000, 0, 0};
  out.push_back(map_rcx);
  Call inv = paged("CHECK_INVARIANTS with RBX (no input page) set", RS_HC_CHECK_INVARIANTS, 0, 0,
                   {}, kOut, RS_STATUS_RESERVED_NONZERO);
  inv.args[0] = 0x3000;
  out.push_back(inv);
}

void page_address_cases(std::vector<Call>& out, const Targets& t) {
  const auto map_at = [&](std::string name, uint64_t page, uint16_t expect) {
    Call c = paged(std::move(name), RS_HC_MAP_GPA_RANGE, 1, 0, {}, 0, expect);
    c.args[0] = page;
    out.push_back(c);
  };
  map_at("input page misaligned", kMisaligned, RS_STATUS_MISALIGNED);
  map_at("input page misaligned inside hv", t.hv_frame + 8, RS_STATUS_MISALIGNED);
  map_at("input page frame 0", 0, RS_STATUS_ACCESS_DENIED);
  map_at("input page in hv's reservation", t.hv_frame, RS_STATUS_ACCESS_DENIED);
  map_at("input page not RAM (xAPIC)", kMmioFrame, RS_STATUS_ACCESS_DENIED);
  map_at("input page beyond physical memory", 1ull << 51, RS_STATUS_ACCESS_DENIED);
  if (t.child_frame != 0)
    map_at("input page a child's frame", t.child_frame, RS_STATUS_ACCESS_DENIED);
  Call inv = paged("output page in hv's reservation", RS_HC_CHECK_INVARIANTS, 0, 0, {}, 0,
                   RS_STATUS_ACCESS_DENIED);
  inv.args[1] = t.hv_frame;
  out.push_back(inv);
  Call inv_mis = inv;
  inv_mis.name = "output page misaligned";
  inv_mis.args[1] = kMisaligned;
  inv_mis.expect = RS_STATUS_MISALIGNED;
  out.push_back(inv_mis);
  if (t.root_frame != 0) {
    rs_hc_withdraw_input w{};
    w.partition_id = t.scratch;
    Call same = paged("input page = output page", RS_HC_WITHDRAW_MEMORY, 1, 0, bytes_of(w), 0,
                      RS_STATUS_ACCESS_DENIED);
    same.args = {t.root_frame, t.root_frame, 0, 0};
    out.push_back(same);
  }
}

void partition_cases(std::vector<Call>& out, const Targets& t) {
  out.push_back(fast("PARTITION_CREATE flags set", RS_HC_PARTITION_CREATE, {1, 0, 0, 0},
                     RS_STATUS_RESERVED_NONZERO));
  for (const uint64_t id : {uint64_t{0}, t.dead, ~uint64_t{0}, uint64_t{0xdead0000beef}}) {
    const std::string which = " id " + std::to_string(id);
    out.push_back(fast("PARTITION_QUERY" + which, RS_HC_PARTITION_QUERY, {id, 0, 0, 0},
                       RS_STATUS_INVALID_PARTITION_ID));
    out.push_back(fast("PARTITION_DESTROY" + which, RS_HC_PARTITION_DESTROY, {id, 0, 0, 0},
                       RS_STATUS_INVALID_PARTITION_ID));
    out.push_back(fast("VP_CREATE" + which, RS_HC_VP_CREATE, {id, 0, t.hv_frame, 0},
                       RS_STATUS_INVALID_PARTITION_ID));
    out.push_back(
        fast("VP_RUN" + which, RS_HC_VP_RUN, {id, 0, 0, 0}, RS_STATUS_INVALID_PARTITION_ID));
    out.push_back(fast("UNMAP_GPA_RANGE" + which, RS_HC_UNMAP_GPA_RANGE, {id, 0, 0, 0},
                       RS_STATUS_INVALID_PARTITION_ID));
  }
  // UNMAP is a rep call: one element, so that only the partition id is wrong.
  for (Call& c : out) {
    if (c.name.starts_with("UNMAP_GPA_RANGE id")) {
      c.control = RS_HC_CONTROL(RS_HC_UNMAP_GPA_RANGE, kFast, 1, 0);
    }
  }
  out.push_back(fast("valid GET_VERSION", RS_HC_GET_VERSION, {}, RS_STATUS_SUCCESS));
  out.push_back(fast("valid PARTITION_QUERY", RS_HC_PARTITION_QUERY, {t.child_a, 0, 0, 0},
                     RS_STATUS_SUCCESS));
}

void vp_cases(std::vector<Call>& out, const Targets& t) {
  const uint64_t limit = t.vp_limit;
  out.push_back(fast("VP_CREATE index at the limit", RS_HC_VP_CREATE,
                     {t.scratch, limit, t.hv_frame, 0}, RS_STATUS_INVALID_VP_INDEX));
  out.push_back(fast("VP_CREATE index 2^32-1", RS_HC_VP_CREATE,
                     {t.scratch, 0xffffffff, t.hv_frame, 0}, RS_STATUS_INVALID_VP_INDEX));
  out.push_back(fast("VP_CREATE of an existing VP", RS_HC_VP_CREATE, {t.child_a, 0, t.hv_frame, 0},
                     RS_STATUS_EXISTS));
  out.push_back(fast("VP_CREATE run page misaligned", RS_HC_VP_CREATE,
                     {t.scratch, 0, kMisaligned, 0}, RS_STATUS_MISALIGNED));
  out.push_back(fast("VP_CREATE run page in hv's reservation", RS_HC_VP_CREATE,
                     {t.scratch, 0, t.hv_frame, 0}, RS_STATUS_FRAME_NOT_OWNED));
  out.push_back(fast("VP_CREATE run page not RAM", RS_HC_VP_CREATE, {t.scratch, 0, kMmioFrame, 0},
                     RS_STATUS_FRAME_NOT_OWNED));
  if (t.child_frame != 0) {
    out.push_back(fast("VP_CREATE run page another child's frame", RS_HC_VP_CREATE,
                       {t.scratch, 1, t.child_frame, 0}, RS_STATUS_FRAME_NOT_OWNED));
  }
  out.push_back(fast("VP_DESTROY of a VP never created", RS_HC_VP_DESTROY, {t.scratch, 0, 0, 0},
                     RS_STATUS_INVALID_VP_INDEX));
  out.push_back(fast("VP_DESTROY index at the limit", RS_HC_VP_DESTROY, {t.child_a, limit, 0, 0},
                     RS_STATUS_INVALID_VP_INDEX));
  out.push_back(fast("VP_RUN flags set", RS_HC_VP_RUN,
                     {t.child_a, 0, ~uint64_t{RS_VP_RUN_FLAGS_VALID}, 0},
                     RS_STATUS_RESERVED_NONZERO));
  out.push_back(fast("VP_RUN of a VP never created", RS_HC_VP_RUN, {t.child_a, 1, 0, 0},
                     RS_STATUS_INVALID_VP_INDEX));

  const auto inject = [&](std::string name, uint64_t ev, uint16_t expect) {
    out.push_back(
        fast("VP_INJECT " + std::move(name), RS_HC_VP_INJECT, {t.child_b, 0, ev, 0}, expect));
  };
  inject("reserved bits 31:12", event(40, 0, false) | 1ull << 12, RS_STATUS_RESERVED_NONZERO);
  inject("error code without its flag", event(14, 3, false, 0x55), RS_STATUS_RESERVED_NONZERO);
  inject("type 1", event(40, 1, false), RS_STATUS_INVALID_PARAMETER);
  inject("type 7", event(40, 7, false), RS_STATUS_INVALID_PARAMETER);
  inject("interrupt vector 31", event(31, 0, false), RS_STATUS_INVALID_PARAMETER);
  inject("interrupt with an error code", event(40, 0, true, 1), RS_STATUS_INVALID_PARAMETER);
  inject("NMI with vector 3", event(3, 2, false), RS_STATUS_INVALID_PARAMETER);
  inject("exception 14 without its error code", event(14, 3, false), RS_STATUS_INVALID_PARAMETER);
  inject("exception 6 with an error code", event(6, 3, true, 0), RS_STATUS_INVALID_PARAMETER);
  inject("exception vector 2", event(2, 3, false), RS_STATUS_INVALID_PARAMETER);
  inject("exception vector 32", event(32, 3, false), RS_STATUS_INVALID_PARAMETER);
  out.push_back(fast("VP_INJECT of a VP never created", RS_HC_VP_INJECT,
                     {t.child_b, 1, event(40, 0, false), 0}, RS_STATUS_INVALID_VP_INDEX));

  // PARTITION_INTERRUPT (docs/hypercalls.md §10): every pin is masked after RESET, so the
  // valid ones change nothing the child sees.
  const auto interrupt = [&](std::string name, uint64_t id, uint64_t flags, uint64_t argument,
                             uint16_t expect) {
    out.push_back(fast("PARTITION_INTERRUPT " + std::move(name), RS_HC_PARTITION_INTERRUPT,
                       {id, flags, argument, 0}, expect));
  };
  constexpr uint64_t kMsi = RS_MSI_ADDRESS_BASE;
  interrupt("reserved flag bits", t.child_b, RS_INTERRUPT_GSI_EDGE | (1ull << 9), 4,
            RS_STATUS_RESERVED_NONZERO);
  interrupt("of a destroyed partition", t.dead, RS_INTERRUPT_GSI_EDGE, 4,
            RS_STATUS_INVALID_PARTITION_ID);
  interrupt("kind 0", t.child_b, 0, 4, RS_STATUS_INVALID_PARAMETER);
  interrupt("kind 4", t.child_b, 4, 4, RS_STATUS_INVALID_PARAMETER);
  interrupt("GSI 24", t.child_b, RS_INTERRUPT_GSI_EDGE, RS_INTERRUPT_GSI_COUNT,
            RS_STATUS_INVALID_PARAMETER);
  interrupt("GSI 2^40", t.child_b, RS_INTERRUPT_GSI_LEVEL, 1ull << 40, RS_STATUS_INVALID_PARAMETER);
  interrupt("edge with a level", t.child_b, RS_INTERRUPT_GSI_EDGE | RS_INTERRUPT_ASSERTED, 4,
            RS_STATUS_INVALID_PARAMETER);
  interrupt("MSI outside FEEx_xxxx", t.child_b, RS_INTERRUPT_MSI, (0x41ull << 32) | 0xfec00000,
            RS_STATUS_INVALID_PARAMETER);
  interrupt("MSI vector 15", t.child_b, RS_INTERRUPT_MSI, (0x0full << 32) | kMsi,
            RS_STATUS_INVALID_PARAMETER);
  interrupt("MSI delivery mode 3", t.child_b, RS_INTERRUPT_MSI, (0x341ull << 32) | kMsi,
            RS_STATUS_INVALID_PARAMETER);
  interrupt("MSI data bits 31:16", t.child_b, RS_INTERRUPT_MSI, (0x10041ull << 32) | kMsi,
            RS_STATUS_INVALID_PARAMETER);
  interrupt("a masked GSI edge", t.child_b, RS_INTERRUPT_GSI_EDGE, 4, RS_STATUS_SUCCESS);
  interrupt("a masked GSI level", t.child_b, RS_INTERRUPT_GSI_LEVEL | RS_INTERRUPT_ASSERTED, 23,
            RS_STATUS_SUCCESS);
  interrupt("a fixed MSI to no APIC ID", t.child_b, RS_INTERRUPT_MSI,
            (0x41ull << 32) | kMsi | (0x7full << RS_MSI_ADDRESS_DEST_SHIFT), RS_STATUS_SUCCESS);

  // PARTITION_DOORBELL (docs/hypercalls.md §11): the checks in order; a doorbell added is
  // removed again, so the child is as it was.
  const auto doorbell = [&](std::string name, uint64_t id, uint64_t gpa, uint64_t flags,
                            uint64_t value, uint16_t expect) {
    out.push_back(fast("PARTITION_DOORBELL " + std::move(name), RS_HC_PARTITION_DOORBELL,
                       {id, gpa, flags, value}, expect));
  };
  constexpr uint64_t kBell = 0xc0003000, kCookie = uint64_t{7} << RS_DOORBELL_COOKIE_SHIFT;
  doorbell("reserved flag bits", t.child_b, kBell, 2 | (1ull << 10) | kCookie, 0,
           RS_STATUS_RESERVED_NONZERO);
  doorbell("a value without MATCH_VALUE", t.child_b, kBell, 2, 5, RS_STATUS_RESERVED_NONZERO);
  doorbell("a value wider than its length", t.child_b, kBell, 2 | RS_DOORBELL_MATCH_VALUE, 0x10000,
           RS_STATUS_RESERVED_NONZERO);
  doorbell("of a destroyed partition", t.dead, kBell, 2, 0, RS_STATUS_INVALID_PARTITION_ID);
  doorbell("length 3", t.child_b, kBell, 3, 0, RS_STATUS_INVALID_PARAMETER);
  doorbell("length 16", t.child_b, kBell, 0, 0, RS_STATUS_INVALID_PARAMETER);
  doorbell("misaligned", t.child_b, kBell + 2, 4, 0, RS_STATUS_INVALID_PARAMETER);
  doorbell("at 2^48", t.child_b, uint64_t{1} << 48, 1, 0, RS_STATUS_INVALID_PARAMETER);
  doorbell("removing none", t.child_b, kBell, 2 | RS_DOORBELL_REMOVE, 0,
           RS_STATUS_INVALID_PARAMETER);
  doorbell("added", t.child_b, kBell, 2 | kCookie, 0, RS_STATUS_SUCCESS);
  doorbell("added twice", t.child_b, kBell, 2, 0, RS_STATUS_EXISTS);
  doorbell("removed", t.child_b, kBell, 2 | RS_DOORBELL_REMOVE, 0, RS_STATUS_SUCCESS);
}

void register_cases(std::vector<Call>& out, const Targets& t) {
  rs_hc_get_registers_input get{};
  get.partition_id = t.child_a;
  get.names[0] = RS_REG_RIP;
  get.names[1] = 0x12;  // between RFLAGS and ES: no register
  get.names[2] = 0x60;  // kept for debug registers
  out.push_back(with_detail(paged("GET_REGISTERS unknown name", RS_HC_VP_GET_REGISTERS, 2, 0,
                                  bytes_of(get), kIn | kOut, RS_STATUS_INVALID_PARAMETER),
                            2));
  out.push_back(
      with_detail(paged("GET_REGISTERS kept name from rep start 2", RS_HC_VP_GET_REGISTERS, 3, 2,
                        bytes_of(get), kIn | kOut, RS_STATUS_INVALID_PARAMETER),
                  3));
  out.push_back(paged("valid GET_REGISTERS", RS_HC_VP_GET_REGISTERS, 1, 0, bytes_of(get),
                      kIn | kOut, RS_STATUS_SUCCESS));
  rs_hc_get_registers_input reserved = get;
  reserved.reserved0 = 1;
  out.push_back(paged("GET_REGISTERS reserved0", RS_HC_VP_GET_REGISTERS, 1, 0, bytes_of(reserved),
                      kIn | kOut, RS_STATUS_RESERVED_NONZERO));
  rs_hc_get_registers_input no_vp = get;
  no_vp.vp_index = 3;
  out.push_back(paged("GET_REGISTERS of a VP never created", RS_HC_VP_GET_REGISTERS, 1, 0,
                      bytes_of(no_vp), kIn | kOut, RS_STATUS_INVALID_VP_INDEX));

  const auto set = [&](std::string name, rs_hc_set_registers_input in, uint64_t count,
                       uint16_t expect, std::optional<uint16_t> detail) {
    Call c = paged("SET_REGISTERS " + std::move(name), RS_HC_VP_SET_REGISTERS, count, 0,
                   bytes_of(in), kIn, expect);
    c.expect_detail = detail;
    out.push_back(c);
  };
  const uint32_t b = 0;  // child_b's VP
  rs_hc_register_assoc bad_elem = scalar(RS_REG_RBX, 1);
  bad_elem.reserved0 = 1;
  set("element reserved0", set_input(t.child_b, b, {scalar(RS_REG_RAX, 1), bad_elem}), 2,
      RS_STATUS_RESERVED_NONZERO, 2);
  set("scalar's upper half", set_input(t.child_b, b, {scalar(RS_REG_RAX, 1, 1)}), 1,
      RS_STATUS_RESERVED_NONZERO, 1);
  rs_hc_register_assoc seg{};
  seg.name = RS_REG_DS;
  seg.value.segment.attributes = 0x1093;  // bit 12 is reserved
  set("segment attribute bit 12", set_input(t.child_b, b, {seg}), 1, RS_STATUS_RESERVED_NONZERO, 1);
  rs_hc_register_assoc table{};
  table.name = RS_REG_GDTR;
  table.value.table.reserved1 = 1;
  set("GDTR reserved1", set_input(t.child_b, b, {table}), 1, RS_STATUS_RESERVED_NONZERO, 1);
  set("unknown name", set_input(t.child_b, b, {scalar(0x12, 0)}), 1, RS_STATUS_INVALID_PARAMETER,
      1);
  set("RFLAGS bit 1 clear", set_input(t.child_b, b, {scalar(RS_REG_RFLAGS, 0)}), 1,
      RS_STATUS_INVALID_PARAMETER, 1);
  set("RFLAGS bit 63", set_input(t.child_b, b, {scalar(RS_REG_RFLAGS, 2 | 1ull << 63)}), 1,
      RS_STATUS_INVALID_PARAMETER, 1);
  set("CR0.PG without PE", set_input(t.child_b, b, {scalar(RS_REG_CR0, 1ull << 31)}), 1,
      RS_STATUS_INVALID_PARAMETER, 1);
  set("CR0 bit 32", set_input(t.child_b, b, {scalar(RS_REG_CR0, 1ull << 32 | 0x11)}), 1,
      RS_STATUS_INVALID_PARAMETER, 1);
  set("CR8 = 16", set_input(t.child_b, b, {scalar(RS_REG_CR8, 16)}), 1, RS_STATUS_INVALID_PARAMETER,
      1);
  set("EFER.SVME", set_input(t.child_b, b, {scalar(RS_REG_EFER, 1ull << 12)}), 1,
      RS_STATUS_INVALID_PARAMETER, 1);
  set("PAT with memory type 2",
      set_input(t.child_b, b, {scalar(RS_REG_PAT, 0x0007040600070402ull)}), 1,
      RS_STATUS_INVALID_PARAMETER, 1);
  set("LSTAR not canonical", set_input(t.child_b, b, {scalar(RS_REG_LSTAR, 0x8000000000000000ull)}),
      1, RS_STATUS_INVALID_PARAMETER, 1);
  set("a name twice", set_input(t.child_b, b, {scalar(RS_REG_RAX, 1), scalar(RS_REG_RAX, 2)}), 2,
      RS_STATUS_INVALID_PARAMETER, std::nullopt);
  set("valid RAX and R15", set_input(t.child_b, b, {scalar(RS_REG_RAX, 1), scalar(RS_REG_R15, 2)}),
      2, RS_STATUS_SUCCESS, std::nullopt);
  // XCR0 as the child's XSETBV would take it (§8, §10); NOT_SUPPORTED where the CPU lacks XSAVE.
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  const bool xsave = __get_cpuid(1, &eax, &ebx, &ecx, &edx) != 0 && (ecx & (1u << 26)) != 0;
  set("XCR0 without x87", set_input(t.child_b, b, {scalar(RS_REG_XCR0, 2)}), 1,
      xsave ? RS_STATUS_INVALID_PARAMETER : RS_STATUS_NOT_SUPPORTED, 1);
  set("XCR0 x87 and SSE", set_input(t.child_b, b, {scalar(RS_REG_XCR0, 3)}), 1,
      xsave ? RS_STATUS_SUCCESS : RS_STATUS_NOT_SUPPORTED,
      xsave ? std::nullopt : std::optional<uint16_t>{1});
  rs_hc_set_registers_input header = set_input(t.child_b, b, {scalar(RS_REG_RAX, 1)});
  header.reserved0 = 1;
  set("header reserved0", header, 1, RS_STATUS_RESERVED_NONZERO, std::nullopt);
}

void memory_cases(std::vector<Call>& out, const Targets& t) {
  const auto map = [&](std::string name, rs_hc_map_gpa_input in, uint64_t count, uint64_t start,
                       uint16_t expect, std::optional<uint16_t> detail = std::nullopt) {
    Call c = paged("MAP_GPA_RANGE " + std::move(name), RS_HC_MAP_GPA_RANGE, count, start,
                   bytes_of(in), kIn, expect);
    c.expect_detail = detail;
    out.push_back(c);
  };
  const uint32_t r = RS_ACCESS_READ;
  const uint64_t top = 1ull << t.gpa_bits;
  auto in = map_input(t.scratch, 0x100000, r, t.hv_frame);
  in.reserved0 = 1;
  map("reserved0", in, 1, 0, RS_STATUS_RESERVED_NONZERO);
  in = map_input(t.scratch, 0x100000, r, t.hv_frame);
  in.reserved1 = 1;
  map("reserved1", in, 1, 0, RS_STATUS_RESERVED_NONZERO);
  map("undefined flag bit", map_input(t.scratch, 0x100000, r | 0x8, t.hv_frame), 1, 0,
      RS_STATUS_RESERVED_NONZERO);
  map("dead partition", map_input(t.dead, 0x100000, r, t.hv_frame), 1, 0,
      RS_STATUS_INVALID_PARTITION_ID);
  map("without read access", map_input(t.scratch, 0x100000, RS_ACCESS_WRITE, t.hv_frame), 1, 0,
      RS_STATUS_INVALID_PARAMETER);
  map("gpa misaligned", map_input(t.scratch, 0x100800, r, t.hv_frame), 1, 0, RS_STATUS_MISALIGNED);
  map("2 MiB page at a 4 KiB gpa", map_input(t.scratch, 0x101000, r | RS_MAP_LARGE, t.hv_frame), 1,
      0, RS_STATUS_MISALIGNED);
  map("last element beyond the gpa width", map_input(t.scratch, top - 0x1000, r, t.hv_frame), 2, 0,
      RS_STATUS_GPA_OUT_OF_RANGE);
  map("gpa at the gpa width", map_input(t.scratch, top, r, t.hv_frame), 1, 0,
      RS_STATUS_GPA_OUT_OF_RANGE);
  map("range wrapping around", map_input(t.scratch, 0xfffffffffffff000ull, r, t.hv_frame), 2, 0,
      RS_STATUS_GPA_OUT_OF_RANGE);
  map("over a mapped gpa", map_input(t.child_a, 0, r, t.hv_frame), 1, 0, RS_STATUS_GPA_OVERLAP);
  map("2 MiB over 4 KiB mappings", map_input(t.child_a, 0, r | RS_MAP_LARGE, t.hv_frame), 1, 0,
      RS_STATUS_GPA_OVERLAP);
  map("frame misaligned", map_input(t.scratch, 0x100000, r, kMisaligned), 1, 0,
      RS_STATUS_MISALIGNED, 1);
  map("frame in hv's reservation", map_input(t.scratch, 0x100000, r, t.hv_frame), 1, 0,
      RS_STATUS_FRAME_NOT_OWNED, 1);
  map("frame not RAM", map_input(t.scratch, 0x100000, r, kMmioFrame), 1, 0,
      RS_STATUS_FRAME_NOT_OWNED, 1);
  map("frame 0 of hv from rep start 5", map_input(t.scratch, 0x100000, r, t.hv_frame), 8, 5,
      RS_STATUS_FRAME_NOT_OWNED, 6);
  if (t.child_frame != 0) {
    map("another child's frame", map_input(t.child_b, 0x200000, r, t.child_frame), 1, 0,
        RS_STATUS_FRAME_NOT_OWNED, 1);
  }

  const auto deposit = [&](std::string name, rs_hc_deposit_input d, uint64_t count, uint16_t expect,
                           std::optional<uint16_t> detail = std::nullopt) {
    Call c = paged("DEPOSIT_MEMORY " + std::move(name), RS_HC_DEPOSIT_MEMORY, count, 0, bytes_of(d),
                   kIn, expect);
    c.expect_detail = detail;
    out.push_back(c);
  };
  auto d = deposit_input(t.scratch, t.hv_frame);
  d.reserved0 = 1;
  deposit("reserved0", d, 1, RS_STATUS_RESERVED_NONZERO);
  deposit("dead partition", deposit_input(t.dead, t.hv_frame), 1, RS_STATUS_INVALID_PARTITION_ID);
  deposit("frame misaligned", deposit_input(t.scratch, kMisaligned), 1, RS_STATUS_MISALIGNED, 1);
  deposit("frame in hv's reservation", deposit_input(t.scratch, t.hv_frame), 3,
          RS_STATUS_FRAME_NOT_OWNED, 1);
  deposit("frame not RAM", deposit_input(t.scratch, kMmioFrame), 1, RS_STATUS_FRAME_NOT_OWNED, 1);
  if (t.child_frame != 0) {
    deposit("a child's frame", deposit_input(t.child_b, t.child_frame), 1,
            RS_STATUS_FRAME_NOT_OWNED, 1);
  }

  rs_hc_withdraw_input w{};
  w.partition_id = t.scratch;
  w.reserved0 = 1;
  out.push_back(paged("WITHDRAW_MEMORY reserved0", RS_HC_WITHDRAW_MEMORY, 1, 0, bytes_of(w),
                      kIn | kOut, RS_STATUS_RESERVED_NONZERO));
  w.reserved0 = 0;
  w.partition_id = t.dead;
  out.push_back(paged("WITHDRAW_MEMORY dead partition", RS_HC_WITHDRAW_MEMORY, 1, 0, bytes_of(w),
                      kIn | kOut, RS_STATUS_INVALID_PARTITION_ID));
  w.partition_id = t.scratch;
  out.push_back(paged("valid WITHDRAW_MEMORY of nothing deposited", RS_HC_WITHDRAW_MEMORY, 4, 0,
                      bytes_of(w), kIn | kOut, RS_STATUS_SUCCESS));

  const auto unmap = [&](std::string name, uint64_t partition, uint64_t gpa, uint64_t flags,
                         uint64_t count, uint16_t expect, std::optional<uint16_t> detail = {}) {
    Call c = fast("UNMAP_GPA_RANGE " + std::move(name), RS_HC_UNMAP_GPA_RANGE,
                  {partition, gpa, flags, 0}, expect);
    c.control = RS_HC_CONTROL(RS_HC_UNMAP_GPA_RANGE, kFast, count, 0);
    c.expect_detail = detail;
    out.push_back(c);
  };
  unmap("flag other than large", t.scratch, 0, RS_ACCESS_READ, 1, RS_STATUS_RESERVED_NONZERO);
  unmap("gpa misaligned", t.scratch, 0x800, 0, 1, RS_STATUS_MISALIGNED);
  unmap("large at a 4 KiB gpa", t.scratch, 0x1000, RS_MAP_LARGE, 1, RS_STATUS_MISALIGNED);
  unmap("beyond the gpa width", t.scratch, top - 0x1000, 0, 2, RS_STATUS_GPA_OUT_OF_RANGE);
  unmap("nothing mapped", t.scratch, 0x200000, 0, 4, RS_STATUS_GPA_NOT_MAPPED, 1);
  unmap("2 MiB where 4 KiB pages are mapped", t.child_a, 0, RS_MAP_LARGE, 1,
        RS_STATUS_GPA_NOT_MAPPED, 1);
}

}  // namespace

std::vector<Call> fixed_calls(const Targets& t) {
  std::vector<Call> out;
  control_word_cases(out);
  argument_register_cases(out, t);
  page_address_cases(out, t);
  partition_cases(out, t);
  vp_cases(out, t);
  register_cases(out, t);
  memory_cases(out, t);
  return out;
}

}  // namespace rootstock::selftest::abuse
