// Completing a decoded MMIO access (decoder.hpp) against the guest's registers: the pure
// helpers an exit handler needs between "the device read or wrote `size` bytes" and "advance
// RIP by `length`". No device or memory access here; the caller does those.
//
// Handler outline:
//   kWrite:            device_write(gpa, a.size, store_value(a, gprs));
//   kRead:             complete_load(a, device_read(gpa, a.size), gprs, rflags);
//   kReadModifyWrite:  v = device_read(gpa, a.size);
//                      device_write(gpa, a.size, complete_load(a, v, gprs, rflags));
//   then rip += a.length (masked to 16 or 32 bits outside 64-bit mode).
#pragma once

#include <stdint.h>

#include "rootstock/x86/decoder.hpp"

namespace rootstock::x86 {

/// The general-purpose registers in ModRM numbering (SDM vol. 2, table 2-2 and 2.2.1.2).
struct Gprs {
  uint64_t r[16];
};

/// Gprs indices.
namespace gpr {
inline constexpr uint8_t kRax = 0, kRcx = 1, kRdx = 2, kRbx = 3, kRsp = 4, kRbp = 5, kRsi = 6,
                         kRdi = 7, kR8 = 8, kR9 = 9, kR10 = 10, kR11 = 11, kR12 = 12, kR13 = 13,
                         kR14 = 14, kR15 = 15;
}  // namespace gpr

/// RFLAGS status flags (SDM vol. 1, 3.4.3.1).
namespace rflags {
inline constexpr uint64_t kCf = uint64_t{1} << 0;
inline constexpr uint64_t kPf = uint64_t{1} << 2;
inline constexpr uint64_t kAf = uint64_t{1} << 4;
inline constexpr uint64_t kZf = uint64_t{1} << 6;
inline constexpr uint64_t kSf = uint64_t{1} << 7;
inline constexpr uint64_t kOf = uint64_t{1} << 11;
inline constexpr uint64_t kStatus = kCf | kPf | kAf | kZf | kSf | kOf;
}  // namespace rflags

/// `value` cut to its low `size` bytes (size 1, 2, 4 or 8).
[[nodiscard]] uint64_t truncate(uint64_t value, uint8_t size);

/// The low `size` bytes of `value`, sign-extended to 64 bits.
[[nodiscard]] uint64_t sign_extend(uint64_t value, uint8_t size);

/// Reads `size` bytes of register `reg` (0-15), or AH/CH/DH/BH when `high_byte` (reg 0-3).
[[nodiscard]] uint64_t register_read(const Gprs& gprs, uint8_t reg, uint8_t size, bool high_byte);

/// Writes a register as the CPU does: a 4-byte write zero-extends to 64 bits; 1- and 2-byte
/// writes (and AH..BH) keep the other bits (SDM vol. 1, 3.4.1.1).
void register_write(Gprs& gprs, uint8_t reg, uint8_t size, bool high_byte, uint64_t value);

/// The result of one operation on `size`-byte operands.
struct AluResult {
  uint64_t value = 0;         ///< the result, truncated to the operation's width
  uint64_t flags = 0;         ///< the new status flags (rflags::kStatus bits only)
  bool writes_value = false;  ///< false for CMP and TEST, which only set flags
  bool writes_flags = false;  ///< false for MOV, MOVZX, MOVSX and XCHG
};

/// Computes `first op second` (SUB and CMP: first - second) on `size`-byte values, with the
/// status flags per SDM vol. 2 for each instruction. AF, architecturally undefined after AND,
/// OR, XOR and TEST, is cleared. MOV and XCHG give `second`; MOVZX/MOVSX give `second`
/// zero/sign-extended from `size` to 64 bits.
[[nodiscard]] AluResult apply(Operation op, uint64_t first, uint64_t second, uint8_t size);

/// The value a kWrite access stores: the immediate, or `size` bytes of the source register.
[[nodiscard]] uint64_t store_value(const DecodedAccess& access, const Gprs& gprs);

/// Finishes a kRead or kReadModifyWrite access whose memory operand held `loaded`: writes the
/// destination register (loads, ALU ops into a register, XCHG), replaces the status flags in
/// `rflags` (ALU ops, CMP, TEST), and returns what a kReadModifyWrite access must store.
/// Returns 0 for kRead, and does nothing for kWrite.
[[nodiscard]] uint64_t complete_load(const DecodedAccess& access, uint64_t loaded, Gprs& gprs,
                                     uint64_t& rflags_value);

}  // namespace rootstock::x86
