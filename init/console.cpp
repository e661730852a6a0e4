#include "console.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace rootstock::init {

void attach_console() {
  const int fd = ::open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return;  // keep whatever the kernel gave us
  for (int target = 0; target <= 2; ++target) ::dup2(fd, target);
  if (fd > 2) ::close(fd);
}

void say(const std::string& message) {
  // One write per line, so lines from PID 1 and its children do not interleave mid-line.
  const std::string line = "rootstock: " + message + "\n";
  (void)!::write(STDOUT_FILENO, line.data(), line.size());
}

void announce(const milestone::Writer& line) {
  std::string text(line.c_str());
  text += "\n";
  (void)!::write(STDOUT_FILENO, text.data(), text.size());
}

}  // namespace rootstock::init
