#include "vmm/virtio/block_backend.hpp"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>

#include "vmm/ioctl_request.hpp"
#include "vmm/virtio/block_request.hpp"

namespace rootstock::vmm::virtio {
namespace {

/// The file's or the block device's size in bytes, or the failing call's name.
std::expected<uint64_t, const char*> medium_bytes(int fd) {
  struct stat st{};
  if (::fstat(fd, &st) != 0) return std::unexpected("stat");
  if (S_ISREG(st.st_mode)) return static_cast<uint64_t>(st.st_size);
  if (!S_ISBLK(st.st_mode)) {
    errno = EINVAL;
    return std::unexpected("use (neither a file nor a block device)");
  }
  uint64_t bytes = 0;
  if (::ioctl(fd, ioctl_request(BLKGETSIZE64), &bytes) != 0) {
    return std::unexpected("read the size (BLKGETSIZE64) of");
  }
  return bytes;
}

/// Whether fallocate's failure means "this file system cannot", so another way may work.
bool unsupported(int error) {
  return error == EOPNOTSUPP || error == ENOTSUP || error == EINVAL || error == ENOSYS;
}

}  // namespace

std::expected<std::unique_ptr<FileMedium>, std::string> FileMedium::open(const std::string& path,
                                                                         bool read_only) {
  const int fd = ::open(path.c_str(), (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
  if (fd < 0) return std::unexpected("cannot open " + path + ": " + strerror(errno));
  auto bytes = medium_bytes(fd);
  if (!bytes) {
    std::string error =
        std::string("cannot ") + bytes.error() + " " + path + ": " + strerror(errno);
    ::close(fd);
    return std::unexpected(std::move(error));
  }
  const uint64_t size = *bytes / kBlockSectorSize * kBlockSectorSize;
  return std::unique_ptr<FileMedium>(new FileMedium(fd, path, size, read_only));
}

FileMedium::~FileMedium() {
  ::close(fd_);
}

std::string FileMedium::failure(const char* what, uint64_t offset) const {
  return std::string("cannot ") + what + " " + path_ + " at byte " + std::to_string(offset) + ": " +
         strerror(errno);
}

MediumResult FileMedium::read(uint64_t offset, std::span<uint8_t> out) {
  for (size_t done = 0; done < out.size();) {
    const ssize_t n =
        ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::unexpected(failure("read", offset + done));
    if (n == 0) {
      errno = ENXIO;  // the file shrank under the disk
      return std::unexpected(failure("read", offset + done));
    }
    done += static_cast<size_t>(n);
  }
  return {};
}

MediumResult FileMedium::write(uint64_t offset, std::span<const uint8_t> data) {
  if (read_only_) {
    errno = EROFS;
    return std::unexpected(failure("write", offset));
  }
  for (size_t done = 0; done < data.size();) {
    const ssize_t n =
        ::pwrite(fd_, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::unexpected(failure("write", offset + done));
    done += static_cast<size_t>(n);
  }
  return {};
}

MediumResult FileMedium::flush() {
  // fdatasync reaches the medium: the file's data and what is needed to read it back, and for
  // a block device the device's volatile cache (a FLUSH to the disk).
  while (::fdatasync(fd_) != 0) {
    if (errno != EINTR) return std::unexpected(failure("flush", 0));
  }
  return {};
}

MediumResult FileMedium::discard(uint64_t offset, uint64_t length) {
  if (read_only_) {
    errno = EROFS;
    return std::unexpected(failure("discard", offset));
  }
  if (length == 0) return {};
  if (::fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(offset),
                  static_cast<off_t>(length)) == 0) {
    return {};
  }
  // A discard is a hint (5.2.6.2: what a discarded range reads is unspecified): a file system
  // that cannot punch holes keeps the data, and the request still succeeds.
  if (unsupported(errno)) return {};
  return std::unexpected(failure("discard", offset));
}

MediumResult FileMedium::write_zeroes(uint64_t offset, uint64_t length, bool unmap) {
  if (read_only_) {
    errno = EROFS;
    return std::unexpected(failure("write zeros to", offset));
  }
  if (length == 0) return {};
  // A punched hole reads as zeros; ZERO_RANGE keeps the blocks allocated. Where the file system
  // refuses either, the zeros are written.
  const int mode = unmap ? FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE
                         : FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
  if (::fallocate(fd_, mode, static_cast<off_t>(offset), static_cast<off_t>(length)) == 0) {
    return {};
  }
  if (!unsupported(errno)) return std::unexpected(failure("write zeros to", offset));
  return write_zero_bytes(offset, length);
}

MediumResult FileMedium::write_zero_bytes(uint64_t offset, uint64_t length) {
  static constexpr std::array<uint8_t, 64 * 1024> kZeros{};
  for (uint64_t done = 0; done < length;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(kZeros.size(), length - done));
    if (auto ok = write(offset + done, std::span(kZeros).first(n)); !ok) return ok;
    done += n;
  }
  return {};
}

}  // namespace rootstock::vmm::virtio
