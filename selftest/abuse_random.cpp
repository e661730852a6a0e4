// Random hypercalls for the `hypercall-abuse` self-test: a template per call (safe by
// construction, see abuse_calls.hpp), faults added at random, and the expected status worked out
// from the validation order: each fault gets the rank of the check that finds it, and the lowest
// rank decides (hypercalls.md §2 "Validation order"; within step 6 the order of the call's table).
#include <algorithm>

#include "drivers/hvroot/uapi/hvroot.h"
#include "selftest/abuse_calls.hpp"

namespace rootstock::selftest::abuse {
namespace {

using Rng = std::mt19937_64;

// Where in the validation order a check sits.
enum Rank : int {
  kCode = 0,         // step 2
  kControlReserved,  // step 3
  kFastBit,
  kRepFields,
  kRepLimit,
  kArgs,             // step 4
  kInputMisaligned,  // step 5, input page first
  kInputDenied,
  kOutputMisaligned,
  kOutputDenied,
  kReserved = 100,   // step 6: reserved fields and flags of the arguments
  kPartition = 110,  // the partition id
  kVpIndex = 130,    // the VP index
  kExists = 140,     // the VP's state
  kParameter = 150,  // the other arguments …
  kGpaMisaligned = 160,
  kGpaRange = 170,
  kOverlap = 180,
  kRunPage = 190,
  kElement = 200,  // … then the elements: kElement + 2 * index (+1 for the element's later check)
};

constexpr uint64_t kMisaligned = 0x1008;
constexpr uint64_t k2MiB = 0x200000;
constexpr double kControlFault = 0.03;  // each control-word fault: ~15% of calls get one
constexpr double kCallFault = 0.15;     // each call-specific fault

// Registers every VP answers (not XCR0: NOT_SUPPORTED on a CPU without XSAVE, §8; not
// APIC_BASE and ACTIVITY, whose writes have rules of their own, §10).
constexpr uint32_t kReadableNames[] = {RS_REG_RAX,
                                       RS_REG_RSP,
                                       RS_REG_R15,
                                       RS_REG_RIP,
                                       RS_REG_RFLAGS,
                                       RS_REG_ES,
                                       RS_REG_CS,
                                       RS_REG_GS,
                                       RS_REG_LDTR,
                                       RS_REG_TR,
                                       RS_REG_GDTR,
                                       RS_REG_IDTR,
                                       RS_REG_CR0,
                                       RS_REG_CR2,
                                       RS_REG_CR3,
                                       RS_REG_CR4,
                                       RS_REG_CR8,
                                       RS_REG_EFER,
                                       RS_REG_STAR,
                                       RS_REG_LSTAR,
                                       RS_REG_CSTAR,
                                       RS_REG_SFMASK,
                                       RS_REG_KERNEL_GS_BASE,
                                       RS_REG_SYSENTER_CS,
                                       RS_REG_SYSENTER_ESP,
                                       RS_REG_SYSENTER_EIP,
                                       RS_REG_PAT,
                                       RS_REG_TSC};
// Not register names of §8 (gaps, kept ranges, beyond the last).
constexpr uint32_t kBadNames[] = {0x12, 0x1f, 0x2a, 0x3f, 0x41, 0x45, 0x49,      0x51,
                                  0x60, 0x67, 0x6f, 0x7f, 0x8d, 0xff, 0xffffffff};

struct Fault {
  int rank = 0;
  uint16_t status = 0;
  std::optional<uint16_t> detail;
  std::string what;
};

class Builder {
 public:
  Builder(const Targets& t, Rng& rng) : t_(t), rng_(rng) {}

  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  uint64_t below(uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng_); }
  uint64_t any() { return rng_(); }
  template <typename T, size_t N>
  T pick(const T (&values)[N]) {
    return values[below(N)];
  }
  template <typename T>
  T pick(std::initializer_list<T> values) {
    return *(values.begin() + below(values.size()));
  }

  void fault(int rank, uint16_t status, std::string what,
             std::optional<uint16_t> detail = std::nullopt) {
    faults_.push_back({rank, status, detail, std::move(what)});
  }

