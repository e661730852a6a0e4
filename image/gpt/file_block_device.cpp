#include "image/gpt/file_block_device.hpp"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/gpt/layout.hpp"

namespace rootstock::gpt {
namespace {

std::string failed(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + strerror(errno);
}

// ioctl(2)'s request parameter: unsigned long in glibc (the build host's tools), int in musl
// (PID 1); the BLK* numbers are passed as that type in either.
template <typename R, typename Fd, typename Request>
Request ioctl_request_of(R (*)(Fd, Request, ...));
using IoctlRequest = decltype(ioctl_request_of(&::ioctl));

}  // namespace

Result<std::unique_ptr<FileBlockDevice>> FileBlockDevice::open(const std::string& path,
                                                               bool read_only,
                                                               uint32_t file_sector_size) {
  const int fd = ::open(path.c_str(), (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
  if (fd < 0) return std::unexpected(failed("cannot open", path));
  struct stat st{};
  uint32_t sector_size = file_sector_size;
  uint64_t bytes = 0;
  if (::fstat(fd, &st) != 0) {
    const std::string e = failed("cannot stat", path);
    ::close(fd);
    return std::unexpected(e);
  }
  if (S_ISBLK(st.st_mode)) {
    int logical = 0;
    if (::ioctl(fd, static_cast<IoctlRequest>(BLKSSZGET), &logical) != 0 ||
        ::ioctl(fd, static_cast<IoctlRequest>(BLKGETSIZE64), &bytes) != 0) {
      const std::string e = failed("cannot read the size of", path);
      ::close(fd);
      return std::unexpected(e);
    }
    sector_size = static_cast<uint32_t>(logical);
  } else if (S_ISREG(st.st_mode)) {
    bytes = static_cast<uint64_t>(st.st_size);
  } else {
    ::close(fd);
    return std::unexpected(path + " is neither a block device nor a file");
  }
  if (sector_size < kMinSectorSize || sector_size > kMaxSectorSize ||
      (sector_size & (sector_size - 1)) != 0) {
    ::close(fd);
    return std::unexpected(path + ": unsupported sector size " + std::to_string(sector_size));
  }
  return std::unique_ptr<FileBlockDevice>(
      new FileBlockDevice(fd, path, sector_size, bytes / sector_size));
}

FileBlockDevice::~FileBlockDevice() {
  ::close(fd_);
}

Result<void> FileBlockDevice::check_range(uint64_t lba, size_t bytes) const {
  if (bytes % sector_size_ != 0) return std::unexpected("not whole sectors");
  const uint64_t sectors = bytes / sector_size_;
  if (lba > sector_count_ || sectors > sector_count_ - lba) {
    return std::unexpected(path_ + ": LBA " + std::to_string(lba) + " is past the end");
  }
  return {};
}

Result<void> FileBlockDevice::read(uint64_t lba, std::span<uint8_t> out) {
  if (auto ok = check_range(lba, out.size()); !ok) return ok;
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::pread(fd_, out.data() + done, out.size() - done,
                              static_cast<off_t>(lba * sector_size_ + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::unexpected(failed("cannot read", path_));
    if (n == 0) return std::unexpected(path_ + ": read past its end");
    done += static_cast<size_t>(n);
  }
  return {};
}

Result<void> FileBlockDevice::write(uint64_t lba, std::span<const uint8_t> data) {
  if (auto ok = check_range(lba, data.size()); !ok) return ok;
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::pwrite(fd_, data.data() + done, data.size() - done,
                               static_cast<off_t>(lba * sector_size_ + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::unexpected(failed("cannot write", path_));
    done += static_cast<size_t>(n);
  }
  return {};
}

Result<void> FileBlockDevice::flush() {
  if (::fsync(fd_) != 0) return std::unexpected(failed("cannot flush", path_));
  return {};
}

}  // namespace rootstock::gpt
