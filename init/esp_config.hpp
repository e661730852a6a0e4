// The configuration the user edits on the EFI system partition before the first boot
// (docs/configuration.md): PID 1 mounts the ESP read-only, reads rootstock.json, and lets it
// go again, so that a power cut never finds the FAT mounted for writing. A file that is
// missing gives the defaults quietly; one that cannot be read or is refused gives the defaults
// with the reason, and the appliance comes up all the same.
#pragma once

#include <optional>
#include <string>

#include "appliance/appliance_config.hpp"
#include "appliance/tls_identity.hpp"

namespace rootstock::init {

/// Where the ESP is mounted while its file is read.
inline constexpr const char* kEspMount = "/run/rootstock/esp";

/// Where PID 1 keeps the configuration's API token for the management API (mode 0600).
inline constexpr const char* kApiTokenFile = "/run/rootstock/api-token";

/// What load_esp_config() found.
struct EspConfig {
  appliance::ApplianceConfig config;  ///< the file's, or the defaults
  bool from_file = false;             ///< the file was there and accepted
  /// Why the file was not used (unreadable, too large, refused), in words; the refused key is
  /// in refused_key. Empty when it was used or is simply absent.
  std::string problem;
  std::string refused_key;  ///< the key path the parser refused ("api.token"); "" for the whole
  /// The API's certificate and key, read from the ESP when the file names them (PEM, not yet
  /// checked: appliance::check_tls_identity); empty when it names none or they cannot be read,
  /// which api_identity_problem then says.
  std::optional<appliance::TlsIdentity> api_identity;
  std::string api_identity_problem;
};

/// Mounts `esp_device` (FAT) read-only at kEspMount, reads kApplianceConfigFile from its root,
/// unmounts it and parses the text.
[[nodiscard]] EspConfig load_esp_config(const std::string& esp_device);

/// Parses a configuration file's text as load_esp_config() does once it has it.
[[nodiscard]] EspConfig config_from_text(const std::string& text);

}  // namespace rootstock::init
