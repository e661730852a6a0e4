// serve_vm_request(): Firecracker's per-VM paths over the VM manager. Configuration (PUT
// /machine-config, /boot-source, /drives/{id}, /network-interfaces/{id}, /vsock, /entropy,
// /logger, /metrics and PATCH /machine-config) changes the spec of a created or stopped VM
// through VmManager::update_spec; what Firecracker allows only after the start (PATCH of a
// drive or an interface) needs a running VM; /actions and PATCH /vm drive the VM's state; GET
// /metrics answers the run's figures in Firecracker's metrics document.
#include "appliance/firecracker_api.hpp"

#include <sys/stat.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "appliance/firecracker_bodies.hpp"
#include "appliance/firecracker_metrics.hpp"
#include "appliance/json_fields.hpp"
#include "appliance/vm_spec_sections.hpp"

namespace rootstock::appliance {
namespace {

using Json = nlohmann::json;

// Firecracker's texts for the refusals a client may test for (its vmm_config and
// rpc_interface error messages).
constexpr std::string_view kNotAfterStart =
    "The requested operation is not supported after starting the microVM.";
constexpr std::string_view kNotBeforeStart =
    "The requested operation is not supported before starting the microVM.";
constexpr std::string_view kNoKernel =
    "Start microvm error: Cannot start microvm without kernel configuration.";
constexpr std::string_view kIdMismatch =
    "The id from the path does not match the id from the body!";

// Firecracker names both ids when an interface's differ.
ApiResponse interface_id_mismatch(std::string_view path_id, std::string_view body_id) {
  return fault(400, "The id from the path [" + std::string(path_id) +
                        "] does not match the id from the body [" + std::string(body_id) + "]!");
}

ApiResponse bad_request(std::string_view message) {
  return fault(400, message);
}

ApiResponse refused(const SpecError& e) {
  return bad_request(e.text());
}

// A VmError as an answer: an unknown VM is 404 (Rootstock's, beside Firecracker's one VM); a
// state that forbids the operation uses Firecracker's words for it; everything else is 400.
ApiResponse answer(const VmError& e, bool configuring = false) {
  if (e.code == VmErrc::kNotFound) return fault(404, e.message);
  if (e.code == VmErrc::kWrongState && configuring) {
    return bad_request(std::string(kNotAfterStart) + " (" + e.message + ")");
  }
  return bad_request(e.message);
}

// A configured VM's state: Firecracker's "after start" is anything but created or stopped.
bool configurable(VmState s) {
  return s == VmState::kCreated || s == VmState::kStopped;
}

// A backing file must exist when it is configured (Firecracker opens it at PUT time): a
// regular file or a block device.
std::optional<std::string> backing_file_problem(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return "cannot open " + path + ": it does not exist";
  if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
    return path + " is neither a file nor a block device";
  }
  return std::nullopt;
}

// Makes the VM when the appliance does not know it yet (Firecracker's VM exists before its
// first request); an answer when that is refused.
std::optional<ApiResponse> ensure_vm(VmManager& vms, const std::string& id) {
  if (vms.get(id)) return std::nullopt;
  auto made = vms.create(VmSpec{}, id);
  // A second request may have made it meanwhile: that is as good.
  if (!made && made.error().code != VmErrc::kIdTaken) return answer(made.error());
  return std::nullopt;
}

// Applies `edit` to a created or stopped VM (made first if need be), then the request's check
// of the whole spec; 204, or the refusal.
ApiResponse configure(VmManager& vms, const std::string& id, const SpecCheck& check,
                      const VmManager::SpecEdit& edit) {
  if (auto refusal = ensure_vm(vms, id)) return *refusal;
  auto r = vms.update_spec(id, [&](VmSpec& s) -> std::expected<void, std::string> {
    if (auto edited = edit(s); !edited) return edited;
    if (check) {
      if (auto problem = check(s)) return std::unexpected(*problem);
    }
    return {};
  });
  if (!r) return answer(r.error(), /*configuring=*/true);
  return no_content();
}

Json machine_config_json(const MachineConfig& m) {
  Json o = Json::object();
  o["vcpu_count"] = m.vcpu_count;
  o["mem_size_mib"] = m.mem_size_mib;
  o["smt"] = m.smt;
  o["track_dirty_pages"] = m.track_dirty_pages;
  o["huge_pages"] = "None";
  return o;
}

// Replaces the item with `id` in `items` or adds it; then `check` over the whole list.
template <typename T, typename Id, typename Check>
std::expected<void, std::string> put_item(std::vector<T>& items, T item, Id id_of, Check check) {
  bool replaced = false;
  for (T& existing : items) {
    if (id_of(existing) == id_of(item)) {
      existing = item;
      replaced = true;
    }
  }
  if (!replaced) items.push_back(std::move(item));
  ParseErrors e;
  check(e, items);
  if (e.failed()) return std::unexpected(e.error().text());
  return {};
}

ApiResponse instance_info(VmManager& vms, const std::string& id) {
  auto info = vms.get(id);
  if (!info) return answer(info.error());
  Json o = Json::object();
  o["app_name"] = kAppName;
  o["id"] = id;
  o["state"] = firecracker_state(info->state);
  o["vmm_version"] = kAppVersion;
  return json_answer(200, o.dump());
}

ApiResponse machine_config(VmManager& vms, const std::string& id, std::string_view method,
                           std::string_view body, const SpecCheck& check) {
  if (method == "GET") {
    // A VM not configured yet answers Firecracker's defaults, as a Firecracker that has just
    // started does: clients (the Go SDK) poll this path to see that the API is up.
    auto spec = vms.spec(id);
    if (!spec && spec.error().code != VmErrc::kNotFound) return answer(spec.error());
    return json_answer(200,
                       machine_config_json(spec ? spec->machine_config : MachineConfig{}).dump());
  }
  if (method == "PUT") {
    auto m = parse_machine_config(body);
    if (!m) return refused(m.error());
    return configure(vms, id, check, [&m](VmSpec& s) -> std::expected<void, std::string> {
      s.machine_config = *m;
      return {};
    });
  }
  // PATCH: merged with the VM's current values under the manager's lock.
  if (auto refusal = ensure_vm(vms, id)) return *refusal;
  std::optional<SpecError> error;
  auto r = vms.update_spec(id, [&](VmSpec& s) -> std::expected<void, std::string> {
    auto m = patch_machine_config(body, s.machine_config);
    if (!m) {
      error = m.error();
      return std::unexpected(m.error().text());
    }
    s.machine_config = *m;
    return {};
  });
  if (!r) return error ? refused(*error) : answer(r.error(), /*configuring=*/true);
  return no_content();
}

ApiResponse drive(VmManager& vms, const std::string& id, std::string_view method,
                  std::string_view drive_id, std::string_view body, const SpecCheck& check) {
  if (method == "PUT") {
    auto d = parse_drive(body);
    if (!d) return refused(d.error());
    if (d->drive_id != drive_id) return bad_request(kIdMismatch);
    if (auto problem = backing_file_problem(d->path_on_host)) {
      return bad_request("drive " + d->drive_id + ": " + *problem);
    }
    return configure(vms, id, check, [&d](VmSpec& s) -> std::expected<void, std::string> {
      return put_item(
          s.drives, *d, [](const Drive& x) { return x.drive_id; }, sections::check_drives);
    });
  }
  // PATCH: Firecracker's way to give a running VM's drive another backing file.
  auto p = parse_drive_patch(body);
  if (!p) return refused(p.error());
  if (p->drive_id != drive_id) return bad_request(kIdMismatch);
  auto info = vms.get(id);
  if (!info) return answer(info.error());
  if (configurable(info->state)) return bad_request(kNotBeforeStart);
  auto spec = vms.spec(id);
  if (!spec) return answer(spec.error());
  const bool known =
      std::ranges::find(spec->drives, p->drive_id, &Drive::drive_id) != spec->drives.end();
  if (!known) return bad_request("vm '" + id + "' has no drive '" + p->drive_id + "'");
  if (!p->path_on_host) return no_content();  // naming the drive alone changes nothing
  if (auto problem = backing_file_problem(*p->path_on_host)) {
    return bad_request("drive " + p->drive_id + ": " + *problem);
  }
  // The path must be one a VM may use, as in a PUT.
  VmSpec changed = *spec;
  std::ranges::find(changed.drives, p->drive_id, &Drive::drive_id)->path_on_host = *p->path_on_host;
  if (check) {
    if (auto problem = check(changed)) return bad_request(*problem);
  }
  auto r = vms.replace_drive(id, p->drive_id, *p->path_on_host);
  if (!r) return answer(r.error());
  return no_content();
}

ApiResponse network_interface(VmManager& vms, const std::string& id, std::string_view method,
                              std::string_view iface_id, std::string_view body,
                              const SpecCheck& check) {
  if (method == "PUT") {
    auto n = parse_network_interface(body);
    if (!n) return refused(n.error());
    if (n->iface_id != iface_id) return interface_id_mismatch(iface_id, n->iface_id);
    return configure(vms, id, check, [&n](VmSpec& s) -> std::expected<void, std::string> {
      return put_item(
          s.network_interfaces, *n, [](const NetworkInterface& x) { return x.iface_id; },
          sections::check_interfaces);
    });
  }
  // PATCH: Firecracker changes a running interface's rate limiters, which Rootstock refuses
  // (parse_interface_patch); naming the interface alone changes nothing.
  auto p = parse_interface_patch(body);
  if (!p) return refused(p.error());
  if (*p != iface_id) return interface_id_mismatch(iface_id, *p);
  auto info = vms.get(id);
  if (!info) return answer(info.error());
  if (configurable(info->state)) return bad_request(kNotBeforeStart);
  auto spec = vms.spec(id);
  if (!spec) return answer(spec.error());
  for (const NetworkInterface& n : spec->network_interfaces) {
    if (n.iface_id == *p) return no_content();
  }
  return bad_request("vm '" + id + "' has no network interface '" + *p + "'");
}

ApiResponse action(
    VmManager& vms, const std::string& id, std::string_view body,
    const std::function<std::expected<void, std::string>(const std::string&)>& flush) {
  auto a = parse_action(body);
  if (!a) return refused(a.error());
  switch (*a) {
    case FirecrackerAction::kInstanceStart: {
      auto spec = vms.spec(id);
      if (!spec) return answer(spec.error());
      if (spec->boot_source.kernel_image_path.empty()) return bad_request(kNoKernel);
      auto r = vms.start(id);
      if (!r) return answer(r.error(), /*configuring=*/r.error().code == VmErrc::kWrongState);
      return no_content();
    }
    case FirecrackerAction::kSendCtrlAltDel: {
      // Firecracker presses Ctrl-Alt-Del on the i8042; a Rootstock child has no i8042 and gets
      // the ACPI power button, which a Linux guest also takes as the request to shut down.
      auto r = vms.press_power_button(id);
      if (!r) return answer(r.error());
      return no_content();
    }
    case FirecrackerAction::kFlushMetrics: {
      if (!flush) return bad_request("this appliance writes no metrics files");
      if (auto r = flush(id); !r) return bad_request("FlushMetrics: " + r.error());
      return no_content();
    }
  }
  return bad_request("unknown action");
}

ApiResponse vm_state(VmManager& vms, const std::string& id, std::string_view body) {
  auto s = parse_vm_state(body);
  if (!s) return refused(s.error());
  auto r = *s == RequestedVmState::kPaused ? vms.pause(id) : vms.resume(id);
  if (!r) return answer(r.error());
  return no_content();
}

// Firecracker's answer to a path it does not know or a method the path does not take: it
// names the path's first segment.
ApiResponse wrong_method(std::string_view method, std::string_view rest) {
  std::string_view segment = rest.starts_with('/') ? rest.substr(1) : rest;
  segment = segment.substr(0, segment.find('/'));
  return bad_request("Invalid request method and/or path: " + std::string(method) + " " +
                     std::string(segment) + ".");
}

bool needs_body(std::string_view method) {
  return method == "PUT" || method == "PATCH";
}

}  // namespace

