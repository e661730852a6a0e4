#include "appliance/image_paths.hpp"

#include <limits.h>
#include <stdlib.h>

namespace rootstock::appliance {
namespace {

// realpath(3): the file's one name without links, "." or ".."; nullopt when it does not exist.
std::optional<std::string> resolved(const std::string& path) {
  char out[PATH_MAX];
  if (::realpath(path.c_str(), out) == nullptr) return std::nullopt;
  return std::string(out);
}

// The files a spec names: kernel, initramfs, drives.
std::vector<std::pair<std::string, std::string>> named_files(const VmSpec& spec) {
  std::vector<std::pair<std::string, std::string>> files;
  files.emplace_back("boot-source.kernel_image_path", spec.boot_source.kernel_image_path);
  if (spec.boot_source.initrd_path) {
    files.emplace_back("boot-source.initrd_path", *spec.boot_source.initrd_path);
  }
  for (const Drive& d : spec.drives) {
    files.emplace_back("drive " + d.drive_id + " path_on_host", d.path_on_host);
  }
  return files;
}

}  // namespace

std::optional<std::string> spec_path_problem(const VmSpec& spec,
                                             const std::vector<std::string>& roots) {
  if (roots.empty()) return std::nullopt;
  std::vector<std::string> real_roots;
  for (const std::string& r : roots) {
    if (auto real = resolved(r)) real_roots.push_back(*real + "/");
  }
  for (const auto& [what, path] : named_files(spec)) {
    if (path.empty()) continue;  // no kernel yet: nothing to check
    const auto real = resolved(path);
    if (!real) return what + ": " + path + " does not exist";
    bool inside = false;
    for (const std::string& root : real_roots) inside = inside || real->starts_with(root);
    if (!inside) {
      std::string list;
      for (const std::string& r : roots) list += (list.empty() ? "" : ", ") + r;
      return what + ": " + path + " is not an image (images are files in " + list + ")";
    }
  }
  return std::nullopt;
}

bool spec_uses(const VmSpec& spec, const std::string& path) {
  const auto target = resolved(path);
  if (!target) return false;
  for (const auto& [what, named] : named_files(spec)) {
    if (named.empty()) continue;
    if (resolved(named) == target) return true;
  }
  return false;
}

}  // namespace rootstock::appliance
