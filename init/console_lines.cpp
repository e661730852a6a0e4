#include "console_lines.hpp"

#include <cstdlib>

#include "console.hpp"
#include "vm_console.hpp"

namespace rootstock::init {

void ConsoleLines::put(uint8_t b) {
  std::lock_guard lock(mutex_);
  if (b == '\n') {
    say(prefix_ + VmConsole::sanitize(partial_));
    lines_.push_back({partial_, Clock::now()});
    partial_.clear();
    changed_.notify_all();
  } else if (b != '\r' && partial_.size() < 512) {
    partial_ += static_cast<char>(b >= 0x20 && b < 0x7f ? b : '?');
  }
}

std::optional<ConsoleLines::Found> ConsoleLines::wait_for(const std::string& text, size_t from,
                                                          Clock::duration timeout) {
  std::unique_lock lock(mutex_);
  std::optional<Found> found;
  changed_.wait_for(lock, timeout, [&] {
    for (size_t i = from; i < lines_.size(); ++i) {
      if (lines_[i].text.find(text) != std::string::npos) {
        found = Found{i, lines_[i].when};
        return true;
      }
    }
    return ended_;
  });
  return found;
}

std::string ConsoleLines::line(size_t i) {
  std::lock_guard lock(mutex_);
  return i < lines_.size() ? lines_[i].text : std::string();
}

size_t ConsoleLines::count() {
  std::lock_guard lock(mutex_);
  return lines_.size();
}

void ConsoleLines::close() {
  std::lock_guard lock(mutex_);
  ended_ = true;
  changed_.notify_all();
}

long long line_field(const std::string& line, const std::string& name) {
  const auto at = line.find(name + "=");
  if (at == std::string::npos) return -1;
  return std::atoll(line.c_str() + at + name.size() + 1);
}

}  // namespace rootstock::init
