// Decoding an MMIO access: prefixes, operand and address size, the opcode's form
// (opcode_forms.cpp), then ModRM and what follows it (modrm.cpp). SDM vol. 2, 2.1 and 2.2.
#include "rootstock/x86/decoder.hpp"

#include "modrm.hpp"
#include "opcode_forms.hpp"
#include "opcode_map.hpp"
#include "prefixes.hpp"
#include "rootstock/x86/emulate.hpp"

namespace rootstock::x86 {
namespace {

using opcode_map::Prefix;

/// Operand size (SDM vol. 1, 3.6.1, table 3-4): REX.W wins over 66 in 64-bit mode.
uint8_t operand_size_of(CpuMode mode, const Prefixes& p) {
  if (mode == CpuMode::k64Bit) {
    if ((p.rex & opcode_map::kRexW) != 0) return 8;
    return p.operand_size ? 2 : 4;
  }
  const bool wide = (mode == CpuMode::k32Bit) != p.operand_size;
  return wide ? 4 : 2;
}

/// Address size (SDM vol. 1, 3.6.1): 67 toggles 64/32 in 64-bit mode, else 32/16.
uint8_t address_size_of(CpuMode mode, const Prefixes& p) {
  if (mode == CpuMode::k64Bit) return p.address_size ? 4 : 8;
  const bool wide = (mode == CpuMode::k32Bit) != p.address_size;
  return wide ? 4 : 2;
}

/// The two-byte map after 0F (table A-3); the three-byte maps are reported, not decoded.
DecodeStatus read_two_byte_opcode(InstructionBytes& in, DecodedAccess& out, Form& form) {
  uint8_t second = 0;
  if (DecodeStatus s = in.next(second); s != DecodeStatus::kOk) return s;
  out.opcode = (uint32_t{opcode_map::kTwoByteEscape} << 8) | second;
  if (second == opcode_map::kThreeByteEscape38 || second == opcode_map::kThreeByteEscape3a) {
    uint8_t third = 0;
    if (DecodeStatus s = in.next(third); s != DecodeStatus::kOk) return s;
    out.opcode = (out.opcode << 8) | third;
    return DecodeStatus::kUnsupported;
  }
  return two_byte_form(second, form) ? DecodeStatus::kOk : DecodeStatus::kUnsupported;
}

/// LOCK only on a read-modify-write of memory (else #UD, SDM vol. 2, LOCK). F2/F3 on a
/// non-string instruction is reserved (2.1.1) except as the XACQUIRE/XRELEASE hints, which a
/// CPU without HLE ignores: on LOCKed RMW forms and XCHG, and F3 on MOV stores (vol. 1, 16.3.1).
bool prefixes_allowed(const Prefixes& p, const Form& form) {
  if (p.lock && !form.lockable) return false;
  if (!p.rep && !p.repne) return true;
  if (form.op == Operation::kXchg || (p.lock && form.lockable)) return true;
  return form.xrelease_store && !form.moffs && !p.repne;
}

uint8_t memory_size(Width width, uint8_t operand_size) {
  switch (width) {
    case Width::kByte:
      return 1;
    case Width::kWord:
      return 2;
    case Width::kOperand:
      return operand_size;
    case Width::kOperandMax32:
      return operand_size == 8 ? 4 : operand_size;
  }
  return operand_size;
}

/// Reads the immediate; its value is sign-extended to the operand and cut to its width.
DecodeStatus read_immediate(InstructionBytes& in, Immediate immediate, DecodedAccess& out) {
  if (immediate == Immediate::kNone) return DecodeStatus::kOk;
  const uint8_t bytes = immediate == Immediate::kIb ? 1 : (out.size == 2 ? 2 : 4);
  uint64_t raw = 0;
  if (DecodeStatus s = in.next_le(bytes, raw); s != DecodeStatus::kOk) return s;
  out.source = DecodedAccess::Source::kImmediate;
  out.immediate = truncate(sign_extend(raw, bytes), out.size);
  return DecodeStatus::kOk;
}

/// The register operand: ModRM.reg with REX.R; with no REX, byte registers 4-7 are AH-BH
/// (SDM vol. 2, 2.2.1.2 and table 3-1 of 3.1.1.1).
void set_register(const Prefixes& p, uint8_t modrm_reg, DecodedAccess& out) {
  uint8_t reg = modrm_reg;
  if ((p.rex & opcode_map::kRexR) != 0) reg = static_cast<uint8_t>(reg + 8);
  if (out.dest_size == 1 && !p.rex_present && reg >= 4) {
    out.high_byte_reg = true;
    reg = static_cast<uint8_t>(reg - 4);
  }
  out.reg = reg;
}

}  // namespace

DecodeStatus decode(const uint8_t* bytes, size_t count, CpuMode mode, DecodedAccess& out) {
  out = DecodedAccess{};
  InstructionBytes in(bytes, count);
  Prefixes p;
  uint8_t opcode = 0;
  if (DecodeStatus s = read_prefixes(in, mode, p, opcode); s != DecodeStatus::kOk) return s;
  out.opcode = opcode;

  Form form;
  if (opcode == opcode_map::kTwoByteEscape) {
    if (DecodeStatus s = read_two_byte_opcode(in, out, form); s != DecodeStatus::kOk) return s;
  } else if (!one_byte_form(opcode, mode, form)) {
    return DecodeStatus::kUnsupported;
  }

  ModRm modrm;
  if (!form.moffs) {
    uint8_t byte = 0;
    if (DecodeStatus s = in.next(byte); s != DecodeStatus::kOk) return s;
    modrm = split_modrm(byte);
    if (form.group) {
      out.opcode_ext = modrm.reg;
      if (!group_operation(opcode, modrm.reg, form)) return DecodeStatus::kUnsupported;
    }
    if (modrm.register_form()) return DecodeStatus::kInvalid;
  }
  if (!prefixes_allowed(p, form)) return DecodeStatus::kInvalid;

  const uint8_t operand_size = operand_size_of(mode, p);
  const uint8_t address_size = address_size_of(mode, p);
  out.kind = form.kind;
  out.op = form.op;
  out.reg_first = form.reg_first;
  out.lock = p.lock;
  out.size = memory_size(form.width, operand_size);
  const bool extends = form.op == Operation::kMovzx || form.op == Operation::kMovsx;
  out.dest_size = extends ? operand_size : out.size;

  if (form.moffs) {
    // MOV AL/rAX <-> moffs: the offset is address-size wide (8 bytes in 64-bit mode).
    if (DecodeStatus s = in.skip(address_size); s != DecodeStatus::kOk) return s;
  } else {
    if (DecodeStatus s = skip_memory_operand(in, modrm, address_size); s != DecodeStatus::kOk) {
      return s;
    }
    if (form.immediate == Immediate::kNone) set_register(p, modrm.reg, out);
    if (DecodeStatus s = read_immediate(in, form.immediate, out); s != DecodeStatus::kOk) {
      return s;
    }
  }
  out.length = static_cast<uint8_t>(in.position());
  return DecodeStatus::kOk;
}

const char* describe(DecodeStatus status) {
  switch (status) {
    case DecodeStatus::kOk:
      return "ok";
    case DecodeStatus::kTruncated:
      return "instruction continues past the bytes fetched";
    case DecodeStatus::kUnsupported:
      return "opcode is not one the MMIO decoder emulates";
    case DecodeStatus::kInvalid:
      return "not a valid memory access: register operand, misplaced REX, LOCK or REP where "
             "not allowed, or longer than 15 bytes";
  }
  return "unknown decode status";
}

}  // namespace rootstock::x86
