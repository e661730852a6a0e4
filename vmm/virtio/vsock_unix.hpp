// The Unix sockets of virtio-vsock's host side, as Firecracker has them (its docs/vsock.md):
// the VMM listens on `uds_path` in the root for connections the host starts, and a child's
// connection to the host's port P goes to a Unix socket someone listens on at `<uds_path>_P`.
// Everything is non-blocking: the device's thread polls these fds and never waits on one.
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include <expected>
#include <string>
#include <string_view>

#include "vmm/error.hpp"
#include "vmm/unique_fd.hpp"

namespace rootstock::vmm::virtio {

/// The listening socket at `uds_path`: made at open(), its file removed when it goes.
class VsockListener {
 public:
  /// Binds and listens at `path`. A socket file already there that nobody listens on (a VMM
  /// that died) is replaced; one that someone listens on, or a file of another kind, refuses.
  [[nodiscard]] static Result<VsockListener> open(std::string path);

  VsockListener(VsockListener&& other) noexcept;
  VsockListener& operator=(VsockListener&&) = delete;
  VsockListener(const VsockListener&) = delete;
  VsockListener& operator=(const VsockListener&) = delete;
  /// Closes the socket and removes its file, unless another socket has taken the path since.
  ~VsockListener();

  [[nodiscard]] int fd() const { return fd_.get(); }
  [[nodiscard]] const std::string& path() const { return path_; }
  /// A connection waiting to be accepted, non-blocking and close-on-exec; an empty fd when
  /// none waits.
  [[nodiscard]] Result<UniqueFd> accept() const;

 private:
  VsockListener(std::string path, UniqueFd fd, dev_t dev, ino_t ino)
      : path_(std::move(path)), fd_(std::move(fd)), dev_(dev), ino_(ino) {}

  std::string path_;
  UniqueFd fd_;
  dev_t dev_ = 0;  ///< the socket file's identity, so that only ours is removed
  ino_t ino_ = 0;
};

/// The socket a child's connection to the host's `port` goes to: `<uds_path>_<port>`.
[[nodiscard]] std::string vsock_port_path(std::string_view uds_path, uint32_t port);

/// Connects to the Unix stream socket at `path` without blocking (a listener whose backlog is
/// full refuses, as one that is missing does): the non-blocking stream, or the errno.
[[nodiscard]] std::expected<UniqueFd, int> connect_unix(const std::string& path);

}  // namespace rootstock::vmm::virtio
