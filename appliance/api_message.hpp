// One request to the management API and its answer, as the API's logic sees them: the HTTP
// server (api_server.cpp) fills an ApiRequest from the wire and writes the ApiResponse back, so
// everything between is plain data the unit tests drive without a socket.
#pragma once

#include <stdint.h>

#include <string>
#include <string_view>

namespace rootstock::appliance {

struct ApiRequest {
  std::string method;         ///< "GET", "PUT", …
  std::string path;           ///< without the query: "/vms/vm1/drives/rootfs"
  std::string query;          ///< after '?', undecoded: "follow=1"
  std::string body;           ///< empty when the request had none
  std::string authorization;  ///< the Authorization header's value, or empty
};

struct ApiResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  /// An extra header for the answer ("WWW-Authenticate" on a 401), or empty.
  std::string header_name;
  std::string header_value;
};

/// 204 No Content: Firecracker's answer to every PUT or PATCH that succeeded.
[[nodiscard]] ApiResponse no_content();
/// `status` with a JSON body.
[[nodiscard]] ApiResponse json_answer(int status, std::string body);
/// `status` with Firecracker's error body, {"fault_message": message}.
[[nodiscard]] ApiResponse fault(int status, std::string_view message);

}  // namespace rootstock::appliance
