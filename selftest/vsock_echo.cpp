// rootstock.selftest=vsock-echo: a small Linux child (the default child's kernel and initramfs,
// rootstock.child_cmd=vsock-echo) with a vsock device, through the appliance's VM manager and
// runner as any VM with a spec's `vsock` key. Once the child's vsock-echo listens on port 5000
// (image/child/vsock_echo.cpp), the root does what a host program does with Firecracker's vsock
// (docs/virtio.md "virtio-vsock"): connects to uds_path, writes CONNECT 5000, must read
// `OK <port>` with a port from 2^30, and gets 64 KiB back in order; the child reports them
// echoed once the root closes. A CONNECT to a port nobody listens on ends without an OK. When
// the VM is stopped, the socket file is gone.
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/linux_vm_runner.hpp"
#include "appliance/vm_manager.hpp"
#include "selftest/console_lines.hpp"
#include "selftest/linux_child.hpp"
#include "selftest/selftests.hpp"
#include "selftest/vm_console_wait.hpp"
#include "vmm/unique_fd.hpp"

namespace rootstock::selftest {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr uint32_t kGuestCid = 3;
constexpr uint32_t kPort = 5000;
constexpr uint32_t kClosedPort = 5001;
constexpr char kUdsPath[] = "/run/rootstock-selftest-vsock.sock";
constexpr size_t kEchoBytes = 64 * 1024;
constexpr auto kListenDeadline = 300s;  // the child's boot to its init, under emulation
constexpr auto kIoDeadline = 60s;
constexpr uint32_t kFirstHostPort = uint32_t{1} << 30;
// The child's lines kept for nothing but the bound: they are only shown, never waited for.
constexpr size_t kShownLines = 16;

appliance::VmSpec echo_vm(const DefaultChildImages& images) {
  appliance::VmSpec spec;
  spec.name = "vsock-echo";
  spec.boot_source.kernel_image_path = images.kernel_path;
  spec.boot_source.initrd_path = images.initramfs_path;
  spec.boot_source.boot_args = "console=ttyS0 rootstock.child_cmd=vsock-echo";
  spec.machine_config.vcpu_count = 1;
  spec.machine_config.mem_size_mib = 128;
  spec.vsock = appliance::Vsock{kGuestCid, kUdsPath, std::nullopt};
  return spec;
}

/// A stream connected to the VM's uds_path, or an error in words.
std::expected<vmm::UniqueFd, std::string> connect_uds() {
  vmm::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return std::unexpected(std::string("socket: ") + strerror(errno));
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  memcpy(a.sun_path, kUdsPath, sizeof(kUdsPath));
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&a), sizeof(a)) != 0) {
    return std::unexpected(std::string("connect to ") + kUdsPath + ": " + strerror(errno));
  }
  return fd;
}

/// Reads one line (without its newline) from `fd` a byte at a time, so that nothing after it is
/// taken: the line, or what ended it early ("" at the end of the stream).
std::expected<std::string, std::string> read_line(int fd, Clock::time_point deadline) {
  std::string line;
  while (line.size() < 64) {
    pollfd p{fd, POLLIN, 0};
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) != 1) {
      return std::unexpected("no line in time");
    }
    char c = 0;
    const ssize_t n = ::recv(fd, &c, 1, 0);
    if (n <= 0)
      return line.empty() ? std::expected<std::string, std::string>(std::string())
                          : std::unexpected("the stream ended in a line");
    if (c == '\n') return line;
    line += c;
  }
  return std::unexpected("a line longer than 64 bytes");
}

/// Sends `out` and reads as many bytes back, both at once (neither side's buffers need to hold
/// it all): what came back, or why it stopped.
std::expected<std::vector<uint8_t>, std::string> echo(int fd, const std::vector<uint8_t>& out,
                                                      Clock::time_point deadline) {
  std::vector<uint8_t> back;
  size_t sent = 0;
  while (back.size() < out.size()) {
    pollfd p{fd, static_cast<short>(POLLIN | (sent < out.size() ? POLLOUT : 0)), 0};
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) != 1) {
      return std::unexpected("timed out with " + std::to_string(sent) + " bytes sent, " +
                             std::to_string(back.size()) + " back");
    }
    if ((p.revents & POLLOUT) != 0) {
      const ssize_t n = ::send(fd, out.data() + sent, std::min<size_t>(out.size() - sent, 4096),
                               MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n < 0 && errno != EAGAIN) return std::unexpected(std::string("send: ") + strerror(errno));
      if (n > 0) sent += static_cast<size_t>(n);
    }
    if ((p.revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      uint8_t buffer[4096];
      const ssize_t n = ::recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
      if (n == 0) return std::unexpected("the stream ended after " + std::to_string(back.size()));
      if (n < 0 && errno != EAGAIN) return std::unexpected(std::string("recv: ") + strerror(errno));
      if (n > 0) back.insert(back.end(), buffer, buffer + n);
    }
  }
  return back;
}

