// The boot-test harness's HTTP server (--http-file) over real loopback sockets: what a guest
// behind QEMU's guestfwd gets, including several requests on one stream as the forward sends them.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch_test_macros.hpp>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "http_file_server.hpp"

using namespace rootstock::harness;

namespace {

std::filesystem::path served_file(const std::string& name, const std::string& content) {
  const auto dir = std::filesystem::temp_directory_path() / "rootstock-http-tests";
  std::filesystem::create_directories(dir);
  const auto path = dir / name;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
  return path;
}

// A known content a few chunks long, with no two 64 KiB chunks alike.
std::string known_content(size_t size) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i) s[i] = static_cast<char>((i * 7 + i / 65536) & 0xff);
  return s;
}

// A client socket to the server; closed with it.
class Client {
 public:
  explicit Client(uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~Client() { ::close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  [[nodiscard]] bool connected() const { return connected_; }
  void send(const std::string& bytes) {
    REQUIRE(::write(fd_, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
  }
  // One response: its head and the Content-Length bytes after it (none for HEAD).
  struct Response {
    std::string head;
    std::string body;
  };
  std::optional<Response> response(bool head_only = false) {
    size_t end;
    while ((end = pending_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) return std::nullopt;
    }
    Response r{pending_.substr(0, end), ""};
    pending_.erase(0, end + 4);
    const size_t cl = r.head.find("Content-Length: ");
    const size_t length = cl == std::string::npos || head_only
                              ? 0
                              : std::stoul(r.head.substr(cl + 16, r.head.find('\r', cl) - cl));
    while (pending_.size() < length) {
      if (!fill()) return std::nullopt;
    }
    r.body = pending_.substr(0, length);
    pending_.erase(0, length);
    return r;
  }
  // Whether the server ended the connection (read returns 0 with nothing pending).
  bool closed_by_server() { return pending_.empty() && !fill(); }

 private:
  bool fill() {
    char buf[65536];
    const ssize_t n = ::read(fd_, buf, sizeof(buf));
    if (n <= 0) return false;
    pending_.append(buf, static_cast<size_t>(n));
    return true;
  }

  int fd_;
  bool connected_ = false;
  std::string pending_;
};

std::unique_ptr<HttpFileServer> start(const std::filesystem::path& file) {
  std::string error;
  auto server = HttpFileServer::start(file, error);
  INFO(error);
  REQUIRE(server);
  return server;
}

}  // namespace

TEST_CASE("http server: GET of the file gives its bytes with their length", "[harness]") {
  const std::string content = known_content(3 * 65536 + 123);
  auto server = start(served_file("fetch.bin", content));
  CHECK(server->url_path() == "/fetch.bin");
  CHECK(server->size() == content.size());
  CHECK(server->port() != 0);

  Client c(server->port());
  REQUIRE(c.connected());
  c.send("GET /fetch.bin HTTP/1.1\r\nHost: 10.0.2.100\r\nConnection: close\r\n\r\n");
  const auto r = c.response();
  REQUIRE(r);
  CHECK(r->head.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(r->head.find("Content-Length: " + std::to_string(content.size())) != std::string::npos);
  CHECK(r->body == content);
  const HttpServerStats stats = server->stats();
  CHECK(stats.connections == 1);
  CHECK(stats.requests == 1);
  CHECK(stats.files_sent == 1);
  CHECK(stats.body_bytes == content.size());
}

TEST_CASE("http server: one stream carries requests one after another (QEMU's guestfwd)",
          "[harness]") {
  const std::string content = known_content(100000);
  auto server = start(served_file("stream.bin", content));
  Client c(server->port());
  REQUIRE(c.connected());
  // The second request arrives split across writes, its head's end in a write of its own.
  c.send("GET /stream.bin?x=1 HTTP/1.0\r\n\r\nHEAD /stream.bin HTTP/1.1\r\nHost: a\r");
  const auto first = c.response();
  REQUIRE(first);
  CHECK(first->body == content);
  c.send("\n\r\n");
  const auto second = c.response(true);
  REQUIRE(second);
  CHECK(second->head.starts_with("HTTP/1.1 200 OK"));
  CHECK(second->head.find("Content-Length: 100000") != std::string::npos);
  c.send("GET /stream.bin HTTP/1.1\r\n\r\n");
  const auto third = c.response();
  REQUIRE(third);
  CHECK(third->body == content);
  CHECK(server->stats().requests == 3);
  CHECK(server->stats().files_sent == 2);
}

TEST_CASE("http server: other paths and methods are refused, a malformed request ends the stream",
          "[harness]") {
  auto server = start(served_file("only.bin", "abc"));
  Client c(server->port());
  REQUIRE(c.connected());
  c.send("GET /other.bin HTTP/1.1\r\n\r\n");
  auto r = c.response();
  REQUIRE(r);
  CHECK(r->head.starts_with("HTTP/1.1 404 Not Found"));
  CHECK(r->body.empty());
  c.send("POST /only.bin HTTP/1.1\r\n\r\n");
  r = c.response();
  REQUIRE(r);
  CHECK(r->head.starts_with("HTTP/1.1 405 Method Not Allowed"));
  c.send("GET only.bin\r\n\r\n");
  r = c.response();
  REQUIRE(r);
  CHECK(r->head.starts_with("HTTP/1.1 400 Bad Request"));
  CHECK(r->head.find("Connection: close") != std::string::npos);
  CHECK(c.closed_by_server());
  CHECK(server->stats().files_sent == 0);
}

TEST_CASE("http server: a request head past 8 KiB is refused", "[harness]") {
  auto server = start(served_file("big-head.bin", "abc"));
  Client c(server->port());
  REQUIRE(c.connected());
  c.send("GET /big-head.bin HTTP/1.1\r\nX-Long: " + std::string(9000, 'x'));
  const auto r = c.response();
  REQUIRE(r);
  CHECK(r->head.starts_with("HTTP/1.1 400 Bad Request"));
  CHECK(c.closed_by_server());
}

TEST_CASE("http server: stopping ends idle and busy connections", "[harness]") {
  auto server = start(served_file("stop.bin", known_content(8 << 20)));
  Client idle(server->port());
  Client busy(server->port());
  REQUIRE(idle.connected());
  REQUIRE(busy.connected());
  // Both served once, so both have their threads: the idle one waits for its next request.
  idle.send("HEAD /stop.bin HTTP/1.1\r\n\r\n");
  REQUIRE(idle.response(true));
  // The busy client stops reading after the head: the server blocks sending 8 MiB into a
  // full socket.
  busy.send("HEAD /stop.bin HTTP/1.1\r\n\r\nGET /stop.bin HTTP/1.1\r\n\r\n");
  REQUIRE(busy.response(true));
  server.reset();  // must return, joining both connection threads
  CHECK(idle.closed_by_server());
}

TEST_CASE("http server: a file that cannot be served is refused at start", "[harness]") {
  std::string error;
  CHECK_FALSE(HttpFileServer::start("/nonexistent/file.bin", error));
  CHECK(error.find("cannot open /nonexistent/file.bin") != std::string::npos);
  error.clear();
  CHECK_FALSE(HttpFileServer::start(std::filesystem::temp_directory_path(), error));
  CHECK(error.find("is not a regular file") != std::string::npos);
}
