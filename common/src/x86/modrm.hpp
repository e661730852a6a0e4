// The decoder's byte cursor and its ModRM/SIB/displacement parser (SDM vol. 2, 2.1.3-2.1.5).
// Internal to the decoder.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "rootstock/x86/decoder.hpp"

namespace rootstock::x86 {

/// Reads instruction bytes in order, never at or past the given count nor past the 15th byte.
class InstructionBytes {
 public:
  InstructionBytes(const uint8_t* bytes, size_t count)
      : bytes_(bytes), limit_(count < kMaxInstructionLength ? count : kMaxInstructionLength) {}

  /// The next byte: kTruncated past the given bytes, kInvalid past the 15th.
  [[nodiscard]] DecodeStatus next(uint8_t& byte) {
    if (position_ >= limit_) return past_end();
    byte = bytes_[position_++];
    return DecodeStatus::kOk;
  }

  /// The next `count` (at most 8) bytes as a little-endian number.
  [[nodiscard]] DecodeStatus next_le(size_t count, uint64_t& value) {
    value = 0;
    for (size_t i = 0; i < count; ++i) {
      uint8_t byte = 0;
      if (DecodeStatus s = next(byte); s != DecodeStatus::kOk) return s;
      value |= uint64_t{byte} << (8 * i);
    }
    return DecodeStatus::kOk;
  }

  /// Skips `count` bytes (a displacement the decoder does not need).
  [[nodiscard]] DecodeStatus skip(size_t count) {
    uint64_t ignored = 0;
    return next_le(count, ignored);
  }

  /// Bytes consumed so far: the instruction's length once decoding is done.
  [[nodiscard]] size_t position() const { return position_; }

 private:
  [[nodiscard]] DecodeStatus past_end() const {
    return position_ >= kMaxInstructionLength ? DecodeStatus::kInvalid : DecodeStatus::kTruncated;
  }

  const uint8_t* bytes_;
  size_t limit_;
  size_t position_ = 0;
};

/// A ModRM byte's fields (SDM vol. 2, figure 2-1).
struct ModRm {
  uint8_t mod = 0;
  uint8_t reg = 0;  ///< without REX.R
  uint8_t rm = 0;

  /// mod = 11b: r/m names a register, so the instruction has no memory operand.
  [[nodiscard]] bool register_form() const { return mod == 3; }
};

/// Splits a ModRM byte.
[[nodiscard]] ModRm split_modrm(uint8_t byte);

/// Consumes the SIB byte and displacement that follow `modrm` for a memory operand with
/// `address_size` (2, 4 or 8) bytes of address: SDM vol. 2, tables 2-1 (16-bit addressing),
/// 2-2 and 2-3 (32-bit; also 64-bit, where mod = 00b, r/m = 101b is RIP-relative, 2.2.1.6).
[[nodiscard]] DecodeStatus skip_memory_operand(InstructionBytes& in, ModRm modrm,
                                               uint8_t address_size);

}  // namespace rootstock::x86
