#include "esp_config.hpp"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

namespace rootstock::init {
namespace {

// The file read whole, or why not; nullopt when it does not exist.
std::optional<std::string> read_config_file(const std::string& path, std::string& problem) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT) problem = "cannot open " + path + ": " + strerror(errno);
    return std::nullopt;
  }
  std::string text;
  char buf[16384];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) problem = "cannot read " + path + ": " + strerror(errno);
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > appliance::kMaxApplianceConfigBytes) {
      problem = path + " is larger than " +
                std::to_string(appliance::kMaxApplianceConfigBytes >> 10) + " KiB";
      break;
    }
  }
  ::close(fd);
  if (!problem.empty()) return std::nullopt;
  return text;
}

}  // namespace

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
  std::string problem;
  const auto text = read_config_file(
      std::string(kEspMount) + "/" + std::string(appliance::kApplianceConfigFile), problem);
  (void)::umount2(kEspMount, MNT_DETACH);
  if (!problem.empty()) {
    out.problem = problem;
    return out;
  }
  if (!text) return out;  // no file: the defaults, nothing to report
  return config_from_text(*text);
}

}  // namespace rootstock::init
