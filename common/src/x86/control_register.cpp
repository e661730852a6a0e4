#include "rootstock/x86/control_register.hpp"

#include "modrm.hpp"
#include "opcode_map.hpp"
#include "prefixes.hpp"

namespace rootstock::x86 {
namespace {

constexpr uint8_t kMovToCr = 0x22;
constexpr uint8_t kRexB = 0x01;
// AMD's alternate encoding of CR8 outside 64-bit mode: LOCK MOV CR0 (APM vol. 3, CPUID
// 8000_0001h ECX bit 4 AltMovCr8).
constexpr uint8_t kLockedCrOffset = 8;

}  // namespace

DecodeStatus decode_mov_to_cr(const uint8_t* bytes, size_t count, CpuMode mode,
                              MovToControlRegister& out) {
  out = MovToControlRegister{};
  InstructionBytes in(bytes, count);
  Prefixes p;
  uint8_t opcode = 0;
  if (const DecodeStatus s = read_prefixes(in, mode, p, opcode); s != DecodeStatus::kOk) return s;
  if (opcode != opcode_map::kTwoByteEscape) return DecodeStatus::kUnsupported;
  uint8_t second = 0;
  if (const DecodeStatus s = in.next(second); s != DecodeStatus::kOk) return s;
  if (second != kMovToCr) return DecodeStatus::kUnsupported;
  uint8_t modrm_byte = 0;
  if (const DecodeStatus s = in.next(modrm_byte); s != DecodeStatus::kOk) return s;
  const ModRm m = split_modrm(modrm_byte);
  out.cr = static_cast<uint8_t>(m.reg | ((p.rex & opcode_map::kRexR) != 0 ? 8 : 0));
  if (p.lock) out.cr = static_cast<uint8_t>(out.cr + kLockedCrOffset);
  out.gpr = static_cast<uint8_t>(m.rm | ((p.rex & kRexB) != 0 ? 8 : 0));
  out.size = mode == CpuMode::k64Bit ? 8 : 4;
  out.length = static_cast<uint8_t>(in.position());
  return DecodeStatus::kOk;
}

}  // namespace rootstock::x86
