// The forms of the opcodes the MMIO decoder supports: what each does to memory, at what width,
// with which operands, before the prefixes fix the operand size. Internal to the decoder.
//
// Supported (SDM vol. 2 appendix A, table A-2 unless noted), memory operand forms only:
//   MOV    88 89 8A 8B, C6 /0, C7 /0, A0-A3 (moffs)
//   MOVZX  0F B6, 0F B7; MOVSX 0F BE, 0F BF (table A-3); MOVSXD 63 (64-bit mode)
//   ADD OR AND SUB XOR CMP  rows 00-3B, forms E,G and G,E; group 1: 80, 81, 83 /0 /1 /4 /5 /6 /7
//   TEST   84 85, F6 /0, F7 /0;  XCHG 86 87
// Prefixes: 66, 67, segment overrides (ignored: the address comes from the exit), REX, LOCK on
// read-modify-write forms, F2/F3 only as XACQUIRE/XRELEASE hints (SDM vol. 1, 16.3.1.1).
#pragma once

#include <stdint.h>

#include "rootstock/x86/decoder.hpp"

namespace rootstock::x86 {

/// The memory operand's width, before the operand size is known.
enum class Width : uint8_t {
  kByte,          // b
  kWord,          // w (MOVZX/MOVSX Ew)
  kOperand,       // v: 2, 4 or 8 by 66 and REX.W
  kOperandMax32,  // MOVSXD's source: the operand size, but 4 when REX.W makes it 8
};

enum class Immediate : uint8_t {
  kNone,
  kIb,  // 1 byte, sign-extended to the operand size
  kIz,  // 2 bytes for a 16-bit operand, else 4 (sign-extended to 8 with REX.W)
};

/// What a supported opcode does, before the operand size is known.
struct Form {
  Operation op = Operation::kMov;
  DecodedAccess::Kind kind = DecodedAccess::Kind::kRead;
  Width width = Width::kOperand;
  Immediate immediate = Immediate::kNone;
  bool reg_first = false;
  bool group = false;           // ModRM.reg selects the operation (group_operation)
  bool moffs = false;           // A0-A3: no ModRM; an address-size offset; register rAX
  bool lockable = false;        // read-modify-write to memory: LOCK allowed (SDM vol. 2, LOCK)
  bool xrelease_store = false;  // MOV to memory: F3 is an XRELEASE hint
};

/// The form of one-byte opcode `opcode` (table A-2), or false when it is not supported. For a
/// group opcode (form.group) the operation is still open: see group_operation.
[[nodiscard]] bool one_byte_form(uint8_t opcode, CpuMode mode, Form& form);

/// Completes a group opcode's form with the operation its ModRM.reg selects (table A-6), or
/// false when that operation is not supported.
[[nodiscard]] bool group_operation(uint8_t opcode, uint8_t extension, Form& form);

/// The form of two-byte opcode 0F `second` (table A-3), or false when it is not supported.
[[nodiscard]] bool two_byte_form(uint8_t second, Form& form);

}  // namespace rootstock::x86
