// VM specs kept as files: a folder of NAME.json files, one VM each, its id the file's name
// without ".json". The appliance reads them at boot (the initramfs's /etc/rootstock/vms, or the
// folder rootstock.vm_specs= names, then the data partition's) and defines a VM for each; the
// API keeps the VMs it makes and changes in the data partition's (save_spec, remove_spec).
#pragma once

#include <expected>
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

/// Writes `spec` as `dir`/ID.json so that a power cut at any moment leaves the old file or the
/// new one, never a broken one: the text goes to a temporary file (".ID.json.tmp", which
/// read_spec_dir() does not read), flushed, renamed over ID.json, and the folder flushed.
[[nodiscard]] std::expected<void, std::string> save_spec(const std::string& dir,
                                                         const std::string& id, const VmSpec& spec);

/// Removes `dir`/ID.json (gone already is fine) and flushes the folder.
[[nodiscard]] std::expected<void, std::string> remove_spec(const std::string& dir,
                                                           const std::string& id);

}  // namespace rootstock::appliance
