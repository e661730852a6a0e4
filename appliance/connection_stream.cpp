#include "appliance/connection_stream.hpp"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>

namespace rootstock::appliance {

ssize_t PlainStream::read(char* buffer, size_t size) {
  while (true) {
    const ssize_t n = ::recv(fd_, buffer, size, 0);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      wants_ = POLLIN;
      return kWouldBlock;
    }
    return -1;
  }
}

ssize_t PlainStream::write(const char* bytes, size_t size) {
  while (true) {
    const ssize_t n = ::send(fd_, bytes, size, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      wants_ = POLLOUT;
      return kWouldBlock;
    }
    return -1;
  }
}

}  // namespace rootstock::appliance
