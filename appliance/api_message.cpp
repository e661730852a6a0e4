#include "appliance/api_message.hpp"

#include <nlohmann/json.hpp>

namespace rootstock::appliance {

ApiResponse no_content() {
  ApiResponse r;
  r.status = 204;
  r.content_type.clear();
  return r;
}

ApiResponse json_answer(int status, std::string body) {
  ApiResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

ApiResponse fault(int status, std::string_view message) {
  nlohmann::json o;
  o["fault_message"] = message;
  // A message quoting a client's bytes that are not UTF-8 is repaired, never thrown on.
  return json_answer(status, o.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace rootstock::appliance
