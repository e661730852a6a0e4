#include "opcode_forms.hpp"

#include "opcode_map.hpp"

namespace rootstock::x86 {
namespace {

using Kind = DecodedAccess::Kind;
using opcode_map::AluForm;
using opcode_map::AluOp;
using opcode_map::OneByte;
using opcode_map::TwoByte;

/// The ALU operation, or false for ADC and SBB, which need the carry flag as an input.
bool alu_operation(AluOp alu, Operation& op) {
  switch (alu) {
    case AluOp::kAdd:
      op = Operation::kAdd;
      return true;
    case AluOp::kOr:
      op = Operation::kOr;
      return true;
    case AluOp::kAnd:
      op = Operation::kAnd;
      return true;
    case AluOp::kSub:
      op = Operation::kSub;
      return true;
    case AluOp::kXor:
      op = Operation::kXor;
      return true;
    case AluOp::kCmp:
      op = Operation::kCmp;
      return true;
    case AluOp::kAdc:
    case AluOp::kSbb:
      return false;
  }
  return false;
}

/// Rows 00-3F: columns 0-3 are the E,G / G,E forms; 4-5 (AL/rAX, imm) touch no memory.
bool alu_row_form(uint8_t opcode, Form& form) {
  const uint8_t column = opcode & 7;
  if (column > static_cast<uint8_t>(AluForm::kGvEv)) return false;
  if (!alu_operation(static_cast<AluOp>((opcode >> 3) & 7), form.op)) return false;
  const auto alu_form = static_cast<AluForm>(column);
  form.width =
      alu_form == AluForm::kEbGb || alu_form == AluForm::kGbEb ? Width::kByte : Width::kOperand;
  form.reg_first = alu_form == AluForm::kGbEb || alu_form == AluForm::kGvEv;
  form.kind = form.reg_first || form.op == Operation::kCmp ? Kind::kRead : Kind::kReadModifyWrite;
  form.lockable = form.kind == Kind::kReadModifyWrite;
  return true;
}

Form make_form(Operation op, Kind kind, Width width, bool reg_first) {
  Form form;
  form.op = op;
  form.kind = kind;
  form.width = width;
  form.reg_first = reg_first;
  return form;
}

Form group_form(Width width, Immediate immediate) {
  Form form;
  form.group = true;
  form.width = width;
  form.immediate = immediate;
  return form;
}

}  // namespace

/// The one-byte opcodes, before any ModRM.reg extension.
bool one_byte_form(uint8_t opcode, CpuMode mode, Form& form) {
  if (opcode <= opcode_map::kAluRowLast) return alu_row_form(opcode, form);
  switch (static_cast<OneByte>(opcode)) {
    case OneByte::kMovsxdGvEv:
      if (mode != CpuMode::k64Bit) return false;  // ARPL
      form = make_form(Operation::kMovsx, Kind::kRead, Width::kOperandMax32, true);
      return true;
    case OneByte::kGroup1EbIb:
      form = group_form(Width::kByte, Immediate::kIb);
      return true;
    case OneByte::kGroup1EvIz:
      form = group_form(Width::kOperand, Immediate::kIz);
      return true;
    case OneByte::kGroup1EvIb:
      form = group_form(Width::kOperand, Immediate::kIb);
      return true;
    case OneByte::kTestEbGb:
      form = make_form(Operation::kTest, Kind::kRead, Width::kByte, false);
      return true;
    case OneByte::kTestEvGv:
      form = make_form(Operation::kTest, Kind::kRead, Width::kOperand, false);
      return true;
    case OneByte::kXchgEbGb:
    case OneByte::kXchgEvGv:
      form = make_form(
          Operation::kXchg, Kind::kReadModifyWrite,
          opcode == static_cast<uint8_t>(OneByte::kXchgEbGb) ? Width::kByte : Width::kOperand,
          false);
      form.lockable = true;
      return true;
    case OneByte::kMovEbGb:
    case OneByte::kMovEvGv:
      form = make_form(
          Operation::kMov, Kind::kWrite,
          opcode == static_cast<uint8_t>(OneByte::kMovEbGb) ? Width::kByte : Width::kOperand,
          false);
      form.xrelease_store = true;
      return true;
    case OneByte::kMovGbEb:
      form = make_form(Operation::kMov, Kind::kRead, Width::kByte, true);
      return true;
    case OneByte::kMovGvEv:
      form = make_form(Operation::kMov, Kind::kRead, Width::kOperand, true);
      return true;
    case OneByte::kMovAlOb:
    case OneByte::kMovRaxOv:
      form = make_form(
          Operation::kMov, Kind::kRead,
          opcode == static_cast<uint8_t>(OneByte::kMovAlOb) ? Width::kByte : Width::kOperand, true);
      form.moffs = true;
      return true;
    case OneByte::kMovObAl:
    case OneByte::kMovOvRax:
      form = make_form(
          Operation::kMov, Kind::kWrite,
          opcode == static_cast<uint8_t>(OneByte::kMovObAl) ? Width::kByte : Width::kOperand,
          false);
      form.moffs = true;
      return true;
    case OneByte::kGroup11EbIb:
      form = group_form(Width::kByte, Immediate::kIb);
      return true;
    case OneByte::kGroup11EvIz:
      form = group_form(Width::kOperand, Immediate::kIz);
      return true;
    case OneByte::kGroup3Eb:
      form = group_form(Width::kByte, Immediate::kIb);
      return true;
    case OneByte::kGroup3Ev:
      form = group_form(Width::kOperand, Immediate::kIz);
      return true;
  }
  return false;
}

/// The operation a group opcode's ModRM.reg selects (SDM vol. 2, table A-6).
bool group_operation(uint8_t opcode, uint8_t extension, Form& form) {
  switch (static_cast<OneByte>(opcode)) {
    case OneByte::kGroup1EbIb:
    case OneByte::kGroup1EvIz:
    case OneByte::kGroup1EvIb:
      if (!alu_operation(static_cast<AluOp>(extension), form.op)) return false;
      form.kind = form.op == Operation::kCmp ? Kind::kRead : Kind::kReadModifyWrite;
      form.lockable = form.kind == Kind::kReadModifyWrite;
      return true;
    case OneByte::kGroup11EbIb:
    case OneByte::kGroup11EvIz:
      if (extension != opcode_map::kGroup11Mov) return false;
      form.op = Operation::kMov;
      form.kind = Kind::kWrite;
      form.xrelease_store = true;
      return true;
    case OneByte::kGroup3Eb:
    case OneByte::kGroup3Ev:
      if (extension != opcode_map::kGroup3Test) return false;
      form.op = Operation::kTest;
      form.kind = Kind::kRead;
      return true;
    default:
      return false;
  }
}

/// The two-byte opcodes after 0F (table A-3).
bool two_byte_form(uint8_t second, Form& form) {
  switch (static_cast<TwoByte>(second)) {
    case TwoByte::kMovzxGvEb:
      form = make_form(Operation::kMovzx, Kind::kRead, Width::kByte, true);
      return true;
    case TwoByte::kMovzxGvEw:
      form = make_form(Operation::kMovzx, Kind::kRead, Width::kWord, true);
      return true;
    case TwoByte::kMovsxGvEb:
      form = make_form(Operation::kMovsx, Kind::kRead, Width::kByte, true);
      return true;
    case TwoByte::kMovsxGvEw:
      form = make_form(Operation::kMovsx, Kind::kRead, Width::kWord, true);
      return true;
  }
  return false;
}

}  // namespace rootstock::x86
