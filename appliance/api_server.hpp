// The management API on a TCP socket: HTTP/1.1 (http_request_parser.hpp) with one thread per
// connection, each request handed to the handler (ApiRouter::handle) and its answer written
// back. What a client can hold is bounded: at most max_connections at once and
// max_per_client from one address (the next gets 503 and is closed), a request must arrive
// whole within request_timeout of its first byte, an idle keep-alive connection is closed after
// idle_timeout, an answer that cannot be written within request_timeout ends the connection.
// So a slow or half-open client holds one thread and one descriptor for a bounded time, and
// many of them cannot take more than the limits. A body the upload handler takes streams into
// its sink (an image never held whole) within request_timeout plus its length at
// min_upload_rate; an answer with a stream goes out in chunks (RFC 9112 7.1) until it ends.
#pragma once

#include <stdint.h>

#include <atomic>
#include <chrono>
#include <expected>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "appliance/api_message.hpp"
#include "appliance/connection_stream.hpp"
#include "appliance/http_request_parser.hpp"

namespace rootstock::appliance {

struct ApiServerOptions {
  /// A numeric IPv4 or IPv6 address to bind ("0.0.0.0", "::", "127.0.0.1").
  std::string address = "127.0.0.1";
  uint16_t port = 8080;  ///< 0: the kernel picks one (port() tells which)
  size_t max_connections = 32;
  size_t max_per_client = 8;
  size_t max_body = 1 << 20;
  std::chrono::milliseconds request_timeout{30'000};
  std::chrono::milliseconds idle_timeout{60'000};
  /// An upload may take request_timeout plus its length at this rate (bytes a second).
  uint64_t min_upload_rate = 64 * 1024;
  /// Wraps each accepted socket (TLS, tls_server.hpp); empty: plain HTTP. Called on the
  /// connection's own thread; null refuses the connection.
  std::function<std::unique_ptr<ConnectionStream>(int fd)> wrap;
};

/// What the API's routes see of a request off the wire.
[[nodiscard]] ApiRequest api_request_of(const HttpRequest& request);

class ApiServer {
 public:
  using Handler = std::function<ApiResponse(const ApiRequest&)>;
  /// Asked on each request's head (its body empty) with the body's length: whether the body
  /// streams into a sink instead of being kept (UploadStart). Empty: every body is kept.
  using UploadHandler = std::function<UploadStart(const ApiRequest&, uint64_t)>;

  /// Binds and listens, then accepts on a thread of its own; the reason when it cannot bind.
  [[nodiscard]] static std::expected<std::unique_ptr<ApiServer>, std::string> start(
      ApiServerOptions options, Handler handler, UploadHandler uploads = {});
  /// Stops accepting, ends every connection and joins their threads.
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  /// The port it listens on.
  [[nodiscard]] uint16_t port() const { return port_; }
  /// Connections open now.
  [[nodiscard]] size_t connections() const;

 private:
  struct Connection {
    int fd = -1;
    std::unique_ptr<ConnectionStream> stream;  // plain or TLS, over fd
    std::string client;                        // the peer's address, for max_per_client
    std::thread thread;
    std::atomic<bool> done{false};
  };

  ApiServer(ApiServerOptions options, Handler handler, UploadHandler uploads, int listen_fd,
            uint16_t port, int stop_fd);
  void accept_loop();
  void serve(Connection& c);
  // Streams the body of `head` (its length from the parser) into `sink`, `pending` first; the
  // answer, or nothing when the client went away or was too slow (the sink is dropped then).
  std::optional<ApiResponse> receive_upload(Connection& c, BodySink& sink, uint64_t length,
                                            std::string& pending);
  // Writes `response` (streamed when it has a stream); false when the connection must end.
  bool answer(Connection& c, const ApiResponse& response, bool keep_alive);
  // Joins the threads of connections that ended; under mutex_.
  void reap_locked();

  ApiServerOptions options_;
  Handler handler_;
  UploadHandler uploads_;
  int listen_fd_;
  uint16_t port_;
  int stop_fd_;               // an eventfd: readable once the server stops
  mutable std::mutex mutex_;  // connections_
  std::list<Connection> connections_;
  std::thread acceptor_;  // last: started once everything above exists
};

}  // namespace rootstock::appliance
