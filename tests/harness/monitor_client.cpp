#include "monitor_client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace rootstock::harness {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::string_view kPrompt = "(qemu) ";

// "quit" ends QEMU: the monitor answers by closing the connection, with no prompt after it.
bool ends_qemu(const std::string& command) {
  return command == "quit" || command == "q";
}

// Reads until the prompt has arrived (after `from`), or the deadline; with `until_closed`, until
// the other end closes the connection instead.
bool read_until(int fd, std::string& seen, size_t from, Clock::time_point deadline,
                bool until_closed = false) {
  while (until_closed || seen.find(kPrompt, from) == std::string::npos) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    char buf[512];
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n <= 0) return until_closed && n == 0;
    seen.append(buf, static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

std::optional<std::string> run_monitor_command(const std::string& socket_path,
                                               const std::string& command,
                                               Clock::time_point deadline) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof(addr.sun_path)) return "monitor socket path too long";
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  int fd = -1;
  for (;;) {
    fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return std::string("socket: ") + std::strerror(errno);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) break;
    const int err = errno;
    ::close(fd);
    if (Clock::now() >= deadline) {
      return "cannot connect to the monitor at " + socket_path + ": " + std::strerror(err);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::string seen;
  std::optional<std::string> error;
  if (!read_until(fd, seen, 0, deadline)) {
    error = "no monitor prompt";
  } else {
    const size_t from = seen.size();
    const std::string line = command + "\n";
    if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
      error = "cannot write to the monitor";
    } else if (!read_until(fd, seen, from, deadline, ends_qemu(command))) {
      error = "the monitor did not finish '" + command + "'";
    }
  }
  ::close(fd);
  return error;
}

}  // namespace rootstock::harness
