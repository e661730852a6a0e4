// One request to the management API and its answer, as the API's logic sees them: the HTTP
// server (api_server.cpp) fills an ApiRequest from the wire and writes the ApiResponse back, so
// everything between is plain data the unit tests drive without a socket.
#pragma once

#include <stdint.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace rootstock::appliance {

struct ApiRequest {
  std::string method;          ///< "GET", "PUT", …
  std::string path;            ///< without the query: "/vms/vm1/drives/rootfs"
  std::string query;           ///< after '?', undecoded: "follow=1"
  std::string body;            ///< empty when the request had none
  std::string authorization;   ///< the Authorization header's value, or empty
  std::string content_sha256;  ///< X-Content-SHA256: the digest an upload must have, or empty
};

/// Sends a streamed answer's body piece by piece (the server's chunked transfer coding).
class ChunkWriter {
 public:
  virtual ~ChunkWriter() = default;
  /// Sends `bytes` as one chunk (nothing for none); false once the client is gone, does not take
  /// them in time, or the server stops: the stream should end then.
  [[nodiscard]] virtual bool write(std::string_view bytes) = 0;
  /// Whether the client is still there and the server not stopping, for a stream that waits
  /// between chunks.
  [[nodiscard]] virtual bool open() = 0;
};

struct ApiResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  /// An extra header for the answer ("WWW-Authenticate" on a 401), or empty.
  std::string header_name;
  std::string header_value;
  /// Set: the body is not `body` but what this writes, in chunks, until it returns (a console
  /// followed as it grows). It runs on the connection's thread.
  std::function<void(ChunkWriter&)> stream;
};

/// Where a request's body goes when it is too large to keep whole (an image upload): piece by
/// piece as it arrives. Destroyed without finish(), the body was cut off and the sink leaves
/// nothing behind.
class BodySink {
 public:
  virtual ~BodySink() = default;
  /// The body's next bytes; an answer refuses the rest (the connection then ends).
  [[nodiscard]] virtual std::optional<ApiResponse> write(std::string_view bytes) = 0;
  /// The whole body has come: the answer.
  [[nodiscard]] virtual ApiResponse finish() = 0;
};

/// What becomes of a request's body, decided on its head alone.
struct UploadStart {
  std::unique_ptr<BodySink> sink;      ///< set: the body streams into it
  std::optional<ApiResponse> refused;  ///< set: answered at once, the body never read
  // Neither: the body is read whole and the request handled as any other.
};

/// 204 No Content: Firecracker's answer to every PUT or PATCH that succeeded.
[[nodiscard]] ApiResponse no_content();
/// `status` with a JSON body.
[[nodiscard]] ApiResponse json_answer(int status, std::string body);
/// `status` with Firecracker's error body, {"fault_message": message}.
[[nodiscard]] ApiResponse fault(int status, std::string_view message);

}  // namespace rootstock::appliance
