#include "modrm.hpp"

namespace rootstock::x86 {
namespace {

// ModRM.mod values (SDM vol. 2, tables 2-1 to 2-3).
constexpr uint8_t kModNoDisplacement = 0;
constexpr uint8_t kModDisp8 = 1;
constexpr uint8_t kModDispFull = 2;  // disp16 with 16-bit addressing, disp32 otherwise

// 16-bit addressing: mod = 00b, r/m = 110b is [disp16], not [BP] (table 2-1).
constexpr uint8_t kRm16Disp16 = 6;
// 32/64-bit addressing (table 2-2): r/m = 100b means a SIB byte follows; mod = 00b with
// r/m = 101b is [disp32] ([RIP + disp32] in 64-bit mode). Both hold whatever REX.B says
// (2.2.1.2, table 2-5: R12 and R13 need the same escapes).
constexpr uint8_t kRmSib = 4;
constexpr uint8_t kRmDisp32 = 5;
// SIB.base = 101b with mod = 00b means no base register and a disp32 (table 2-3).
constexpr uint8_t kSibBaseNone = 5;

DecodeStatus skip_memory_operand16(InstructionBytes& in, ModRm modrm) {
  switch (modrm.mod) {
    case kModNoDisplacement:
      return modrm.rm == kRm16Disp16 ? in.skip(2) : DecodeStatus::kOk;
    case kModDisp8:
      return in.skip(1);
    case kModDispFull:
    default:  // mod = 11b does not get here: the decoder refuses register forms first
      return in.skip(2);
  }
}

DecodeStatus skip_memory_operand32(InstructionBytes& in, ModRm modrm) {
  bool base_none = false;
  if (modrm.rm == kRmSib) {
    uint8_t sib = 0;
    if (DecodeStatus s = in.next(sib); s != DecodeStatus::kOk) return s;
    base_none = (sib & 7) == kSibBaseNone;
  }
  switch (modrm.mod) {
    case kModNoDisplacement:
      return modrm.rm == kRmDisp32 || base_none ? in.skip(4) : DecodeStatus::kOk;
    case kModDisp8:
      return in.skip(1);
    case kModDispFull:
    default:  // mod = 11b does not get here: the decoder refuses register forms first
      return in.skip(4);
  }
}

}  // namespace

ModRm split_modrm(uint8_t byte) {
  return ModRm{.mod = static_cast<uint8_t>(byte >> 6),
               .reg = static_cast<uint8_t>((byte >> 3) & 7),
               .rm = static_cast<uint8_t>(byte & 7)};
}

DecodeStatus skip_memory_operand(InstructionBytes& in, ModRm modrm, uint8_t address_size) {
  if (address_size == 2) return skip_memory_operand16(in, modrm);
  return skip_memory_operand32(in, modrm);
}

}  // namespace rootstock::x86
