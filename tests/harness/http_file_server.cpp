#include "http_file_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

namespace rootstock::harness {
namespace {

// A request's head (request line and header fields) longer than this is refused: the clients
// here (busybox's wget, curl) send a few hundred bytes.
constexpr size_t kMaxHead = 8192;
constexpr size_t kChunk = 64 * 1024;
constexpr std::string_view kHeadEnd = "\r\n\r\n";

std::string errno_text(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

bool send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    // MSG_NOSIGNAL: a client that went away is an error here, not a SIGPIPE for the harness.
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// RFC 9112, 3: request-line = method SP request-target SP HTTP-version.
struct RequestLine {
  std::string_view method;
  std::string_view path;  // the origin-form target without its query
  bool valid = false;
};

RequestLine parse_request_line(std::string_view head) {
  const std::string_view line = head.substr(0, head.find("\r\n"));
  RequestLine r;
  const size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return r;
  const size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) return r;
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (target.empty() || target.front() != '/' || !line.substr(sp2 + 1).starts_with("HTTP/1.")) {
    return r;
  }
  r.method = line.substr(0, sp1);
  r.path = target.substr(0, target.find('?'));
  r.valid = !r.method.empty();
  return r;
}

std::string status_head(std::string_view status, uint64_t length, bool closing) {
  std::string head = "HTTP/1.1 ";
  head += status;
  head += "\r\nContent-Length: " + std::to_string(length) + "\r\n";
  if (length != 0) head += "Content-Type: application/octet-stream\r\n";
  if (closing) head += "Connection: close\r\n";
  return head + "\r\n";
}

}  // namespace

std::unique_ptr<HttpFileServer> HttpFileServer::start(const std::filesystem::path& file,
                                                      std::string& error) {
  const int file_fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st{};
  if (file_fd < 0 || ::fstat(file_fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    error = file_fd < 0 ? errno_text(("cannot open " + file.string()).c_str())
                        : file.string() + " is not a regular file";
    if (file_fd >= 0) ::close(file_fd);
    return nullptr;
  }
  const int listen_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;  // the kernel picks a free port: no window in which another could take it
  socklen_t len = sizeof(addr);
  const auto* any = reinterpret_cast<sockaddr*>(&addr);
  if (listen_fd < 0 || ::bind(listen_fd, any, sizeof(addr)) != 0 || ::listen(listen_fd, 16) != 0 ||
      ::getsockname(listen_fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    error = errno_text("cannot listen on 127.0.0.1");
    if (listen_fd >= 0) ::close(listen_fd);
    ::close(file_fd);
    return nullptr;
  }
  const int stop_fd = ::eventfd(0, EFD_CLOEXEC);
  if (stop_fd < 0) {
    error = errno_text("eventfd");
    ::close(listen_fd);
    ::close(file_fd);
    return nullptr;
  }
  return std::unique_ptr<HttpFileServer>(
      new HttpFileServer(file_fd, static_cast<uint64_t>(st.st_size), "/" + file.filename().string(),
                         listen_fd, ntohs(addr.sin_port), stop_fd));
}

HttpFileServer::HttpFileServer(int file_fd, uint64_t size, std::string url_path, int listen_fd,
                               uint16_t port, int stop_fd)
    : file_fd_(file_fd),
      size_(size),
      url_path_(std::move(url_path)),
      listen_fd_(listen_fd),
      port_(port),
      stop_fd_(stop_fd),
      acceptor_([this] { accept_loop(); }) {}

HttpFileServer::~HttpFileServer() {
  const uint64_t one = 1;
  (void)!::write(stop_fd_, &one, sizeof(one));
  acceptor_.join();
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (const int fd : connections_) ::shutdown(fd, SHUT_RDWR);
  }
  // No thread is added once stopping_ is set and the acceptor has ended.
  for (std::thread& t : threads_) t.join();
  for (const int fd : connections_) ::close(fd);
  ::close(stop_fd_);
  ::close(listen_fd_);
  ::close(file_fd_);
}

HttpServerStats HttpFileServer::stats() const {
  return {connections_accepted_.load(), requests_.load(), files_sent_.load(), body_bytes_.load()};
}

void HttpFileServer::accept_loop() {
  pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
  for (;;) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    if (fds[0].revents == 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;  // the client gave up in between, or out of fds for now
    ++connections_accepted_;
    std::lock_guard lock(mutex_);
    connections_.push_back(fd);
    threads_.emplace_back([this, fd] { serve(fd); });
  }
}

void HttpFileServer::serve(int fd) {
  serve_requests(fd);
  // The client sees the end now; the fd itself is closed by the destructor (mutex_'s note).
  ::shutdown(fd, SHUT_RDWR);
}

void HttpFileServer::serve_requests(int fd) {
  std::string pending;
  char buf[4096];
  for (;;) {
    size_t end;
    while ((end = pending.find(kHeadEnd)) == std::string::npos) {
      if (pending.size() > kMaxHead) {
        (void)answer(fd, "");
        return;
      }
      const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // the client closed, or the destructor shut the connection down
      pending.append(buf, static_cast<size_t>(n));
    }
    const std::string head = pending.substr(0, end);
    pending.erase(0, end + kHeadEnd.size());
    if (!answer(fd, head)) return;
  }
}

bool HttpFileServer::answer(int fd, std::string_view head) {
  ++requests_;
  const RequestLine req = parse_request_line(head);
  if (!req.valid) {
    (void)send_all(fd, status_head("400 Bad Request", 0, true));
    return false;
  }
  if (req.method != "GET" && req.method != "HEAD") {
    return send_all(fd, status_head("405 Method Not Allowed", 0, false));
  }
  if (req.path != url_path_) return send_all(fd, status_head("404 Not Found", 0, false));
  if (!send_all(fd, status_head("200 OK", size_, false))) return false;
  if (req.method == "HEAD") return true;
  if (!send_body(fd)) return false;
  ++files_sent_;
  return true;
}

bool HttpFileServer::send_body(int fd) {
  std::string chunk(kChunk, '\0');
  for (uint64_t off = 0; off < size_;) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(kChunk, size_ - off));
    const ssize_t n = ::pread(file_fd_, chunk.data(), want, static_cast<off_t>(off));
    if (n < 0 && errno == EINTR) continue;
    // A file that shrank since start(): the promised length cannot be kept, so the
    // connection ends and the client sees a short body.
    if (n <= 0) return false;
    if (!send_all(fd, std::string_view(chunk.data(), static_cast<size_t>(n)))) return false;
    off += static_cast<uint64_t>(n);
    body_bytes_ += static_cast<uint64_t>(n);
  }
  return true;
}

}  // namespace rootstock::harness
