#include "mounts.hpp"

#include <sys/mount.h>

#include <cerrno>
#include <cstring>

namespace rootstock::init {

std::vector<MountSpec> early_mounts() {
  constexpr unsigned long kSafe = MS_NOSUID | MS_NOEXEC | MS_NODEV;
  return {
      {"proc", "/proc", "proc", kSafe, ""},
      {"sysfs", "/sys", "sysfs", kSafe, ""},
      {"devtmpfs", "/dev", "devtmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755"},
      {"tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64m"},
  };
}

std::vector<MountSpec> mount_all(System& sys, const std::vector<MountSpec>& specs,
                                 std::vector<std::string>& errors) {
  std::vector<MountSpec> done;
  for (const MountSpec& m : specs) {
    int err = sys.make_directory(m.target, 0755);
    if (err == 0) err = sys.mount(m.source, m.target, m.fstype, m.flags, m.data);
    if (err == EBUSY) err = 0;  // already mounted (the kernel's automount of devtmpfs)
    if (err != 0) {
      errors.push_back("cannot mount " + m.fstype + " on " + m.target + ": " + std::strerror(err));
      continue;
    }
    done.push_back(m);
  }
  return done;
}

void unmount_all(System& sys, const std::vector<MountSpec>& mounted,
                 std::vector<std::string>& errors) {
  for (auto it = mounted.rbegin(); it != mounted.rend(); ++it) {
    int err = sys.unmount(it->target, 0);
    if (err == EBUSY) err = sys.unmount(it->target, MNT_DETACH);
    if (err != 0) {
      errors.push_back("cannot unmount " + it->target + ": " + std::strerror(err));
    }
  }
}

}  // namespace rootstock::init
