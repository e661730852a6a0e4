#include "appliance/api_router.hpp"

#include <charconv>
#include <chrono>

#include <nlohmann/json.hpp>

#include "appliance/api_images.hpp"
#include "appliance/firecracker_api.hpp"
#include "appliance/image_paths.hpp"
#include "appliance/json_fields.hpp"
#include "appliance/spec_dir.hpp"
#include "appliance/vm_log.hpp"
#include "appliance/vm_spec_sections.hpp"

namespace rootstock::appliance {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kBearer = "Bearer ";
constexpr std::string_view kVmsPrefix = "/vms/";

std::string dump(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Json vm_json(const VmInfo& info) {
  Json o = Json::object();
  o["id"] = info.id;
  o["name"] = info.name;
  o["state"] = describe(info.state);
  o["start_count"] = info.start_count;
  if (info.last_exit) {
    Json e = Json::object();
    e["reason"] = describe(info.last_exit->reason);
    if (!info.last_exit->detail.empty()) e["detail"] = info.last_exit->detail;
    o["last_exit"] = std::move(e);
  }
  return o;
}

// Whether one of the query's &-separated fields `key`=VALUE has a VALUE `take` accepts (it may
// keep what it read); the fields are looked at in order until one is taken.
template <typename Take>
bool take_query_value(std::string_view query, std::string_view key, Take take) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view field = query.substr(0, amp);
    if (field.size() > key.size() && field.starts_with(key) && field[key.size()] == '=' &&
        take(field.substr(key.size() + 1))) {
      return true;
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return false;
}

// Whether the query asks to follow: follow=1 or follow=true among its fields.
bool wants_follow(std::string_view query) {
  return take_query_value(query, "follow",
                          [](std::string_view v) { return v == "1" || v == "true"; });
}

// ?lines=N of GET /logs: the newest N lines (1000 when not given, at most 100000).
size_t log_lines(std::string_view query) {
  constexpr size_t kDefault = 1000;
  constexpr size_t kMost = 100000;
  size_t n = 0;
  const bool given = take_query_value(query, "lines", [&n](std::string_view v) {
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    return ec == std::errc() && end == v.data() + v.size();
  });
  return given ? std::min(n, kMost) : kDefault;
}

ApiResponse manager_refusal(const VmError& e) {
  return fault(e.code == VmErrc::kNotFound ? 404 : 400, e.message);
}

ApiResponse unauthorized() {
  ApiResponse r = fault(401, "this API needs the appliance's token: Authorization: Bearer …");
  r.header_name = "WWW-Authenticate";
  r.header_value = "Bearer realm=\"rootstock\"";
  return r;
}

ApiResponse invalid_path(const ApiRequest& r) {
  return fault(400, "Invalid request method and/or path: " + r.method + " " + r.path + ".");
}

// POST /vms's body: a whole spec, with the VM's id beside its keys if the client picks it.
struct NewVm {
  std::optional<std::string> id;
  VmSpec spec;
};

std::expected<NewVm, SpecError> parse_new_vm(std::string_view body) {
  auto doc = sections::parse_document(body);
  if (!doc) return std::unexpected(doc.error());
  NewVm vm;
  if (doc->is_object()) {
    if (auto it = doc->find("id"); it != doc->end()) {
      if (!it->is_string() || !is_valid_id(it->get_ref<const std::string&>())) {
        return std::unexpected(SpecError{"id", "must be 1 to 64 of A-Z a-z 0-9 _ -"});
      }
      vm.id = it->get<std::string>();
      doc->erase(it);
    }
  }
  auto spec = parse_vm_spec(dump(*doc));
  if (!spec) return std::unexpected(spec.error());
  vm.spec = std::move(*spec);
  return vm;
}

}  // namespace

bool ApiRouter::authorized(std::string_view authorization) const {
  if (options_.token.empty()) return true;
  if (!authorization.starts_with(kBearer)) return false;
  std::string_view given = authorization.substr(kBearer.size());
  // Every byte of the longer of the two is looked at, whatever differs first.
  const std::string& want = options_.token;
  unsigned diff = given.size() == want.size() ? 0 : 1;
  const size_t n = std::max(given.size(), want.size());
  for (size_t i = 0; i < n; ++i) {
    const auto a = static_cast<unsigned char>(i < given.size() ? given[i] : 0);
    const auto b = static_cast<unsigned char>(i < want.size() ? want[i] : 0);
    diff |= static_cast<unsigned>(a ^ b);
  }
  return diff == 0;
}

ApiResponse ApiRouter::handle(const ApiRequest& request) const {
  const auto start = std::chrono::steady_clock::now();
  std::optional<std::string> changed_vm;
  ApiResponse response = route(request, changed_vm);
  if (changed_vm && request.method != "GET" && response.status >= 200 && response.status < 300) {
    if (auto failed = keep(*changed_vm)) {
      response = fault(500,
                       "the change was made but the appliance could not keep it (it is lost at "
                       "the next boot): " +
                           *failed);
    }
  }
  if (options_.log) {
    options_.log->api_request(request.method, request.path, response.status,
                              std::chrono::duration_cast<std::chrono::microseconds>(
                                  std::chrono::steady_clock::now() - start));
  }
  log_for_vm(request, response);
  return response;
}

void ApiRouter::log_for_vm(const ApiRequest& request, const ApiResponse& response) const {
  if (!request.path.starts_with(kVmsPrefix)) return;
  const std::string_view after = std::string_view(request.path).substr(kVmsPrefix.size());
  const std::string id(after.substr(0, after.find('/')));
  auto spec = vms_.spec(id);
  if (!spec || !spec->logger) return;
  std::string message = request.method + " " + request.path + " " + std::to_string(response.status);
  LogLevel level = LogLevel::kInfo;
  if (response.status >= 400) {
    level = response.status >= 500 ? LogLevel::kError : LogLevel::kWarning;
    const Json body = Json::parse(response.body, nullptr, false);
    if (body.is_object() && body.contains("fault_message") && body["fault_message"].is_string()) {
      message += ": " + body["fault_message"].get<std::string>();
    }
  }
  append_vm_log(spec->logger, id, "api", level, message);
}

namespace {

// An upload's sink that logs the request once its answer is known (status 0: the client went
// away before the body was whole).
class LoggedSink final : public BodySink {
 public:
  LoggedSink(std::unique_ptr<BodySink> inner, EventLog& log, std::string path)
      : inner_(std::move(inner)), log_(log), path_(std::move(path)) {}
  ~LoggedSink() override {
    if (!logged_) log_.api_request("PUT", path_, 0, elapsed());
  }
  std::optional<ApiResponse> write(std::string_view bytes) override {
    auto refused = inner_->write(bytes);
    if (refused) done(refused->status);
    return refused;
  }
  ApiResponse finish() override {
    ApiResponse r = inner_->finish();
    done(r.status);
    return r;
  }

