// The disk under the GPT code: whole sectors read and written by LBA, and a write barrier.
// The build host's image writer implements it over a plain file, PID 1 over the block device it
// grows, the unit tests over memory (tests/unit/fake_disk.hpp).
#pragma once

#include <stdint.h>

#include <expected>
#include <span>
#include <string>

namespace rootstock::gpt {

/// What a GPT operation gives back: the value, or why it failed in words for the console.
template <typename T>
using Result = std::expected<T, std::string>;

/// A disk of sector_count() sectors of sector_size() bytes.
class BlockDevice {
 public:
  virtual ~BlockDevice() = default;
  /// The logical block size: a power of two from kMinSectorSize to kMaxSectorSize.
  [[nodiscard]] virtual uint32_t sector_size() const = 0;
  [[nodiscard]] virtual uint64_t sector_count() const = 0;
  /// Reads out.size() bytes (whole sectors) from `lba` on.
  [[nodiscard]] virtual Result<void> read(uint64_t lba, std::span<uint8_t> out) = 0;
  /// Writes data.size() bytes (whole sectors) from `lba` on.
  [[nodiscard]] virtual Result<void> write(uint64_t lba, std::span<const uint8_t> data) = 0;
  /// Returns once every earlier write is on stable storage (fsync, FLUSH CACHE): the order in
  /// which grow_gpt() writes means something only with these barriers between its steps.
  [[nodiscard]] virtual Result<void> flush() = 0;
};

}  // namespace rootstock::gpt
