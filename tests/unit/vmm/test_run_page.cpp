// The run page as bytes (docs/hypercalls.md §7, the offset table): exits written at the
// documented offsets decode to the right fields, completions land at the documented offsets,
// and fields outside their documented values are refused instead of acted on.
#include <catch2/catch_test_macros.hpp>
#include <cstring>
#include <string>

#include "vmm/completion.hpp"
#include "vmm/exit.hpp"

using namespace rootstock::vmm;

namespace {

// A run page built and read as raw bytes, the way hv and the driver see it.
struct RawPage {
  alignas(4096) uint8_t bytes[4096] = {};

  template <typename T>
  void put(size_t offset, T value) {
    std::memcpy(bytes + offset, &value, sizeof(T));
  }
  template <typename T>
  T get(size_t offset) const {
    T value;
    std::memcpy(&value, bytes + offset, sizeof(T));
    return value;
  }
  rs_run_page& page() { return *reinterpret_cast<rs_run_page*>(bytes); }
};

// Offsets from the table in hypercalls.md §7.
constexpr size_t kExitReason = 0x004;
constexpr size_t kCpuMode = 0x018;
constexpr size_t kInstructionLength = 0x01a;
constexpr size_t kRegs = 0x040;
constexpr size_t kRip = kRegs + 16 * 8;
constexpr size_t kRflags = kRip + 8;
constexpr size_t kCompletion = 0x100;
constexpr size_t kRootFlags = 0x104;
constexpr size_t kExit = 0x140;

struct Ports final : PortIoHandler {
  uint32_t answer = 0;
  uint16_t last_port = 0;
  uint32_t last_value = 0;
  Next out(uint16_t port, uint8_t, uint32_t value) override {
    last_port = port;
    last_value = value;
    return Next::kContinue;
  }
  uint32_t in(uint16_t port, uint8_t) override {
    last_port = port;
    return answer;
  }
};

struct Mmio final : MmioHandler {
  uint64_t answer = 0;
  uint64_t read(uint64_t, uint8_t) override { return answer; }
  Next write(uint64_t, uint8_t, uint64_t) override { return Next::kContinue; }
};

void put_io(RawPage& raw, uint16_t port, uint8_t size, uint8_t direction, uint64_t data) {
  raw.put<uint32_t>(kExitReason, RS_EXIT_IO);
  raw.put<uint8_t>(kInstructionLength, 2);
  raw.put<uint16_t>(kExit + 0, port);
  raw.put<uint8_t>(kExit + 2, size);
  raw.put<uint8_t>(kExit + 3, direction);
  raw.put<uint64_t>(kExit + 8, data);
}

}  // namespace

TEST_CASE("run page: an IO exit at the documented offsets decodes and completes there") {
  RawPage raw;
  raw.put<uint64_t>(kRip, 0x1234);
  put_io(raw, 0x3f8, 1, RS_IO_OUT, 0xabcdef41);  // bytes above `size` are not the OUT's
  auto exit = decode_exit(raw.page());
  REQUIRE(exit);
  CHECK(exit->kind == ExitKind::kIo);
  CHECK(exit->rip == 0x1234);
  CHECK(exit->io.port == 0x3f8);
  CHECK(exit->io.size == 1);
  CHECK_FALSE(exit->io.in);
  CHECK(exit->io.data == 0x41);
  CHECK(exit->io.instruction_length == 2);
  Ports ports;
  CHECK(complete_io(exit->io, ports, raw.page()) == Next::kContinue);
  CHECK(ports.last_value == 0x41);
  CHECK(raw.get<uint32_t>(kCompletion) == RS_RUN_COMPLETE_ADVANCE);
  CHECK(raw.get<uint32_t>(kRootFlags) == 0);

  RawPage in;
  put_io(in, 0x71, 2, RS_IO_IN, 0);
  exit = decode_exit(in.page());
  REQUIRE(exit);
  CHECK(exit->io.in);
  ports.answer = 0x12345678;
  (void)complete_io(exit->io, ports, in.page());
  CHECK(ports.last_port == 0x71);
  CHECK(in.get<uint64_t>(kExit + 8) == 0x5678);  // IN data: only `size` bytes
  CHECK(in.get<uint32_t>(kCompletion) == RS_RUN_COMPLETE_ADVANCE);
}

