// ioctl(2)'s request parameter is unsigned long in glibc (the host tests) and int in musl (the
// appliance); a request number written as a macro (TUNSETIFF, SIOCBRADDIF) is converted to
// that type, whichever it is, with ioctl_request().
#pragma once

#include <sys/ioctl.h>

namespace rootstock::vmm {

namespace detail {
template <typename R, typename Fd, typename Request>
Request ioctl_request_type(R (*)(Fd, Request, ...));
}  // namespace detail

/// The C library's type of ioctl's request.
using IoctlRequest = decltype(detail::ioctl_request_type(&::ioctl));

/// `request` as the C library's ioctl() takes it (musl: the bits as an int, which the kernel
/// reads back as an unsigned 32-bit number).
[[nodiscard]] constexpr IoctlRequest ioctl_request(unsigned long request) {
  return static_cast<IoctlRequest>(request);
}

}  // namespace rootstock::vmm
