#include "appliance/image_paths.hpp"

#include <limits.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>

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

// The files a spec has the appliance write: the console log, the logger's and metrics' files.
std::vector<std::pair<std::string, std::string>> output_files(const VmSpec& spec) {
  std::vector<std::pair<std::string, std::string>> files;
  if (spec.console.log_path) files.emplace_back("console.log_path", *spec.console.log_path);
  if (spec.logger && spec.logger->log_path) {
    files.emplace_back("logger.log_path", *spec.logger->log_path);
  }
  if (spec.metrics) files.emplace_back("metrics.metrics_path", spec.metrics->metrics_path);
  return files;
}

std::vector<std::string> resolved_roots(const std::vector<std::string>& roots) {
  std::vector<std::string> real_roots;
  for (const std::string& r : roots) {
    if (auto real = resolved(r)) real_roots.push_back(*real + "/");
  }
  return real_roots;
}

bool inside_any(const std::string& real, const std::vector<std::string>& real_roots) {
  return std::ranges::any_of(real_roots,
                             [&real](const std::string& root) { return real.starts_with(root); });
}

std::string listed(const std::vector<std::string>& roots) {
  std::string list;
  for (const std::string& r : roots) list += (list.empty() ? "" : ", ") + r;
  return list;
}

}  // namespace

std::optional<std::string> spec_output_problem(const VmSpec& spec,
                                               const std::vector<std::string>& roots) {
  if (roots.empty()) return std::nullopt;
  const std::vector<std::string> real_roots = resolved_roots(roots);
  for (const auto& [what, path] : output_files(spec)) {
    const std::filesystem::path p(path);
    const auto folder = resolved(p.parent_path().string());
    if (!folder) return what + ": " + path + ": its folder does not exist";
    std::error_code ec;
    if (std::filesystem::is_symlink(p, ec)) {
      return what + ": " + path + " is a symbolic link (the file itself must be named)";
    }
    if (!inside_any(*folder + "/" + p.filename().string(), real_roots)) {
      return what + ": " + path + " is outside the folders VMs may write to (" + listed(roots) +
             ")";
    }
  }
  return std::nullopt;
}

std::optional<std::string> spec_path_problem(const VmSpec& spec,
                                             const std::vector<std::string>& roots) {
  if (roots.empty()) return std::nullopt;
  const std::vector<std::string> real_roots = resolved_roots(roots);
  for (const auto& [what, path] : named_files(spec)) {
    if (path.empty()) continue;  // no kernel yet: nothing to check
    const auto real = resolved(path);
    if (!real) return what + ": " + path + " does not exist";
    if (!inside_any(*real, real_roots)) {
      return what + ": " + path + " is not an image (images are files in " + listed(roots) + ")";
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
