// A disk in memory for the GPT tests (image/gpt/block_device.hpp), with a power cut that can
// be armed: after a given number of sector writes the disk takes no more (the sector in flight
// torn: its first kTornBytes written, when asked), as a disk whose power fails keeps what it had
// written.
#pragma once

#include <stdint.h>
#include <string.h>

#include <algorithm>
#include <optional>
#include <vector>

#include "image/gpt/block_device.hpp"

namespace rootstock::test {

class FakeDisk final : public gpt::BlockDevice {
 public:
  /// What a torn sector write leaves written: less than a GPT header, so a torn header sector
  /// holds half a new header.
  static constexpr size_t kTornBytes = 64;

  FakeDisk(uint32_t sector_size, uint64_t sectors, uint8_t fill = 0)
      : sector_size_(sector_size), bytes_(size_t{sector_size} * sectors, fill) {}

  [[nodiscard]] uint32_t sector_size() const override { return sector_size_; }
  [[nodiscard]] uint64_t sector_count() const override { return bytes_.size() / sector_size_; }

  gpt::Result<void> read(uint64_t lba, std::span<uint8_t> out) override {
    if (!fits(lba, out.size())) return std::unexpected("read past the end");
    if (reads_fail_) return std::unexpected("I/O error");
    memcpy(out.data(), at(lba), out.size());
    return {};
  }

  gpt::Result<void> write(uint64_t lba, std::span<const uint8_t> data) override {
    if (!fits(lba, data.size())) return std::unexpected("write past the end");
    if (cut_) return std::unexpected("power cut");
    most_unflushed_ = std::max(most_unflushed_, ++unflushed_);
    for (size_t done = 0; done < data.size(); done += sector_size_, ++lba) {
      if (limit_ && sector_writes_ == *limit_) {
        if (torn_) memcpy(at(lba), data.data() + done, kTornBytes);
        cut_ = true;
        return std::unexpected("power cut");
      }
      memcpy(at(lba), data.data() + done, sector_size_);
      ++sector_writes_;
    }
    return {};
  }

  gpt::Result<void> flush() override {
    if (cut_) return std::unexpected("power cut");
    unflushed_ = 0;
    return {};
  }

  /// Arms a cut after `more` further sector writes; `torn`: the next one is torn.
  void cut_after(size_t more, bool torn) {
    limit_ = sector_writes_ + more;
    torn_ = torn;
  }
  /// Every read fails from now on (a dying disk).
  void fail_reads() { reads_fail_ = true; }
  /// The power is back: writes go through again.
  void power_on() {
    cut_ = false;
    limit_.reset();
  }
  /// Writes `image` over the start of this disk, as dd does (cut short if it is larger).
  void flash(const FakeDisk& image) {
    std::copy_n(image.bytes_.begin(), std::min(image.bytes_.size(), bytes_.size()), bytes_.begin());
  }
  /// This disk's bytes on a disk of `sectors` sectors, the rest `fill`.
  [[nodiscard]] FakeDisk flashed_onto(uint64_t sectors, uint8_t fill) const {
    FakeDisk d(sector_size_, sectors, fill);
    d.flash(*this);
    return d;
  }

  [[nodiscard]] size_t sector_writes() const { return sector_writes_; }
  /// The most write() calls between two flushes.
  [[nodiscard]] size_t most_unflushed_writes() const { return most_unflushed_; }
  [[nodiscard]] uint8_t* at(uint64_t lba) { return bytes_.data() + lba * sector_size_; }
  [[nodiscard]] const std::vector<uint8_t>& bytes() const { return bytes_; }

 private:
  [[nodiscard]] bool fits(uint64_t lba, size_t size) const {
    return size % sector_size_ == 0 && lba <= sector_count() &&
           size / sector_size_ <= sector_count() - lba;
  }

  uint32_t sector_size_;
  std::vector<uint8_t> bytes_;
  size_t sector_writes_ = 0;
  size_t unflushed_ = 0;
  size_t most_unflushed_ = 0;
  std::optional<size_t> limit_;
  bool torn_ = false;
  bool cut_ = false;
  bool reads_fail_ = false;
};

}  // namespace rootstock::test
