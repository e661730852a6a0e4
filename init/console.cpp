#include "console.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <fstream>

namespace rootstock::init {
namespace {

int screen_fd = -1;  // the first virtual terminal, when attach_screen() found a screen

// The console /dev/console is: the last of the kernel's active consoles ("tty0 ttyS0").
std::string console_device() {
  std::ifstream in("/sys/class/tty/console/active");
  std::string word, last;
  while (in >> word) last = word;
  return last;
}

}  // namespace

void attach_console() {
  const int fd = ::open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return;  // keep whatever the kernel gave us
  for (int target = 0; target <= 2; ++target) ::dup2(fd, target);
  if (fd > 2) ::close(fd);
}

void attach_screen() {
  if (screen_fd >= 0 || ::access("/dev/fb0", F_OK) != 0) return;
  const std::string console = console_device();
  if (console.starts_with("tty") && console.size() > 3 && std::isdigit(console[3])) return;
  screen_fd = ::open("/dev/tty1", O_WRONLY | O_NOCTTY | O_CLOEXEC);
}

void write_console(std::string_view text) {
  (void)!::write(STDOUT_FILENO, text.data(), text.size());
  if (screen_fd >= 0) (void)!::write(screen_fd, text.data(), text.size());
}

void say(const std::string& message) {
  // One write per line, so lines from PID 1 and its children do not interleave mid-line.
  write_console("rootstock: " + message + "\n");
}

void announce(const milestone::Writer& line) {
  std::string text(line.c_str());
  text += "\n";
  write_console(text);
}

}  // namespace rootstock::init
