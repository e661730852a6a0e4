// The medium behind a virtio-blk disk (block_device.hpp): a raw file or a block device of the
// host, or in the tests a medium in memory. Offsets and lengths are bytes, already checked
// against size() by the request parser (block_request.hpp); a failure comes back as a text for
// the console and fails that one request with VIRTIO_BLK_S_IOERR.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <expected>
#include <memory>
#include <span>
#include <string>

namespace rootstock::vmm::virtio {

/// What a medium operation gives: nothing, or what went wrong, in words.
using MediumResult = std::expected<void, std::string>;

/// A disk's contents.
class BlockMedium {
 public:
  virtual ~BlockMedium() = default;
  /// The size in bytes, a multiple of 512.
  [[nodiscard]] virtual uint64_t size() const = 0;
  /// Whether writes are refused (the medium was opened read-only).
  [[nodiscard]] virtual bool read_only() const = 0;
  /// Fills `out` from byte `offset` on, all of it.
  [[nodiscard]] virtual MediumResult read(uint64_t offset, std::span<uint8_t> out) = 0;
  /// Writes all of `data` at byte `offset`.
  [[nodiscard]] virtual MediumResult write(uint64_t offset, std::span<const uint8_t> data) = 0;
  /// Makes every completed write durable (VIRTIO_BLK_T_FLUSH): it reaches the medium.
  [[nodiscard]] virtual MediumResult flush() = 0;
  /// Tells the medium [offset, offset + length) is no longer needed (VIRTIO_BLK_T_DISCARD);
  /// what it reads afterwards is unspecified.
  [[nodiscard]] virtual MediumResult discard(uint64_t offset, uint64_t length) = 0;
  /// Makes [offset, offset + length) read as zeros (VIRTIO_BLK_T_WRITE_ZEROES), deallocating it
  /// where `unmap` allows.
  [[nodiscard]] virtual MediumResult write_zeroes(uint64_t offset, uint64_t length, bool unmap) = 0;
};

/// A raw file or a host block device as a medium, through pread/pwrite, fdatasync and
/// fallocate.
class FileMedium final : public BlockMedium {
 public:
  /// Opens `path` read-write or read-only. The size is the file's (fstat) or the device's
  /// (BLKGETSIZE64), rounded down to a multiple of 512. Refused: anything else than a regular
  /// file or a block device, and every failing call, with the path and the reason.
  [[nodiscard]] static std::expected<std::unique_ptr<FileMedium>, std::string> open(
      const std::string& path, bool read_only);
  ~FileMedium() override;
  FileMedium(const FileMedium&) = delete;
  FileMedium& operator=(const FileMedium&) = delete;

  [[nodiscard]] uint64_t size() const override { return size_; }
  [[nodiscard]] bool read_only() const override { return read_only_; }
  [[nodiscard]] MediumResult read(uint64_t offset, std::span<uint8_t> out) override;
  [[nodiscard]] MediumResult write(uint64_t offset, std::span<const uint8_t> data) override;
  [[nodiscard]] MediumResult flush() override;
  [[nodiscard]] MediumResult discard(uint64_t offset, uint64_t length) override;
  [[nodiscard]] MediumResult write_zeroes(uint64_t offset, uint64_t length, bool unmap) override;

 private:
  FileMedium(int fd, std::string path, uint64_t size, bool read_only)
      : fd_(fd), path_(std::move(path)), size_(size), read_only_(read_only) {}

  /// "cannot WHAT PATH at byte OFFSET: strerror(errno)".
  [[nodiscard]] std::string failure(const char* what, uint64_t offset) const;
  /// Writes zeros over the range, a chunk at a time (where fallocate cannot zero it).
  [[nodiscard]] MediumResult write_zero_bytes(uint64_t offset, uint64_t length);

  int fd_;
  std::string path_;
  uint64_t size_;
  bool read_only_;
};

}  // namespace rootstock::vmm::virtio