  /// A partition id: one of `live` most of the time, else one no live partition has.
  uint64_t partition(std::initializer_list<uint64_t> live) {
    if (chance(kCallFault)) {
      fault(kPartition, RS_STATUS_INVALID_PARTITION_ID, "dead partition");
      return pick({uint64_t{0}, t_.dead, ~uint64_t{0}, any() | uint64_t{1} << 40});
    }
    return pick(live);
  }

  /// A frame that is never the root's: hv's, not RAM, a child's, beyond memory, or misaligned.
  uint64_t bad_frame() {
    switch (below(t_.child_frame != 0 ? 6 : 5)) {
      case 0:
        return t_.hv_frame + below(16) * RS_HC_PAGE_SIZE;
      case 1:
        return kMmioFrame;
      case 2:
        return uint64_t{1} << 51;
      case 3:
        return pick({kMisaligned, t_.hv_frame + 8, kMmioFrame + 0x800});
      case 4:
        return t_.hv_frame;
      default:
        return t_.child_frame;
    }
  }

  /// The fault of frame `frame` as element `index` of a call whose elements are `size` apart.
  void frame_fault(uint64_t frame, uint64_t index, uint64_t align, int rank_base) {
    const int rank = rank_base + 2 * static_cast<int>(index);
    const auto detail = static_cast<uint16_t>(index + 1);
    if (frame % align != 0) {
      fault(rank, RS_STATUS_MISALIGNED, "misaligned frame", detail);
    } else {
      fault(rank + 1, RS_STATUS_FRAME_NOT_OWNED, "frame not the root's", detail);
    }
  }

  /// A rep count (mostly small) and a start below it.
  std::pair<uint64_t, uint64_t> reps(uint64_t limit) {
    const uint64_t count = chance(0.8) ? 1 + below(std::min<uint64_t>(limit, 8)) : 1 + below(limit);
    return {count, chance(0.7) ? 0 : below(count)};
  }

  /// A GPA: aligned and low most of the time, or one near the ends of the address space.
  uint64_t gpa(uint64_t size) {
    const uint64_t top = uint64_t{1} << t_.gpa_bits;
    switch (below(8)) {
      case 0:
        return top - size;
      case 1:
        return top;
      case 2:
        return ~uint64_t{0} & ~(size - 1);
      case 3:
        return below(top / RS_HC_PAGE_SIZE) * RS_HC_PAGE_SIZE;
      case 4:
        return pick({uint64_t{0x800}, uint64_t{0x1001}, k2MiB + 0x1000});
      case 5:
        return 0;
      default:
        return (1 + below(64)) * k2MiB;
    }
  }

  /// GPA faults of elements start … count-1 at `base`, `size` apart, in a partition that has
  /// `mapped` bytes at GPA 0.
  void gpa_faults(uint64_t base, uint64_t size, uint64_t count, uint64_t start, uint64_t mapped) {
    if (base % size != 0) fault(kGpaMisaligned, RS_STATUS_MISALIGNED, "gpa misaligned");
    using Wide = unsigned __int128;
    const Wide first = Wide{base} + Wide{start} * size;
    const Wide end = Wide{base} + Wide{count} * size;
    if (end > (Wide{1} << t_.gpa_bits)) {
      fault(kGpaRange, RS_STATUS_GPA_OUT_OF_RANGE, "gpa range beyond the width");
    }
    if (first < mapped) fault(kOverlap, RS_STATUS_GPA_OVERLAP, "over mapped memory");
  }

  /// Adds the control word, argument-register and page faults, and the predicted status.
  Call finish(std::string name, uint16_t code, uint64_t count = 0, uint64_t start = 0);

  Call call;

 private:
  uint16_t unknown_code() {
    for (;;) {
      const auto c = pick({uint16_t{0}, static_cast<uint16_t>(0x40 + below(16)),
                           static_cast<uint16_t>(below(0x10000))});
      if (find_form(c) == nullptr) return c;
    }
  }
  uint64_t bad_page(bool input);

