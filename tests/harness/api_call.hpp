// A boot test's request to the appliance's management API (--http steps): one HTTP/1.1 request
// to 127.0.0.1 on the port QEMU forwards to the guest's API, and what its answer must be.
// The spec reads "[anonymous] METHOD PATH [BODY] -> STATUS [TEXT]": BODY is sent as JSON when
// given, the answer must have STATUS and, when TEXT is given, contain it in its body;
// "anonymous" sends the request without the bearer token. A BODY of "@PATH" is the file at PATH,
// sent with its SHA-256 in X-Content-SHA256 (as an image upload carries it).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rootstock::harness {

struct ApiCall {
  bool anonymous = false;  ///< sent without the token
  std::string method;
  std::string path;
  std::string body;       ///< empty: no body
  std::string body_file;  ///< set: the body is this file's bytes (BODY was "@PATH")
  int status = 0;
  std::string expect_text;  ///< empty: any body
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

/// The call's verdict: nullopt when the reply is what the call expects, else why not.
[[nodiscard]] std::optional<std::string> judge_api_reply(const ApiCall& call,
                                                         const ApiReply& reply);

}  // namespace rootstock::harness
