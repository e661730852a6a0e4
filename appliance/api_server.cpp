#include "appliance/api_server.hpp"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "appliance/http_request_parser.hpp"
#include "appliance/http_response.hpp"

namespace rootstock::appliance {
namespace {

using Clock = std::chrono::steady_clock;

std::string errno_text(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

// Waits until `stream` can go on (its descriptor ready for what it wants, or bytes already
// decoded), the server stops, or `deadline`; true when it can go on.
bool wait_ready(ConnectionStream& stream, int stop_fd, Clock::time_point deadline) {
  if (stream.buffered()) return true;
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd fds[2] = {{stream.fd(), stream.wants(), 0}, {stop_fd, POLLIN, 0}};
    const int n = ::poll(fds, 2, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (n < 0 && errno != EINTR) return false;
    if (n <= 0) continue;
    if (fds[1].revents != 0) return false;
    if (fds[0].revents != 0) return true;
  }
}

// Writes all of `bytes` by `deadline`; false when the client does not take them in time.
bool write_all(ConnectionStream& stream, std::string_view bytes, int stop_fd,
               Clock::time_point deadline) {
  while (!bytes.empty()) {
    const ssize_t n = stream.write(bytes.data(), bytes.size());
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
    } else if (n != ConnectionStream::kWouldBlock || !wait_ready(stream, stop_fd, deadline)) {
      return false;
    }
  }
  return true;
}

// Reads what comes by `deadline`: bytes (> 0), 0 when the peer closed, -1 when it failed, the
// time passed or the server stops.
ssize_t read_some(ConnectionStream& stream, char* buffer, size_t size, int stop_fd,
                  Clock::time_point deadline) {
  while (true) {
    const ssize_t n = stream.read(buffer, size);
    if (n != ConnectionStream::kWouldBlock) return n;
    if (!wait_ready(stream, stop_fd, deadline)) return -1;
  }
}

// The stream's set-up (TLS handshake) by `deadline`.
bool handshake(ConnectionStream& stream, int stop_fd, Clock::time_point deadline) {
  while (true) {
    const ssize_t n = stream.handshake();
    if (n == 1) return true;
    if (n != ConnectionStream::kWouldBlock || !wait_ready(stream, stop_fd, deadline)) return false;
  }
}

std::string peer_address(const sockaddr_storage& peer) {
  char text[INET6_ADDRSTRLEN] = {};
  if (peer.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&peer);
    ::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
  } else if (peer.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&peer);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
  }
  return text;
}

}  // namespace

ApiRequest api_request_of(const HttpRequest& r) {
  ApiRequest a;
  a.method = r.method;
  a.path = std::string(r.path());
  a.query = std::string(r.query());
  a.body = r.body;
  a.authorization = std::string(r.header("authorization").value_or(""));
  a.content_sha256 = std::string(r.header("x-content-sha256").value_or(""));
  return a;
}

std::expected<std::unique_ptr<ApiServer>, std::string> ApiServer::start(ApiServerOptions options,
                                                                        Handler handler,
                                                                        UploadHandler uploads) {
  sockaddr_storage addr{};
  socklen_t addr_len = 0;
  auto* in = reinterpret_cast<sockaddr_in*>(&addr);
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (::inet_pton(AF_INET, options.address.c_str(), &in->sin_addr) == 1) {
    in->sin_family = AF_INET;
    in->sin_port = htons(options.port);
    addr_len = sizeof(sockaddr_in);
  } else if (::inet_pton(AF_INET6, options.address.c_str(), &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(options.port);
    addr_len = sizeof(sockaddr_in6);
  } else {
    return std::unexpected("the API's address " + options.address +
                           " is not a numeric IPv4 or IPv6 address");
  }
  const int fd = ::socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::unexpected(errno_text("socket"));
  const int one = 1;
  (void)::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const std::string where = options.address + " port " + std::to_string(options.port);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), addr_len) != 0) {
    const std::string e = errno_text(("bind " + where).c_str());
    ::close(fd);
    return std::unexpected(e);
  }
  if (::listen(fd, 64) != 0) {
    const std::string e = errno_text(("listen " + where).c_str());
    ::close(fd);
    return std::unexpected(e);
  }
  sockaddr_storage bound{};
  socklen_t bound_len = sizeof bound;
  (void)::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_len);
  const uint16_t port =
      ntohs(bound.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                                       : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  const int stop_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd < 0) {
    const std::string e = errno_text("eventfd");
    ::close(fd);
    return std::unexpected(e);
  }
  return std::unique_ptr<ApiServer>(
      new ApiServer(std::move(options), std::move(handler), std::move(uploads), fd, port, stop_fd));
}

