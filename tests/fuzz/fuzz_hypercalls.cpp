// Fuzzes hv's hypercall entry (hv/hypercall/dispatch.hpp) and the partition calls behind it
// (hv/partition/) with sequences of calls from the root, over a small host machine built like
// the unit tests' fake one (tests/unit/fake_machine.hpp; 2 MiB here instead of 64, since the
// machine is reset for every input).
//
// Input: a sequence of calls, each
//   byte    call: one of kCodes by index; 0xf0 and up: a raw 16-bit call code follows
//   byte    control bits: 0 flips the fast bit, 1 sets a reserved bit, 2-3 the mode of VP_RUN's
//           exit (see run_vp)
//   2 bytes rep count, rep start
//   4 args  RBX, RCX, RDX, RSI, each a value()
//   byte n  then n value()s: the input page's first 64-bit words, written to the frame RBX
//           names when it is RAM (page calls read their input page from RBX)
// where value() reads one byte: 00-3f that number; 40-7f a root frame of the pool (1 MiB on);
// 80-bf that many 4 KiB pages (a GPA); c0-fe 1 << (byte & 63); ff a raw 64-bit value follows.
//
// Checked after every call: CHECK_INVARIANTS reports no violation; a call that returns
// INSUFFICIENT_MEMORY or an error changed no frame's state or owner (the frame table), hid or
// showed nothing, wrote nothing to its output page and left its argument registers alone; and
// at the end, destroying every partition gives every frame back to the root.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <set>
#include <vector>

#include <rootstock/hypercall_abi.h>

#include "arch/x86/svm/svm_child.hpp"
#include "hypercall/dispatch.hpp"
#include "partition/partitions.hpp"

using hv::hypercall::HypercallRegisters;

namespace {

constexpr uint64_t kPage = 4096;
constexpr uint64_t kBytes = 2ull << 20;
constexpr uint64_t kHvBase = 3ull << 19;  // [1.5, 2) MiB is hv's, the rest the root's
constexpr uint64_t kPoolBase = 1ull << 20;

constexpr uint16_t kCodes[] = {
    RS_HC_GET_VERSION,         RS_HC_CHECK_INVARIANTS,   RS_HC_PARTITION_CREATE,
    RS_HC_PARTITION_DESTROY,   RS_HC_PARTITION_QUERY,    RS_HC_MAP_GPA_RANGE,
    RS_HC_UNMAP_GPA_RANGE,     RS_HC_DEPOSIT_MEMORY,     RS_HC_WITHDRAW_MEMORY,
    RS_HC_VP_CREATE,           RS_HC_VP_DESTROY,         RS_HC_VP_RUN,
    RS_HC_VP_GET_REGISTERS,    RS_HC_VP_SET_REGISTERS,   RS_HC_VP_INJECT,
    RS_HC_PARTITION_INTERRUPT, RS_HC_PARTITION_DOORBELL,
};
// The calls whose form is fast (docs/hypercalls.md §5), to get the fast bit right by default.
bool fast_form(uint16_t code) {
  switch (code) {
    case RS_HC_GET_VERSION:
    case RS_HC_PARTITION_CREATE:
    case RS_HC_PARTITION_DESTROY:
    case RS_HC_PARTITION_QUERY:
    case RS_HC_UNMAP_GPA_RANGE:
    case RS_HC_VP_CREATE:
    case RS_HC_VP_DESTROY:
    case RS_HC_VP_RUN:
    case RS_HC_VP_INJECT:
    case RS_HC_PARTITION_INTERRUPT:
    case RS_HC_PARTITION_DOORBELL:
      return true;
    default:
      return false;
  }
}
bool has_output_page(uint16_t code) {
  return code == RS_HC_CHECK_INVARIANTS || code == RS_HC_WITHDRAW_MEMORY ||
         code == RS_HC_VP_GET_REGISTERS;
}

void check(bool ok) {
  if (!ok) __builtin_trap();
}

// hv::Machine over a heap buffer (physical address = offset), as fake::FakeMachine.
class SmallMachine final : public hv::Machine {
 public:
  SmallMachine() : memory_(static_cast<uint8_t*>(std::aligned_alloc(kPage, kBytes))) { reset(); }
  ~SmallMachine() { std::free(memory_); }
  SmallMachine(const SmallMachine&) = delete;
  SmallMachine& operator=(const SmallMachine&) = delete;

