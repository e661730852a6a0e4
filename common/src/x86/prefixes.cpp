#include "prefixes.hpp"

#include "opcode_map.hpp"

namespace rootstock::x86 {

using opcode_map::Prefix;

bool is_legacy_prefix(uint8_t byte) {
  switch (static_cast<Prefix>(byte)) {
    case Prefix::kLock:
    case Prefix::kRepne:
    case Prefix::kRep:
    case Prefix::kSegmentEs:
    case Prefix::kSegmentCs:
    case Prefix::kSegmentSs:
    case Prefix::kSegmentDs:
    case Prefix::kSegmentFs:
    case Prefix::kSegmentGs:
    case Prefix::kOperandSize:
    case Prefix::kAddressSize:
      return true;
  }
  return false;
}

DecodeStatus read_prefixes(InstructionBytes& in, CpuMode mode, Prefixes& p, uint8_t& opcode) {
  for (;;) {
    uint8_t byte = 0;
    if (DecodeStatus s = in.next(byte); s != DecodeStatus::kOk) return s;
    if (is_legacy_prefix(byte)) {
      if (p.rex_present) return DecodeStatus::kInvalid;
      switch (static_cast<Prefix>(byte)) {
        case Prefix::kLock:
          p.lock = true;
          break;
        case Prefix::kRepne:
          p.repne = true;
          break;
        case Prefix::kRep:
          p.rep = true;
          break;
        case Prefix::kOperandSize:
          p.operand_size = true;
          break;
        case Prefix::kAddressSize:
          p.address_size = true;
          break;
        default:  // segment overrides: the exit gives the address
          break;
      }
      continue;
    }
    if (mode == CpuMode::k64Bit && (byte & opcode_map::kRexMask) == opcode_map::kRex) {
      if (p.rex_present) return DecodeStatus::kInvalid;
      p.rex_present = true;
      p.rex = byte;
      continue;
    }
    opcode = byte;
    return DecodeStatus::kOk;
  }
}

}  // namespace rootstock::x86