const char* firecracker_state(VmState state) {
  switch (state) {
    case VmState::kCreated:
    case VmState::kStarting:
    case VmState::kStopped:
      return "Not started";
    case VmState::kPaused:
      return "Paused";
    case VmState::kRunning:
    case VmState::kPausing:
    case VmState::kResuming:
    case VmState::kStopping:
    case VmState::kRestarting:
      return "Running";
  }
  return "Not started";
}

ApiResponse serve_vm_request(VmManager& vms, const std::string& id, std::string_view method,
                             std::string_view rest, std::string_view body,
                             const FirecrackerHooks& hooks) {
  const SpecCheck& check = hooks.check;
  if (needs_body(method) && body.empty()) {
    return bad_request("Empty " + std::string(method) + " request.");
  }
  // The item paths: /drives/{id}, /network-interfaces/{id}.
  auto item = [&rest](std::string_view prefix) -> std::optional<std::string_view> {
    if (!rest.starts_with(prefix)) return std::nullopt;
    std::string_view tail = rest.substr(prefix.size());
    if (tail.empty() || tail.find('/') != std::string_view::npos) return std::nullopt;
    return tail;
  };
  if (rest.empty() || rest == "/") {
    if (method == "GET") return instance_info(vms, id);
  } else if (rest == "/machine-config") {
    if (method == "GET" || method == "PUT" || method == "PATCH") {
      return machine_config(vms, id, method, body, check);
    }
  } else if (rest == "/boot-source") {
    if (method == "PUT") {
      auto b = parse_boot_source(body);
      if (!b) return refused(b.error());
      return configure(vms, id, check, [&b](VmSpec& s) -> std::expected<void, std::string> {
        s.boot_source = *b;
        return {};
      });
    }
  } else if (auto drive_id = item("/drives/")) {
    if (method == "PUT" || method == "PATCH") return drive(vms, id, method, *drive_id, body, check);
  } else if (auto iface_id = item("/network-interfaces/")) {
    if (method == "PUT" || method == "PATCH") {
      return network_interface(vms, id, method, *iface_id, body, check);
    }
  } else if (rest == "/vsock") {
    if (method == "PUT") {
      auto v = parse_vsock(body);
      if (!v) return refused(v.error());
      return configure(vms, id, check, [&v](VmSpec& s) -> std::expected<void, std::string> {
        s.vsock = *v;
        return {};
      });
    }
  } else if (rest == "/entropy") {
    if (method == "PUT") {
      auto e = parse_entropy(body);
      if (!e) return refused(e.error());
      return configure(vms, id, check, [&e](VmSpec& s) -> std::expected<void, std::string> {
        s.entropy = *e;
        return {};
      });
    }
  } else if (rest == "/actions") {
    if (method == "PUT") return action(vms, id, body, hooks.flush_metrics);
  } else if (rest == "/vm") {
    if (method == "PATCH") return vm_state(vms, id, body);
  } else if (rest == "/vm/config") {
    if (method == "GET") {
      auto spec = vms.spec(id);
      if (!spec) return answer(spec.error());
      return json_answer(200, to_json(*spec));
    }
  } else if (rest == "/logger") {
    if (method == "PUT") {
      auto l = parse_logger(body);
      if (!l) return refused(l.error());
      return configure(vms, id, check, [&l](VmSpec& s) -> std::expected<void, std::string> {
        s.logger = *l;
        return {};
      });
    }
  } else if (rest == "/metrics") {
    if (method == "PUT") {
      auto m = parse_metrics(body);
      if (!m) return refused(m.error());
      return configure(vms, id, check, [&m](VmSpec& s) -> std::expected<void, std::string> {
        s.metrics = *m;
        return {};
      });
    }
    if (method == "GET") {
      // Rootstock's: the current run's totals in Firecracker's document.
      auto f = vms.figures(id);
      if (!f) return answer(f.error());
      return json_answer(200, firecracker_metrics_json(*f, std::chrono::system_clock::now()));
    }
  }
  return wrong_method(method, rest);
}

}  // namespace rootstock::appliance
