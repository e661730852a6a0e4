// Fuzzes the management API from the wire in: the bytes a client sends on one connection, fed
// to the HTTP request parser (appliance/http_request_parser.hpp) in pieces, and every request it
// completes answered by the API's routes (appliance/api_router.hpp) over a VM manager whose
// runner starts nothing (every start fails, as on an appliance without memory left).
//
// Input: one byte giving the piece size (1 to 64), then the connection's bytes (pipelined
// requests, with or without the token).
// Checked: nothing throws or reads outside its bytes (ASan); the parser never takes more than
// it is given, and refuses only with the statuses it documents (400, 411, 413, 431, 505); each
// answer has a status the API documents (200, 201, 204, 400, 401, 404), a 204 has no body, a
// 401 names its scheme, and every other answer's body is JSON (the console's text aside).
#include <stddef.h>
#include <stdint.h>

#include <nlohmann/json.hpp>
#include <string_view>

#include "appliance/api_router.hpp"
#include "appliance/api_server.hpp"
#include "appliance/http_request_parser.hpp"
#include "appliance/vm_manager.hpp"

using namespace rootstock::appliance;

namespace {

constexpr const char* kToken = "fuzz-token-0123456789abcdefghijklmnopqrstuvwxyz";

ApiRouterOptions token_options() {
  ApiRouterOptions o;
  o.token = kToken;
  return o;
}
constexpr size_t kMaxBody = 64 * 1024;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

class RefusingRunner final : public VmRunner {
 public:
  std::expected<std::unique_ptr<RunningVm>, std::string> start(VmLaunch) override {
    return std::unexpected(std::string("the fuzzer runs no VMs"));
  }
};

void check_answer(const ApiResponse& r) {
  check(r.status == 200 || r.status == 201 || r.status == 204 || r.status == 400 ||
        r.status == 401 || r.status == 404);
  if (r.status == 204) {
    check(r.body.empty());
    return;
  }
  if (r.status == 401) check(r.header_name == "WWW-Authenticate");
  if (r.content_type == "application/json") {
    check(!nlohmann::json::parse(r.body, nullptr, false).is_discarded());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const size_t piece = 1 + data[0] % 64;
  std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);
  // One manager per input: state from one input never leaks into the next.
  RefusingRunner runner;
  VmManager vms(runner);
  const ApiRouter router(vms, token_options());
  HttpRequestParser parser(kMaxBody);
  while (!stream.empty()) {
    const std::string_view bytes = stream.substr(0, piece);
    const size_t used = parser.feed(bytes);
    check(used <= bytes.size());
    stream.remove_prefix(used);
    if (parser.state() == HttpRequestParser::State::kFailed) {
      const int s = parser.error_status();
      check(s == 400 || s == 411 || s == 413 || s == 431 || s == 505);
      return 0;
    }
    if (parser.state() == HttpRequestParser::State::kDone) {
      check_answer(router.handle(api_request_of(parser.take())));
    } else if (used == 0) {
      return 0;  // a parser that takes nothing more waits for bytes that will not come
    }
  }
  return 0;
}
