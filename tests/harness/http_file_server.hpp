// One file over HTTP/1.1 on the test host's loopback, for boot tests whose guests fetch it
// through QEMU's user network (a guestfwd to 127.0.0.1, qemu_user_net.hpp). Only 127.0.0.1 is
// bound, so nothing but this host reaches it.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace rootstock::harness {

/// What a server has done so far.
struct HttpServerStats {
  uint64_t connections = 0;  ///< accepted (QEMU's guestfwd makes one when it starts)
  uint64_t requests = 0;     ///< requests answered, whatever the status
  uint64_t files_sent = 0;   ///< GETs of the file whose body went out whole
  uint64_t body_bytes = 0;   ///< bytes of the file sent, in whole bodies and cut ones
};

/// Serves the file at "/<its name>" (GET and HEAD; 404 for other paths, 405 for other
/// methods, 400 for a malformed request, which also ends its connection). A connection stays
/// open after a response until the client closes it: QEMU's guestfwd connects to the server
/// once when it starts and carries every guest connection to the forwarded address over that one
/// stream, one after the other, so each request is read after the one before.
class HttpFileServer {
 public:
  /// Opens `file` and listens on 127.0.0.1 at a port the kernel picks; nullptr with the reason in
  /// `error` when it cannot. Connections are accepted as soon as this returns.
  static std::unique_ptr<HttpFileServer> start(const std::filesystem::path& file,
                                               std::string& error);

  HttpFileServer(const HttpFileServer&) = delete;
  HttpFileServer& operator=(const HttpFileServer&) = delete;
  /// Stops accepting, ends every connection (shutdown wakes their threads) and joins them.
  ~HttpFileServer();

  [[nodiscard]] uint16_t port() const { return port_; }
  /// The path a request names to get the file: "/" and the file's name.
  [[nodiscard]] const std::string& url_path() const { return url_path_; }
  /// The file's size when the server started; the Content-Length of every response.
  [[nodiscard]] uint64_t size() const { return size_; }
  [[nodiscard]] HttpServerStats stats() const;

 private:
  HttpFileServer(int file_fd, uint64_t size, std::string url_path, int listen_fd, uint16_t port,
                 int stop_fd);

  void accept_loop();
  void serve(int fd);
  void serve_requests(int fd);
  // One request's answer; false when the connection is to end.
  bool answer(int fd, std::string_view head);
  bool send_body(int fd);

  int file_fd_;
  uint64_t size_;
  std::string url_path_;
  int listen_fd_;
  uint16_t port_;
  int stop_fd_;  // an eventfd: the accept loop ends when it is readable

  std::atomic<uint64_t> connections_accepted_{0};
  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> files_sent_{0};
  std::atomic<uint64_t> body_bytes_{0};

  // Lock order: mutex_ alone. Connection fds stay open until the destructor has joined their
  // threads, so a shutdown() there never reaches an fd number the kernel gave to someone else.
  std::mutex mutex_;
  bool stopping_ = false;
  std::vector<int> connections_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;  // last: starts once the members above exist
};

}  // namespace rootstock::harness
