// The prefix and opcode bytes the decoder knows, named after the Intel SDM vol. 2 opcode maps
// (appendix A, tables; operand notation of A.2: E = ModRM r/m, G = ModRM.reg,
// b = byte, v = operand size, z = 16 or 32 bits, O = moffs). Internal to the decoder.
#pragma once

#include <stdint.h>

namespace rootstock::x86::opcode_map {

/// Legacy prefixes (SDM vol. 2, 2.1.1), by group.
enum class Prefix : uint8_t {
  kLock = 0xf0,  // group 1
  kRepne = 0xf2,
  kRep = 0xf3,
  kSegmentEs = 0x26,  // group 2
  kSegmentCs = 0x2e,
  kSegmentSs = 0x36,
  kSegmentDs = 0x3e,
  kSegmentFs = 0x64,
  kSegmentGs = 0x65,
  kOperandSize = 0x66,  // group 3
  kAddressSize = 0x67,  // group 4
};

/// REX (SDM vol. 2, 2.2.1): 0100WRXB, 64-bit mode only, immediately before the opcode.
inline constexpr uint8_t kRexMask = 0xf0;
inline constexpr uint8_t kRex = 0x40;
inline constexpr uint8_t kRexW = 0x08;  ///< 64-bit operand size
inline constexpr uint8_t kRexR = 0x04;  ///< extends ModRM.reg
// REX.X and REX.B extend SIB.index and ModRM.rm/SIB.base: only the address uses them.

/// Escape to the two-byte map (table A-3) and from it to the three-byte maps.
inline constexpr uint8_t kTwoByteEscape = 0x0f;
inline constexpr uint8_t kThreeByteEscape38 = 0x38;
inline constexpr uint8_t kThreeByteEscape3a = 0x3a;

/// One-byte map rows 00-3F: ALU operation in bits 5:3, operand form in bits 2:0.
inline constexpr uint8_t kAluRowLast = 0x3f;
enum class AluForm : uint8_t { kEbGb = 0, kEvGv = 1, kGbEb = 2, kGvEv = 3 };
/// The ALU operation of rows 00-3F and of immediate group 1 (80, 81, 83 /n): the same order.
enum class AluOp : uint8_t { kAdd, kOr, kAdc, kSbb, kAnd, kSub, kXor, kCmp };

/// One-byte opcodes (table A-2).
enum class OneByte : uint8_t {
  kMovsxdGvEv = 0x63,  ///< MOVSXD in 64-bit mode (ARPL elsewhere)
  kGroup1EbIb = 0x80,
  kGroup1EvIz = 0x81,
  kGroup1EvIb = 0x83,  ///< Ib sign-extended to the operand size
  kTestEbGb = 0x84,
  kTestEvGv = 0x85,
  kXchgEbGb = 0x86,
  kXchgEvGv = 0x87,
  kMovEbGb = 0x88,
  kMovEvGv = 0x89,
  kMovGbEb = 0x8a,
  kMovGvEv = 0x8b,
  kMovAlOb = 0xa0,
  kMovRaxOv = 0xa1,
  kMovObAl = 0xa2,
  kMovOvRax = 0xa3,
  kGroup11EbIb = 0xc6,  ///< MOV Eb, Ib is /0
  kGroup11EvIz = 0xc7,  ///< MOV Ev, Iz is /0
  kGroup3Eb = 0xf6,     ///< TEST Eb, Ib is /0
  kGroup3Ev = 0xf7,     ///< TEST Ev, Iz is /0
};

/// Two-byte opcodes (table A-3), after 0F.
enum class TwoByte : uint8_t {
  kMovzxGvEb = 0xb6,
  kMovzxGvEw = 0xb7,
  kMovsxGvEb = 0xbe,
  kMovsxGvEw = 0xbf,
};

/// ModRM.reg of the MOV in group 11 and of the TEST in group 3 (table A-6).
inline constexpr uint8_t kGroup11Mov = 0;
inline constexpr uint8_t kGroup3Test = 0;

}  // namespace rootstock::x86::opcode_map
