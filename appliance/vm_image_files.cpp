#include "appliance/vm_image_files.hpp"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

namespace rootstock::appliance {
namespace {

// "64 MiB" when whole mebibytes, else bytes: limits are round, files rarely are.
std::string size_text(uint64_t bytes) {
  if (bytes >= (uint64_t{1} << 20) && bytes % (uint64_t{1} << 20) == 0) {
    return std::to_string(bytes >> 20) + " MiB";
  }
  return std::to_string(bytes) + " bytes";
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  [[nodiscard]] int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

std::expected<std::vector<uint8_t>, std::string> read_image_file(const std::string& path,
                                                                 const char* what,
                                                                 uint64_t max_bytes) {
  const std::string name = std::string(what) + " " + path;
  auto failed = [&name](const char* step) {
    return std::unexpected(name + ": " + step + ": " + ::strerror(errno));
  };
  // O_NONBLOCK: opening a FIFO someone named as a kernel must not hang the caller; the
  // regular-file check below refuses it.
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (fd.get() < 0) return failed("cannot open");
  struct stat st{};
  if (::fstat(fd.get(), &st) != 0) return failed("cannot stat");
  if (!S_ISREG(st.st_mode)) return std::unexpected(name + ": not a regular file");
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size > max_bytes) {
    return std::unexpected(name + ": is " + size_text(size) + ", more than the " +
                           size_text(max_bytes) + " allowed");
  }
  if (size == 0) return std::unexpected(name + ": is empty");
  std::vector<uint8_t> bytes(size);
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::read(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return failed("cannot read");
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  // A file that shrank while read would leave zeros a loader might take for an image.
  if (done != bytes.size()) {
    return std::unexpected(name + ": changed while read (" + std::to_string(done) + " of " +
                           std::to_string(size) + " bytes)");
  }
  return bytes;
}

}  // namespace rootstock::appliance
