#include "api_call.hpp"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <charconv>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>

#include "tls_client.hpp"

namespace rootstock::harness {
namespace {

constexpr std::string_view kArrow = " -> ";

}  // namespace

std::optional<ApiCall> parse_api_call(std::string_view spec) {
  const size_t arrow = spec.rfind(kArrow);
  if (arrow == std::string_view::npos) return std::nullopt;
  std::string_view request = spec.substr(0, arrow);
  std::string_view expect = spec.substr(arrow + kArrow.size());
  ApiCall c;
  for (bool more = true; more;) {
    more = false;
    for (auto [word, flag] : {std::pair<std::string_view, bool*>{"anonymous ", &c.anonymous},
                              {"until ", &c.until},
                              {"cut ", &c.cut}}) {
      if (request.starts_with(word)) {
        *flag = true;
        request.remove_prefix(word.size());
        more = true;
      }
    }
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
  if (c.cut) {
    // Nothing comes back from a request cut short, and only an upload can be cut.
    if (expect != "none" || c.until || c.body_file.empty()) return std::nullopt;
    return c;
  }
  if (c.until && c.method != "GET") return std::nullopt;  // only what is safe to repeat
  const size_t sp3 = expect.find(' ');
  const std::string_view status = expect.substr(0, sp3);
  const auto [end, ec] = std::from_chars(status.data(), status.data() + status.size(), c.status);
  if (ec != std::errc() || end != status.data() + status.size() || c.status < 100 ||
      c.status > 599) {
    return std::nullopt;
  }
  if (sp3 != std::string_view::npos) c.expect_text = expect.substr(sp3 + 1);
  if (c.expect_text.starts_with('!')) {
    c.expect_absent = true;
    c.expect_text.erase(0, 1);
  } else if (const size_t arrow_at = c.expect_text.rfind(" =>"); arrow_at != std::string::npos) {
    c.capture = c.expect_text.substr(arrow_at + 3);
    c.expect_text.resize(arrow_at + 1);  // the space before the word stays part of the text
    if (c.capture.empty()) return std::nullopt;
  }
  if (c.expect_text.empty() && (c.expect_absent || !c.capture.empty())) return std::nullopt;
  return c;
}

std::expected<std::string, std::string> substitute_variables(
    std::string_view text,
    const std::function<std::optional<std::string>(const std::string&)>& lookup) {
  std::string out;
  for (;;) {
    const size_t open = text.find("{{");
    const size_t close = open == std::string_view::npos ? open : text.find("}}", open);
    if (close == std::string_view::npos) break;
    const std::string name(text.substr(open + 2, close - open - 2));
    const auto value = lookup(name);
    if (!value) return std::unexpected(name);
    out += text.substr(0, open);
    out += *value;
    text.remove_prefix(close + 2);
  }
  out += text;
  return out;
}

std::optional<std::string> send_api_call(const ApiTarget& target, const ApiCall& call,
                                         std::chrono::steady_clock::time_point deadline,
                                         ApiReply& reply) {
  std::string body = call.body;
  std::string head = call.method + " " + call.path + " HTTP/1.1\r\nHost: appliance\r\n";
  if (!target.token.empty() && !call.anonymous) {
    head += "Authorization: Bearer " + target.token + "\r\n";
  }
  if (!call.body_file.empty()) {
    std::ifstream in(call.body_file, std::ios::binary);
    if (!in) return "cannot read " + call.body_file;
    body.assign(std::istreambuf_iterator<char>(in), {});
    head +=
        "Content-Type: application/octet-stream\r\nX-Content-SHA256: " + sha256_hex(body) + "\r\n";
  } else if (!body.empty()) {
    head += "Content-Type: application/json\r\n";
  }
  const std::string request = head + "Content-Length: " + std::to_string(body.size()) +
                              "\r\nConnection: close\r\n\r\n" +
                              (call.cut ? body.substr(0, body.size() / 2) : body);

  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return std::string("socket: ") + std::strerror(errno);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(target.port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const std::string where = "127.0.0.1:" + std::to_string(target.port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 && errno != EINPROGRESS) {
    return "connect " + where + ": " + std::strerror(errno);
  }
  int so_error = 0;
  socklen_t len = sizeof so_error;
  if (!wait_for(fd, POLLOUT, deadline) ||
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0 || so_error != 0) {
    return "connect " + where + ": " + (so_error ? std::strerror(so_error) : "no answer in time");
  }
  std::unique_ptr<TlsClient> tls;
  if (target.tls) {
    std::string error;
    tls = TlsClient::connect(fd, target.pinned_sha256, deadline, error);
    if (!tls) return error;
  }

  // The request, then the answer up to the end of the stream (Connection: close).
  std::string_view left = request;
  while (!left.empty()) {
    if (tls) {
      if (!tls->write_all(left, deadline)) return std::string("the request was not taken in time");
      break;
    }
    if (!wait_for(fd, POLLOUT, deadline)) return std::string("the request was not taken in time");
    const ssize_t n = ::send(fd, left.data(), left.size(), MSG_NOSIGNAL);
    if (n > 0) {
      left.remove_prefix(static_cast<size_t>(n));
    } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
      return std::string("send: ") + std::strerror(errno);
    }
  }
  // Cut: the connection ends here, with the body half sent (the closer closes it).
  if (call.cut) return std::nullopt;
  std::string answer;
  char buf[4096];
  while (true) {
    ssize_t n;
    if (tls) {
      n = tls->read(buf, sizeof buf, deadline);
    } else {
      if (!wait_for(fd, POLLIN, deadline))
        n = -1;
      else
        n = ::recv(fd, buf, sizeof buf, 0);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    }
    if (n == 0) break;
    if (n < 0) return "no whole answer in time (" + std::to_string(answer.size()) + " bytes came)";
    answer.append(buf, static_cast<size_t>(n));
  }
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

std::optional<std::string> judge_api_reply(const ApiCall& call, const ApiReply& reply,
                                           std::string* captured) {
  if (call.cut) return std::nullopt;
  if (reply.status != call.status) {
    return "answered " + std::to_string(reply.status) + " (expected " +
           std::to_string(call.status) + "): " + reply.body.substr(0, 300);
  }
  if (call.expect_text.empty()) return std::nullopt;
  const size_t at = reply.body.find(call.expect_text);
  if (call.expect_absent) {
    if (at == std::string::npos) return std::nullopt;
    return "the answer has '" + call.expect_text + "': " + reply.body.substr(at, 300);
  }
  if (at == std::string::npos) {
    return "the answer lacks '" + call.expect_text + "': " + reply.body.substr(0, 300);
  }
  if (!call.capture.empty()) {
    const size_t from = at + call.expect_text.size();
    const size_t to = reply.body.find_first_of(" \t\r\n,}", from);
    const std::string word = reply.body.substr(from, to - from);
    if (word.empty())
      return "nothing follows '" + call.expect_text + "' to keep as " + call.capture;
    if (captured) *captured = word;
  }
  return std::nullopt;
}

}  // namespace rootstock::harness
