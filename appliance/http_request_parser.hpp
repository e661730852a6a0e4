// HTTP/1.1 requests read off a connection (RFC 9112): the request line, the header fields and a
// body of Content-Length bytes, fed in whatever pieces the socket gives. Every limit is checked
// before the bytes are kept, so a client can make the parser hold at most kMaxHead bytes of
// head and `max_body` of body. What the API does not take is refused with the status a client
// should see: a chunked request body (411: send Content-Length), a head too long (431), a body
// too long (413), HTTP/2 or another version (505), anything malformed (400).
#pragma once

#include <stdint.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rootstock::appliance {

/// One request, whole.
struct HttpRequest {
  std::string method;     ///< "GET", as sent (methods are case-sensitive, RFC 9110 9.1)
  std::string target;     ///< the origin-form target: "/vms/a?follow=1"
  int minor_version = 1;  ///< HTTP/1.0 or HTTP/1.1
  /// Field names lower-cased, values without surrounding white space, in the order sent.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  /// The first field named `name` (lower case), if any.
  [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const;
  /// Whether the connection stays open after the answer (RFC 9112 9.3).
  [[nodiscard]] bool keep_alive() const;
  /// The target's path and query, split at '?'.
  [[nodiscard]] std::string_view path() const;
  [[nodiscard]] std::string_view query() const;
};

class HttpRequestParser {
 public:
  static constexpr size_t kMaxHead = 16 * 1024;  ///< request line and fields together
  static constexpr size_t kMaxFields = 64;

  /// kHeadDone only with pause_after_head: the head is whole and the body not yet taken.
  enum class State : uint8_t { kHead, kHeadDone, kBody, kDone, kFailed };

  /// Bodies up to `max_body` bytes are kept whole. With `pause_after_head` the parser stops
  /// once the head is whole (kHeadDone), so that the caller can look at it and either
  /// accept_body() or read the body itself (an upload larger than any buffer).
  explicit HttpRequestParser(size_t max_body, bool pause_after_head = false)
      : max_body_(max_body), pause_after_head_(pause_after_head) {}

  /// Takes bytes off the connection; returns how many it used (the rest belong to the next
  /// request, for a client that pipelines). Stops at kDone or kFailed.
  size_t feed(std::string_view bytes);

  [[nodiscard]] State state() const { return state_; }
  /// From kHeadDone on: the request's head (its body is still empty at kHeadDone).
  [[nodiscard]] const HttpRequest& head() const { return request_; }
  /// From kHeadDone on: the body's length (Content-Length, 0 without one).
  [[nodiscard]] size_t body_length() const { return body_length_; }
  /// kHeadDone: the body is read here as without pause_after_head, refused (413) if longer
  /// than `max_body`.
  void accept_body(size_t max_body);
  /// kDone: the request; kHeadDone: its head, the caller reading body_length() bytes itself.
  /// Taking it resets the parser for the next request on the connection.
  [[nodiscard]] HttpRequest take();
  /// kFailed: the status to answer with, and why (for the answer's body).
  [[nodiscard]] int error_status() const { return error_status_; }
  [[nodiscard]] const std::string& error() const { return error_; }
  /// Whether any byte of a request has come (a connection closed between requests is normal).
  [[nodiscard]] bool started() const { return !head_.empty() || state_ != State::kHead; }

 private:
  void fail(int status, std::string why);
  // The head is complete in head_ (up to the empty line): reads it into request_.
  void parse_head();
  bool parse_request_line(std::string_view line);
  bool parse_field(std::string_view line);
  void after_head();

  size_t max_body_;
  bool pause_after_head_;
  State state_ = State::kHead;
  std::string head_;
  HttpRequest request_;
  size_t body_length_ = 0;
  int error_status_ = 0;
  std::string error_;
};

}  // namespace rootstock::appliance
