// An ApiResponse on the wire as an HTTP/1.1 response (RFC 9112 4, 6): the status line, the
// fields a client needs to find the end of the body and whether the connection stays, the body.
#pragma once

#include <string>

#include "appliance/api_message.hpp"

namespace rootstock::appliance {

/// The reason phrase for a status the API answers with ("Not Found"); "Unknown" otherwise.
[[nodiscard]] const char* reason_phrase(int status);

/// The whole response. A 204 or 304 carries no body and no Content-Length (RFC 9110 8.6).
[[nodiscard]] std::string http_response_bytes(const ApiResponse& response, bool keep_alive);

/// The status line and fields of a streamed answer (Transfer-Encoding: chunked); its chunks
/// follow.
[[nodiscard]] std::string http_stream_head(const ApiResponse& response, bool keep_alive);

}  // namespace rootstock::appliance
