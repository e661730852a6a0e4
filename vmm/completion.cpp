#include "vmm/completion.hpp"

#include <rootstock/x86/emulate.hpp>

#include <cstdio>
#include <cstring>
#include <string>

namespace rootstock::vmm {
namespace {

using x86::DecodedAccess;

std::string hex_bytes(const MemoryExit& exit) {
  std::string s;
  for (uint8_t i = 0; i < exit.byte_count; ++i) {
    char b[4];
    std::snprintf(b, sizeof(b), "%s%02x", i == 0 ? "" : " ", exit.bytes[i]);
    s += b;
  }
  return s.empty() ? "none" : s;
}

std::string where(const MemoryExit& exit, const rs_run_page& page) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "gpa=0x%llx rip=0x%llx",
                static_cast<unsigned long long>(exit.gpa),
                static_cast<unsigned long long>(page.regs.rip));
  return std::string(buf) + " bytes=" + hex_bytes(exit);
}

// IP, EIP or RIP after the instruction: it wraps at the width of the code segment's addresses
// (SDM vol. 1, 3.5 and 3.6).
uint64_t advance(uint64_t rip, uint8_t length, x86::CpuMode mode) {
  const uint64_t next = rip + length;
  switch (mode) {
    case x86::CpuMode::k16Bit:
      return next & 0xffff;
    case x86::CpuMode::k32Bit:
      return next & 0xffffffff;
    case x86::CpuMode::k64Bit:
      break;
  }
  return next;
}

bool access_matches(DecodedAccess::Kind kind, uint8_t access) {
  switch (kind) {
    case DecodedAccess::Kind::kRead:
      return access == RS_ACCESS_READ;
    case DecodedAccess::Kind::kWrite:
      return access == RS_ACCESS_WRITE;
    case DecodedAccess::Kind::kReadModifyWrite:
      // The load faults first on an unmapped page, the store on a read-only one.
      return access == RS_ACCESS_READ || access == RS_ACCESS_WRITE;
  }
  return false;
}

}  // namespace

Next complete_io(const IoExit& io, PortIoHandler& ports, rs_run_page& page) {
  Next next = Next::kContinue;
  if (io.in) {
    const uint64_t mask = io.size == 4 ? 0xffffffffull : (1ull << (io.size * 8)) - 1;
    page.exit.io.data = ports.in(io.port, io.size) & mask;
  } else {
    next = ports.out(io.port, io.size, io.data);
  }
  page.completion = RS_RUN_COMPLETE_ADVANCE;
  return next;
}

Result<Next> complete_mmio(const MemoryExit& exit, MmioHandler& mmio, rs_run_page& page) {
  if (exit.access == RS_ACCESS_EXECUTE) {
    return fail("instruction fetch from guest-physical address without memory: " +
                where(exit, page));
  }
  if (exit.byte_count == 0) {
    // hv could read nothing at CS:RIP (hypercalls.md, "Instruction bytes"): the child's paging
    // or its memory changed between the access and the fetch. Nothing to emulate and nothing
    // wrong with the VM: the VP enters again at the same instruction, which either exits again
    // with its bytes or takes the child's own fault. (A child that keeps this up only spins its
    // own vCPU; each round passes through run(), so a stop still ends it.)
    page.completion = RS_RUN_COMPLETE_NONE;
    return Next::kContinue;
  }
  DecodedAccess a;
  switch (x86::decode(exit.bytes.data(), exit.byte_count, exit.mode, a)) {
    case x86::DecodeStatus::kOk:
      break;
    case x86::DecodeStatus::kTruncated:
      return fail("MMIO instruction cut short: hv fetched " + std::to_string(exit.byte_count) +
                  " bytes (the rest unmapped?): " + where(exit, page));
    case x86::DecodeStatus::kUnsupported: {
      char op[32];
      std::snprintf(op, sizeof(op), "opcode 0x%x", a.opcode);
      return fail(std::string("MMIO instruction not supported (") + op + "): " + where(exit, page));
    }
    case x86::DecodeStatus::kInvalid:
      return fail(std::string("MMIO instruction invalid (") +
                  x86::describe(x86::DecodeStatus::kInvalid) + "): " + where(exit, page));
  }
  if (!access_matches(a.kind, exit.access)) {
    return fail(std::string("the exit's access (") +
                (exit.access == RS_ACCESS_READ ? "read" : "write") +
                ") does not match the decoded instruction: " + where(exit, page));
  }

  x86::Gprs gprs;
  static_assert(sizeof(gprs.r) == sizeof(page.regs.gpr), "Gprs and the run page's GPRs agree");
  std::memcpy(gprs.r, page.regs.gpr, sizeof(gprs.r));
  uint64_t rflags = page.regs.rflags;
  Next next = Next::kContinue;
  switch (a.kind) {
    case DecodedAccess::Kind::kWrite:
      next = mmio.write(exit.gpa, a.size, x86::store_value(a, gprs));
      break;
    case DecodedAccess::Kind::kRead:
      (void)x86::complete_load(a, mmio.read(exit.gpa, a.size), gprs, rflags);
      break;
    case DecodedAccess::Kind::kReadModifyWrite: {
      const uint64_t stored = x86::complete_load(a, mmio.read(exit.gpa, a.size), gprs, rflags);
      next = mmio.write(exit.gpa, a.size, stored);
      break;
    }
  }
  std::memcpy(page.regs.gpr, gprs.r, sizeof(gprs.r));
  page.regs.rflags = rflags;
  page.regs.rip = advance(page.regs.rip, a.length, exit.mode);
  page.root_flags |= RS_RUN_LOAD_REGS;
  page.completion = RS_RUN_COMPLETE_NONE;
  return next;
}

}  // namespace rootstock::vmm