  void reset() {
    std::memset(memory_, 0x11, kBytes);
    hidden.clear();
    errors = 0;
  }
  void* frame(uint64_t pa) override { return pa < kBytes ? memory_ + pa : nullptr; }
  bool hide_from_root(uint64_t pa) override {
    if (!hidden.insert(pa).second) ++errors;
    return true;
  }
  bool show_to_root(uint64_t pa) override {
    if (hidden.erase(pa) != 1) ++errors;
    return true;
  }
  void flush_guest_tlbs() override {}
  void kick_cpu(uint32_t) override {}

  std::set<uint64_t> hidden;
  uint64_t errors = 0;

 private:
  uint8_t* memory_;
};

// The input, read front to back; past its end everything reads 0.
class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool done() const { return at_ >= size_; }
  uint8_t byte() { return at_ < size_ ? data_[at_++] : 0; }
  uint64_t u64() {
    uint64_t v = 0;
    for (unsigned i = 0; i < 8; ++i) v |= uint64_t{byte()} << (8 * i);
    return v;
  }
  uint64_t value() {
    const uint8_t b = byte();
    if (b < 0x40) return b;
    if (b < 0x80) return kPoolBase + uint64_t{b & 0x3fu} * kPage;
    if (b < 0xc0) return uint64_t{b & 0x3fu} * kPage;
    if (b < 0xff) return uint64_t{1} << (b & 63);
    return u64();
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t at_ = 0;
};

// VP_RUN's guest execution: the exit a real VMRUN would have ended with, chosen by the input.
struct RunScript {
  uint8_t mode = 0;
  uint8_t detail = 0;
};

uint16_t run_vp(void* context, const hv::RunTicket& ticket, hv::LastExit& exit) {
  const auto& script = *static_cast<const RunScript*>(context);
  rs_run_page& page = *ticket.run_page;
  switch (script.mode) {
    case 0:
      return RS_STATUS_INTERRUPTED;
    case 1:
      exit.reason = RS_EXIT_IO;
      exit.instruction_length = static_cast<uint8_t>(1 + (script.detail & 1));
      exit.io_size = static_cast<uint8_t>(1u << ((script.detail >> 1) % 3));  // 1, 2 or 4
      exit.io_in = (script.detail & 0x80) != 0;
      break;
    case 2:
      exit.reason = RS_EXIT_HALT;
      break;
    default:
      exit.reason = (script.detail & 1) != 0 ? RS_EXIT_SHUTDOWN : RS_EXIT_MEMORY;
      break;
  }
  page.exit_reason = exit.reason;
  return RS_STATUS_SUCCESS;
}

// The machine: built once (Partitions alone is 2 MiB), then reset to the same state for every
// input so that a run depends on its input alone.
struct Machine {
  std::vector<uint16_t> storage = std::vector<uint16_t>(kBytes / kPage);
  rootstock::MemoryRange map[1] = {{0, kBytes, rootstock::MemoryType::kUsable}};
  rootstock::MemoryRange hv_range[1] = {
      {kHvBase, kBytes - kHvBase, rootstock::MemoryType::kReserved}};
  SmallMachine machine;
  hv::FrameTable table;
  hv::svm::SvmChildArch arch{hv::svm::ChildMaps{kHvBase, kHvBase + 0x4000}};
  std::optional<hv::Partitions> partitions;
  std::vector<uint8_t> scratch_in = std::vector<uint8_t>(kPage);
  std::vector<uint8_t> scratch_out = std::vector<uint8_t>(kPage);
  RunScript script;
  hv::hypercall::HypercallEnv env;
  uint64_t last_id = 0;  ///< the highest partition id PARTITION_CREATE gave