 private:
  std::chrono::microseconds elapsed() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                 start_);
  }
  void done(int status) {
    logged_ = true;
    log_.api_request("PUT", path_, status, elapsed());
  }
  std::unique_ptr<BodySink> inner_;
  EventLog& log_;
  std::string path_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  bool logged_ = false;
};

}  // namespace

std::optional<std::string> ApiRouter::spec_problem(const VmSpec& spec) const {
  if (auto problem = spec_path_problem(spec, options_.image_roots)) return problem;
  return spec_output_problem(spec, options_.output_roots);
}

std::optional<std::string> ApiRouter::keep(const std::string& id) const {
  if (options_.spec_dir.empty()) return std::nullopt;
  std::lock_guard lock(keep_mutex_);
  auto spec = vms_.spec(id);
  // A VM is kept once it has a kernel to boot: a file without one would be refused at boot.
  auto done = spec && !spec->boot_source.kernel_image_path.empty()
                  ? save_spec(options_.spec_dir, id, *spec)
                  : remove_spec(options_.spec_dir, id);
  if (!done) return done.error();
  return std::nullopt;
}

ApiResponse ApiRouter::route(const ApiRequest& request,
                             std::optional<std::string>& changed_vm) const {
  if (!authorized(request.authorization)) return unauthorized();
  const std::string& path = request.path;
  if (path == "/version") {
    if (request.method != "GET") return invalid_path(request);
    Json o = Json::object();
    o["firecracker_version"] = kFirecrackerApiVersion;
    o["rootstock_version"] = kAppVersion;
    return json_answer(200, dump(o));
  }
  constexpr std::string_view kImages = "/images";
  if (path == kImages || path.starts_with("/images/")) {
    const std::string_view name =
        path == kImages ? std::string_view() : std::string_view(path).substr(kImages.size() + 1);
    if (path != kImages && name.empty()) return invalid_path(request);
    return serve_images(options_.images, vms_, request.method, name, request);
  }
  if (path == "/logs") {
    if (request.method != "GET") return invalid_path(request);
    if (!options_.log) return fault(400, "this appliance keeps no log");
    ApiResponse r;
    r.content_type = "application/x-ndjson";
    r.body = options_.log->text(log_lines(request.query));
    return r;
  }
  if (path == "/metrics") {
    if (request.method != "GET") return invalid_path(request);
    ApiResponse r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    std::optional<ApplianceFigures> own;
    if (options_.appliance_figures) own = options_.appliance_figures();
    r.body = prometheus_metrics(vms_, own);
    return r;
  }
  if (path == "/vms") {
    ApiResponse r = vms_collection(request);
    if (r.status == 201) {
      // The id the VM got, from the answer's own body.
      const Json made = Json::parse(r.body, nullptr, false);
      if (made.is_object() && made.contains("id") && made["id"].is_string()) {
        changed_vm = made["id"].get<std::string>();
      }
    }
    return r;
  }
  if (!path.starts_with(kVmsPrefix)) return invalid_path(request);
  const std::string_view after = std::string_view(path).substr(kVmsPrefix.size());
  const size_t slash = after.find('/');
  const std::string id(after.substr(0, slash));
  if (!is_valid_id(id)) return fault(400, "a vm id is 1 to 64 of A-Z a-z 0-9 _ -");
  changed_vm = id;
  if (slash == std::string_view::npos) return one_vm(request, id);
  const std::string_view rest = after.substr(slash);
  if (rest == "/console") {
    changed_vm.reset();  // typing changes no spec
    return console(request, id);
  }
  if (rest == "/console/size") {
    changed_vm.reset();  // the viewer's terminal is not the VM's spec
    if (request.method != "PUT") return invalid_path(request);
    return console_size(request, id);
  }
  if (rest == "/stop") {
    // Rootstock's: the power button, then a hard stop at the end of the appliance's grace
    // (Firecracker has no such call: its VM ends with its process). Answered once it stopped.
    changed_vm.reset();
    if (request.method != "POST") return invalid_path(request);
    auto r = vms_.stop(id);
    if (!r) return manager_refusal(r.error());
    return no_content();
  }
  FirecrackerHooks hooks;
  hooks.check = [this](const VmSpec& spec) { return spec_problem(spec); };
  if (options_.metrics) {
    hooks.flush_metrics = [this](const std::string& vm) { return options_.metrics->flush(vm); };
  }
  return serve_vm_request(vms_, id, request.method, rest, request.body, hooks);
}

