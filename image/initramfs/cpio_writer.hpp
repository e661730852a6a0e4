// The "newc" cpio archive the kernel unpacks as its initramfs (Linux
// Documentation/driver-api/early-userspace/buffer-format.rst), written deterministically:
// entries sorted by name, inode numbers by position, fixed owner and timestamp, so the same
// inputs give the same bytes (DESIGN.md §1, reproducible builds).
#pragma once

#include <cstdint>
#include <expected>
#include <map>
#include <string>
#include <string_view>

namespace rootstock::image {

/// Builds one archive in memory.
class CpioWriter {
 public:
  /// Adds a directory. Names are relative ("dev", "dev/pts"); a parent need not be added
  /// first, but every parent must be added by the time write() runs.
  std::expected<void, std::string> add_directory(std::string_view name, uint32_t mode);
  std::expected<void, std::string> add_file(std::string_view name, uint32_t mode, std::string data);
  std::expected<void, std::string> add_symlink(std::string_view name, std::string_view target);
  std::expected<void, std::string> add_char_device(std::string_view name, uint32_t mode,
                                                   uint32_t major, uint32_t minor);

  /// The archive: every entry in name order, then the trailer. Fails if an entry's parent
  /// directory is missing.
  std::expected<std::string, std::string> write() const;

 private:
  struct Entry {
    uint32_t mode;  ///< file type bits and permissions
    std::string data;
    uint32_t rdev_major = 0;
    uint32_t rdev_minor = 0;
  };
  std::expected<void, std::string> add(std::string_view name, Entry entry);

  std::map<std::string, Entry> entries_;
};

/// Reads a gen_init_cpio-style list (the kernel's usr/gen_init_cpio format, owners ignored:
/// every entry is root's):
///   dir NAME MODE UID GID     file NAME SOURCE MODE UID GID     slink NAME TARGET MODE UID GID
///   nod NAME MODE UID GID c MAJOR MINOR                            # comment
/// Paths may start with '/'. SOURCE files are read from the host. Errors name the line.
std::expected<CpioWriter, std::string> read_list(std::string_view list);

}  // namespace rootstock::image