ApiServer::ApiServer(ApiServerOptions options, Handler handler, UploadHandler uploads,
                     int listen_fd, uint16_t port, int stop_fd)
    : options_(std::move(options)),
      handler_(std::move(handler)),
      uploads_(std::move(uploads)),
      listen_fd_(listen_fd),
      port_(port),
      stop_fd_(stop_fd),
      acceptor_([this] { accept_loop(); }) {}

ApiServer::~ApiServer() {
  const uint64_t one = 1;
  (void)!::write(stop_fd_, &one, sizeof one);
  acceptor_.join();
  {
    std::lock_guard lock(mutex_);
    // Every connection thread sees the stop in its next poll (at most a second).
    for (Connection& c : connections_) {
      if (c.thread.joinable()) c.thread.join();
    }
    connections_.clear();
  }
  ::close(listen_fd_);
  ::close(stop_fd_);
}

size_t ApiServer::connections() const {
  std::lock_guard lock(mutex_);
  size_t n = 0;
  for (const Connection& c : connections_) n += c.done ? 0 : 1;
  return n;
}

void ApiServer::reap_locked() {
  for (auto it = connections_.begin(); it != connections_.end();) {
    if (it->done) {
      it->thread.join();
      it = connections_.erase(it);
    } else {
      ++it;
    }
  }
}

void ApiServer::accept_loop() {
  while (true) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    const int n = ::poll(fds, 2, 1000);
    if (n < 0 && errno != EINTR) return;
    if (fds[1].revents != 0) return;
    {
      std::lock_guard lock(mutex_);
      reap_locked();
    }
    if (n <= 0 || fds[0].revents == 0) continue;
    sockaddr_storage peer{};
    socklen_t peer_len = sizeof peer;
    const int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &peer_len,
                             SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) continue;  // the peer left, or descriptors ran out: try again later
    const int one = 1;
    (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const std::string client = peer_address(peer);
    std::lock_guard lock(mutex_);
    size_t open = 0;
    size_t from_client = 0;
    for (const Connection& c : connections_) {
      open += c.done ? 0 : 1;
      from_client += !c.done && c.client == client ? 1 : 0;
    }
    if (open >= options_.max_connections || from_client >= options_.max_per_client) {
      // Said at once, never waited on: the client may be the one holding the others.
      const std::string busy = http_response_bytes(
          fault(503, "too many connections: try again once others have ended"), false);
      (void)::send(fd, busy.data(), busy.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      ::close(fd);
      continue;
    }
    Connection& c = connections_.emplace_back();
    c.fd = fd;
    c.client = client;
    c.thread = std::thread([this, &c] {
      c.stream = options_.wrap ? options_.wrap(c.fd) : std::make_unique<PlainStream>(c.fd);
      if (c.stream && handshake(*c.stream, stop_fd_, Clock::now() + options_.request_timeout)) {
        serve(c);
      }
      c.stream.reset();  // before the descriptor it uses goes
      ::close(c.fd);
      c.done = true;
    });
  }
}

namespace {

// The chunked body of a streamed answer (RFC 9112 7.1): each piece as "SIZE-IN-HEX CRLF bytes
// CRLF", each within the write deadline.
class SocketChunkWriter final : public ChunkWriter {
 public:
  SocketChunkWriter(ConnectionStream& stream, int stop_fd, std::chrono::milliseconds timeout)
      : stream_(stream), stop_fd_(stop_fd), timeout_(timeout) {}
  bool write(std::string_view bytes) override {
    if (bytes.empty()) return open();
    char size[24];
    const int n = std::snprintf(size, sizeof size, "%zx\r\n", bytes.size());
    const auto deadline = Clock::now() + timeout_;
    std::string chunk(size, static_cast<size_t>(n));
    chunk.append(bytes);
    chunk.append("\r\n");
    return write_all(stream_, chunk, stop_fd_, deadline);
  }
  bool open() override {
    // The client closed (readable with nothing to read, or hung up) or the server stops.
    pollfd fds[2] = {{stream_.fd(), POLLRDHUP, 0}, {stop_fd_, POLLIN, 0}};
    if (::poll(fds, 2, 0) < 0) return errno == EINTR;
    return fds[0].revents == 0 && fds[1].revents == 0;
  }

 private:
  ConnectionStream& stream_;
  int stop_fd_;
  std::chrono::milliseconds timeout_;
};

}  // namespace

