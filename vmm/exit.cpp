#include "vmm/exit.hpp"

#include <algorithm>
#include <string>

namespace rootstock::vmm {

const char* exit_name(uint32_t reason) {
  switch (reason) {
    case RS_EXIT_NONE:
      return "none";
    case RS_EXIT_IO:
      return "io";
    case RS_EXIT_MEMORY:
      return "memory";
    case RS_EXIT_HALT:
      return "halt";
    case RS_EXIT_SHUTDOWN:
      return "shutdown";
    case RS_EXIT_HYPERCALL:
      return "hypercall";
    case RS_EXIT_UNSUPPORTED:
      return "unsupported";
    case RS_EXIT_INVALID_STATE:
      return "invalid-state";
    case RS_EXIT_DOORBELL:
      return "doorbell";
    default:
      return "unknown";
  }
}

Result<x86::CpuMode> decoder_mode(uint8_t cpu_mode) {
  switch (cpu_mode) {
    case RS_CPU_MODE_REAL:
    case RS_CPU_MODE_PROT16:
      return x86::CpuMode::k16Bit;
    case RS_CPU_MODE_PROT32:
      return x86::CpuMode::k32Bit;
    case RS_CPU_MODE_LONG64:
      return x86::CpuMode::k64Bit;
    default:
      return fail("run page cpu_mode " + std::to_string(cpu_mode) + " is not an RS_CPU_MODE_*");
  }
}

namespace {

Result<IoExit> decode_io(const rs_run_page& page) {
  const rs_exit_io& raw = page.exit.io;
  IoExit io;
  io.port = raw.port;
  io.size = raw.size;
  io.in = raw.direction == RS_IO_IN;
  io.instruction_length = page.instruction_length;
  if (raw.size != 1 && raw.size != 2 && raw.size != 4) {
    return fail("io exit with size " + std::to_string(raw.size));
  }
  if (raw.direction != RS_IO_IN && raw.direction != RS_IO_OUT) {
    return fail("io exit with direction " + std::to_string(raw.direction));
  }
  if (io.instruction_length == 0) return fail("io exit without an instruction length");
  const uint64_t mask = raw.size == 4 ? 0xffffffffull : (1ull << (raw.size * 8)) - 1;
  io.data = static_cast<uint32_t>(raw.data & mask);
  return io;
}

Result<MemoryExit> decode_memory(const rs_run_page& page) {
  const rs_exit_memory& raw = page.exit.memory;
  MemoryExit m;
  m.gpa = raw.gpa;
  m.access = raw.access;
  m.mapped = (raw.flags & RS_MEMORY_MAPPED) != 0;
  if (raw.access != RS_ACCESS_READ && raw.access != RS_ACCESS_WRITE &&
      raw.access != RS_ACCESS_EXECUTE) {
    return fail("memory exit with access " + std::to_string(raw.access));
  }
  if (raw.instruction_byte_count > m.bytes.size()) {
    return fail("memory exit with " + std::to_string(raw.instruction_byte_count) +
                " instruction bytes (at most 15)");
  }
  auto mode = decoder_mode(page.cpu_mode);
  if (!mode) return std::unexpected(mode.error());
  m.mode = *mode;
  m.byte_count = raw.instruction_byte_count;
  std::copy_n(raw.instruction_bytes, m.byte_count, m.bytes.begin());
  return m;
}

}  // namespace

Result<Exit> decode_exit(const rs_run_page& page) {
  Exit e;
  e.reason = page.exit_reason;
  e.rip = page.regs.rip;
  switch (page.exit_reason) {
    case RS_EXIT_IO: {
      auto io = decode_io(page);
      if (!io) return std::unexpected(io.error());
      e.kind = ExitKind::kIo;
      e.io = *io;
      return e;
    }
    case RS_EXIT_MEMORY: {
      auto m = decode_memory(page);
      if (!m) return std::unexpected(m.error());
      e.kind = ExitKind::kMemory;
      e.memory = *m;
      return e;
    }
    case RS_EXIT_HALT:
      e.kind = ExitKind::kHalt;
      return e;
    case RS_EXIT_SHUTDOWN:
      e.kind = ExitKind::kShutdown;
      return e;
    case RS_EXIT_HYPERCALL:
      e.kind = ExitKind::kHypercall;
      return e;
    case RS_EXIT_UNSUPPORTED:
    case RS_EXIT_INVALID_STATE:
      e.kind = page.exit_reason == RS_EXIT_UNSUPPORTED ? ExitKind::kUnsupported
                                                       : ExitKind::kInvalidState;
      e.hardware = page.exit.hardware;
      return e;
    case RS_EXIT_DOORBELL: {
      const rs_exit_doorbell& raw = page.exit.doorbell;
      if (raw.length != 1 && raw.length != 2 && raw.length != 4 && raw.length != 8) {
        return fail("doorbell exit with length " + std::to_string(raw.length));
      }
      e.kind = ExitKind::kDoorbell;
      e.doorbell = {raw.gpa, raw.length, raw.value & (~0ull >> (64 - 8 * raw.length))};
      return e;
    }
    case RS_EXIT_NONE:
      return fail("HVROOT_RUN_VP returned without an exit (exit_reason none)");
    default:
      return fail("exit reason " + std::to_string(page.exit_reason) +
                  " is not defined by hypercall ABI 1.3");
  }
}

}  // namespace rootstock::vmm
