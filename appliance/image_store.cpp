#include "appliance/image_store.hpp"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>

#include "appliance/whole_file.hpp"

namespace rootstock::appliance {
namespace {

constexpr std::string_view kTempPrefix = ".upload-";

std::string errno_text() {
  return ::strerror(errno);
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

}  // namespace

bool ImageStore::valid_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxName) return false;
  const char first = name.front();
  const bool alnum = (first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z') ||
                     (first >= '0' && first <= '9');
  return alnum && std::all_of(name.begin(), name.end(), is_name_char);
}

std::expected<std::unique_ptr<ImageStore>, std::string> ImageStore::open(std::string dir) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return std::unexpected("cannot make the image folder " + dir + ": " + errno_text());
  }
  std::unique_ptr<ImageStore> store(new ImageStore(std::move(dir)));
  // What an upload cut by a power failure left behind.
  if (DIR* d = ::opendir(store->dir_.c_str())) {
    while (const dirent* e = ::readdir(d)) {
      if (std::string_view(e->d_name).starts_with(kTempPrefix)) {
        (void)::unlinkat(::dirfd(d), e->d_name, 0);
      }
    }
    ::closedir(d);
  }
  return store;
}

std::string ImageStore::path_of(std::string_view name) const {
  return dir_ + "/" + std::string(name);
}

std::vector<ImageStore::Image> ImageStore::list() const {
  std::vector<Image> out;
  DIR* d = ::opendir(dir_.c_str());
  if (!d) return out;
  while (const dirent* e = ::readdir(d)) {
    if (!valid_name(e->d_name)) continue;
    if (auto image = find(e->d_name)) out.push_back(std::move(*image));
  }
  ::closedir(d);
  std::sort(out.begin(), out.end(), [](const Image& a, const Image& b) { return a.name < b.name; });
  return out;
}

std::optional<ImageStore::Image> ImageStore::find(std::string_view name) const {
  if (!valid_name(name)) return std::nullopt;
  const std::string path = path_of(name);
  struct stat st{};
  // lstat: a symbolic link someone put there is no image.
  if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return Image{std::string(name), path, static_cast<uint64_t>(st.st_size)};
}

std::expected<std::unique_ptr<ImageStore::Upload>, std::string> ImageStore::begin(
    std::string_view name, uint64_t length) const {
  if (!valid_name(name)) {
    return std::unexpected(
        "an image name is 1 to 128 of A-Z a-z 0-9 . _ - starting with a "
        "letter or digit");
  }
  struct statvfs fs{};
  if (::statvfs(dir_.c_str(), &fs) == 0) {
    const uint64_t room = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
    if (length > room) {
      return std::unexpected("the image is " + std::to_string(length) +
                             " bytes and the data "
                             "partition has " +
                             std::to_string(room) + " free");
    }
  }
  std::string temp = dir_ + "/" + std::string(kTempPrefix) + std::string(name) + ".XXXXXX";
  const int fd = ::mkostemp(temp.data(), O_CLOEXEC);
  if (fd < 0) return std::unexpected("cannot make " + temp + ": " + errno_text());
  (void)::fchmod(fd, 0644);
  return std::unique_ptr<Upload>(new Upload(*this, std::string(name), std::move(temp), fd));
}

std::expected<void, std::string> ImageStore::remove(std::string_view name) const {
  if (!find(name)) return std::unexpected("no image '" + std::string(name) + "'");
  const std::string path = path_of(name);
  if (::unlink(path.c_str()) != 0) {
    return std::unexpected("cannot remove " + path + ": " + errno_text());
  }
  return sync_folder(dir_);
}

ImageStore::Upload::Upload(const ImageStore& store, std::string name, std::string temp, int fd)
    : store_(store), name_(std::move(name)), temp_(std::move(temp)), fd_(fd) {}

ImageStore::Upload::~Upload() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) (void)::unlink(temp_.c_str());
}

std::expected<void, std::string> ImageStore::Upload::write(std::string_view bytes) {
  sha_.update(bytes);
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::unexpected("cannot write the image " + name_ + ": " + errno_text());
    }
    bytes.remove_prefix(static_cast<size_t>(n));
    written_ += static_cast<uint64_t>(n);
  }
  return {};
}

std::expected<ImageStore::Image, std::string> ImageStore::Upload::commit(
    const std::optional<Sha256::Digest>& expected) {
  const Sha256::Digest got = sha_.finish();
  if (expected && *expected != got) {
    return std::unexpected("the image's SHA-256 is " + hex(got) + ", not " + hex(*expected) +
                           " as the request said: not kept");
  }
  if (::fsync(fd_) != 0)
    return std::unexpected("cannot flush the image " + name_ + ": " + errno_text());
  ::close(fd_);
  fd_ = -1;
  const std::string path = store_.path_of(name_);
  if (::rename(temp_.c_str(), path.c_str()) != 0) {
    return std::unexpected("cannot rename " + temp_ + " to " + path + ": " + errno_text());
  }
  committed_ = true;
  if (auto synced = sync_folder(store_.dir()); !synced) return std::unexpected(synced.error());
  return Image{name_, path, written_};
}

}  // namespace rootstock::appliance
