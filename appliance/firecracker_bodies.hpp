// The bodies of Firecracker's per-VM requests (swagger definitions BootSource,
// MachineConfiguration, MachineConfigurationUpdate, Drive, PartialDrive, NetworkInterface,
// PartialNetworkInterface, Vsock, EntropyDevice, InstanceActionInfo, Vm), parsed into the
// spec's typed parts with the same fields, limits and refusals as a whole spec
// (vm_spec_sections.hpp). Each refusal names the key's path, as parse_vm_spec()'s do.
#pragma once

#include <stdint.h>

#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "appliance/vm_spec.hpp"

namespace rootstock::appliance {

/// InstanceActionInfo.action_type.
enum class FirecrackerAction : uint8_t { kInstanceStart, kSendCtrlAltDel, kFlushMetrics };
/// Vm.state.
enum class RequestedVmState : uint8_t { kPaused, kResumed };

/// PartialDrive: the drive to change and its new backing file.
struct DrivePatch {
  std::string drive_id;
  std::optional<std::string> path_on_host;
};

[[nodiscard]] std::expected<BootSource, SpecError> parse_boot_source(std::string_view body);
[[nodiscard]] std::expected<MachineConfig, SpecError> parse_machine_config(std::string_view body);
/// The fields given replace those of `current`; the result is checked as a whole (smt with an
/// odd vcpu_count is refused whichever of the two the patch changed).
[[nodiscard]] std::expected<MachineConfig, SpecError> patch_machine_config(
    std::string_view body, const MachineConfig& current);
[[nodiscard]] std::expected<Drive, SpecError> parse_drive(std::string_view body);
[[nodiscard]] std::expected<DrivePatch, SpecError> parse_drive_patch(std::string_view body);
[[nodiscard]] std::expected<NetworkInterface, SpecError> parse_network_interface(
    std::string_view body);
/// PartialNetworkInterface: the interface's id (its rate limiters are refused, as in a spec).
[[nodiscard]] std::expected<std::string, SpecError> parse_interface_patch(std::string_view body);
[[nodiscard]] std::expected<Vsock, SpecError> parse_vsock(std::string_view body);
[[nodiscard]] std::expected<Entropy, SpecError> parse_entropy(std::string_view body);
[[nodiscard]] std::expected<LoggerSpec, SpecError> parse_logger(std::string_view body);
[[nodiscard]] std::expected<MetricsSpec, SpecError> parse_metrics(std::string_view body);
[[nodiscard]] std::expected<FirecrackerAction, SpecError> parse_action(std::string_view body);
[[nodiscard]] std::expected<RequestedVmState, SpecError> parse_vm_state(std::string_view body);

}  // namespace rootstock::appliance
