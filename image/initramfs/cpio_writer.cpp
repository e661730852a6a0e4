#include "cpio_writer.hpp"

#include <sys/stat.h>

#include <charconv>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

namespace rootstock::image {
namespace {

constexpr std::string_view kMagic = "070701";
constexpr std::string_view kTrailer = "TRAILER!!!";
constexpr uint32_t kPermissionMask = 07777;

// A relative path without empty, "." or ".." components.
std::expected<std::string, std::string> clean_name(std::string_view name) {
  while (!name.empty() && name.front() == '/') name.remove_prefix(1);
  if (name.empty()) return std::unexpected("empty path");
  if (name.back() == '/') return std::unexpected("path ends in '/': " + std::string(name));
  size_t start = 0;
  while (start <= name.size()) {
    const size_t end = std::min(name.find('/', start), name.size());
    const std::string_view part = name.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") {
      return std::unexpected("bad path component in '" + std::string(name) + "'");
    }
    start = end + 1;
  }
  return std::string(name);
}

void put_hex(std::string& out, uint64_t v) {
  char buf[9];
  std::snprintf(buf, sizeof(buf), "%08llx", static_cast<unsigned long long>(v & 0xffffffff));
  out.append(buf, 8);
}

void pad4(std::string& out) {
  while (out.size() % 4 != 0) out.push_back('\0');
}

// One header, name and data (buffer-format.rst: 110-byte header, name with NUL padded so the
// data starts 4-aligned, data padded to 4).
void put_entry(std::string& out, uint32_t ino, uint32_t mode, uint32_t nlink, std::string_view name,
               std::string_view data, uint32_t rmaj, uint32_t rmin) {
  out.append(kMagic);
  put_hex(out, ino);
  put_hex(out, mode);
  put_hex(out, 0);  // uid
  put_hex(out, 0);  // gid
  put_hex(out, nlink);
  put_hex(out, 0);  // mtime: zeroed for reproducibility
  put_hex(out, data.size());
  put_hex(out, 0);  // devmajor
  put_hex(out, 0);  // devminor
  put_hex(out, rmaj);
  put_hex(out, rmin);
  put_hex(out, name.size() + 1);
  put_hex(out, 0);  // check
  out.append(name);
  out.push_back('\0');
  pad4(out);
  out.append(data);
  pad4(out);
}

std::expected<uint32_t, std::string> parse_mode(std::string_view s) {
  uint32_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 8);
  if (ec != std::errc() || p != s.data() + s.size() || v > kPermissionMask) {
    return std::unexpected("bad mode '" + std::string(s) + "'");
  }
  return v;
}

std::expected<uint32_t, std::string> parse_number(std::string_view s) {
  uint32_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 10);
  if (ec != std::errc() || p != s.data() + s.size()) {
    return std::unexpected("bad number '" + std::string(s) + "'");
  }
  return v;
}

}  // namespace

std::expected<void, std::string> CpioWriter::add(std::string_view name, Entry entry) {
  auto clean = clean_name(name);
  if (!clean) return std::unexpected(clean.error());
  if (clean->size() + 1 > 4096) return std::unexpected("path too long: " + *clean);
  if (!entries_.emplace(*clean, std::move(entry)).second) {
    return std::unexpected("duplicate entry: " + *clean);
  }
  return {};
}

std::expected<void, std::string> CpioWriter::add_directory(std::string_view name, uint32_t mode) {
  return add(name, {S_IFDIR | (mode & kPermissionMask), {}});
}

std::expected<void, std::string> CpioWriter::add_file(std::string_view name, uint32_t mode,
                                                      std::string data) {
  if (data.size() > 0xffffffffull) return std::unexpected("file too large for newc");
  return add(name, {S_IFREG | (mode & kPermissionMask), std::move(data)});
}

std::expected<void, std::string> CpioWriter::add_symlink(std::string_view name,
                                                         std::string_view target) {
  if (target.empty()) return std::unexpected("empty symlink target");
  return add(name, {S_IFLNK | 0777, std::string(target)});
}

std::expected<void, std::string> CpioWriter::add_char_device(std::string_view name, uint32_t mode,
                                                             uint32_t major, uint32_t minor) {
  return add(name, {S_IFCHR | (mode & kPermissionMask), {}, major, minor});
}

std::expected<std::string, std::string> CpioWriter::write() const {
  std::string out;
  uint32_t ino = 1;
  for (const auto& [name, e] : entries_) {
    const size_t slash = name.rfind('/');
    if (slash != std::string::npos) {
      const auto parent = entries_.find(name.substr(0, slash));
      if (parent == entries_.end() || !S_ISDIR(parent->second.mode)) {
        return std::unexpected("no parent directory for " + name);
      }
    }
    put_entry(out, ino++, e.mode, S_ISDIR(e.mode) ? 2 : 1, name, e.data, e.rdev_major,
              e.rdev_minor);
  }
  put_entry(out, 0, 0, 1, kTrailer, {}, 0, 0);
  return out;
}

std::expected<CpioWriter, std::string> read_list(std::string_view list) {
  CpioWriter w;
  std::istringstream in{std::string(list)};
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    std::istringstream words(line);
    std::vector<std::string> f;
    for (std::string word; words >> word;) f.push_back(word);
    if (f.empty() || f[0][0] == '#') continue;
    auto fail = [&](const std::string& why) -> std::expected<CpioWriter, std::string> {
      return std::unexpected("line " + std::to_string(number) + ": " + why);
    };
    std::expected<void, std::string> r;
    if (f[0] == "dir" && f.size() >= 3) {
      auto mode = parse_mode(f[2]);
      if (!mode) return fail(mode.error());
      r = w.add_directory(f[1], *mode);
    } else if (f[0] == "file" && f.size() >= 4) {
      auto mode = parse_mode(f[3]);
      if (!mode) return fail(mode.error());
      std::ifstream src(f[2], std::ios::binary);
      if (!src) return fail("cannot read " + f[2]);
      std::ostringstream data;
      data << src.rdbuf();
      r = w.add_file(f[1], *mode, data.str());
    } else if (f[0] == "slink" && f.size() >= 3) {
      r = w.add_symlink(f[1], f[2]);
    } else if (f[0] == "nod" && f.size() >= 8 && f[5] == "c") {
      auto mode = parse_mode(f[2]);
      auto major = parse_number(f[6]);
      auto minor = parse_number(f[7]);
      if (!mode) return fail(mode.error());
      if (!major) return fail(major.error());
      if (!minor) return fail(minor.error());
      r = w.add_char_device(f[1], *mode, *major, *minor);
    } else {
      return fail("not an entry this tool writes: '" + line + "'");
    }
    if (!r) return fail(r.error());
  }
  return w;
}

}  // namespace rootstock::image
