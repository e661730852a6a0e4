#include "appliance/spec_dir.hpp"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "appliance/vm_image_files.hpp"
#include "appliance/whole_file.hpp"

namespace rootstock::appliance {

SpecDir read_spec_dir(const std::string& dir) {
  namespace fs = std::filesystem;
  SpecDir out;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return out;
  std::vector<fs::path> files;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".json") files.push_back(it->path());
  }
  if (ec) {
    out.problems.push_back("vm specs " + dir + ": cannot list: " + ec.message());
    return out;
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) {
    const std::string path = file.string();
    const std::string id = file.stem().string();
    if (!is_valid_id(id)) {
      out.problems.push_back("vm spec " + path +
                             ": the file's name is the VM's id: 1 to 64 of A-Z a-z 0-9 _ -");
      continue;
    }
    // read_image_file refuses what is not a regular file, empty or too large, by path.
    auto bytes = read_image_file(path, "vm spec", kMaxSpecBytes);
    if (!bytes) {
      out.problems.push_back(bytes.error());
      continue;
    }
    auto spec = parse_vm_spec({reinterpret_cast<const char*>(bytes->data()), bytes->size()});
    if (!spec) {
      out.problems.push_back("vm spec " + path + ": " + spec.error().text());
      continue;
    }
    out.specs.push_back(SpecFile{id, path, std::move(*spec)});
  }
  return out;
}

std::expected<void, std::string> save_spec(const std::string& dir, const std::string& id,
                                           const VmSpec& spec) {
  if (!is_valid_id(id)) return std::unexpected("cannot keep vm '" + id + "': not an id");
  const std::string file = dir + "/" + id + ".json";
  const std::string tmp = dir + "/." + id + ".json.tmp";
  if (auto r = write_whole_file(tmp, to_json(spec), 0644, Existing::kReplace, /*durable=*/true);
      !r) {
    (void)::unlink(tmp.c_str());
    return r;
  }
  if (::rename(tmp.c_str(), file.c_str()) != 0) {
    const std::string why = ::strerror(errno);
    (void)::unlink(tmp.c_str());
    return std::unexpected("cannot rename " + tmp + " to " + file + ": " + why);
  }
  return sync_folder(dir);
}

std::expected<void, std::string> remove_spec(const std::string& dir, const std::string& id) {
  if (!is_valid_id(id)) return std::unexpected("cannot forget vm '" + id + "': not an id");
  const std::string file = dir + "/" + id + ".json";
  if (::unlink(file.c_str()) != 0 && errno != ENOENT) {
    return std::unexpected("cannot remove " + file + ": " + ::strerror(errno));
  }
  return sync_folder(dir);
}

}  // namespace rootstock::appliance
