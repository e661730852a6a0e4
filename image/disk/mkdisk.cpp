// rootstock-mkdisk: writes rootstock.img (image/disk/disk_layout.hpp) from the file systems of
// its two partitions, made beforehand as plain files by tools/make-disk-image.sh.
//
//   rootstock-mkdisk --layout            prints the layout as key=value lines
//   rootstock-mkdisk OUTPUT ESP DATA     writes a new image at OUTPUT: the protective MBR, both
//                                        GPT copies, ESP and DATA at their partitions' LBAs
//
// The image is sparse: runs of zero blocks in the partitions are left as holes, which read as
// zero. It is written to OUTPUT only, which must not exist yet, and removed again on a failure.
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <iostream>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "image/disk/disk_layout.hpp"
#include "image/gpt/file_block_device.hpp"
#include "image/gpt/reader.hpp"

namespace {

using rootstock::gpt::FileBlockDevice;
using rootstock::gpt::Result;
namespace disk = rootstock::disk;
namespace gpt = rootstock::gpt;

/// What is copied in one read, and the size of the zero runs left as holes (ext4's block).
constexpr size_t kChunkBytes = 1024 * 1024;
constexpr size_t kHoleBytes = 4096;

// A boot sector's signature (Microsoft FAT specification, "Boot Sector and BPB": bytes 510 and
// 511) and FAT32's BS_FilSysType, which mkfs.fat fills ("FAT32   " at offset 82).
constexpr size_t kBootSignatureOffset = 510;
constexpr std::string_view kBootSignature = "\x55\xAA";
constexpr size_t kFat32TypeOffset = 82;
constexpr std::string_view kFat32Type = "FAT32   ";
// ext4's superblock 1024 bytes in, its s_magic 0xEF53 (little-endian) at offset 0x38 (Linux
// Documentation/filesystems/ext4/super.rst).
constexpr size_t kExt4MagicOffset = 1024 + 0x38;
constexpr std::string_view kExt4Magic = "\x53\xEF";
/// What open_input() reads of a file system: its first two KiB hold all three.
constexpr size_t kHeadBytes = 2048;

struct Input {
  std::string what;  ///< how messages name it
  std::string path;
  uint32_t number = 0;  ///< its partition
  std::unique_ptr<FileBlockDevice> file{};
};

std::string errno_text() {
  return strerror(errno);
}

const gpt::Partition& partition(const disk::DiskLayout& layout, uint32_t number) {
  // rootstock_layout() has both partitions whose numbers the inputs carry.
  return *std::find_if(layout.spec.partitions.begin(), layout.spec.partitions.end(),
                       [&](const gpt::Partition& p) { return p.number == number; });
}

// Opens `in`, checks that it is a file of the partition's size that starts the way its file
// system does: a swapped or stale argument is refused before anything is written.
Result<void> open_input(Input& in, const gpt::Partition& part, uint32_t sector_size) {
  auto file = FileBlockDevice::open(in.path, /*read_only=*/true, sector_size);
  if (!file) return std::unexpected(file.error());
  in.file = std::move(*file);
  struct stat st{};
  if (::fstat(in.file->fd(), &st) != 0) {
    return std::unexpected("cannot stat " + in.path + ": " + errno_text());
  }
  const uint64_t want = (part.last_lba - part.first_lba + 1) * sector_size;
  if (!S_ISREG(st.st_mode)) return std::unexpected(in.path + " is not a plain file");
  if (static_cast<uint64_t>(st.st_size) != want) {
    return std::unexpected(in.path + " has " + std::to_string(st.st_size) + " bytes; the " +
                           in.what + " (partition " + std::to_string(part.number) + ") has " +
                           std::to_string(want));
  }
  std::vector<uint8_t> head(kHeadBytes);
  if (auto r = in.file->read(0, head); !r) return r;
  auto has = [&](size_t offset, std::string_view bytes) {
    return memcmp(head.data() + offset, bytes.data(), bytes.size()) == 0;
  };
  if (part.number == disk::kEspNumber) {
    if (!has(kBootSignatureOffset, kBootSignature) || !has(kFat32TypeOffset, kFat32Type)) {
      return std::unexpected(in.path + " is not a FAT32 file system: the " + in.what +
                             " must be one (mkfs.fat -F 32)");
    }
  } else if (!has(kExt4MagicOffset, kExt4Magic)) {
    return std::unexpected(in.path + " is not an ext4 file system: the " + in.what +
                           " must be one (mke2fs -t ext4)");
  }
  return {};
}

// Copies `in` to its partition, leaving zero runs of kHoleBytes as the holes they already are.
Result<void> copy_in(const Input& in, const gpt::Partition& part, FileBlockDevice& out) {
  const uint32_t ss = out.sector_size();
  const uint64_t bytes = (part.last_lba - part.first_lba + 1) * ss;
  std::vector<uint8_t> chunk(kChunkBytes);
  for (uint64_t offset = 0; offset < bytes; offset += chunk.size()) {
    const auto span = std::span(chunk).first(std::min<uint64_t>(chunk.size(), bytes - offset));
    if (auto r = in.file->read(offset / ss, span); !r) return r;
    size_t run_start = 0;
    auto flush_run = [&](size_t end) -> Result<void> {
      if (end == run_start) return {};
      return out.write(part.first_lba + (offset + run_start) / ss,
                       span.subspan(run_start, end - run_start));
    };
    for (size_t at = 0; at < span.size(); at += kHoleBytes) {
      const auto block = span.subspan(at, std::min(kHoleBytes, span.size() - at));
      if (std::any_of(block.begin(), block.end(), [](uint8_t b) { return b != 0; })) continue;
      if (auto r = flush_run(at); !r) return r;
      run_start = at + block.size();
    }
    if (auto r = flush_run(span.size()); !r) return r;
  }
  return {};
}

// Creates OUTPUT at the layout's size (a hole throughout; `created` from then on), then writes
// the table and the partitions, and reads the table back.
Result<void> write_image(const std::string& output, const disk::DiskLayout& layout,
                         std::span<const Input> inputs, bool& created) {
  const int fd = ::open(output.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0 && errno == EEXIST) {
    return std::unexpected(output + " exists: rootstock-mkdisk writes only a new file");
  }
  if (fd < 0) return std::unexpected("cannot create " + output + ": " + errno_text());
  created = true;
  const bool sized = ::ftruncate(fd, static_cast<off_t>(layout.bytes())) == 0;
  const std::string size_error = errno_text();
  ::close(fd);
  if (!sized) return std::unexpected("cannot size " + output + ": " + size_error);

  auto dev = FileBlockDevice::open(output);
  if (!dev) return std::unexpected(dev.error());
  if (auto r = gpt::write_gpt(**dev, layout.spec); !r) return r;
  for (const Input& in : inputs) {
    if (auto r = copy_in(in, partition(layout, in.number), **dev); !r) return r;
  }
  if (auto r = (*dev)->flush(); !r) return r;
  auto back = gpt::read_gpt(**dev);
  if (!back) return std::unexpected("the table written does not read back: " + back.error());
  if (back->from_backup || !back->backup_problem.empty() || !back->protective_mbr ||
      back->table.disk_guid != layout.spec.disk_guid ||
      back->table.partitions != layout.spec.partitions) {
    return std::unexpected("the table written does not read back as written");
  }
  return {};
}

int usage() {
  std::cerr << "usage: rootstock-mkdisk --layout\n"
               "       rootstock-mkdisk OUTPUT ESP DATA\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  auto layout = disk::rootstock_layout();
  if (!layout) {
    std::cerr << "rootstock-mkdisk: the layout is inconsistent: " << layout.error() << "\n";
    return 1;
  }
  if (argc == 2 && std::string_view(argv[1]) == "--layout") {
    std::cout << disk::layout_variables(*layout);
    return 0;
  }
  if (argc != 4) return usage();
  const std::string output = argv[1];
  std::array<Input, 2> inputs = {
      Input{.what = "EFI system partition", .path = argv[2], .number = disk::kEspNumber},
      Input{.what = "data partition", .path = argv[3], .number = disk::kDataNumber}};
  Result<void> done;
  for (Input& in : inputs) {
    done = open_input(in, partition(*layout, in.number), layout->sector_size);
    if (!done) break;
  }
  if (done) {
    bool created = false;
    done = write_image(output, *layout, inputs, created);
    if (!done && created) ::unlink(output.c_str());
  }
  if (!done) {
    std::cerr << "rootstock-mkdisk: " << done.error() << "\n";
    return 1;
  }
  return 0;
}
