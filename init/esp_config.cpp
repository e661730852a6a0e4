#include "esp_config.hpp"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/vm_image_files.hpp"

namespace rootstock::init {
EspConfig config_from_text(const std::string& text) {
  EspConfig out;
  auto parsed = appliance::parse_appliance_config(text);
  if (!parsed) {
    out.problem = parsed.error().text();
    out.refused_key = parsed.error().path;
    return out;
  }
  out.config = std::move(*parsed);
  out.from_file = true;
  return out;
}

EspConfig load_esp_config(const std::string& esp_device) {
  EspConfig out;
  (void)::mkdir("/run/rootstock", 0755);
  (void)::mkdir(kEspMount, 0755);
  // utf8: file names as the user wrote them; the ESP stays as it is (read-only, no atime).
  if (::mount(esp_device.c_str(), kEspMount, "vfat",
              MS_RDONLY | MS_NOATIME | MS_NODEV | MS_NOSUID | MS_NOEXEC, "utf8") != 0) {
    out.problem = "cannot mount the EFI system partition " + esp_device + ": " + strerror(errno);
    return out;
  }
  const std::string path =
      std::string(kEspMount) + "/" + std::string(appliance::kApplianceConfigFile);
  // No file at all is the defaults, quietly; anything else that keeps it from being read is said.
  const bool absent = ::access(path.c_str(), F_OK) != 0 && errno == ENOENT;
  auto text = absent ? std::expected<std::vector<uint8_t>, std::string>{}
                     : appliance::read_image_file(path, "configuration file",
                                                  appliance::kMaxApplianceConfigBytes);
  if (absent || !text) {
    (void)::umount2(kEspMount, MNT_DETACH);
    if (!absent) out.problem = text.error();
    return out;
  }
  out = config_from_text(std::string(text->begin(), text->end()));
  const auto& api = out.config.api;
  if (api && api->certificate_file && api->key_file) {
    // Read while the ESP is mounted; checked where the API starts.
    constexpr uint64_t kMaxPemBytes = 64 * 1024;
    auto read = [](const std::string& name, const char* what) {
      return appliance::read_image_file(std::string(kEspMount) + "/" + name, what, kMaxPemBytes);
    };
    auto certificate = read(*api->certificate_file, "API certificate");
    auto key = read(*api->key_file, "API key");
    if (!certificate || !key) {
      out.api_identity_problem = !certificate ? certificate.error() : key.error();
    } else {
      out.api_identity =
          appliance::TlsIdentity{std::string(certificate->begin(), certificate->end()),
                                 std::string(key->begin(), key->end()),
                                 {}};
    }
  }
  (void)::umount2(kEspMount, MNT_DETACH);
  return out;
}

}  // namespace rootstock::init