UploadStart ApiRouter::start_upload(const ApiRequest& head, uint64_t length) const {
  constexpr std::string_view kImagePrefix = "/images/";
  if (head.method != "PUT" || !head.path.starts_with(kImagePrefix)) return {};
  UploadStart start;
  if (!authorized(head.authorization)) {
    start.refused = unauthorized();
  } else {
    start =
        start_image_upload(options_.images, vms_,
                           std::string_view(head.path).substr(kImagePrefix.size()), head, length);
  }
  if (options_.log) {
    if (start.refused) {
      options_.log->api_request(head.method, head.path, start.refused->status, {});
    } else if (start.sink) {
      start.sink = std::make_unique<LoggedSink>(std::move(start.sink), *options_.log, head.path);
    }
  }
  return start;
}

ApiResponse ApiRouter::vms_collection(const ApiRequest& request) const {
  if (request.method == "GET") {
    Json list = Json::array();
    for (const VmInfo& info : vms_.list()) list.push_back(vm_json(info));
    return json_answer(200, dump(list));
  }
  if (request.method != "POST") return invalid_path(request);
  auto vm = parse_new_vm(request.body);
  if (!vm) return fault(400, vm.error().text());
  if (auto problem = spec_problem(vm->spec)) return fault(400, *problem);
  auto id = vms_.create(std::move(vm->spec), vm->id);
  if (!id) return manager_refusal(id.error());
  Json o = Json::object();
  o["id"] = *id;
  return json_answer(201, dump(o));
}

