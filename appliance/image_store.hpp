// The images VMs boot from and use — kernels, initramfs, disks — kept as files in one folder of
// the data partition (/var/lib/rootstock/images), uploaded through the API (PUT /images/{name}).
// An upload streams into a hidden temporary file in the same folder while its SHA-256 is
// computed; only a whole upload whose digest matches the one the client gave (if any) is
// flushed and renamed into place, so a cut upload, a wrong digest or a power cut leaves the
// folder as it was (at worst a hidden temporary file, which the next start of the store
// removes). Names are plain file names, so no name leaves the folder.
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/sha256.hpp"

namespace rootstock::appliance {

class ImageStore {
 public:
  static constexpr size_t kMaxName = 128;

  struct Image {
    std::string name;
    std::string path;  ///< what a VM's spec names to use it
    uint64_t size = 0;
  };

  /// One upload in progress; destroyed before commit(), it removes what it wrote.
  class Upload {
   public:
    ~Upload();
    Upload(const Upload&) = delete;
    Upload& operator=(const Upload&) = delete;
    /// The next bytes; the reason when they cannot be written (the disk is full).
    [[nodiscard]] std::expected<void, std::string> write(std::string_view bytes);
    /// All bytes came: checks the digest against `expected` (if given), flushes the file,
    /// renames it to its name (replacing an image of that name) and flushes the folder.
    [[nodiscard]] std::expected<Image, std::string> commit(
        const std::optional<Sha256::Digest>& expected);

   private:
    friend class ImageStore;
    Upload(const ImageStore& store, std::string name, std::string temp, int fd);
    const ImageStore& store_;
    std::string name_;
    std::string temp_;
    int fd_;
    uint64_t written_ = 0;
    Sha256 sha_;
    bool committed_ = false;
  };

  /// The store in `dir`, made if missing; temporary files left by a cut are removed.
  [[nodiscard]] static std::expected<std::unique_ptr<ImageStore>, std::string> open(
      std::string dir);

  /// 1 to kMaxName of A-Z a-z 0-9 . _ - starting with a letter or digit.
  [[nodiscard]] static bool valid_name(std::string_view name);

  [[nodiscard]] const std::string& dir() const { return dir_; }
  [[nodiscard]] std::string path_of(std::string_view name) const;
  /// Every image, by name.
  [[nodiscard]] std::vector<Image> list() const;
  [[nodiscard]] std::optional<Image> find(std::string_view name) const;
  /// Starts an upload of `length` bytes to `name`; refused for a bad name or when the file
  /// system has not that much room.
  [[nodiscard]] std::expected<std::unique_ptr<Upload>, std::string> begin(std::string_view name,
                                                                          uint64_t length) const;
  /// Removes an image (the folder flushed); the reason when it cannot.
  [[nodiscard]] std::expected<void, std::string> remove(std::string_view name) const;

 private:
  explicit ImageStore(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
};

}  // namespace rootstock::appliance
