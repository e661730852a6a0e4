#include "appliance/firecracker_bodies.hpp"

#include "appliance/json_fields.hpp"
#include "appliance/vm_spec_sections.hpp"

namespace rootstock::appliance {
namespace {

// The body as a document, read by `read`; its first refusal, or what it read.
template <typename T, typename Read>
std::expected<T, SpecError> parse_body(std::string_view body, Read read) {
  auto doc = sections::parse_document(body);
  if (!doc) return std::unexpected(doc.error());
  ParseErrors e;
  T value = read(e, *doc);
  if (e.failed()) return std::unexpected(e.error());
  return value;
}

}  // namespace

std::expected<BootSource, SpecError> parse_boot_source(std::string_view body) {
  return parse_body<BootSource>(body, sections::boot_source);
}

std::expected<MachineConfig, SpecError> parse_machine_config(std::string_view body) {
  return parse_body<MachineConfig>(body, sections::machine_config);
}

std::expected<MachineConfig, SpecError> patch_machine_config(std::string_view body,
                                                             const MachineConfig& current) {
  return parse_body<MachineConfig>(body, [&current](ParseErrors& e, const Json& patch) {
    if (!patch.is_object()) {
      e.fail("machine-config", "must be an object");
      return current;
    }
    if (patch.empty()) {
      // Firecracker's words for a PATCH that changes nothing.
      e.fail("", "Empty PATCH request.");
      return current;
    }
    // The current values with the patch's over them, then read as a whole configuration, so
    // that unknown keys, types and ranges are refused exactly as in a PUT.
    Json merged = Json::object();
    merged["vcpu_count"] = current.vcpu_count;
    merged["mem_size_mib"] = current.mem_size_mib;
    merged["smt"] = current.smt;
    merged["track_dirty_pages"] = current.track_dirty_pages;
    for (const auto& [key, value] : patch.items()) merged[key] = value;
    return sections::machine_config(e, merged);
  });
}

std::expected<Drive, SpecError> parse_drive(std::string_view body) {
  return parse_body<Drive>(
      body, [](ParseErrors& e, const Json& v) { return sections::drive(e, v, "drive"); });
}

std::expected<DrivePatch, SpecError> parse_drive_patch(std::string_view body) {
  return parse_body<DrivePatch>(body, [](ParseErrors& e, const Json& v) {
    JsonFields f(e, v, "drive");
    DrivePatch p;
    if (auto s = f.string("drive_id", Need::kRequired)) {
      if (!is_valid_id(*s)) e.fail(f.path("drive_id"), "must be 1 to 64 of A-Z a-z 0-9 _ -");
      p.drive_id = *s;
    }
    p.path_on_host = f.string("path_on_host", Need::kOptional);
    if (p.path_on_host) check_host_path(e, f.path("path_on_host"), *p.path_on_host);
    f.unsupported("rate_limiter");
    f.finish();
    return p;
  });
}

std::expected<NetworkInterface, SpecError> parse_network_interface(std::string_view body) {
  return parse_body<NetworkInterface>(body, [](ParseErrors& e, const Json& v) {
    return sections::network_interface(e, v, "network-interface");
  });
}

std::expected<std::string, SpecError> parse_interface_patch(std::string_view body) {
  return parse_body<std::string>(body, [](ParseErrors& e, const Json& v) {
    JsonFields f(e, v, "network-interface");
    std::string id;
    if (auto s = f.string("iface_id", Need::kRequired)) {
      if (!is_valid_id(*s)) e.fail(f.path("iface_id"), "must be 1 to 64 of A-Z a-z 0-9 _ -");
      id = *s;
    }
    f.unsupported("rx_rate_limiter");
    f.unsupported("tx_rate_limiter");
    f.finish();
    return id;
  });
}

std::expected<Vsock, SpecError> parse_vsock(std::string_view body) {
  return parse_body<Vsock>(body, sections::vsock);
}

std::expected<Entropy, SpecError> parse_entropy(std::string_view body) {
  return parse_body<Entropy>(body, sections::entropy);
}

std::expected<LoggerSpec, SpecError> parse_logger(std::string_view body) {
  return parse_body<LoggerSpec>(body, sections::logger);
}

std::expected<MetricsSpec, SpecError> parse_metrics(std::string_view body) {
  return parse_body<MetricsSpec>(body, sections::metrics);
}

std::expected<FirecrackerAction, SpecError> parse_action(std::string_view body) {
  return parse_body<FirecrackerAction>(body, [](ParseErrors& e, const Json& v) {
    JsonFields f(e, v, "action");
    auto c = f.choice("action_type", {"InstanceStart", "SendCtrlAltDel", "FlushMetrics"},
                      Need::kRequired);
    f.finish();
    return static_cast<FirecrackerAction>(c.value_or(0));
  });
}

std::expected<RequestedVmState, SpecError> parse_vm_state(std::string_view body) {
  return parse_body<RequestedVmState>(body, [](ParseErrors& e, const Json& v) {
    JsonFields f(e, v, "vm");
    auto c = f.choice("state", {"Paused", "Resumed"}, Need::kRequired);
    f.finish();
    return static_cast<RequestedVmState>(c.value_or(0));
  });
}

}  // namespace rootstock::appliance
