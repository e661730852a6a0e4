// Which files a VM defined through the API may use: its kernel, initramfs and drives must lie in
// one of the appliance's image folders (the image store on the data partition, the images built
// into the root), after every symbolic link and ".." is resolved — so a request cannot hand a VM
// the root's own files (/dev/sda, /etc/shadow, the API token) or reach out of the store with a
// link. The files a VM writes (its console log, its logger's and metrics' files) must lie in one
// of the appliance's output folders, so that a request cannot have the appliance append to the
// root's own files either. Spec files on the appliance itself are the administrator's and are
// not held to this.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "appliance/vm_spec.hpp"

namespace rootstock::appliance {

/// Why `spec` names a file outside `roots` (each a folder), or one that does not exist; nullopt
/// when every file it names is inside. Empty `roots`: no check.
[[nodiscard]] std::optional<std::string> spec_path_problem(const VmSpec& spec,
                                                           const std::vector<std::string>& roots);

/// Why `spec` names a file to write outside `roots`: its folder must exist and resolve inside
/// one of them, and the file, if it exists, must not be a symbolic link. nullopt when every
/// such file is inside; empty `roots`: no check.
[[nodiscard]] std::optional<std::string> spec_output_problem(const VmSpec& spec,
                                                             const std::vector<std::string>& roots);

/// Whether `spec` uses the file at `path` (compared after resolving links on both sides).
[[nodiscard]] bool spec_uses(const VmSpec& spec, const std::string& path);

}  // namespace rootstock::appliance