ApiResponse ApiRouter::one_vm(const ApiRequest& request, const std::string& id) const {
  if (request.method == "GET") {
    auto info = vms_.get(id);
    if (!info) return manager_refusal(info.error());
    return json_answer(200, dump(vm_json(*info)));
  }
  if (request.method == "DELETE") {
    auto r = vms_.remove(id);
    if (!r) return manager_refusal(r.error());
    return no_content();
  }
  if (request.method != "PUT") return invalid_path(request);
  // PUT: a whole /vm/config document; creates the VM or replaces a created or stopped one's.
  auto spec = parse_vm_spec(request.body);
  if (!spec) return fault(400, spec.error().text());
  if (auto problem = spec_problem(*spec)) return fault(400, *problem);
  if (vms_.get(id)) {
    auto r = vms_.update_spec(id, [&spec](VmSpec& s) -> std::expected<void, std::string> {
      s = *spec;
      return {};
    });
    if (!r) return manager_refusal(r.error());
    return no_content();
  }
  auto made = vms_.create(std::move(*spec), id);
  if (!made) return manager_refusal(made.error());
  return json_answer(201, dump(Json{{"id", *made}}));
}

ApiResponse ApiRouter::console_size(const ApiRequest& request, const std::string& id) const {
  ParseErrors errors;
  const Json body = Json::parse(request.body, nullptr, false);
  JsonFields fields(errors, body, "");
  const auto cols = fields.integer("cols", 1, UINT16_MAX, Need::kRequired);
  const auto rows = fields.integer("rows", 1, UINT16_MAX, Need::kRequired);
  fields.finish();
  if (errors.failed()) return fault(400, errors.error().text());
  auto r = vms_.resize_console(id, static_cast<uint16_t>(*cols), static_cast<uint16_t>(*rows));
  if (!r) return manager_refusal(r.error());
  return no_content();
}

ApiResponse ApiRouter::console(const ApiRequest& request, const std::string& id) const {
  if (request.method == "POST") {
    auto r = vms_.send_input(id, request.body);
    if (!r) return manager_refusal(r.error());
    return no_content();
  }
  if (request.method != "GET") return invalid_path(request);
  auto ring = vms_.console(id);
  if (!ring) return manager_refusal(ring.error());
  // The newest bytes, at most max_console_read of them.
  const uint64_t end = (*ring)->end();
  const uint64_t from = end > options_.max_console_read ? end - options_.max_console_read : 0;
  ApiResponse r;
  r.status = 200;
  r.content_type = "text/plain; charset=utf-8";
  if (!wants_follow(request.query)) {
    r.body = (*ring)->read_since(from, options_.max_console_read).bytes;
    return r;
  }
  // ?follow=1: the same, then what the VM prints, as it prints it, until the client leaves or
  // the VM is deleted. A wait wakes at least once a second to see whether the client is gone.
  r.stream = [ring = *ring, offset = from](ChunkWriter& out) mutable {
    constexpr size_t kPiece = 64 * 1024;
    while (true) {
      const ConsoleRing::Read got = ring->wait_since(offset, std::chrono::seconds(1), kPiece);
      offset = got.next;
      if (!got.bytes.empty() && !out.write(got.bytes)) return;
      if (got.bytes.empty() && ring->closed()) return;
      if (!out.open()) return;
    }
  };
  return r;
}

}  // namespace rootstock::appliance
