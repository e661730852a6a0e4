// Fuzzes the VMM's reading of a run page hv filled (vmm/exit.hpp), the completion it writes
// back (vmm/completion.hpp) and its log line for an exit (vmm/exit_report.hpp): the run page is
// shared with hv, so every byte of it is input.
//
// Input: the run page's first bytes (the rest is zero); bytes past 4 KiB are what the devices
// answer to loads. Checked: decode_exit() accepts only the documented values; an IN completes
// with no bits above its size; an MMIO completion touches the device once per access of its
// decoded size, changes at most one GPR, only RFLAGS' status flags, and moves RIP by the
// instruction's length within the mode's address width; a refused MMIO exit changes neither the
// page nor the device.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include <rootstock/hypercall_abi.h>
#include <rootstock/x86/emulate.hpp>

#include "vmm/completion.hpp"
#include "vmm/exit.hpp"
#include "vmm/exit_report.hpp"
#include "vmm/vp.hpp"

using namespace rootstock;
using namespace rootstock::vmm;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

bool valid_size(uint8_t size) {
  return size == 1 || size == 2 || size == 4 || size == 8;
}

// A device that answers loads from the input's tail and counts what it is asked.
class Device final : public PortIoHandler, public MmioHandler {
 public:
  Device(const uint8_t* answers, size_t count) : answers_(answers), count_(count) {}

  Next out(uint16_t, uint8_t size, uint32_t) override {
    check(size == 1 || size == 2 || size == 4);
    ++accesses;
    return next();
  }
  uint32_t in(uint16_t, uint8_t size) override {
    check(size == 1 || size == 2 || size == 4);
    ++accesses;
    return static_cast<uint32_t>(answer());
  }
  uint64_t read(uint64_t, uint8_t size) override {
    check(valid_size(size));
    ++accesses;
    return answer();
  }
  Next write(uint64_t, uint8_t size, uint64_t) override {
    check(valid_size(size));
    ++accesses;
    return next();
  }

  unsigned accesses = 0;

 private:
  // All bits set above the access size too: the completion must cut them off.
  uint64_t answer() {
    uint64_t v = ~uint64_t{0};
    if (count_ != 0) {
      for (unsigned i = 0; i < 8; ++i) v = v << 8 | answers_[(used_ + i) % count_];
      used_ += 8;
    }
    return v;
  }
  Next next() { return (accesses & 1) != 0 ? Next::kContinue : Next::kStop; }

  const uint8_t* answers_;
  size_t count_;
  size_t used_ = 0;
};

void check_mmio(const MemoryExit& m, rs_run_page& page, Device& device) {
  const rs_run_page before = page;
  auto done = complete_mmio(m, device, page);
  if (!done) {
    check(!describe(done.error()).empty());
    check(std::memcmp(&before, &page, sizeof(page)) == 0);
    check(device.accesses == 0);
    return;
  }
  if (m.byte_count == 0) {  // hv fetched nothing: resumed as it is (completion.hpp)
    check(m.access != RS_ACCESS_EXECUTE);
    check(*done == Next::kContinue);
    check(device.accesses == 0);
    rs_run_page expected = before;
    expected.completion = RS_RUN_COMPLETE_NONE;
    check(std::memcmp(&expected, &page, sizeof(page)) == 0);
    return;
  }
  x86::DecodedAccess a;
  check(x86::decode(m.bytes.data(), m.byte_count, m.mode, a) == x86::DecodeStatus::kOk);
  check(device.accesses == (a.kind == x86::DecodedAccess::Kind::kReadModifyWrite ? 2u : 1u));
  unsigned changed = 0;
  for (unsigned i = 0; i < 16; ++i) changed += page.regs.gpr[i] != before.regs.gpr[i] ? 1 : 0;
  check(changed <= 1);
  check((page.regs.rflags & ~x86::rflags::kStatus) == (before.regs.rflags & ~x86::rflags::kStatus));
  const uint64_t width_mask = m.mode == x86::CpuMode::k16Bit   ? 0xffff
                              : m.mode == x86::CpuMode::k32Bit ? 0xffffffff
                                                               : ~uint64_t{0};
  check(page.regs.rip == ((before.regs.rip + a.length) & width_mask));
  check((page.root_flags & RS_RUN_LOAD_REGS) != 0);
  check(page.completion == RS_RUN_COMPLETE_NONE);
}

VpExit::Kind report_kind(ExitKind kind) {
  switch (kind) {
    case ExitKind::kHalt:
      return VpExit::Kind::kHalt;
    case ExitKind::kShutdown:
      return VpExit::Kind::kShutdown;
    case ExitKind::kHypercall:
      return VpExit::Kind::kHypercall;
    case ExitKind::kUnsupported:
      return VpExit::Kind::kUnsupported;
    case ExitKind::kInvalidState:
      return VpExit::Kind::kInvalidState;
    case ExitKind::kIo:
    case ExitKind::kMemory:
    case ExitKind::kDoorbell:
      break;
  }
  return VpExit::Kind::kStopped;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rs_run_page page;
  std::memset(&page, 0, sizeof(page));
  const size_t head = size < sizeof(page) ? size : sizeof(page);
  std::memcpy(&page, data, head);
  Device device(data + head, size - head);

  auto exit = decode_exit(page);
  if (!exit) {
    check(!describe(exit.error()).empty());
    check(!exit_report(VpExit{VpExit::Kind::kUnsupported, Exit{}}, page).empty());
    return 0;
  }
  check(exit->reason == page.exit_reason && exit_name(exit->reason) != nullptr);
  switch (exit->kind) {
    case ExitKind::kIo: {
      const IoExit& io = exit->io;
      check(io.size == 1 || io.size == 2 || io.size == 4);
      check(io.instruction_length != 0);
      check(io.size == 4 || io.data >> (8 * io.size) == 0);
      (void)complete_io(io, device, page);
      check(device.accesses == 1 && page.completion == RS_RUN_COMPLETE_ADVANCE);
      if (io.in)
        check(io.size == 4 ? page.exit.io.data >> 32 == 0
                           : page.exit.io.data >> (8 * io.size) == 0);
      break;
    }
    case ExitKind::kMemory:
      check(exit->memory.byte_count <= x86::kMaxInstructionLength);
      check_mmio(exit->memory, page, device);
      break;
    case ExitKind::kDoorbell: {
      // Completed by hv: a size the ABI has, the value cut to it.
      const DoorbellExit& d = exit->doorbell;
      check(d.length == 1 || d.length == 2 || d.length == 4 || d.length == 8);
      check(d.length == 8 || d.value >> (8 * d.length) == 0);
      break;
    }
    default:
      break;
  }
  check(!exit_report(VpExit{report_kind(exit->kind), *exit}, page).empty());
  return 0;
}
