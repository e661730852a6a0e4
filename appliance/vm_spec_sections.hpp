// The sections of a VM spec, each read on its own (appliance-internal: only .cpp files include
// it). parse_vm_spec() reads them inside one document; the API reads each as the body of its
// own Firecracker request (PUT /boot-source, /machine-config, /drives/{id}, …), with the same
// fields, limits and refusals. `path` names the section in a refusal ("drives[1]", "drive").
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/json_fields.hpp"
#include "appliance/vm_spec.hpp"

namespace rootstock::appliance::sections {

[[nodiscard]] BootSource boot_source(ParseErrors& e, const Json& v);
[[nodiscard]] MachineConfig machine_config(ParseErrors& e, const Json& v);
[[nodiscard]] Drive drive(ParseErrors& e, const Json& v, const std::string& path);
[[nodiscard]] NetworkInterface network_interface(ParseErrors& e, const Json& v,
                                                 const std::string& path);
[[nodiscard]] Vsock vsock(ParseErrors& e, const Json& v);
[[nodiscard]] Entropy entropy(ParseErrors& e, const Json& v);
[[nodiscard]] LoggerSpec logger(ParseErrors& e, const Json& v);
[[nodiscard]] MetricsSpec metrics(ParseErrors& e, const Json& v);
/// Ids unique, at most one root drive.
void check_drives(ParseErrors& e, const std::vector<Drive>& drives);
/// Ids, tap devices and MAC addresses unique.
void check_interfaces(ParseErrors& e, const std::vector<NetworkInterface>& nics);

/// JSON text into a document: refused when larger than kMaxSpecBytes or not JSON.
[[nodiscard]] std::expected<Json, SpecError> parse_document(std::string_view text);

}  // namespace rootstock::appliance::sections
