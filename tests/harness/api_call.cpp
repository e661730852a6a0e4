#include "api_call.hpp"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mbedtls/sha256.h>

#include <charconv>
#include <cstring>
#include <fstream>
#include <iterator>

namespace rootstock::harness {
namespace {

constexpr std::string_view kArrow = " -> ";

// Waits for `events` on fd until the deadline; false when it passed.
bool wait_for(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[32];
  mbedtls_sha256_ret(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest, 0);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : digest) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

}  // namespace

std::optional<ApiCall> parse_api_call(std::string_view spec) {
  const size_t arrow = spec.rfind(kArrow);
  if (arrow == std::string_view::npos) return std::nullopt;
  std::string_view request = spec.substr(0, arrow);
  std::string_view expect = spec.substr(arrow + kArrow.size());
  ApiCall c;
  constexpr std::string_view kAnonymous = "anonymous ";
  if (request.starts_with(kAnonymous)) {
    c.anonymous = true;
    request.remove_prefix(kAnonymous.size());
  }
  const size_t sp1 = request.find(' ');
  if (sp1 == std::string_view::npos) return std::nullopt;
  c.method = request.substr(0, sp1);
  request.remove_prefix(sp1 + 1);
  const size_t sp2 = request.find(' ');
  c.path = request.substr(0, sp2);
  if (sp2 != std::string_view::npos) c.body = request.substr(sp2 + 1);
  if (c.method.empty() || !c.path.starts_with('/')) return std::nullopt;
  if (c.body.starts_with('@')) {
    c.body_file = c.body.substr(1);
    c.body.clear();
    if (c.body_file.empty()) return std::nullopt;
  }
  const size_t sp3 = expect.find(' ');
  const std::string_view status = expect.substr(0, sp3);
  const auto [end, ec] = std::from_chars(status.data(), status.data() + status.size(), c.status);
  if (ec != std::errc() || end != status.data() + status.size() || c.status < 100 ||
      c.status > 599) {
    return std::nullopt;
  }
  if (sp3 != std::string_view::npos) c.expect_text = expect.substr(sp3 + 1);
  return c;
}

std::optional<std::string> send_api_call(uint16_t port, const std::string& token,
                                         const ApiCall& call,
                                         std::chrono::steady_clock::time_point deadline,
                                         ApiReply& reply) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return std::string("socket: ") + std::strerror(errno);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::optional<std::string> failure;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 && errno != EINPROGRESS) {
    failure =
        std::string("connect 127.0.0.1:") + std::to_string(port) + ": " + std::strerror(errno);
  }
  std::string body = call.body;
  std::string head = call.method + " " + call.path + " HTTP/1.1\r\nHost: appliance\r\n";
  if (!token.empty() && !call.anonymous) head += "Authorization: Bearer " + token + "\r\n";
  if (!call.body_file.empty()) {
    std::ifstream in(call.body_file, std::ios::binary);
    if (!in) {
      ::close(fd);
      return "cannot read " + call.body_file;
    }
    body.assign(std::istreambuf_iterator<char>(in), {});
    head +=
        "Content-Type: application/octet-stream\r\nX-Content-SHA256: " + sha256_hex(body) + "\r\n";
  } else if (!body.empty()) {
    head += "Content-Type: application/json\r\n";
  }
  const std::string request = head + "Content-Length: " + std::to_string(body.size()) +
                              "\r\nConnection: close\r\n\r\n" + body;
  std::string_view left = request;
  while (!failure && !left.empty()) {
    if (!wait_for(fd, POLLOUT, deadline)) {
      failure = "the request was not taken in time";
      break;
    }
    const ssize_t n = ::send(fd, left.data(), left.size(), MSG_NOSIGNAL);
    if (n > 0) {
      left.remove_prefix(static_cast<size_t>(n));
    } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
      failure = std::string("send: ") + std::strerror(errno);
    }
  }
  std::string answer;
  char buf[4096];
  while (!failure) {
    if (!wait_for(fd, POLLIN, deadline)) {
      failure = "no whole answer in time (" + std::to_string(answer.size()) + " bytes came)";
      break;
    }
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      failure = std::string("recv: ") + std::strerror(errno);
      break;
    }
    answer.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  if (failure) return failure;
  // "HTTP/1.1 204 No Content\r\n…\r\n\r\nbody" (Connection: close: the body runs to the end).
  if (!answer.starts_with("HTTP/1.1 ") || answer.size() < 12) {
    return "not an HTTP answer: '" + answer.substr(0, 80) + "'";
  }
  const std::string_view status = std::string_view(answer).substr(9, 3);
  (void)std::from_chars(status.data(), status.data() + 3, reply.status);
  const size_t body_at = answer.find("\r\n\r\n");
  reply.body = body_at == std::string::npos ? std::string() : answer.substr(body_at + 4);
  return std::nullopt;
}

std::optional<std::string> judge_api_reply(const ApiCall& call, const ApiReply& reply) {
  if (reply.status != call.status) {
    return "answered " + std::to_string(reply.status) + " (expected " +
           std::to_string(call.status) + "): " + reply.body.substr(0, 300);
  }
  if (!call.expect_text.empty() && reply.body.find(call.expect_text) == std::string::npos) {
    return "the answer lacks '" + call.expect_text + "': " + reply.body.substr(0, 300);
  }
  return std::nullopt;
}

}  // namespace rootstock::harness
