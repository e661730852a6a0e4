#include "rootstock/x86/emulate.hpp"

namespace rootstock::x86 {
namespace {

using Kind = DecodedAccess::Kind;
using Source = DecodedAccess::Source;

uint64_t sign_bit(uint8_t size) {
  return uint64_t{1} << (8 * size - 1);
}

/// PF: set when the low byte of the result has an even number of 1 bits.
bool even_parity(uint64_t value) {
  uint8_t low = static_cast<uint8_t>(value);
  low = static_cast<uint8_t>(low ^ (low >> 4));
  low = static_cast<uint8_t>(low ^ (low >> 2));
  low = static_cast<uint8_t>(low ^ (low >> 1));
  return (low & 1) == 0;
}

/// ZF, SF and PF, which every ALU operation sets from its result the same way.
uint64_t result_flags(uint64_t result, uint8_t size) {
  uint64_t flags = 0;
  if (result == 0) flags |= rflags::kZf;
  if ((result & sign_bit(size)) != 0) flags |= rflags::kSf;
  if (even_parity(result)) flags |= rflags::kPf;
  return flags;
}

/// ADD: CF is the carry out of the top bit, OF a signed overflow, AF the carry out of bit 3.
AluResult add(uint64_t a, uint64_t b, uint8_t size) {
  const uint64_t r = truncate(a + b, size);
  uint64_t flags = result_flags(r, size);
  if ((((a & b) | ((a | b) & ~r)) & sign_bit(size)) != 0) flags |= rflags::kCf;
  if (((a ^ r) & (b ^ r) & sign_bit(size)) != 0) flags |= rflags::kOf;
  if (((a ^ b ^ r) & 0x10) != 0) flags |= rflags::kAf;
  return {.value = r, .flags = flags, .writes_value = true, .writes_flags = true};
}

/// SUB and CMP: CF is the borrow into the top bit, OF a signed overflow, AF the borrow from bit 4.
AluResult sub(uint64_t a, uint64_t b, uint8_t size) {
  const uint64_t r = truncate(a - b, size);
  uint64_t flags = result_flags(r, size);
  if (a < b) flags |= rflags::kCf;
  if (((a ^ b) & (a ^ r) & sign_bit(size)) != 0) flags |= rflags::kOf;
  if (((a ^ b ^ r) & 0x10) != 0) flags |= rflags::kAf;
  return {.value = r, .flags = flags, .writes_value = true, .writes_flags = true};
}

/// AND, OR, XOR, TEST: CF and OF cleared, AF undefined (cleared here).
AluResult logic(uint64_t r) {
  return {.value = r, .writes_value = true, .writes_flags = true};
}

}  // namespace

uint64_t truncate(uint64_t value, uint8_t size) {
  if (size >= 8) return value;
  return value & ((uint64_t{1} << (8 * size)) - 1);
}

uint64_t sign_extend(uint64_t value, uint8_t size) {
  if (size >= 8) return value;
  const uint64_t low = truncate(value, size);
  return (low & sign_bit(size)) != 0 ? low | ~truncate(~uint64_t{0}, size) : low;
}

uint64_t register_read(const Gprs& gprs, uint8_t reg, uint8_t size, bool high_byte) {
  const uint64_t full = gprs.r[reg & 15];
  if (high_byte) return (full >> 8) & 0xff;
  return truncate(full, size);
}

void register_write(Gprs& gprs, uint8_t reg, uint8_t size, bool high_byte, uint64_t value) {
  uint64_t& full = gprs.r[reg & 15];
  if (high_byte) {
    full = (full & ~uint64_t{0xff00}) | ((value & 0xff) << 8);
  } else if (size >= 4) {
    full = truncate(value, size);  // a 32-bit write zero-extends (SDM vol. 1, 3.4.1.1)
  } else {
    full = (full & ~truncate(~uint64_t{0}, size)) | truncate(value, size);
  }
}

AluResult apply(Operation op, uint64_t first, uint64_t second, uint8_t size) {
  const uint64_t a = truncate(first, size);
  const uint64_t b = truncate(second, size);
  AluResult result;
  switch (op) {
    case Operation::kMov:
    case Operation::kXchg:
      return {.value = b, .writes_value = true};
    case Operation::kMovzx:
      return {.value = b, .writes_value = true};
    case Operation::kMovsx:
      return {.value = sign_extend(b, size), .writes_value = true};
    case Operation::kAdd:
      return add(a, b, size);
    case Operation::kSub:
      return sub(a, b, size);
    case Operation::kCmp:
      result = sub(a, b, size);
      result.writes_value = false;
      return result;
    case Operation::kAnd:
      result = logic(a & b);
      break;
    case Operation::kOr:
      result = logic(a | b);
      break;
    case Operation::kXor:
      result = logic(a ^ b);
      break;
    case Operation::kTest:
      result = logic(a & b);
      result.writes_value = false;
      break;
  }
  result.flags = result_flags(result.value, size);
  return result;
}

uint64_t store_value(const DecodedAccess& access, const Gprs& gprs) {
  if (access.source == Source::kImmediate) return truncate(access.immediate, access.size);
  return register_read(gprs, access.reg, access.size, access.high_byte_reg);
}

uint64_t complete_load(const DecodedAccess& access, uint64_t loaded, Gprs& gprs,
                       uint64_t& rflags_value) {
  if (access.kind == Kind::kWrite) return 0;
  const uint8_t size = access.size;
  loaded = truncate(loaded, size);

  if (access.op == Operation::kMov || access.op == Operation::kMovzx ||
      access.op == Operation::kMovsx) {
    const AluResult r = apply(access.op, 0, loaded, size);
    register_write(gprs, access.reg, access.dest_size, access.high_byte_reg, r.value);
    return 0;
  }
  if (access.op == Operation::kXchg) {
    const uint64_t old_register = register_read(gprs, access.reg, size, access.high_byte_reg);
    register_write(gprs, access.reg, size, access.high_byte_reg, loaded);
    return old_register;
  }

  const uint64_t operand = store_value(access, gprs);
  const AluResult r = access.reg_first ? apply(access.op, operand, loaded, size)
                                       : apply(access.op, loaded, operand, size);
  rflags_value = (rflags_value & ~rflags::kStatus) | r.flags;
  if (!r.writes_value) return 0;
  if (access.kind == Kind::kReadModifyWrite) return r.value;
  register_write(gprs, access.reg, size, access.high_byte_reg, r.value);  // ADD r, m and kin
  return 0;
}

}  // namespace rootstock::x86