  const Targets& t_;
  Rng& rng_;
  std::vector<Fault> faults_;
};

uint64_t Builder::bad_page(bool input) {
  const int misaligned = input ? kInputMisaligned : kOutputMisaligned;
  const int denied = input ? kInputDenied : kOutputDenied;
  if (chance(0.3)) {
    fault(misaligned, RS_STATUS_MISALIGNED, "page misaligned");
    return pick({kMisaligned, t_.hv_frame + 8});
  }
  fault(denied, RS_STATUS_ACCESS_DENIED, "page not the root's");
  if (t_.child_frame != 0 && chance(0.2)) return t_.child_frame;
  return pick({uint64_t{0}, t_.hv_frame, kMmioFrame, uint64_t{1} << 51});
}

Call Builder::finish(std::string name, uint16_t code, uint64_t count, uint64_t start) {
  const Form& form = *find_form(code);
  uint64_t fast = form.fast ? RS_HC_CONTROL_FAST : 0;
  uint64_t reserved = 0;
  if (chance(kControlFault)) {
    code = unknown_code();
    fault(kCode, RS_STATUS_INVALID_CALL_CODE, "unknown code");
  }
  if (chance(kControlFault)) {
    const int bits[] = {17, 20, 31, 44, 46, 60, 63};
    reserved = uint64_t{1} << pick(bits);
    fault(kControlReserved, RS_STATUS_RESERVED_NONZERO, "control reserved bit");
  }
  if (chance(kControlFault)) {
    fast ^= RS_HC_CONTROL_FAST;
    fault(kFastBit, RS_STATUS_INVALID_CONTROL, "fast bit wrong");
  }
  if (chance(kControlFault)) {
    if (form.max_reps == 0) {
      count = below(2) == 0 ? 1 + below(RS_HC_REP_COUNT_FIELD_MAX) : 0;
      start = count == 0 ? 1 + below(RS_HC_REP_COUNT_FIELD_MAX) : below(count);
      fault(kRepFields, RS_STATUS_INVALID_CONTROL, "rep fields on a simple call");
    } else if (form.max_reps < RS_HC_REP_COUNT_FIELD_MAX && chance(0.5)) {
      count = form.max_reps + 1 + below(RS_HC_REP_COUNT_FIELD_MAX - form.max_reps);
      start = below(std::min<uint64_t>(count, 16));
      fault(kRepLimit, RS_STATUS_REP_COUNT_TOO_LARGE, "rep count over the limit");
    } else if (chance(0.5)) {
      count = 0;
      fault(kRepFields, RS_STATUS_INVALID_CONTROL, "rep count 0");
    } else {
      start = count + below(RS_HC_REP_COUNT_FIELD_MAX + 1 - count);
      fault(kRepFields, RS_STATUS_INVALID_CONTROL, "rep start past the count");
    }
  }
  call.control = RS_HC_CONTROL(code, fast, count, start) | reserved;
  const bool page_regs[2] = {form.input_page, form.output_page};
  for (unsigned i = 0; i < 4; ++i) {
    const bool used = (form.used_args & (1u << i)) != 0;
    if (!used && call.args[i] == 0 && chance(kControlFault)) {
      call.args[i] = any() | 1;
      fault(kArgs, RS_STATUS_RESERVED_NONZERO, "unused argument register set");
    }
    if (i < 2 && page_regs[i]) {
      if (chance(kControlFault)) {
        call.args[i] = bad_page(i == 0);
      } else {
        call.flags |= i == 0 ? HVROOT_RAW_INPUT_PAGE : HVROOT_RAW_OUTPUT_PAGE;
      }
    }
  }
  const auto first =
      std::min_element(faults_.begin(), faults_.end(),
                       [](const Fault& a, const Fault& b) { return a.rank < b.rank; });
  call.name = std::move(name);
  if (first == faults_.end()) {
    call.name += ", valid";
    call.expect = RS_STATUS_SUCCESS;
  } else {
    call.name += ", " + first->what;
    call.expect = first->status;
    call.expect_detail = first->detail;
  }
  return call;
}

// ---- One template per call ----

Call get_version(Builder& b) {
  return b.finish("GET_VERSION", RS_HC_GET_VERSION);
}

Call check_invariants(Builder& b) {
  return b.finish("CHECK_INVARIANTS", RS_HC_CHECK_INVARIANTS);
}

Call partition_create(Builder& b, const Targets& t) {
  if (b.chance(0.5)) {
    b.call.args[0] = b.any() | 1;
    b.fault(kReserved, RS_STATUS_RESERVED_NONZERO, "create flags");
  } else if (t.live_partitions >= t.partition_limit) {
    b.fault(kReserved + 1, RS_STATUS_LIMIT_REACHED, "at the partition limit");
  }
  return b.finish("PARTITION_CREATE", RS_HC_PARTITION_CREATE);
}

Call partition_destroy(Builder& b, const Targets& t) {
  // Never a live partition: destroying the driver's would break it, the scratch one the stream.
  b.call.args[0] = b.pick({uint64_t{0}, t.dead, ~uint64_t{0}, b.any() | uint64_t{1} << 40});
  b.fault(kPartition, RS_STATUS_INVALID_PARTITION_ID, "dead partition");
  return b.finish("PARTITION_DESTROY", RS_HC_PARTITION_DESTROY);
}

Call partition_query(Builder& b, const Targets& t) {
  b.call.args[0] = b.partition({t.child_a, t.child_b, t.scratch});
  return b.finish("PARTITION_QUERY", RS_HC_PARTITION_QUERY);
}

Call map_gpa(Builder& b, const Targets& t) {
  rs_hc_map_gpa_input in{};
  in.partition_id = b.partition({t.child_a, t.child_b, t.scratch});
  in.flags = RS_ACCESS_READ | static_cast<uint32_t>(b.below(4)) << 1;
  const bool large = b.chance(0.2);
  if (large) in.flags |= RS_MAP_LARGE;
  if (b.chance(kCallFault)) {
    in.reserved0 = static_cast<uint32_t>(b.any() | 1);
    b.fault(kReserved, RS_STATUS_RESERVED_NONZERO, "map reserved0");
  }
  if (b.chance(kCallFault)) {
    in.reserved1 = b.any() | 1;
    b.fault(kReserved, RS_STATUS_RESERVED_NONZERO, "map reserved1");
  }
  if (b.chance(kCallFault)) {
    in.flags |= b.pick({0x8u, 0x10u, 0x80u, 0x200u, 0x80000000u});
    b.fault(kReserved, RS_STATUS_RESERVED_NONZERO, "map flag undefined");
  }
  if (b.chance(kCallFault)) {
    in.flags &= ~RS_ACCESS_READ;
    b.fault(kParameter, RS_STATUS_INVALID_PARAMETER, "map without read");
  }
  const uint64_t size = large ? k2MiB : RS_HC_PAGE_SIZE;
  const auto [count, start] = b.reps(RS_HC_MAP_GPA_MAX_REPS);
  in.gpa_base = b.gpa(size);
  const bool driver_partition = in.partition_id == t.child_a || in.partition_id == t.child_b;
  b.gpa_faults(in.gpa_base, size, count, start, driver_partition ? t.mapped_bytes : 0);
  for (uint64_t& f : in.frames) f = b.bad_frame();
  b.frame_fault(in.frames[start], start, size, kElement);
  b.call.input = bytes_of(in);
  return b.finish("MAP_GPA_RANGE", RS_HC_MAP_GPA_RANGE, count, start);
}

Call unmap_gpa(Builder& b, const Targets& t) {
  b.call.args[0] = b.partition({t.scratch});
  uint64_t flags = b.chance(0.2) ? RS_MAP_LARGE : 0;
  if (b.chance(kCallFault)) {
    flags |= b.pick({0x1ull, 0x2ull, 0x4ull, 0x80ull, 0x200ull, 1ull << 63});
    b.fault(kReserved, RS_STATUS_RESERVED_NONZERO, "unmap flag undefined");
  }
  const uint64_t size = (flags & RS_MAP_LARGE) != 0 ? k2MiB : RS_HC_PAGE_SIZE;
  const auto [count, start] = b.reps(RS_HC_UNMAP_GPA_MAX_REPS);
  b.call.args[1] = b.gpa(size);
  b.call.args[2] = flags;
  b.gpa_faults(b.call.args[1], size, count, start, 0);
  // The scratch partition has nothing mapped.
  b.fault(kElement + 2 * static_cast<int>(start), RS_STATUS_GPA_NOT_MAPPED, "nothing mapped",
          static_cast<uint16_t>(start + 1));
  return b.finish("UNMAP_GPA_RANGE", RS_HC_UNMAP_GPA_RANGE, count, start);
}

Call deposit(Builder& b, const Targets& t) {
  rs_hc_deposit_input in{};
  in.partition_id = b.partition({t.child_a, t.child_b, t.scratch});
  if (b.chance(kCallFault)) {
    in.reserved0 = b.any() | 1;
    b.fault(kReserved, RS_STATUS_RESERVED_NONZERO, "deposit reserved0");
  }
  const auto [count, start] = b.reps(RS_HC_DEPOSIT_MAX_REPS);
  for (uint64_t& f : in.frames) f = b.bad_frame();
  b.frame_fault(in.frames[start], start, RS_HC_PAGE_SIZE, kElement);
  b.call.input = bytes_of(in);
  return b.finish("DEPOSIT_MEMORY", RS_HC_DEPOSIT_MEMORY, count, start);
}

Call withdraw(Builder& b, const Targets& t) {
  rs_hc_withdraw_input in{};
  in.partition_id = b.partition({t.scratch});  // never the driver's deposits
  if (b.chance(kCallFault)) {
    in.reserved0 = b.any() | 1;
    b.fault(kReserved, RS_STATUS_RESERVED_NONZERO, "withdraw reserved0");
  }
  const auto [count, start] = b.reps(RS_HC_WITHDRAW_MAX_REPS);
  b.call.input = bytes_of(in);
  return b.finish("WITHDRAW_MEMORY", RS_HC_WITHDRAW_MEMORY, count, start);
}

// A VP index for `partition`: on the driver's partitions VP 0 exists; the scratch one has none.
uint32_t vp_index(Builder& b, const Targets& t, uint64_t partition, bool allow_vp0) {
  const bool driver = partition == t.child_a || partition == t.child_b;
  if (b.chance(kCallFault)) {
    b.fault(kVpIndex, RS_STATUS_INVALID_VP_INDEX, "vp index beyond the limit");
    return static_cast<uint32_t>(t.vp_limit + b.below(4));
  }
  if (driver && allow_vp0 && b.chance(0.8)) return 0;
  if (driver && t.vp_limit <= 1) {  // no index but 0 below the limit
    b.fault(kVpIndex, RS_STATUS_INVALID_VP_INDEX, "vp index beyond the limit");
    return t.vp_limit;
  }
  const auto index =
      static_cast<uint32_t>(driver ? 1 + b.below(t.vp_limit - 1) : b.below(t.vp_limit));
  b.fault(kVpIndex, RS_STATUS_INVALID_VP_INDEX, "vp never created");
  return index;
}

Call vp_create(Builder& b, const Targets& t) {
  const uint64_t p = b.partition({t.child_a, t.child_b, t.scratch});
  const bool driver = p == t.child_a || p == t.child_b;
  uint32_t index;
  if (b.chance(kCallFault)) {
    index = static_cast<uint32_t>(t.vp_limit + b.below(4));
    b.fault(kVpIndex, RS_STATUS_INVALID_VP_INDEX, "vp index beyond the limit");
  } else {
    index = static_cast<uint32_t>(b.below(t.vp_limit));
    if (driver && index == 0) b.fault(kExists, RS_STATUS_EXISTS, "vp exists");
  }
  const uint64_t run_page = b.bad_frame();
  if (run_page % RS_HC_PAGE_SIZE != 0) {
    b.fault(kGpaMisaligned, RS_STATUS_MISALIGNED, "run page misaligned");
  } else {
    b.fault(kRunPage, RS_STATUS_FRAME_NOT_OWNED, "run page not the root's");
  }
  b.call.args = {p, index, run_page, 0};
  return b.finish("VP_CREATE", RS_HC_VP_CREATE);
}

Call vp_destroy(Builder& b, const Targets& t) {
  const uint64_t p = b.partition({t.child_a, t.child_b, t.scratch});
  b.call.args = {p, vp_index(b, t, p, false), 0, 0};
  return b.finish("VP_DESTROY", RS_HC_VP_DESTROY);
}

Call vp_run(Builder& b, const Targets& t) {
  const uint64_t p = b.partition({t.child_a, t.child_b, t.scratch});
  uint64_t flags = 0;
  if (b.chance(kCallFault)) {
    flags = b.any() | (1ull << 63);  // beyond RS_VP_RUN_FLAGS_VALID
    b.fault(kReserved, RS_STATUS_RESERVED_NONZERO, "run flags");
  }
  // VP 0 of a driver partition only with flags set: a valid run would enter the driver's VP.
  b.call.args = {p, vp_index(b, t, p, flags != 0), flags, 0};
  return b.finish("VP_RUN", RS_HC_VP_RUN);
}

uint64_t inject_event(Builder& b) {
  // Never a valid NMI or exception: those would stay pending and change later answers.
  uint64_t vector = 32 + b.below(224), type = RS_EVENT_TYPE_INTERRUPT;
  bool with_code = false;
  if (b.chance(0.4)) {
    switch (b.below(8)) {
      case 0:
        type = b.pick({1ull, 4ull, 5ull, 6ull, 7ull});
        break;
      case 1:
        vector = b.below(32);
        break;
      case 2:
        with_code = true;
        break;
      case 3:
        type = RS_EVENT_TYPE_NMI;
        vector = b.pick({0ull, 3ull, 32ull, 255ull});
        break;
      case 4:
        type = RS_EVENT_TYPE_NMI;
        vector = 2;
        with_code = true;
        break;
      case 5:
        type = RS_EVENT_TYPE_EXCEPTION;
        vector = b.pick({2ull, 32ull, 100ull, 255ull});
        break;
      case 6:
        type = RS_EVENT_TYPE_EXCEPTION;
        vector = b.pick({8ull, 10ull, 13ull, 14ull, 17ull, 21ull, 29ull, 30ull});  // need a code
        break;
      default:
        type = RS_EVENT_TYPE_EXCEPTION;
        vector = b.pick({0ull, 1ull, 3ull, 6ull, 7ull, 16ull, 18ull, 19ull});  // take none
        with_code = true;
        break;
    }
    b.fault(kParameter, RS_STATUS_INVALID_PARAMETER, "event not allowed");
  }
  uint64_t event = vector | type << RS_EVENT_TYPE_SHIFT |
                   (with_code ? RS_EVENT_ERROR_CODE_VALID | (b.below(65536) << 32) : 0);
  if (b.chance(kCallFault)) {
    event |= (b.below(0xfffff) + 1) << 12;
    b.fault(kReserved, RS_STATUS_RESERVED_NONZERO, "event bits 31:12");
  }
  if (!with_code && b.chance(kCallFault)) {
    event |= (b.below(0xffffffff) + 1) << RS_EVENT_ERROR_CODE_SHIFT;
    b.fault(kReserved, RS_STATUS_RESERVED_NONZERO, "error code without its flag");
  }
  return event;
}

Call vp_inject(Builder& b, const Targets& t) {
  const uint64_t p = b.partition({t.child_b, t.scratch});
  const uint32_t index = vp_index(b, t, p, true);
  b.call.args = {p, index, inject_event(b), 0};
  return b.finish("VP_INJECT", RS_HC_VP_INJECT);
}

Call get_registers(Builder& b, const Targets& t) {
  rs_hc_get_registers_input in{};
  in.partition_id = b.partition({t.child_a, t.scratch});
  in.vp_index = vp_index(b, t, in.partition_id, true);
  if (b.chance(kCallFault)) {
    in.reserved0 = static_cast<uint32_t>(b.any() | 1);
    b.fault(kReserved, RS_STATUS_RESERVED_NONZERO, "get reserved0");
  }
  const auto [count, start] = b.reps(RS_HC_REGISTERS_MAX_REPS);
  for (uint32_t& n : in.names) n = b.pick(kReadableNames);
  if (b.chance(kCallFault)) {
    const uint64_t j = start + b.below(count - start);
    in.names[j] = b.pick(kBadNames);
    b.fault(kElement + 2 * static_cast<int>(j) + 1, RS_STATUS_INVALID_PARAMETER, "no such register",
            static_cast<uint16_t>(j + 1));
  }
  b.call.input = bytes_of(in);
  return b.finish("VP_GET_REGISTERS", RS_HC_VP_GET_REGISTERS, count, start);
}

Call set_registers(Builder& b, const Targets& t) {
  rs_hc_set_registers_input in{};
  in.partition_id = b.partition({t.child_b, t.scratch});
  in.vp_index = vp_index(b, t, in.partition_id, true);
  if (b.chance(kCallFault)) {
    in.reserved0 = static_cast<uint32_t>(b.any() | 1);
    b.fault(kReserved, RS_STATUS_RESERVED_NONZERO, "set reserved0");
  }
  // Distinct names, each with any value it may take: the 16 GPRs and RIP, shuffled.
  uint32_t names[17];
  for (uint32_t i = 0; i < 16; ++i) names[i] = RS_REG_RAX + i;
  names[16] = RS_REG_RIP;
  std::shuffle(std::begin(names), std::end(names), std::mt19937_64(b.any()));
  const uint64_t count = 1 + b.below(17);
  const uint64_t start = b.chance(0.7) ? 0 : b.below(count);
  for (uint64_t i = 0; i < count; ++i) {
    in.elements[i].name = names[i];
    in.elements[i].value.scalar.value = b.any();
  }
  if (b.chance(kCallFault)) {
    const uint64_t j = start + b.below(count - start);
    rs_hc_register_assoc& e = in.elements[j];
    const int rank = kElement + 2 * static_cast<int>(j);
    const auto detail = static_cast<uint16_t>(j + 1);
    switch (b.below(6)) {
      case 0:
        e.reserved0 = static_cast<uint32_t>(b.any() | 1);
        b.fault(rank, RS_STATUS_RESERVED_NONZERO, "element reserved0", detail);
        break;
      case 1:
        e.value.scalar.reserved0 = b.any() | 1;
        b.fault(rank, RS_STATUS_RESERVED_NONZERO, "value's upper half", detail);
        break;
      case 2:
        e.name = b.pick(kBadNames);
        b.fault(rank + 1, RS_STATUS_INVALID_PARAMETER, "no such register", detail);
        break;
      case 3:
        e.name = RS_REG_RFLAGS;
        e.value.scalar.value =
            b.pick({0ull, 0x8ull | 2, 0x20ull | 2, 0x8000ull | 2, 2 | 1ull << 22});
        b.fault(rank + 1, RS_STATUS_INVALID_PARAMETER, "RFLAGS value", detail);
        break;
      case 4:
        e.name = RS_REG_CR8;
        e.value.scalar.value = 16 + b.below(1000);
        b.fault(rank + 1, RS_STATUS_INVALID_PARAMETER, "CR8 value", detail);
        break;
      default:
        if (j == start) {  // nothing before it to repeat: make it reserved instead
          e.reserved0 = 1;
          b.fault(rank, RS_STATUS_RESERVED_NONZERO, "element reserved0", detail);
        } else {
          e.name = in.elements[start + b.below(j - start)].name;
          b.fault(rank + 1, RS_STATUS_INVALID_PARAMETER, "name twice");  // which is blamed: open
        }
        break;
    }
  }
  b.call.input = bytes_of(in);
  return b.finish("VP_SET_REGISTERS", RS_HC_VP_SET_REGISTERS, count, start);
}

}  // namespace

Call random_call(const Targets& t, Rng& rng) {
  Builder b(t, rng);
  // CHECK_INVARIANTS walks all of memory: about one call in 5000.
  const uint64_t which = b.below(5000) == 0 ? 99 : b.below(15);
  switch (which) {
    case 0:
      return get_version(b);
    case 1:
      return partition_create(b, t);
    case 2:
      return partition_destroy(b, t);
    case 3:
      return partition_query(b, t);
    case 4:
      return map_gpa(b, t);
    case 5:
      return unmap_gpa(b, t);
    case 6:
      return deposit(b, t);
    case 7:
      return withdraw(b, t);
    case 8:
      return vp_create(b, t);
    case 9:
      return vp_destroy(b, t);
    case 10:
      return vp_run(b, t);
    case 11:
      return vp_inject(b, t);
    case 12:
      return get_registers(b, t);
    case 13:
      return set_registers(b, t);
    case 14:
      return get_version(b);
    default:
      return check_invariants(b);
  }
}

}  // namespace rootstock::selftest::abuse
