#include "power_button.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/input.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstring>

namespace rootstock::init {

std::vector<int> open_power_buttons() {
  std::vector<int> fds;
  DIR* dir = ::opendir("/dev/input");
  if (dir == nullptr) return fds;
  while (const dirent* e = ::readdir(dir)) {
    if (std::strncmp(e->d_name, "event", 5) != 0) continue;
    const std::string path = std::string("/dev/input/") + e->d_name;
    const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) continue;
    char name[64] = {};
    // musl declares ioctl's request as int, glibc as unsigned long: the macro's unsigned value
    // converts to either.
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wsign-conversion"
    const int got = ::ioctl(fd, EVIOCGNAME(sizeof(name) - 1), name);
#pragma clang diagnostic pop
    if (got >= 0 && std::strcmp(name, "Power Button") == 0) {
      fds.push_back(fd);
    } else {
      ::close(fd);
    }
  }
  ::closedir(dir);
  return fds;
}

bool power_button_pressed(int fd) {
  bool pressed = false;
  input_event ev;
  while (::read(fd, &ev, sizeof(ev)) == static_cast<ssize_t>(sizeof(ev))) {
    if (ev.type == EV_KEY && ev.code == KEY_POWER && ev.value == 1) pressed = true;
  }
  return pressed;
}

}  // namespace rootstock::init
