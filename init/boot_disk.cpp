#include "boot_disk.hpp"

#include <dirent.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>

#include "image/gpt/file_block_device.hpp"
#include "image/gpt/guid.hpp"
#include "image/gpt/reader.hpp"

namespace rootstock::init {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string> entries_of(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (const dirent* e = ::readdir(d)) {
      if (e->d_name[0] != '.') names.emplace_back(e->d_name);
    }
    ::closedir(d);
  }
  return names;
}

// Whole disks only: RAM disks, loop and device-mapper devices never hold the boot partition.
bool may_hold_boot_disk(std::string_view name) {
  return !name.starts_with("ram") && !name.starts_with("loop") && !name.starts_with("dm-") &&
         !name.starts_with("zram");
}

std::optional<BootDisk> scan(const gpt::Guid& esp) {
  for (const std::string& name : entries_of("/sys/block")) {
    if (!may_hold_boot_disk(name)) continue;
    const std::string device = "/dev/" + name;
    auto disk = gpt::FileBlockDevice::open(device, /*read_only=*/true);
    if (!disk) continue;  // a CD drive without a disc, a disk the kernel could not read
    const auto table = gpt::read_gpt(**disk);
    if (!table) continue;
    auto found = locate_partitions(table->table, esp);
    // The disk's node exists before the kernel has added its partitions; their announcement
    // brings the next scan.
    if (found && !partition_device("/sys/block", name, found->esp.number).empty()) {
      return BootDisk{name, device, (*disk)->sector_size(), std::move(*found)};
    }
  }
  return std::nullopt;
}

// The kernel's device announcements (the netlink socket udev listens on): any message means a
// rescan may find more. Without it (no netlink) PID 1 scans once.
class UeventSocket {
 public:
  UeventSocket() {
    fd_ = ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_KOBJECT_UEVENT);
    sockaddr_nl address{};
    address.nl_family = AF_NETLINK;
    address.nl_groups = 1;  // the kernel's own broadcast group
    if (fd_ >= 0 &&
        ::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~UeventSocket() {
    if (fd_ >= 0) ::close(fd_);
  }
  UeventSocket(const UeventSocket&) = delete;
  UeventSocket& operator=(const UeventSocket&) = delete;

  /// Waits until a block device is announced or `until`; false at the deadline.
  bool wait_for_block_event(Clock::time_point until) {
    if (fd_ < 0) return false;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char message[8192];
      const ssize_t n = ::recv(fd_, message, sizeof(message) - 1, 0);
      if (n <= 0) continue;
      // "ACTION@DEVPATH\0KEY=VALUE\0…": a block device's has SUBSYSTEM=block.
      const std::string_view text(message, static_cast<size_t>(n));
      if (text.find(std::string_view("SUBSYSTEM=block\0", 16)) != std::string_view::npos) {
        return true;
      }
    }
  }

 private:
  int fd_ = -1;
};

}  // namespace

std::optional<BootPartitions> locate_partitions(const gpt::GptCopy& table, const gpt::Guid& esp) {
  std::optional<BootPartitions> found;
  for (const gpt::Partition& p : table.partitions) {
    if (p.unique == esp) found = BootPartitions{p, std::nullopt};
  }
  if (!found) return found;
  for (const gpt::Partition& p : table.partitions) {
    if (p.name == kDataPartitionName && p.type == gpt::kLinuxFilesystemType &&
        p.number != found->esp.number) {
      found->data = p;
      break;
    }
  }
  return found;
}

std::string partition_device(const std::string& sys_block, const std::string& disk,
                             uint32_t number) {
  // Each partition is a folder inside its disk's, with a file "partition" holding its number.
  for (const std::string& entry : entries_of(sys_block + "/" + disk)) {
    if (!entry.starts_with(disk)) continue;
    std::ifstream in(sys_block + "/" + disk + "/" + entry + "/partition");
    uint32_t n = 0;
    if (in >> n && n == number) return "/dev/" + entry;
  }
  return {};
}

std::optional<BootDisk> find_boot_disk(const gpt::Guid& esp, std::chrono::milliseconds wait,
                                       const std::function<void(const std::string&)>& say) {
  // Listening before the first scan: a disk that appears between the scan and the wait is
  // announced to the socket, not lost.
  UeventSocket events;
  const Clock::time_point start = Clock::now();
  const Clock::time_point until = start + wait;
  bool told = false;
  for (;;) {
    if (auto disk = scan(esp)) return disk;
    if (!told && Clock::now() - start >= std::chrono::seconds(1)) {
      say("waiting for the boot disk (EFI system partition " + esp.text() + ")");
      told = true;
    }
    // A second's pause between unannounced rescans covers a kernel without the socket.
    if (!events.wait_for_block_event(std::min(until, Clock::now() + std::chrono::seconds(1))) &&
        Clock::now() >= until) {
      return std::nullopt;
    }
  }
}

}  // namespace rootstock::init