TEST_CASE("run page: a memory exit decodes, and its completion loads regs at 0x040") {
  RawPage raw;
  raw.put<uint32_t>(kExitReason, RS_EXIT_MEMORY);
  raw.put<uint8_t>(kCpuMode, RS_CPU_MODE_LONG64);
  raw.put<uint64_t>(kRip, 0x10000);
  raw.put<uint64_t>(kRflags, 0x2);
  raw.put<uint64_t>(kRegs + 8 * RS_REG_RAX, ~0ull);
  raw.put<uint64_t>(kExit + 0, 0xd0000);
  raw.put<uint8_t>(kExit + 8, RS_ACCESS_READ);
  raw.put<uint8_t>(kExit + 10, 2);     // instruction_byte_count
  raw.put<uint8_t>(kExit + 16, 0x8b);  // mov eax, [rbx]
  raw.put<uint8_t>(kExit + 17, 0x03);
  raw.put<uint8_t>(kExit + 18, 0xcc);  // past the count: must not be used
  auto exit = decode_exit(raw.page());
  REQUIRE(exit);
  REQUIRE(exit->kind == ExitKind::kMemory);
  CHECK(exit->memory.gpa == 0xd0000);
  CHECK(exit->memory.access == RS_ACCESS_READ);
  CHECK(exit->memory.mode == rootstock::x86::CpuMode::k64Bit);
  CHECK(exit->memory.byte_count == 2);
  CHECK(exit->memory.bytes[2] == 0);
  Mmio mmio;
  mmio.answer = 0x5a17c0de;
  auto next = complete_mmio(exit->memory, mmio, raw.page());
  REQUIRE(next);
  CHECK(raw.get<uint64_t>(kRegs + 8 * RS_REG_RAX) == 0x5a17c0de);  // a 4-byte load clears 63:32
  CHECK(raw.get<uint64_t>(kRip) == 0x10002);
  CHECK(raw.get<uint32_t>(kRootFlags) == RS_RUN_LOAD_REGS);
  CHECK(raw.get<uint32_t>(kCompletion) == RS_RUN_COMPLETE_NONE);
}

TEST_CASE("run page: the exits returned to the caller carry their data") {
  RawPage raw;
  raw.put<uint32_t>(kExitReason, RS_EXIT_UNSUPPORTED);
  raw.put<uint32_t>(kExit + 0, RS_ARCH_SVM);
  raw.put<uint64_t>(kExit + 8, 0x7b);  // code
  raw.put<uint64_t>(kExit + 16, 0x11);
  auto exit = decode_exit(raw.page());
  REQUIRE(exit);
  CHECK(exit->kind == ExitKind::kUnsupported);
  CHECK(exit->hardware.arch == RS_ARCH_SVM);
  CHECK(exit->hardware.code == 0x7b);
  CHECK(exit->hardware.info1 == 0x11);

  for (const auto& [reason, kind] :
       {std::pair{RS_EXIT_HALT, ExitKind::kHalt}, std::pair{RS_EXIT_SHUTDOWN, ExitKind::kShutdown},
        std::pair{RS_EXIT_HYPERCALL, ExitKind::kHypercall},
        std::pair{RS_EXIT_INVALID_STATE, ExitKind::kInvalidState}}) {
    raw.put<uint32_t>(kExitReason, reason);
    exit = decode_exit(raw.page());
    REQUIRE(exit);
    CHECK(exit->kind == kind);
    CHECK(std::string(exit_name(reason)) != "unknown");
  }
}

TEST_CASE("run page: values outside the ABI are refused, not acted on") {
  RawPage raw;
  raw.put<uint32_t>(kExitReason, RS_EXIT_NONE);
  CHECK_FALSE(decode_exit(raw.page()));
  raw.put<uint32_t>(kExitReason, 99);
  auto unknown = decode_exit(raw.page());
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().what.find("99") != std::string::npos);

  RawPage io;
  put_io(io, 0x80, 3, RS_IO_OUT, 0);
  CHECK_FALSE(decode_exit(io.page()));
  put_io(io, 0x80, 1, 2, 0);
  CHECK_FALSE(decode_exit(io.page()));
  put_io(io, 0x80, 1, RS_IO_OUT, 0);
  io.put<uint8_t>(kInstructionLength, 0);  // ADVANCE would be refused by hv
  CHECK_FALSE(decode_exit(io.page()));

  RawPage mem;
  mem.put<uint32_t>(kExitReason, RS_EXIT_MEMORY);
  mem.put<uint8_t>(kCpuMode, RS_CPU_MODE_LONG64);
  mem.put<uint8_t>(kExit + 8, RS_ACCESS_READ | RS_ACCESS_WRITE);  // not one access
  CHECK_FALSE(decode_exit(mem.page()));
  mem.put<uint8_t>(kExit + 8, RS_ACCESS_READ);
  mem.put<uint8_t>(kExit + 10, 16);
  CHECK_FALSE(decode_exit(mem.page()));
  mem.put<uint8_t>(kExit + 10, 2);
  mem.put<uint8_t>(kCpuMode, 0);
  CHECK_FALSE(decode_exit(mem.page()));
  mem.put<uint8_t>(kCpuMode, 5);
  CHECK_FALSE(decode_exit(mem.page()));
}

TEST_CASE("run page: cpu_mode gives the decoder's default sizes") {
  using rootstock::x86::CpuMode;
  CHECK(decoder_mode(RS_CPU_MODE_REAL) == CpuMode::k16Bit);
  CHECK(decoder_mode(RS_CPU_MODE_PROT16) == CpuMode::k16Bit);
  CHECK(decoder_mode(RS_CPU_MODE_PROT32) == CpuMode::k32Bit);
  CHECK(decoder_mode(RS_CPU_MODE_LONG64) == CpuMode::k64Bit);
  CHECK_FALSE(decoder_mode(0));
}