bool ApiServer::answer(Connection& c, const ApiResponse& response, bool keep_alive) {
  const auto deadline = Clock::now() + options_.request_timeout;
  if (!response.stream) {
    return write_all(*c.stream, http_response_bytes(response, keep_alive), stop_fd_, deadline) &&
           keep_alive;
  }
  if (!write_all(*c.stream, http_stream_head(response, keep_alive), stop_fd_, deadline)) {
    return false;
  }
  SocketChunkWriter writer(*c.stream, stop_fd_, options_.request_timeout);
  response.stream(writer);
  // The last chunk; the stream's end may have been the client's, which this then finds.
  return write_all(*c.stream, "0\r\n\r\n", stop_fd_, Clock::now() + options_.request_timeout) &&
         keep_alive;
}

std::optional<ApiResponse> ApiServer::receive_upload(Connection& c, BodySink& sink, uint64_t length,
                                                     std::string& pending) {
  const auto deadline =
      Clock::now() + options_.request_timeout +
      std::chrono::seconds(length / std::max<uint64_t>(options_.min_upload_rate, 1));
  uint64_t left = length;
  char buffer[64 * 1024];
  while (left > 0) {
    std::string_view got;
    if (!pending.empty()) {
      got = pending;
    } else {
      const ssize_t n = read_some(*c.stream, buffer, sizeof buffer, stop_fd_, deadline);
      if (n <= 0) return std::nullopt;
      got = std::string_view(buffer, static_cast<size_t>(n));
    }
    const size_t take = static_cast<size_t>(std::min<uint64_t>(got.size(), left));
    std::optional<ApiResponse> refused = sink.write(got.substr(0, take));
    left -= take;
    // Bytes past the body belong to a next request (kept for it), unless they were pending.
    const std::string rest(got.substr(take));
    if (!pending.empty()) {
      pending.erase(0, take);
    } else {
      pending = rest;
    }
    if (refused) return refused;
  }
  return sink.finish();
}

void ApiServer::serve(Connection& c) {
  HttpRequestParser parser(options_.max_body, /*pause_after_head=*/true);
  std::string pending;  // bytes read past the request before (a pipelining client's)
  char buffer[16 * 1024];
  while (true) {
    // Idle until the first byte of a request, then the whole request by its deadline.
    auto deadline = Clock::now() + options_.idle_timeout;
    bool started = false;
    bool upload_decided = false;
    std::unique_ptr<BodySink> sink;
    while (parser.state() == HttpRequestParser::State::kHead ||
           parser.state() == HttpRequestParser::State::kBody ||
           (parser.state() == HttpRequestParser::State::kHeadDone && !upload_decided)) {
      if (parser.state() == HttpRequestParser::State::kHeadDone) {
        upload_decided = true;
        UploadStart start;
        if (uploads_) start = uploads_(api_request_of(parser.head()), parser.body_length());
        if (start.refused) {
          // The body stays unread: the connection cannot carry another request.
          (void)answer(c, *start.refused, false);
          return;
        }
        if (start.sink) {
          sink = std::move(start.sink);
          break;
        }
        parser.accept_body(options_.max_body);
        continue;
      }
      if (!pending.empty()) {
        const size_t used = parser.feed(pending);
        pending.erase(0, used);
      } else {
        const ssize_t n = c.stream->read(buffer, sizeof buffer);
        if (n == 0 || n == -1) return;  // the client closed, or the connection broke
        if (n == ConnectionStream::kWouldBlock) {
          if (!wait_ready(*c.stream, stop_fd_, deadline)) {
            if (parser.started()) {
              (void)answer(c, fault(408, "the request came too slowly"), false);
            }
            return;
          }
          continue;
        }
        const std::string_view got(buffer, static_cast<size_t>(n));
        const size_t used = parser.feed(got);
        pending.append(got.substr(used));
      }
      if (!started && parser.started()) {
        started = true;
        deadline = Clock::now() + options_.request_timeout;
      }
    }
    if (parser.state() == HttpRequestParser::State::kFailed) {
      // The connection's bytes cannot be trusted to frame another request: answer and close.
      (void)answer(c, fault(parser.error_status(), parser.error()), false);
      return;
    }
    if (sink) {
      const uint64_t length = parser.body_length();
      const bool keep = parser.head().keep_alive();
      (void)parser.take();
      std::optional<ApiResponse> response = receive_upload(c, *sink, length, pending);
      // Refused midway, the rest of the body is unread: the connection ends with the answer.
      const bool whole = response && response->status >= 200 && response->status < 300;
      sink.reset();  // a sink dropped before finish() leaves nothing behind
      if (!response) return;
      if (!answer(c, *response, keep && whole)) return;
      continue;
    }
    const HttpRequest request = parser.take();
    const bool keep = request.keep_alive();
    if (!answer(c, handler_(api_request_of(request)), keep)) return;
  }
}

}  // namespace rootstock::appliance
