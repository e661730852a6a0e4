#include "appliance/whole_file.hpp"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

namespace rootstock::appliance {
namespace {

std::unexpected<std::string> failed(const char* what, const std::string& path) {
  return std::unexpected(std::string(what) + " " + path + ": " + strerror(errno));
}

// Writes all of `text` to `fd`, a short write continued; whether it all went.
bool write_all(int fd, std::string_view text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  return done == text.size();
}

}  // namespace

std::expected<void, std::string> write_whole_file(const std::string& path, std::string_view text,
                                                  unsigned mode, Existing existing, bool durable) {
  const int flags =
      O_WRONLY | O_CREAT | O_CLOEXEC | (existing == Existing::kReplace ? O_TRUNC : O_EXCL);
  const int fd = ::open(path.c_str(), flags, mode);
  if (fd < 0) return failed("cannot write", path);
  if (!write_all(fd, text) || (durable && ::fsync(fd) != 0)) {
    auto error = failed("cannot write", path);  // before close() can change errno
    ::close(fd);
    return error;
  }
  ::close(fd);
  return {};
}

std::expected<void, std::string> append_to_file(const std::string& path, std::string_view text,
                                                unsigned mode) {
  const int fd = ::open(path.c_str(),
                        O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, mode);
  if (fd < 0) return failed("cannot write", path);
  if (!write_all(fd, text)) {
    auto error = failed("cannot write", path);  // before close() can change errno
    ::close(fd);
    return error;
  }
  ::close(fd);
  return {};
}

std::expected<void, std::string> sync_folder(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return failed("cannot flush", path);
  if (::fsync(fd) != 0) {
    auto error = failed("cannot flush", path);
    ::close(fd);
    return error;
  }
  ::close(fd);
  return {};
}

}  // namespace rootstock::appliance
