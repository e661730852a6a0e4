#include "appliance/http_request_parser.hpp"

#include <algorithm>
#include <charconv>

namespace rootstock::appliance {
namespace {

constexpr std::string_view kEndOfHead = "\r\n\r\n";

// RFC 9110 5.6.2: tchar, the characters of a token (a method, a field name).
bool is_tchar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar);
}

// A field value may hold visible characters, spaces, tabs and obs-text (RFC 9110 5.5); never
// CR, LF or NUL.
bool is_field_value(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\t') || u == 0x7f;
  });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The request target's characters (RFC 3986): visible ASCII only.
bool is_target(std::string_view s) {
  return !s.empty() && s.front() == '/' && std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f;
  });
}

}  // namespace

std::optional<std::string_view> HttpRequest::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return std::string_view(v);
  }
  return std::nullopt;
}

bool HttpRequest::keep_alive() const {
  const std::string connection = lower(header("connection").value_or(""));
  if (minor_version == 0) return connection == "keep-alive";
  return connection != "close";
}

std::string_view HttpRequest::path() const {
  std::string_view t = target;
  return t.substr(0, t.find('?'));
}

std::string_view HttpRequest::query() const {
  std::string_view t = target;
  const size_t q = t.find('?');
  return q == std::string_view::npos ? std::string_view() : t.substr(q + 1);
}

void HttpRequestParser::fail(int status, std::string why) {
  state_ = State::kFailed;
  error_status_ = status;
  error_ = std::move(why);
}

size_t HttpRequestParser::feed(std::string_view bytes) {
  size_t used = 0;
  if (state_ == State::kHead) {
    // The end of the head may straddle two pieces: look from a little before the new bytes.
    const size_t look_from = head_.size() >= 3 ? head_.size() - 3 : 0;
    const size_t room = kMaxHead - head_.size();
    const size_t take = std::min(bytes.size(), room);
    head_.append(bytes.substr(0, take));
    const size_t end = head_.find(kEndOfHead, look_from);
    if (end == std::string::npos) {
      if (head_.size() >= kMaxHead) fail(431, "the request's head is longer than 16 KiB");
      return take;
    }
    // Only the bytes up to the end of the head belong to it.
    const size_t head_end = end + kEndOfHead.size();
    used = take - (head_.size() - head_end);
    head_.resize(head_end);
    parse_head();
    if (state_ != State::kBody) return used;  // kHeadDone waits for accept_body()
    bytes.remove_prefix(used);
  }
  if (state_ == State::kBody) {
    const size_t take = std::min(bytes.size(), body_length_ - request_.body.size());
    request_.body.append(bytes.substr(0, take));
    used += take;
    if (request_.body.size() == body_length_) state_ = State::kDone;
  }
  return used;
}

void HttpRequestParser::parse_head() {
  std::string_view head = head_;
  head.remove_suffix(kEndOfHead.size());
  // RFC 9112 2.2: a server should ignore empty lines before the request line.
  while (head.starts_with("\r\n")) head.remove_prefix(2);
  const size_t line_end = head.find("\r\n");
  if (!parse_request_line(head.substr(0, line_end))) return;
  if (line_end != std::string_view::npos) {
    std::string_view fields = head.substr(line_end + 2);
    while (true) {
      const size_t end = fields.find("\r\n");
      if (!parse_field(fields.substr(0, end))) return;
      if (end == std::string_view::npos) break;
      fields.remove_prefix(end + 2);
    }
  }
  after_head();
}

bool HttpRequestParser::parse_request_line(std::string_view line) {
  // method SP request-target SP HTTP-version (RFC 9112 3)
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    fail(400, "the request line is not METHOD TARGET HTTP/1.1");
    return false;
  }
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!is_token(method)) {
    fail(400, "the method is not a token");
    return false;
  }
  if (!is_target(target)) {
    fail(400, "the target is not a path starting with /");
    return false;
  }
  if (version == "HTTP/1.1") {
    request_.minor_version = 1;
  } else if (version == "HTTP/1.0") {
    request_.minor_version = 0;
  } else {
    fail(505, "only HTTP/1.1 and HTTP/1.0 are served");
    return false;
  }
  request_.method = method;
  request_.target = target;
  return true;
}

bool HttpRequestParser::parse_field(std::string_view line) {
  // field-name ":" OWS field-value OWS (RFC 9112 5); no obsolete line folding (5.2: reject).
  if (request_.headers.size() >= kMaxFields) {
    fail(431, "more than 64 header fields");
    return false;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) {
    fail(400, "a header field is not NAME: VALUE");
    return false;
  }
  const std::string_view value = trim(line.substr(colon + 1));
  if (!is_field_value(value)) {
    fail(400, "a header field's value holds control characters");
    return false;
  }
  request_.headers.emplace_back(lower(line.substr(0, colon)), std::string(value));
  return true;
}

void HttpRequestParser::after_head() {
  if (request_.header("transfer-encoding")) {
    // RFC 9112 6.1: a server that does not take a transfer coding answers 501; a body in chunks
    // is the only one clients send, and Content-Length does the same job here.
    fail(411, "a chunked request body is not taken: send Content-Length");
    return;
  }
  size_t length = 0;
  bool seen = false;
  for (const auto& [name, value] : request_.headers) {
    if (name != "content-length") continue;
    size_t n = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    // RFC 9112 6.3: several differing lengths, or one that is not a number, are fatal.
    if (ec != std::errc() || end != value.data() + value.size() || (seen && n != length)) {
      fail(400, "the Content-Length is not one decimal number");
      return;
    }
    length = n;
    seen = true;
  }
  body_length_ = length;
  if (pause_after_head_) {
    state_ = State::kHeadDone;
    return;
  }
  accept_body(max_body_);
}

void HttpRequestParser::accept_body(size_t max_body) {
  if (body_length_ > max_body) {
    fail(413, "the body is longer than " + std::to_string(max_body) + " bytes");
    return;
  }
  request_.body.reserve(body_length_);
  state_ = body_length_ == 0 ? State::kDone : State::kBody;
}

HttpRequest HttpRequestParser::take() {
  HttpRequest r = std::move(request_);
  request_ = HttpRequest{};
  head_.clear();
  body_length_ = 0;
  state_ = State::kHead;
  return r;
}

}  // namespace rootstock::appliance
