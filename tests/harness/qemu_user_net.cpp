#include "qemu_user_net.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <charconv>

namespace rootstock::harness {
namespace {

// "user" or "user,..." : QEMU's user network backend.
bool is_user_net(std::string_view value) {
  return value == "user" || value.starts_with("user,");
}

// Whether the comma-separated options include restrict=on (or QEMU's other words for true).
bool restricted(std::string_view value) {
  for (size_t start = 0; start <= value.size();) {
    size_t comma = value.find(',', start);
    if (comma == std::string_view::npos) comma = value.size();
    const std::string_view opt = value.substr(start, comma - start);
    if (opt == "restrict=on" || opt == "restrict=yes" || opt == "restrict=true" ||
        opt == "restrict=y") {
      return true;
    }
    start = comma + 1;
  }
  return false;
}

}  // namespace

std::optional<GuestEndpoint> parse_guest_endpoint(std::string_view text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  GuestEndpoint ep{std::string(text.substr(0, colon)), 0};
  in_addr addr{};
  if (::inet_pton(AF_INET, ep.address.c_str(), &addr) != 1) return std::nullopt;
  const std::string_view port = text.substr(colon + 1);
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value == 0 ||
      value > 65535) {
    return std::nullopt;
  }
  ep.port = static_cast<uint16_t>(value);
  return ep;
}

namespace {

// Appends `option` to the command's first user network; why it cannot, otherwise.
std::optional<std::string> add_user_net_option(std::vector<std::string>& command,
                                               const std::string& option) {
  for (size_t i = 1; i < command.size(); ++i) {
    if (command[i - 1] != "-nic" && command[i - 1] != "-netdev") continue;
    std::string& value = command[i];
    if (!is_user_net(value)) continue;
    if (!restricted(value)) {
      return "the user network '" + value +
             "' lacks restrict=on: the guest could reach more than the forward";
    }
    value += "," + option;
    return std::nullopt;
  }
  return std::string(
      "the command has no QEMU user network (-nic user,... or -netdev user,...) "
      "to forward through");
}

}  // namespace

std::optional<std::string> add_guestfwd(std::vector<std::string>& command,
                                        const GuestEndpoint& guest, uint16_t host_port) {
  return add_user_net_option(command, "guestfwd=tcp:" + guest.address + ":" +
                                          std::to_string(guest.port) +
                                          "-tcp:127.0.0.1:" + std::to_string(host_port));
}

std::optional<std::string> add_hostfwd(std::vector<std::string>& command, uint16_t host_port,
                                       uint16_t guest_port) {
  return add_user_net_option(command, "hostfwd=tcp:127.0.0.1:" + std::to_string(host_port) +
                                          "-:" + std::to_string(guest_port));
}

uint16_t free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  ::close(fd);
  return port;
}

}  // namespace rootstock::harness
