// vsock-echo PORT: the child's end of the vsock self-test (rootstock.child_cmd=vsock-echo,
// image/child/init.sh). It listens on AF_VSOCK port PORT for any CID, prints
//   rootstock-child: vsock listening port=PORT cid=CID
// once it does (CID: the child's own, as the device's configuration space gave it), then
// serves one connection at a time, sending back every byte it reads until the peer ends the
// stream, and prints
//   rootstock-child: vsock echoed N bytes
// after each. Busybox has no vsock; this is the smallest program that does: plain POSIX and
// Linux's vm_sockets, no C++ library.
#include <errno.h>
#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

/// The child's CID (IOCTL_VM_SOCKETS_GET_LOCAL_CID on /dev/vsock), or -1.
long local_cid() {
  const int fd = ::open("/dev/vsock", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  unsigned int cid = 0;
  const int r = ::ioctl(fd, IOCTL_VM_SOCKETS_GET_LOCAL_CID, &cid);
  ::close(fd);
  return r == 0 ? static_cast<long>(cid) : -1;
}

/// Writes all of `data`: false if the stream failed.
bool write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

/// Echoes one connection until it ends; the bytes echoed.
unsigned long echo(int fd) {
  unsigned long total = 0;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return total;
    if (!write_all(fd, buffer, static_cast<size_t>(n))) return total;
    total += static_cast<unsigned long>(n);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const unsigned long port = argc > 1 ? strtoul(argv[1], nullptr, 10) : 5000;
  const int listener = ::socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener < 0) {
    printf("rootstock-child: vsock: no AF_VSOCK socket: %s\n", strerror(errno));
    return 1;
  }
  sockaddr_vm address{};
  address.svm_family = AF_VSOCK;
  address.svm_port = static_cast<unsigned int>(port);
  address.svm_cid = VMADDR_CID_ANY;
  if (::bind(listener, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0 ||
      ::listen(listener, 4) != 0) {
    printf("rootstock-child: vsock: cannot listen on port %lu: %s\n", port, strerror(errno));
    return 1;
  }
  printf("rootstock-child: vsock listening port=%lu cid=%ld\n", port, local_cid());
  fflush(stdout);
  for (;;) {
    const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR) continue;
      printf("rootstock-child: vsock: accept: %s\n", strerror(errno));
      return 1;
    }
    const unsigned long n = echo(fd);
    ::close(fd);
    printf("rootstock-child: vsock echoed %lu bytes\n", n);
    fflush(stdout);
  }
}
