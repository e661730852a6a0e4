// Firecracker's API for one VM, under /vms/{id}: every path keeps the shape Firecracker gives it
// (src/firecracker/swagger/firecracker.yaml) — the same bodies, 204 for a PUT or PATCH that
// succeeded, 200 with a body for a GET, and 400 with {"fault_message": …} for what is refused.
// Where Firecracker has one VM per process and the VM exists before the first request, here a
// PUT that configures a VM the appliance does not know yet creates it (state created), so a
// client written for Firecracker works unchanged against /vms/{id}. docs/api.md lists the paths.
#pragma once

#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "appliance/api_message.hpp"
#include "appliance/vm_manager.hpp"

namespace rootstock::appliance {

/// The API version answered by GET /version: the version of Firecracker's swagger whose paths
/// and bodies this follows.
inline constexpr const char* kFirecrackerApiVersion = "1.10.0";

/// What GET / calls the VMM (InstanceInfo.app_name, vmm_version).
inline constexpr const char* kAppName = "rootstock";
inline constexpr const char* kAppVersion = "0.1.0";

/// A check of a whole spec after a change (the files it names, image_paths.hpp): the refusal's
/// words, or nullopt. Empty: none.
using SpecCheck = std::function<std::optional<std::string>(const VmSpec&)>;

/// What the per-VM paths need beyond the VM manager.
struct FirecrackerHooks {
  /// Every configuration change is refused, changing nothing, when this refuses the spec it
  /// would make.
  SpecCheck check;
  /// FlushMetrics (firecracker_metrics.hpp's MetricsFlusher::flush); empty: refused.
  std::function<std::expected<void, std::string>(const std::string& id)> flush_metrics;
};

/// Serves `method` on `rest`, the path after /vms/{id} ("" is Firecracker's "/",
/// "/machine-config", "/drives/rootfs", "/metrics" …).
[[nodiscard]] ApiResponse serve_vm_request(VmManager& vms, const std::string& id,
                                           std::string_view method, std::string_view rest,
                                           std::string_view body,
                                           const FirecrackerHooks& hooks = {});

/// Firecracker's InstanceInfo.state for a VM state: "Not started", "Running" or "Paused".
[[nodiscard]] const char* firecracker_state(VmState state);

}  // namespace rootstock::appliance
