#include "data_partition.hpp"

#include <errno.h>
#include <fcntl.h>
#include <linux/blkpg.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <sstream>

#include "appliance/whole_file.hpp"
#include "image/disk/disk_layout.hpp"
#include "image/gpt/file_block_device.hpp"
#include "image/gpt/grow.hpp"
#include "image/gpt/identity.hpp"
#include "image/gpt/reader.hpp"

namespace rootstock::init {

using appliance::Existing;
using appliance::sync_folder;
using appliance::write_whole_file;
namespace {

// struct ext4_super_block (fs/ext4/ext4.h): the offsets PID 1 reads.
constexpr size_t kBlocksCountLo = 0x04;
constexpr size_t kLogBlockSize = 0x18;
constexpr size_t kMagic = 0x38;
constexpr size_t kFeatureIncompat = 0x60;
constexpr size_t kBlocksCountHi = 0x150;
constexpr uint16_t kExt4Magic = 0xEF53;
constexpr uint32_t kIncompat64Bit = 0x80;
// 1 KiB to 64 KiB blocks: s_log_block_size 0 to 6.
constexpr uint32_t kMaxLogBlockSize = 6;

// EXT4_IOC_RESIZE_FS (fs/ext4/ext4.h; not in the UAPI headers Debian ships): grows a mounted
// file system to the given block count.
constexpr unsigned long kExt4IocResizeFs = _IOW('f', 16, uint64_t);

template <typename T>
T field(std::span<const uint8_t> bytes, size_t offset) {
  T value;
  memcpy(&value, bytes.data() + offset, sizeof(T));
  return value;
}

std::string errno_text() {
  return strerror(errno);
}

uint64_t mib(uint64_t bytes) {
  return bytes >> 20;
}

// The partition's size as the kernel sees it, in bytes (sysfs counts 512-byte sectors).
std::optional<uint64_t> kernel_partition_bytes(const std::string& device) {
  const std::string name = device.substr(device.rfind('/') + 1);
  std::ifstream in("/sys/class/block/" + name + "/size");
  uint64_t sectors = 0;
  if (!(in >> sectors)) return std::nullopt;
  return sectors * 512;
}

// A disk that still has the image's identifiers gets fresh ones, so that two flashed disks in
// one box differ (the ESP's new GUID reaches rootstock.esp= from the next boot on).
void renew_identifiers(gpt::FileBlockDevice& dev,
                       const std::function<void(const std::string&)>& say) {
  const auto table = gpt::read_gpt(dev);
  if (!table || table->table.disk_guid != disk::kDiskGuid) return;
  gpt::Identifiers ids;
  auto guid = gpt::random_guid();
  if (guid) ids.disk = *guid;
  for (const gpt::Partition& p : table->table.partitions) {
    if (!guid) break;
    guid = gpt::random_guid();
    if (guid) ids.partitions[p.number] = *guid;
  }
  if (!guid) {
    say("boot disk: " + guid.error() + "; it keeps the image's GUIDs");
    return;
  }
  const auto renewed = gpt::set_identifiers(dev, ids);
  if (!renewed) {
    say("boot disk: cannot give it fresh GUIDs: " + renewed.error());
  } else if (*renewed) {
    say("boot disk: fresh GUIDs for the disk and its partitions in place of the image's");
  }
}

// Grows the GPT and tells the kernel the data partition's new size. Problems are said, not
// fatal: the partition mounts at the size it has.
void grow_partition(const BootDisk& disk, const std::string& part_device,
                    const std::function<void(const std::string&)>& say) {
  auto opened = gpt::FileBlockDevice::open(disk.device);
  if (!opened) {
    say("data partition: " + opened.error() + "; not grown");
    return;
  }
  gpt::FileBlockDevice& dev = **opened;
  const auto grown = gpt::grow_gpt(dev, kDataPartitionName);
  renew_identifiers(dev, say);
  if (!grown) {
    say("data partition: " + grown.error() + "; not grown");
    return;
  }
  const gpt::Partition& data = *disk.partitions.data;
  const uint64_t start = data.first_lba * dev.sector_size();
  const uint64_t length = (grown->new_last_lba - data.first_lba + 1) * dev.sector_size();
  // A power cut after the table was grown and before the kernel heard of it leaves a table the
  // kernel read at boot at its full size already; BLKPG only when it differs.
  if (kernel_partition_bytes(part_device) == length) return;
  blkpg_partition partition{};
  partition.start = static_cast<long long>(start);
  partition.length = static_cast<long long>(length);
  partition.pno = static_cast<int>(data.number);
  blkpg_ioctl_arg arg{};
  arg.op = BLKPG_RESIZE_PARTITION;
  arg.datalen = sizeof(partition);
  arg.data = &partition;
  if (::ioctl(dev.fd(), BLKPG, &arg) != 0) {
    say("data partition: the kernel refused its new size (BLKPG): " + errno_text() +
        "; it is used at its old size until the next boot");
  }
}

std::expected<Ext4Geometry, std::string> read_geometry(const std::string& part_device) {
  const int fd = ::open(part_device.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::unexpected("cannot open " + part_device + ": " + errno_text());
  uint8_t sb[kExt4SuperblockSize];
  const ssize_t n = ::pread(fd, sb, sizeof(sb), kExt4SuperblockOffset);
  ::close(fd);
  if (n != static_cast<ssize_t>(sizeof(sb))) {
    return std::unexpected("cannot read " + part_device + "'s superblock");
  }
  const auto geometry = parse_ext4_superblock(sb);
  if (!geometry) return std::unexpected(part_device + " holds no ext4 file system");
  return *geometry;
}

// Counts this boot: the file is replaced whole (written, flushed, renamed, the folder flushed),
// so a power cut leaves the old count or the new one.
uint64_t count_boot(const std::function<void(const std::string&)>& say) {
  std::ifstream in(kBootCountFile);
  std::stringstream text;
  text << in.rdbuf();
  const uint64_t boots = parse_boot_count(text.str()).value_or(0) + 1;
  const std::string tmp = std::string(kBootCountFile) + ".new";
  auto done = write_whole_file(tmp, std::to_string(boots) + "\n", 0644, Existing::kReplace,
                               /*durable=*/true);
  if (done && ::rename(tmp.c_str(), kBootCountFile) != 0) {
    done = std::unexpected("cannot rename " + tmp + ": " + errno_text());
  }
  if (done) done = sync_folder(kDataMount);
  if (!done) say("data partition: cannot count this boot: " + done.error());
  return boots;
}

}  // namespace

std::optional<Ext4Geometry> parse_ext4_superblock(std::span<const uint8_t> bytes) {
  if (bytes.size() < kExt4SuperblockSize) return std::nullopt;
  if (field<uint16_t>(bytes, kMagic) != kExt4Magic) return std::nullopt;
  const uint32_t log = field<uint32_t>(bytes, kLogBlockSize);
  if (log > kMaxLogBlockSize) return std::nullopt;
  Ext4Geometry g;
  g.block_size = 1024u << log;
  g.blocks = field<uint32_t>(bytes, kBlocksCountLo);
  if (field<uint32_t>(bytes, kFeatureIncompat) & kIncompat64Bit) {
    g.blocks |= uint64_t{field<uint32_t>(bytes, kBlocksCountHi)} << 32;
  }
  if (g.blocks == 0) return std::nullopt;
  return g;
}

std::optional<uint64_t> parse_boot_count(std::string_view text) {
  if (text.ends_with('\n')) text.remove_suffix(1);
  uint64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return n;
}

std::expected<DataPartition, std::string> mount_data_partition(
    const BootDisk& disk, const std::function<void(const std::string&)>& say) {
  if (!disk.partitions.data) {
    return std::unexpected("the boot disk " + disk.device + " has no data partition (GPT name " +
                           std::string(kDataPartitionName) + ")");
  }
  DataPartition out;
  out.device = partition_device("/sys/block", disk.name, disk.partitions.data->number);
  if (out.device.empty()) {
    return std::unexpected("the kernel shows no partition " +
                           std::to_string(disk.partitions.data->number) + " on " + disk.device);
  }
  grow_partition(disk, out.device, say);
  const auto before = read_geometry(out.device);
  if (!before) return std::unexpected(before.error());

  (void)::mkdir("/var", 0755);
  (void)::mkdir("/var/lib", 0755);
  (void)::mkdir(kDataMount, 0755);
  if (::mount(out.device.c_str(), kDataMount, "ext4", MS_NOATIME | MS_NODEV | MS_NOSUID,
              "errors=remount-ro") != 0) {
    return std::unexpected("cannot mount " + out.device + " (ext4) at " + kDataMount + ": " +
                           errno_text());
  }
  const uint64_t partition_bytes = kernel_partition_bytes(out.device).value_or(0);
  const uint64_t want_blocks = partition_bytes / before->block_size;
  if (want_blocks > before->blocks) {
    const int dir = ::open(kDataMount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    uint64_t blocks = want_blocks;
    if (dir < 0 || ::ioctl(dir, kExt4IocResizeFs, &blocks) != 0) {
      say("data partition: cannot grow its file system: " + errno_text());
    } else {
      out.grown_from_mib = mib(before->blocks * before->block_size);
    }
    if (dir >= 0) ::close(dir);
  }
  struct statvfs st{};
  if (::statvfs(kDataMount, &st) == 0) {
    out.size_mib = mib(static_cast<uint64_t>(st.f_blocks) * st.f_frsize);
    out.free_mib = mib(static_cast<uint64_t>(st.f_bavail) * st.f_frsize);
  }
  out.boots = count_boot(say);
  return out;
}

}  // namespace rootstock::init
