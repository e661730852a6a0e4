// MOV to CRn decoded from the bytes at RIP (hv's CR4-write intercept without decode assists).
#include <catch2/catch_test_macros.hpp>
#include <cstdint>
#include <vector>

#include <rootstock/x86/control_register.hpp>

using rootstock::x86::CpuMode;
using rootstock::x86::decode_mov_to_cr;
using rootstock::x86::DecodeStatus;
using rootstock::x86::MovToControlRegister;

namespace {

DecodeStatus decode(std::vector<uint8_t> bytes, CpuMode mode, MovToControlRegister& out) {
  return decode_mov_to_cr(bytes.data(), bytes.size(), mode, out);
}

}  // namespace

TEST_CASE("x86: MOV to CR4 in every mode", "[x86][decoder]") {
  MovToControlRegister m;
  REQUIRE(decode({0x0f, 0x22, 0xe0}, CpuMode::k64Bit, m) == DecodeStatus::kOk);  // mov %rax,%cr4
  CHECK(m.cr == 4);
  CHECK(m.gpr == 0);
  CHECK(m.size == 8);
  CHECK(m.length == 3);
  REQUIRE(decode({0x41, 0x0f, 0x22, 0xe7}, CpuMode::k64Bit, m) == DecodeStatus::kOk);  // %r15
  CHECK(m.cr == 4);
  CHECK(m.gpr == 15);
  CHECK(m.length == 4);
  REQUIRE(decode({0x0f, 0x22, 0xe3}, CpuMode::k32Bit, m) == DecodeStatus::kOk);  // %ebx
  CHECK(m.gpr == 3);
  CHECK(m.size == 4);
  // The mod bits are ignored: 0x22 with mod = 00 still names a register.
  REQUIRE(decode({0x0f, 0x22, 0x20}, CpuMode::k64Bit, m) == DecodeStatus::kOk);
  CHECK(m.cr == 4);
  CHECK(m.gpr == 0);
  // REX.R: CR8+; LOCK: AMD's CR8 encoding outside 64-bit mode.
  REQUIRE(decode({0x44, 0x0f, 0x22, 0xc0}, CpuMode::k64Bit, m) == DecodeStatus::kOk);
  CHECK(m.cr == 8);
  REQUIRE(decode({0xf0, 0x0f, 0x22, 0xc1}, CpuMode::k32Bit, m) == DecodeStatus::kOk);
  CHECK(m.cr == 8);
  CHECK(m.gpr == 1);
}

TEST_CASE("x86: anything but MOV to CRn is refused", "[x86][decoder]") {
  MovToControlRegister m;
  CHECK(decode({0x0f, 0x20, 0xe0}, CpuMode::k64Bit, m) == DecodeStatus::kUnsupported);  // from CR
  CHECK(decode({0x89, 0xc0}, CpuMode::k64Bit, m) == DecodeStatus::kUnsupported);
  CHECK(decode({0x0f}, CpuMode::k64Bit, m) == DecodeStatus::kTruncated);
  CHECK(decode({0x0f, 0x22}, CpuMode::k64Bit, m) == DecodeStatus::kTruncated);
  CHECK(decode({}, CpuMode::k64Bit, m) == DecodeStatus::kTruncated);
  CHECK(decode({0x41, 0x66, 0x0f, 0x22, 0xe0}, CpuMode::k64Bit, m) == DecodeStatus::kInvalid);
  std::vector<uint8_t> long_one(14, 0x66);
  long_one.insert(long_one.end(), {0x0f, 0x22, 0xe0});
  CHECK(decode(long_one, CpuMode::k64Bit, m) == DecodeStatus::kInvalid);  // over 15 bytes
  // In 32-bit mode 0x41 is INC ECX, not REX.
  CHECK(decode({0x41, 0x0f, 0x22, 0xe0}, CpuMode::k32Bit, m) == DecodeStatus::kUnsupported);
}
