#include "vmm/virtio/vsock_connect_line.hpp"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

namespace rootstock::vmm::virtio {
namespace {

bool blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/// The next word of `text` from `at`, blanks before it skipped.
std::string_view next_word(std::string_view text, size_t& at) {
  while (at < text.size() && blank(text[at])) ++at;
  const size_t start = at;
  while (at < text.size() && !blank(text[at])) ++at;
  return text.substr(start, at - start);
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

}  // namespace

std::optional<uint32_t> parse_connect_line(std::string_view line) {
  size_t at = 0;
  if (!equals_ignoring_case(next_word(line, at), "connect")) return std::nullopt;
  const std::string_view port = next_word(line, at);
  uint32_t value = 0;
  const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || error != std::errc() || end != port.data() + port.size()) return std::nullopt;
  return value;
}

std::expected<std::optional<uint32_t>, std::string> ConnectLineReader::read(int fd) {
  std::array<char, kMaxLine> peeked{};
  const size_t room = kMaxLine - line_.size();
  ssize_t n = 0;
  do {
    n = ::recv(fd, peeked.data(), room, MSG_PEEK | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return std::nullopt;
  if (n < 0)
    return std::unexpected(std::string("cannot read the CONNECT line: ") + strerror(errno));
  if (n == 0) return std::unexpected("the host closed the stream before its CONNECT line");
  const std::string_view got(peeked.data(), static_cast<size_t>(n));
  const size_t newline = got.find('\n');
  // Take the bytes up to the newline (or all of them: without one, all are the line's).
  const size_t take = newline == std::string_view::npos ? got.size() : newline + 1;
  std::array<char, kMaxLine> taken{};
  ssize_t t = 0;
  do {
    t = ::recv(fd, taken.data(), take, MSG_DONTWAIT);
  } while (t < 0 && errno == EINTR);
  if (t != static_cast<ssize_t>(take)) return std::unexpected("the CONNECT line could not be read");
  line_.append(taken.data(), take);
  if (newline == std::string_view::npos) {
    if (line_.size() >= kMaxLine) return std::unexpected("a CONNECT line longer than 32 bytes");
    return std::nullopt;
  }
  line_.pop_back();
  auto port = parse_connect_line(line_);
  if (!port) return std::unexpected("not a CONNECT <port> line");
  return port;
}

std::string connect_ok_line(uint32_t host_port) {
  return "OK " + std::to_string(host_port) + "\n";
}

}  // namespace rootstock::vmm::virtio
