// The legacy and REX prefixes in front of an opcode (SDM vol. 2, 2.1.1 and 2.2.1). Internal to
// the decoders (decoder.cpp, control_register.cpp).
#pragma once

#include <stdint.h>

#include "modrm.hpp"
#include "rootstock/x86/decoder.hpp"

namespace rootstock::x86 {

/// The prefixes an instruction carries; segment overrides are skipped (the exit or the caller
/// knows the address).
struct Prefixes {
  bool lock = false;
  bool rep = false;    // F3
  bool repne = false;  // F2
  bool operand_size = false;
  bool address_size = false;
  bool rex_present = false;
  uint8_t rex = 0;
};

/// Whether `byte` is a legacy prefix of any group.
[[nodiscard]] bool is_legacy_prefix(uint8_t byte);

/// Reads prefixes up to the first opcode byte, which it returns in `opcode`. REX must come last
/// (SDM vol. 2, 2.2.1): the CPU ignores a REX followed by another prefix; such code is not what
/// compilers emit, so it is refused (kInvalid) rather than decoded the way the CPU would.
[[nodiscard]] DecodeStatus read_prefixes(InstructionBytes& in, CpuMode mode, Prefixes& p,
                                         uint8_t& opcode);

}  // namespace rootstock::x86
