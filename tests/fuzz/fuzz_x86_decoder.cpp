// Fuzzes the MMIO instruction decoder and its completion helpers (rootstock/x86/decoder.hpp,
// emulate.hpp) over arbitrary bytes in every mode and arbitrary register state.
//
// Input: byte 0 selects the mode (mod 3); bytes 1-16 are the instruction bytes (fewer if the
// input ends); anything after byte 16 seeds the registers, RFLAGS and the loaded value.
// Checked: decode() reads only the bytes it is given (they sit in a buffer of exactly that
// size, so ASan sees a read past it), a decode is at most 15 bytes and no longer than its input,
// every field is in its documented range, every shorter prefix of a decoded instruction is
// kTruncated and a longer input decodes the same, and completing the access touches only the
// destination register and the status flags.
#include <rootstock/x86/decoder.hpp>
#include <rootstock/x86/emulate.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

using namespace rootstock::x86;

namespace {

constexpr size_t kInstructionBytes = 16;  // one more than the longest instruction

void check(bool ok) {
  if (!ok) __builtin_trap();
}

bool valid_size(uint8_t size) {
  return size == 1 || size == 2 || size == 4 || size == 8;
}

bool same(const DecodedAccess& a, const DecodedAccess& b) {
  return a.length == b.length && a.size == b.size && a.dest_size == b.dest_size &&
         a.kind == b.kind && a.op == b.op && a.source == b.source && a.reg == b.reg &&
         a.high_byte_reg == b.high_byte_reg && a.reg_first == b.reg_first && a.lock == b.lock &&
         a.immediate == b.immediate && a.opcode == b.opcode && a.opcode_ext == b.opcode_ext;
}

// decode() over a heap copy of exactly `count` bytes: a read past them is an ASan report.
DecodeStatus decode_exact(const uint8_t* bytes, size_t count, CpuMode mode, DecodedAccess& out) {
  auto copy = std::make_unique<uint8_t[]>(count);
  if (count != 0) std::memcpy(copy.get(), bytes, count);
  return decode(copy.get(), count, mode, out);
}

void check_fields(const DecodedAccess& a, size_t count) {
  check(a.length >= 1 && a.length <= count && a.length <= kMaxInstructionLength);
  check(valid_size(a.size) && valid_size(a.dest_size) && a.dest_size >= a.size);
  if (a.op != Operation::kMovzx && a.op != Operation::kMovsx) check(a.dest_size == a.size);
  if (a.op == Operation::kMovzx || a.op == Operation::kMovsx) {
    check(a.kind == DecodedAccess::Kind::kRead);
  }
  check(a.reg < 16);
  if (a.high_byte_reg) check(a.reg < 4 && a.size == 1);
  if (a.source == DecodedAccess::Source::kImmediate) {
    check(truncate(a.immediate, a.size) == a.immediate);
  }
}

// Completes the access on registers seeded from `state` and checks what changed.
void complete(const DecodedAccess& a, const uint8_t* state, size_t state_size) {
  uint8_t seed[sizeof(Gprs) + 16] = {};
  for (size_t i = 0; i < sizeof(seed); ++i) {
    seed[i] = state_size != 0 ? state[i % state_size] : static_cast<uint8_t>(i * 37 + 11);
  }
  Gprs gprs;
  uint64_t rflags_value = 0, loaded = 0;
  std::memcpy(gprs.r, seed, sizeof(gprs.r));
  std::memcpy(&rflags_value, seed + sizeof(gprs.r), 8);
  std::memcpy(&loaded, seed + sizeof(gprs.r) + 8, 8);
  const Gprs before = gprs;
  const uint64_t rflags_before = rflags_value;

  if (a.kind == DecodedAccess::Kind::kWrite) {
    const uint64_t stored = store_value(a, gprs);
    check(truncate(stored, a.size) == stored);
    const uint64_t unchanged = complete_load(a, loaded, gprs, rflags_value);
    check(unchanged == 0);
  } else {
    const uint64_t stored = complete_load(a, truncate(loaded, a.size), gprs, rflags_value);
    if (a.kind == DecodedAccess::Kind::kRead) check(stored == 0);
    check(truncate(stored, a.size) == stored);
  }
  check((rflags_value & ~rflags::kStatus) == (rflags_before & ~rflags::kStatus));
  for (uint8_t i = 0; i < 16; ++i) {
    if (i != a.reg) check(gprs.r[i] == before.r[i]);
  }
  if (a.kind == DecodedAccess::Kind::kWrite) check(gprs.r[a.reg] == before.r[a.reg]);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const CpuMode modes[] = {CpuMode::k16Bit, CpuMode::k32Bit, CpuMode::k64Bit};
  const CpuMode mode = modes[data[0] % 3];
  const uint8_t* bytes = data + 1;
  const size_t count = size - 1 < kInstructionBytes ? size - 1 : kInstructionBytes;
  const uint8_t* state = bytes + count;
  const size_t state_size = size - 1 - count;

  DecodedAccess a;
  const DecodeStatus status = decode_exact(bytes, count, mode, a);
  check(describe(status) != nullptr);
  if (status != DecodeStatus::kOk) return 0;
  check_fields(a, count);

  // The same instruction with nothing after it, and every prefix of it.
  DecodedAccess exact;
  check(decode_exact(bytes, a.length, mode, exact) == DecodeStatus::kOk && same(a, exact));
  for (size_t k = 0; k < a.length; ++k) {
    DecodedAccess shorter;
    check(decode_exact(bytes, k, mode, shorter) == DecodeStatus::kTruncated);
  }
  complete(a, state, state_size);
  return 0;
}
