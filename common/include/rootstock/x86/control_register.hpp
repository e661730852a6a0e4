// Decoding a MOV to a control register (0F 22 /r) behind a CR-write intercept. Without decode
// assists (QEMU TCG, older AMD parts) the exit names the register written but not the source:
// hv fetches the bytes at the guest's RIP and decodes them here. Intel SDM vol. 2B, "MOV—Move
// to/from Control Registers"; AMD APM vol. 3, "MOV (CRn)".
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "rootstock/x86/decoder.hpp"

namespace rootstock::x86 {

/// A decoded MOV CRn, r.
struct MovToControlRegister {
  uint8_t length = 0;  ///< bytes from RIP to the next instruction
  uint8_t cr = 0;      ///< the control register: ModRM.reg with REX.R (LOCK adds 8: CR8 on AMD)
  uint8_t gpr = 0;     ///< the source as a Gprs index: ModRM.r/m with REX.B
  /// The source's width in bytes: 8 in 64-bit mode (REX.W is ignored), else 4.
  uint8_t size = 0;
};

/// Decodes `bytes[0..count)` as a MOV to a control register executing in `mode`. The ModRM
/// mod bits are ignored, as the CPU ignores them (the source is always a register). Anything
/// but 0F 22 gives kUnsupported; REX in the wrong place or more than 15 bytes kInvalid.
[[nodiscard]] DecodeStatus decode_mov_to_cr(const uint8_t* bytes, size_t count, CpuMode mode,
                                            MovToControlRegister& out);

}  // namespace rootstock::x86
