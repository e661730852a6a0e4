// appliance/http_request_parser, http_response and api_server: requests in any pieces, every
// refusal with its status, and the server over loopback — keep-alive, pipelining, the
// connection limits and the deadlines that keep slow clients from holding it.
#include <catch2/catch_test_macros.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "appliance/api_server.hpp"
#include "appliance/http_request_parser.hpp"
#include "appliance/http_response.hpp"

using namespace rootstock::appliance;
using namespace std::chrono_literals;
using State = HttpRequestParser::State;

namespace {

// Feeds `text` in pieces of `piece` bytes; the parser's state at the end.
State feed_in_pieces(HttpRequestParser& p, std::string_view text, size_t piece) {
  while (!text.empty() && (p.state() == State::kHead || p.state() == State::kBody)) {
    const size_t used = p.feed(text.substr(0, piece));
    text.remove_prefix(std::max<size_t>(used, 1));
  }
  return p.state();
}

int failure(std::string_view text, size_t max_body = 1024) {
  HttpRequestParser p(max_body);
  (void)p.feed(text);
  return p.state() == State::kFailed ? p.error_status() : 0;
}

// A client socket on the server's loopback port.
int connect_to(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  return fd;
}

void send_text(int fd, std::string_view text) {
  REQUIRE(::send(fd, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size()));
}

// Everything the server sends until it closes the connection or `timeout` passes.
std::string read_until_closed(int fd, std::chrono::milliseconds timeout = 5s) {
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// Reads until `count` responses' worth of "HTTP/1.1 " have come, or `timeout`.
std::string read_responses(int fd, size_t count, std::chrono::milliseconds timeout = 5s) {
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  auto responses = [&out] {
    size_t n = 0;
    for (size_t at = out.find("HTTP/1.1 "); at != std::string::npos;
         at = out.find("HTTP/1.1 ", at + 1)) {
      ++n;
    }
    return n;
  };
  while (responses() < count && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

ApiResponse echo(const ApiRequest& r) {
  return json_answer(200, "{\"method\":\"" + r.method + "\",\"path\":\"" + r.path +
                              "\",\"query\":\"" + r.query + "\",\"body\":\"" + r.body +
                              "\",\"auth\":\"" + r.authorization + "\"}");
}

}  // namespace

TEST_CASE("http: a request in any pieces", "[appliance][http]") {
  const std::string text =
      "PUT /vms/a/boot-source?x=1 HTTP/1.1\r\nHost: appliance\r\nContent-Type: application/json\r\n"
      "Content-Length: 12\r\nAuthorization:   Bearer abc  \r\n\r\n{\"k\": \"/k\"}\n";
  for (size_t piece : {size_t{1}, size_t{2}, size_t{3}, size_t{7}, text.size()}) {
    HttpRequestParser p(1024);
    REQUIRE(feed_in_pieces(p, text, piece) == State::kDone);
    const HttpRequest r = p.take();
    CHECK(r.method == "PUT");
    CHECK(r.path() == "/vms/a/boot-source");
    CHECK(r.query() == "x=1");
    CHECK(r.body == "{\"k\": \"/k\"}\n");
    CHECK(r.header("authorization") == "Bearer abc");
    CHECK(r.header("content-type") == "application/json");
    CHECK(r.keep_alive());
  }
}

TEST_CASE("http: pipelined requests are taken one at a time", "[appliance][http]") {
  const std::string two = "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.0\r\n\r\n";
  HttpRequestParser p(0);
  const size_t used = p.feed(two);
  REQUIRE(p.state() == State::kDone);
  CHECK(p.take().target == "/a");
  CHECK(used == two.find("GET /b"));
  (void)p.feed(std::string_view(two).substr(used));
  REQUIRE(p.state() == State::kDone);
  const HttpRequest b = p.take();
  CHECK(b.target == "/b");
  CHECK_FALSE(b.keep_alive());  // HTTP/1.0 without keep-alive
}

TEST_CASE("http: what is refused, and with which status", "[appliance][http]") {
  CHECK(failure("GET /a HTTP/2.0\r\n\r\n") == 505);
  CHECK(failure("GET /a\r\n\r\n") == 400);
  CHECK(failure("GET  /a HTTP/1.1\r\n\r\n") == 400);
  CHECK(failure("GET http://x/a HTTP/1.1\r\n\r\n") == 400);
  CHECK(failure("G(T /a HTTP/1.1\r\n\r\n") == 400);
  CHECK(failure("GET /a HTTP/1.1\r\nNo colon here\r\n\r\n") == 400);
  CHECK(failure("GET /a HTTP/1.1\r\nBad Name: x\r\n\r\n") == 400);
  CHECK(failure("GET /a HTTP/1.1\r\nX: a\x01z\r\n\r\n") == 400);
  CHECK(failure("GET /a HTTP/1.1\r\n folded: x\r\n\r\n") == 400);
  CHECK(failure("PUT /a HTTP/1.1\r\nContent-Length: 1x\r\n\r\n") == 400);
  CHECK(failure("PUT /a HTTP/1.1\r\nContent-Length: -1\r\n\r\n") == 400);
  CHECK(failure("PUT /a HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n") == 400);
  CHECK(failure("PUT /a HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n") == 400);
  CHECK(failure("PUT /a HTTP/1.1\r\nContent-Length: 1025\r\n\r\n") == 413);
  CHECK(failure("PUT /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n") == 411);
  std::string many = "GET /a HTTP/1.1\r\n";
  for (int i = 0; i < 65; ++i) many += "X" + std::to_string(i) + ": y\r\n";
  CHECK(failure(many + "\r\n") == 431);
  // A head that never ends is cut at 16 KiB, whatever the pieces.
  HttpRequestParser p(0);
  const std::string endless(HttpRequestParser::kMaxHead + 10, 'a');
  CHECK(feed_in_pieces(p, endless, 1000) == State::kFailed);
  CHECK(p.error_status() == 431);
  // Equal repeated lengths are one length.
  CHECK(failure("PUT /a HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx") == 0);
}

TEST_CASE("http: responses on the wire", "[appliance][http]") {
  const std::string ok = http_response_bytes(json_answer(200, "{}"), true);
  CHECK(ok.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(ok.find("Content-Length: 2\r\n") != std::string::npos);
  CHECK(ok.find("Connection: keep-alive\r\n\r\n{}") != std::string::npos);
  const std::string empty = http_response_bytes(no_content(), false);
  CHECK(empty.starts_with("HTTP/1.1 204 No Content\r\n"));
  CHECK(empty.find("Content-Length") == std::string::npos);
  CHECK(empty.ends_with("Connection: close\r\n\r\n"));
}

TEST_CASE("http server: requests over loopback, kept alive and pipelined", "[appliance][http]") {
  ApiServerOptions o;
  o.port = 0;
  auto server = ApiServer::start(o, echo);
  REQUIRE(server);
  const int fd = connect_to((*server)->port());
  send_text(fd,
            "GET /vms?x=1 HTTP/1.1\r\nAuthorization: Bearer t\r\n\r\n"
            "PUT /vms/a HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi");
  const std::string both = read_responses(fd, 2);
  CHECK(both.find("\"path\":\"/vms\",\"query\":\"x=1\"") != std::string::npos);
  CHECK(both.find("\"auth\":\"Bearer t\"") != std::string::npos);
  CHECK(both.find("\"method\":\"PUT\",\"path\":\"/vms/a\",\"query\":\"\",\"body\":\"hi\"") !=
        std::string::npos);
  // The same connection again, closing this time.
  send_text(fd, "GET /last HTTP/1.1\r\nConnection: close\r\n\r\n");
  const std::string last = read_until_closed(fd);
  CHECK(last.find("\"path\":\"/last\"") != std::string::npos);
  CHECK(last.find("Connection: close") != std::string::npos);
  ::close(fd);
}

TEST_CASE("http server: a bad request is answered and the connection ends", "[appliance][http]") {
  ApiServerOptions o;
  o.port = 0;
  o.max_body = 8;
  auto server = ApiServer::start(o, echo);
  REQUIRE(server);
  const int fd = connect_to((*server)->port());
  send_text(fd, "PUT /a HTTP/1.1\r\nContent-Length: 9\r\n\r\n123456789");
  const std::string r = read_until_closed(fd);
  CHECK(r.starts_with("HTTP/1.1 413 "));
  CHECK(r.find("fault_message") != std::string::npos);
  ::close(fd);
}

TEST_CASE("http server: slow and idle clients are cut off", "[appliance][http]") {
  ApiServerOptions o;
  o.port = 0;
  o.request_timeout = 300ms;
  o.idle_timeout = 300ms;
  o.max_connections = 4;
  o.max_per_client = 2;
  auto server = ApiServer::start(o, echo);
  REQUIRE(server);
  const uint16_t port = (*server)->port();

  // A request that never completes: 408 once its time is up, then closed.
  const int slow = connect_to(port);
  send_text(slow, "GET /a HTTP/1.1\r\nHost:");
  const auto t0 = std::chrono::steady_clock::now();
  const std::string cut = read_until_closed(slow);
  CHECK(cut.starts_with("HTTP/1.1 408 "));
  CHECK(std::chrono::steady_clock::now() - t0 < 3s);
  ::close(slow);

  // An idle connection is closed without a word.
  const int idle = connect_to(port);
  CHECK(read_until_closed(idle).empty());
  ::close(idle);
}

TEST_CASE("http server: connections beyond the per-client limit are told at once",
          "[appliance][http]") {
  // Idle connections are kept long here: the test holds two while it opens a third, however
  // slowly a loaded machine runs it.
  ApiServerOptions o;
  o.port = 0;
  o.idle_timeout = 60s;
  o.max_connections = 4;
  o.max_per_client = 2;
  auto server = ApiServer::start(o, echo);
  REQUIRE(server);
  const uint16_t port = (*server)->port();
  // Two from one address are all it keeps; a third is told at once.
  const int a = connect_to(port);
  const int b = connect_to(port);
  // Wait until the server has taken both.
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while ((*server)->connections() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  REQUIRE((*server)->connections() == 2);
  const int third = connect_to(port);
  const std::string busy = read_until_closed(third, 2s);
  CHECK(busy.starts_with("HTTP/1.1 503 "));
  ::close(third);
  ::close(a);
  ::close(b);
}

TEST_CASE("http server: addresses it cannot bind are refused with the reason",
          "[appliance][http]") {
  ApiServerOptions o;
  o.address = "not-an-address";
  auto bad = ApiServer::start(o, echo);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().find("not a numeric") != std::string::npos);
  ApiServerOptions first;
  first.port = 0;
  auto one = ApiServer::start(first, echo);
  REQUIRE(one);
  ApiServerOptions second;
  second.port = (*one)->port();
  auto two = ApiServer::start(second, echo);
  REQUIRE_FALSE(two);
  CHECK(two.error().find("bind") != std::string::npos);
}

namespace {

// A sink that counts what streams into it and whether it was finished or dropped.
struct UploadRecord {
  std::atomic<uint64_t> bytes{0};
  std::atomic<bool> finished{false};
  std::atomic<bool> dropped{false};
};

class RecordingSink final : public BodySink {
 public:
  explicit RecordingSink(UploadRecord& r) : r_(r) {}
  ~RecordingSink() override {
    if (!r_.finished) r_.dropped = true;
  }
  std::optional<ApiResponse> write(std::string_view bytes) override {
    r_.bytes += bytes.size();
    return std::nullopt;
  }
  ApiResponse finish() override {
    r_.finished = true;
    return json_answer(201, "{\"bytes\":" + std::to_string(r_.bytes.load()) + "}");
  }

 private:
  UploadRecord& r_;
};

}  // namespace

TEST_CASE("http server: an upload larger than any body streams through", "[appliance][http]") {
  UploadRecord record;
  ApiServerOptions o;
  o.port = 0;
  o.max_body = 1024;
  auto server = ApiServer::start(o, echo, [&record](const ApiRequest& head, uint64_t) {
    UploadStart s;
    if (head.path == "/images/big") s.sink = std::make_unique<RecordingSink>(record);
    return s;
  });
  REQUIRE(server);
  const int fd = connect_to((*server)->port());
  const size_t size = 3 << 20;
  send_text(fd, "PUT /images/big HTTP/1.1\r\nContent-Length: " + std::to_string(size) + "\r\n\r\n");
  const std::string chunk(64 * 1024, 'z');
  for (size_t sent = 0; sent < size; sent += chunk.size()) send_text(fd, chunk);
  // The connection carries the next request after it.
  send_text(fd, "GET /after HTTP/1.1\r\n\r\n");
  const std::string r = read_responses(fd, 2);
  CHECK(r.find("HTTP/1.1 201 ") != std::string::npos);
  CHECK(r.find("{\"bytes\":" + std::to_string(size) + "}") != std::string::npos);
  CHECK(r.find("\"path\":\"/after\"") != std::string::npos);
  CHECK(record.finished);
  ::close(fd);
}

TEST_CASE("http server: a cut upload is dropped, never finished", "[appliance][http]") {
  UploadRecord record;
  ApiServerOptions o;
  o.port = 0;
  auto server = ApiServer::start(o, echo, [&record](const ApiRequest&, uint64_t) {
    UploadStart s;
    s.sink = std::make_unique<RecordingSink>(record);
    return s;
  });
  REQUIRE(server);
  const int fd = connect_to((*server)->port());
  send_text(fd, "PUT /images/x HTTP/1.1\r\nContent-Length: 1000\r\n\r\nonly this much");
  ::close(fd);
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!record.dropped && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  CHECK(record.dropped);
  CHECK_FALSE(record.finished);
}

TEST_CASE("http server: an answer streams in chunks until it ends", "[appliance][http]") {
  ApiServerOptions o;
  o.port = 0;
  auto server = ApiServer::start(o, [](const ApiRequest&) {
    ApiResponse r;
    r.content_type = "text/plain";
    r.stream = [](ChunkWriter& out) {
      for (const char* piece : {"one\n", "two\n", "three\n"}) {
        if (!out.write(piece)) return;
      }
    };
    return r;
  });
  REQUIRE(server);
  const int fd = connect_to((*server)->port());
  send_text(fd, "GET /vms/a/console?follow=1 HTTP/1.1\r\nConnection: close\r\n\r\n");
  const std::string r = read_until_closed(fd);
  CHECK(r.find("Transfer-Encoding: chunked\r\n") != std::string::npos);
  CHECK(r.find("\r\n\r\n4\r\none\n\r\n4\r\ntwo\n\r\n6\r\nthree\n\r\n0\r\n\r\n") !=
        std::string::npos);
  ::close(fd);
}
