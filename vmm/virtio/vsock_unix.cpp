#include "vmm/virtio/vsock_unix.hpp"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <utility>

namespace rootstock::vmm::virtio {
namespace {

/// Backlog of connections waiting for the device's thread to accept them.
constexpr int kListenBacklog = 128;

/// `path` as a sockaddr_un, or nothing when it does not fit sun_path with its NUL.
std::expected<sockaddr_un, int> unix_address(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(address.sun_path)) return std::unexpected(ENAMETOOLONG);
  memcpy(address.sun_path, path.c_str(), path.size() + 1);
  return address;
}

UniqueFd stream_socket() {
  return UniqueFd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
}

}  // namespace

std::string vsock_port_path(std::string_view uds_path, uint32_t port) {
  return std::string(uds_path) + "_" + std::to_string(port);
}

std::expected<UniqueFd, int> connect_unix(const std::string& path) {
  auto address = unix_address(path);
  if (!address) return std::unexpected(address.error());
  UniqueFd fd = stream_socket();
  if (!fd) return std::unexpected(errno);
  // A Unix stream connect either completes at once or fails (EAGAIN: the backlog is full).
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&*address), sizeof(*address)) != 0) {
    return std::unexpected(errno);
  }
  return fd;
}

Result<VsockListener> VsockListener::open(std::string path) {
  auto address = unix_address(path);
  if (!address) {
    return fail("vsock uds_path " + path + ": longer than a Unix socket path can be (" +
                std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes)");
  }
  struct stat st{};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return fail("vsock uds_path " + path + ": exists and is not a socket; not replaced");
    }
    if (connect_unix(path)) {
      return fail("vsock uds_path " + path + ": in use, another VM or program listens on it");
    }
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return fail_errno("vsock uds_path " + path + ": cannot remove the stale socket", errno);
    }
  }
  UniqueFd fd = stream_socket();
  if (!fd) return fail_errno("vsock: cannot create a Unix socket", errno);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&*address), sizeof(*address)) != 0) {
    return fail_errno("vsock uds_path " + path + ": cannot bind", errno);
  }
  // From here the file is ours: a failure removes it again.
  auto undo = [&](std::string what, int error) {
    ::unlink(path.c_str());
    return fail_errno("vsock uds_path " + path + ": " + std::move(what), error);
  };
  if (::listen(fd.get(), kListenBacklog) != 0) return undo("cannot listen", errno);
  if (::lstat(path.c_str(), &st) != 0) return undo("cannot stat the new socket", errno);
  return VsockListener(std::move(path), std::move(fd), st.st_dev, st.st_ino);
}

VsockListener::VsockListener(VsockListener&& other) noexcept
    : path_(std::move(other.path_)),
      fd_(std::move(other.fd_)),
      dev_(other.dev_),
      ino_(std::exchange(other.ino_, 0)) {
  other.path_.clear();
}

VsockListener::~VsockListener() {
  if (path_.empty() || !fd_) return;
  fd_.reset();
  struct stat st{};
  if (::lstat(path_.c_str(), &st) == 0 && st.st_dev == dev_ && st.st_ino == ino_) {
    ::unlink(path_.c_str());
  }
}

Result<UniqueFd> VsockListener::accept() const {
  for (;;) {
    const int fd = ::accept4(fd_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) return UniqueFd(fd);
    if (errno == EINTR) continue;
    // A connection that went before it was accepted is no error: the next one is looked for.
    if (errno == ECONNABORTED) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return UniqueFd();
    return fail_errno("vsock: cannot accept on " + path_, errno);
  }
}

}  // namespace rootstock::vmm::virtio