/// The host side of the test against a child whose vsock-echo listens; an error in words, or "".
std::string talk(appliance::VmManager& manager, const std::string& id, SelftestResult& r) {
  auto stream = connect_uds();
  if (!stream) return stream.error();
  const std::string connect = "CONNECT " + std::to_string(kPort) + "\n";
  if (::send(stream->get(), connect.data(), connect.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(connect.size())) {
    return "cannot send the CONNECT line";
  }
  auto ok = read_line(stream->get(), Clock::now() + kIoDeadline);
  if (!ok) return "waiting for OK: " + ok.error();
  const std::string_view line = *ok;
  if (!line.starts_with("OK ")) return "the answer to CONNECT was '" + *ok + "', not OK <port>";
  const unsigned long host_port = std::stoul(std::string(line.substr(3)));
  if (host_port < kFirstHostPort) return "the host port " + std::to_string(host_port) + " < 2^30";

  std::vector<uint8_t> out(kEchoBytes);
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<uint8_t>(i * 7 + i / 251);
  const auto start = Clock::now();
  auto back = echo(stream->get(), out, Clock::now() + kIoDeadline);
  if (!back) return "echo: " + back.error();
  if (*back != out) return "the bytes that came back differ from those sent";
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  r.note("vsock-echo: " + *ok + ", " + std::to_string(kEchoBytes) + " bytes back in " +
         std::to_string(ms.count()) + " ms");
  stream->reset();
  const std::string echoed = "vsock echoed " + std::to_string(kEchoBytes) + " bytes";
  if (!wait_console(manager, id, echoed, Clock::now() + kIoDeadline)) {
    return "the child did not say '" + echoed + "' after the root closed";
  }

  // Nobody listens on kClosedPort: the child refuses, the stream ends without an OK.
  auto refused = connect_uds();
  if (!refused) return refused.error();
  const std::string closed = "CONNECT " + std::to_string(kClosedPort) + "\n";
  (void)!::send(refused->get(), closed.data(), closed.size(), MSG_NOSIGNAL);
  auto none = read_line(refused->get(), Clock::now() + kIoDeadline);
  if (!none) return "CONNECT to a port nobody listens on: " + none.error();
  if (!none->empty()) return "CONNECT to a port nobody listens on was answered '" + *none + "'";
  return "";
}

}  // namespace

void selftest_vsock_echo(SelftestContext& context, SelftestResult& r) {
  auto setup = set_up_linux_children(context);
  if (!setup) return r.check(false, setup.error());
  // The child's console lines on the appliance console, for a log that shows what it did. The
  // runner hands its text over as it comes, a line possibly in pieces: ConsoleLines says each
  // line once it is whole (the text carries the VM's prefix already).
  ConsoleLines shown("", kShownLines, [&context](const std::string& line) { context.say(line); });
  appliance::LinuxVmRunner runner(*setup->backend, [&shown](const std::string& text) {
    for (const char c : text) shown.put(static_cast<uint8_t>(c));
  });
  appliance::VmManager manager(runner);
  auto id = manager.create(echo_vm(setup->images));
  if (!id) return r.check(false, "vsock-echo: create: " + id.error().message);
  std::string error;
  if (auto s = manager.start(*id); !s) {
    error = "start: " + s.error().message;
  } else if (!wait_console(manager, *id,
                           "vsock listening port=" + std::to_string(kPort) +
                               " cid=" + std::to_string(kGuestCid),
                           Clock::now() + kListenDeadline)) {
    error = "the child's vsock-echo did not say it listens on port " + std::to_string(kPort);
  } else {
    error = talk(manager, *id, r);
  }
  r.check(error.empty(), "vsock-echo: " + error);
  if (auto s = manager.stop(*id, 0ms); !s) r.check(false, "vsock-echo: stop: " + s.error().message);
  struct stat st{};
  r.check(::lstat(kUdsPath, &st) != 0,
          std::string("vsock-echo: ") + kUdsPath + " is still there after the VM stopped");
  if (auto d = manager.remove(*id); !d) r.check(false, "vsock-echo: delete: " + d.error().message);
}

}  // namespace rootstock::selftest
