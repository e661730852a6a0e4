// A boot test's request to the appliance's management API (--http steps): one HTTP/1.1 request
// to 127.0.0.1 on the port QEMU forwards to the guest's API, and what its answer must be.
// The spec reads "[anonymous] [until] [cut] METHOD PATH [BODY] -> STATUS [TEXT]": BODY is sent
// as JSON when given, the answer must have STATUS and, when TEXT is given, contain it in its
// body; "anonymous" sends the request without the bearer token. A BODY of "@PATH" is the file at
// PATH, sent with its SHA-256 in X-Content-SHA256 (as an image upload carries it).
//   TEXT "!WORDS": the body must not contain WORDS.
//   TEXT "WORDS =>VAR": the body must contain WORDS, and the word after them is kept as VAR;
//   "{{VAR}}" in a later step's TEXT stands for it (so is a value a milestone captured).
//   "until": the request (a GET) is repeated until the answer is right or the step's time is up.
//   "cut": the request is sent with all its head but only the first half of its body, and the
//   connection closed — a client that went away mid-upload; it expects "-> none".
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace rootstock::harness {

struct ApiCall {
  bool anonymous = false;  ///< sent without the token
  std::string method;
  std::string path;
  std::string body;            ///< empty: no body
  std::string body_file;       ///< set: the body is this file's bytes (BODY was "@PATH")
  int status = 0;              ///< 0 with `cut`: no answer is read
  std::string expect_text;     ///< empty: any body
  bool expect_absent = false;  ///< expect_text must not be in the body
  std::string capture;         ///< set: the word after expect_text is kept under this name
  bool until = false;          ///< repeated until it passes
  bool cut = false;            ///< half the body, then the connection closed
};

/// Parses a --http spec; nullopt when it is not "METHOD PATH [BODY] -> STATUS [TEXT]".
[[nodiscard]] std::optional<ApiCall> parse_api_call(std::string_view spec);

/// An answer as it came.
struct ApiReply {
  int status = 0;
  std::string body;
};

/// How to reach the API.
struct ApiTarget {
  uint16_t port = 0;  ///< on 127.0.0.1
  std::string token;  ///< the bearer token; none when empty
  bool tls = false;   ///< HTTPS (tls_client.hpp)
  /// With tls: the certificate's SHA-256 the server must show (64 hex digits); empty: any.
  std::string pinned_sha256;
};

/// Sends `call` to `target` and reads the answer, all by `deadline`; the reason when that fails.
[[nodiscard]] std::optional<std::string> send_api_call(
    const ApiTarget& target, const ApiCall& call, std::chrono::steady_clock::time_point deadline,
    ApiReply& reply);

/// The call's verdict: nullopt when the reply is what the call expects, else why not. With
/// `capture`, the word after the text goes to `captured`.
[[nodiscard]] std::optional<std::string> judge_api_reply(const ApiCall& call, const ApiReply& reply,
                                                         std::string* captured = nullptr);

/// `text` with every "{{NAME}}" replaced by `lookup(NAME)`; nullopt names the first that has
/// no value (lookup returned nullopt).
[[nodiscard]] std::expected<std::string, std::string> substitute_variables(
    std::string_view text,
    const std::function<std::optional<std::string>(const std::string&)>& lookup);

}  // namespace rootstock::harness
