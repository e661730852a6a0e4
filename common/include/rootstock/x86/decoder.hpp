// Decoding the instruction behind an MMIO exit. A nested page fault on an emulated page gives
// only the guest-physical address when the CPU has no decode assists (QEMU TCG, older AMD
// parts), so hv and the VMM fetch the bytes at the guest's RIP and decode them here: read or
// write, width, the register or immediate involved, and the length to advance RIP by.
//
// Only the memory-operand forms compilers emit for device accesses are accepted (MOV, MOVZX,
// MOVSX, MOVSXD, ALU ops, TEST, XCHG; listed in common/src/x86/opcode_forms.hpp). Anything
// else is refused, never guessed. Intel SDM vol. 2: 2.1 (instruction format), 2.2.1 (REX),
// appendix A (opcode map).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace rootstock::x86 {

/// The code size the guest executes at: CS's default operand and address size.
enum class CpuMode : uint8_t {
  k16Bit,  ///< real mode, virtual-8086 mode, or protected/compatibility mode with CS.D = 0
  k32Bit,  ///< protected or compatibility mode with CS.D = 1
  k64Bit,  ///< 64-bit mode: EFER.LMA = 1 and CS.L = 1 (CS.D is then ignored)
};

/// The mode for a guest's EFER.LMA, CS.L and CS.D (SDM vol. 3, 5.2.1; AMD APM vol. 2, 4.8.1).
/// Real mode works too: its CS cache has D = 0.
[[nodiscard]] constexpr CpuMode cpu_mode(bool efer_lma, bool cs_l, bool cs_d) {
  if (efer_lma && cs_l) return CpuMode::k64Bit;
  return cs_d ? CpuMode::k32Bit : CpuMode::k16Bit;
}

/// The longest legal instruction (SDM vol. 2, 2.3.11); a longer one raises #GP.
inline constexpr size_t kMaxInstructionLength = 15;

/// What the instruction does with the memory operand and its other operand.
enum class Operation : uint8_t {
  kMov,
  kMovzx,  ///< load, zero-extended from `size` to `dest_size`
  kMovsx,  ///< load, sign-extended from `size` to `dest_size` (MOVSX and MOVSXD)
  kAnd,
  kOr,
  kXor,
  kAdd,
  kSub,
  kCmp,
  kTest,
  kXchg,
};

/// The outcome of decode(); describe() gives the sentence for a log.
enum class DecodeStatus : uint8_t {
  kOk,
  kTruncated,    ///< needs bytes past those given: fetch more (up to kMaxInstructionLength)
  kUnsupported,  ///< a legal opcode outside the supported list: DecodedAccess::opcode names it
  kInvalid,      ///< not a legal memory access: register operand (mod = 3), REX not last before
                 ///< the opcode, LOCK on a form that forbids it, REP/REPNE where it is not a
                 ///< harmless hint, or longer than 15 bytes
};

/// One sentence saying what the status means.
[[nodiscard]] const char* describe(DecodeStatus status);

/// DecodedAccess::opcode_ext when the opcode takes no ModRM.reg extension.
inline constexpr uint8_t kNoOpcodeExtension = 0xff;

/// A decoded memory access. The address is not computed: it comes from the exit.
struct DecodedAccess {
  /// What the access does to memory.
  enum class Kind : uint8_t {
    kRead,             ///< loads only (MOV/MOVZX/MOVSX loads, CMP, TEST, ALU ops into a register)
    kWrite,            ///< stores only (MOV stores)
    kReadModifyWrite,  ///< loads, then stores apply(op, loaded, operand) (ALU ops into memory,
                       ///< XCHG)
  };
  /// Where the operand that is not memory comes from.
  enum class Source : uint8_t { kRegister, kImmediate };

  uint8_t length = 0;     ///< bytes from RIP to the next instruction
  uint8_t size = 0;       ///< width of the memory access: 1, 2, 4 or 8 bytes
  uint8_t dest_size = 0;  ///< register width a kRead writes (> size for MOVZX/MOVSX); else size
  Kind kind = Kind::kRead;
  Operation op = Operation::kMov;
  Source source = Source::kRegister;
  /// The register operand as a Gprs index: ModRM.reg with REX.R (RAX for the moffs forms).
  /// AH, CH, DH and BH give 0..3 with high_byte_reg set, i.e. the register that holds them.
  uint8_t reg = 0;
  bool high_byte_reg = false;  ///< the register is bits 15:8 of `reg` (an 8-bit form, no REX)
  /// The register is the first operand (the SDM's "G, E" forms, e.g. MOV r, m; ADD r, m;
  /// CMP r, m): it receives the result, or is the minuend of CMP. False for "E, G" and imm forms.
  bool reg_first = false;
  bool lock = false;       ///< a LOCK prefix is present (XCHG with memory is locked regardless)
  uint64_t immediate = 0;  ///< source == kImmediate: the value, sign-extended to `size` bytes
  /// The opcode, with its escape bytes: 0x8b, 0x0fb6, 0x0f38f0. Set for kUnsupported too.
  uint32_t opcode = 0;
  uint8_t opcode_ext = kNoOpcodeExtension;  ///< ModRM.reg of a group opcode (80 /4 gives 4)
};

/// Decodes the instruction at the start of `bytes[0..count)` executing in `mode`. Reads no
/// byte at or past `count` and none past the 15th. On kOk `out` is complete; on kUnsupported
/// only out.opcode and out.opcode_ext are meaningful; otherwise `out` is unspecified.
[[nodiscard]] DecodeStatus decode(const uint8_t* bytes, size_t count, CpuMode mode,
                                  DecodedAccess& out);

}  // namespace rootstock::x86
