// A BlockDevice over a file descriptor: the build host's image writer opens the plain file it
// builds rootstock.img in, PID 1 the disk it grows at first boot (/dev/nvme0n1, /dev/sda). A
// block device gives its logical sector size and size (BLKSSZGET, BLKGETSIZE64); a plain file
// has 512-byte sectors and its length rounded down to whole ones.
#pragma once

#include <stdint.h>

#include <memory>
#include <string>

#include "image/gpt/block_device.hpp"

namespace rootstock::gpt {

class FileBlockDevice final : public BlockDevice {
 public:
  /// Opens `path` for reading and writing (only reading when `read_only`): a block device, or a
  /// plain file of `file_sector_size`-byte sectors. Errors name the path and errno's text.
  [[nodiscard]] static Result<std::unique_ptr<FileBlockDevice>> open(
      const std::string& path, bool read_only = false, uint32_t file_sector_size = kFileSectorSize);
  ~FileBlockDevice() override;
  FileBlockDevice(const FileBlockDevice&) = delete;
  FileBlockDevice& operator=(const FileBlockDevice&) = delete;

  [[nodiscard]] uint32_t sector_size() const override { return sector_size_; }
  [[nodiscard]] uint64_t sector_count() const override { return sector_count_; }
  [[nodiscard]] Result<void> read(uint64_t lba, std::span<uint8_t> out) override;
  [[nodiscard]] Result<void> write(uint64_t lba, std::span<const uint8_t> data) override;
  /// fsync(2): for a block device the kernel sends the disk its cache flush (FLUSH CACHE, NVMe
  /// Flush) too.
  [[nodiscard]] Result<void> flush() override;

  [[nodiscard]] int fd() const { return fd_; }
  [[nodiscard]] const std::string& path() const { return path_; }

  static constexpr uint32_t kFileSectorSize = 512;

 private:
  FileBlockDevice(int fd, std::string path, uint32_t sector_size, uint64_t sector_count)
      : fd_(fd), path_(std::move(path)), sector_size_(sector_size), sector_count_(sector_count) {}
  [[nodiscard]] Result<void> check_range(uint64_t lba, size_t bytes) const;

  int fd_;
  std::string path_;
  uint32_t sector_size_;
  uint64_t sector_count_;
};

}  // namespace rootstock::gpt
