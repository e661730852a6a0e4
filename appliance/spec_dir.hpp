// VM specs kept as files: a folder of NAME.json files, one VM each, its id the file's name
// without ".json". The appliance reads them at boot (the initramfs's /etc/rootstock/vms, or the
// folder rootstock.vm_specs= names) and defines a VM for each.
#pragma once

#include <string>
#include <vector>

#include "appliance/vm_spec.hpp"

namespace rootstock::appliance {

/// A spec read from a file.
struct SpecFile {
  std::string id;    ///< the file's name without ".json"
  std::string path;  ///< for messages
  VmSpec spec;
};

struct SpecDir {
  std::vector<SpecFile> specs;  ///< in name order
  /// One line per file skipped: "vm spec /etc/rootstock/vms/web.json: machine-config.vcpu_count:
  /// must be 1 to 32". A folder that does not exist is not a problem.
  std::vector<std::string> problems;
};

/// Reads every *.json file of `dir` (not its subfolders; other files are left alone). A file
/// whose name is not a valid id, that is not a regular file, is larger than kMaxSpecBytes, cannot
/// be read or does not parse is skipped and named in `problems`.
[[nodiscard]] SpecDir read_spec_dir(const std::string& dir);

}  // namespace rootstock::appliance