  void reset() {
    machine.reset();
    check(table.init(storage.data(), storage.size(), map, 1, hv_range, 1) ==
          hv::FrameTableStatus::kOk);
    partitions.reset();
    partitions.emplace(table, machine, arch);
    env = {};
    env.partitions = &*partitions;
    env.table = &table;
    env.machine = &machine;
    env.run_vp = run_vp;
    env.run_context = &script;
    env.scratch_in = scratch_in.data();
    env.scratch_out = scratch_out.data();
    last_id = 0;
  }
};

uint64_t call(Machine& m, uint64_t rax, uint64_t rbx = 0, uint64_t rcx = 0) {
  HypercallRegisters r{rax, rbx, rcx, 0, 0};
  hv::hypercall::dispatch(m.env, r);
  return r.rax;
}

void check_invariants(Machine& m) {
  rs_hc_invariants_output out;
  m.partitions->check_invariants(out);
  check(out.violations == 0);
  check(m.machine.errors == 0);
}

// One call from the input, with the checks around it.
void one_call(Machine& m, Reader& in) {
  const uint8_t pick = in.byte();
  const uint16_t code = pick >= 0xf0 ? static_cast<uint16_t>(in.byte() | in.byte() << 8)
                                     : kCodes[pick % std::size(kCodes)];
  const uint8_t bits = in.byte();
  const uint8_t rep_count = in.byte();
  const uint8_t rep_start = in.byte();
  uint64_t control = RS_HC_CONTROL(code, 0, rep_count, rep_start);
  if (fast_form(code) != ((bits & 1) != 0)) control |= RS_HC_CONTROL_FAST;
  if ((bits & 2) != 0) control |= uint64_t{1} << 63;
  m.script.mode = static_cast<uint8_t>(bits >> 2 & 3);
  m.script.detail = static_cast<uint8_t>(bits >> 4);
  HypercallRegisters r{control, in.value(), in.value(), in.value(), in.value()};
  // The root writes its input page before the call; it can write any frame but those hv hid
  // from it (deposited frames) and hv's own.
  const uint8_t words = in.byte();
  auto* input = static_cast<uint64_t*>(r.rbx % kPage == 0 && r.rbx < kHvBase &&
                                               m.machine.hidden.count(r.rbx) == 0
                                           ? m.machine.frame(r.rbx)
                                           : nullptr);
  for (uint8_t i = 0; i < words; ++i) {
    const uint64_t v = in.value();
    if (input != nullptr) input[i] = v;  // at most 255 of the page's 512 words
  }

  const std::vector<uint16_t> frames = m.storage;
  const std::set<uint64_t> hidden = m.machine.hidden;
  std::vector<uint8_t> output_page;
  auto* output = static_cast<const uint8_t*>(
      has_output_page(code) && r.rcx % kPage == 0 ? m.machine.frame(r.rcx) : nullptr);
  if (output != nullptr) output_page.assign(output, output + kPage);
  const HypercallRegisters before = r;

  hv::hypercall::dispatch(m.env, r);

  const uint64_t status = RS_HC_RESULT_STATUS(r.rax);
  if (code == RS_HC_PARTITION_CREATE && status == RS_STATUS_SUCCESS) {
    m.last_id = std::max(m.last_id, r.rbx);
  }
  if (status >= RS_STATUS_FIRST_ERROR || status == RS_STATUS_INSUFFICIENT_MEMORY) {
    check(m.storage == frames);
    check(m.machine.hidden == hidden);
    if (output != nullptr) check(std::memcmp(output, output_page.data(), kPage) == 0);
    check(r.rbx == before.rbx && r.rcx == before.rcx && r.rdx == before.rdx && r.rsi == before.rsi);
  }
  check_invariants(m);
}

// Destroys every partition (PARTITION_DESTROY until it is done with each).
void destroy_all(Machine& m) {
  const uint64_t destroy = RS_HC_CONTROL(RS_HC_PARTITION_DESTROY, RS_HC_CONTROL_FAST, 0, 0);
  for (unsigned guard = 0; m.partitions->live() != 0; ++guard) {
    check(guard < 1000);
    for (uint64_t id = 1; id <= m.last_id && m.partitions->live() != 0; ++id) {
      while (RS_HC_RESULT_STATUS(call(m, destroy, id)) == RS_STATUS_PARTIAL) {
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Machine* m = new Machine;  // never freed: libFuzzer exits without unwinding
  m->reset();
  const std::vector<uint16_t> initial = m->storage;
  Reader in(data, size);
  for (unsigned calls = 0; !in.done() && calls < 256; ++calls) one_call(*m, in);
  destroy_all(*m);
  check_invariants(*m);
  check(m->storage == initial);
  check(m->machine.hidden.empty());
  return 0;
}
