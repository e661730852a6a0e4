#include "selftest/console_lines.hpp"

#include <algorithm>
#include <cstdlib>

namespace rootstock::selftest {

ConsoleLines::ConsoleLines(std::string prefix, size_t max_lines,
                           std::function<void(const std::string&)> show)
    : prefix_(std::move(prefix)),
      max_lines_(std::max<size_t>(max_lines, 1)),
      show_(std::move(show)) {}

void ConsoleLines::put(uint8_t b) {
  std::lock_guard lock(mutex_);
  if (b == '\n') {
    show_(prefix_ + partial_);
    const Found here{first_ + lines_.size(), Clock::now()};
    for (Waiter* w : waiters_) {
      if (!w->found && here.index >= w->from && partial_.find(*w->text) != std::string::npos) {
        w->found = here;
      }
    }
    lines_.push_back({std::move(partial_), here.when});
    partial_.clear();
    if (lines_.size() > max_lines_) {
      lines_.pop_front();
      ++first_;
    }
    changed_.notify_all();
  } else if (b != '\r' && partial_.size() < kMaxLineBytes) {
    partial_ += static_cast<char>(b >= 0x20 && b < 0x7f ? b : '?');
  }
}

std::optional<ConsoleLines::Found> ConsoleLines::wait_for(const std::string& text, size_t from,
                                                          Clock::duration timeout) {
  std::unique_lock lock(mutex_);
  for (size_t i = std::max(from, first_); i < first_ + lines_.size(); ++i) {
    const Line& l = lines_[i - first_];
    if (l.text.find(text) != std::string::npos) return Found{i, l.when};
  }
  Waiter me{&text, from, std::nullopt};
  waiters_.push_back(&me);
  changed_.wait_for(lock, timeout, [&] { return me.found.has_value() || ended_; });
  std::erase(waiters_, &me);
  return me.found;
}

std::string ConsoleLines::line(size_t i) {
  std::lock_guard lock(mutex_);
  return i >= first_ && i - first_ < lines_.size() ? lines_[i - first_].text : std::string();
}

size_t ConsoleLines::count() {
  std::lock_guard lock(mutex_);
  return first_ + lines_.size();
}

size_t ConsoleLines::dropped() {
  std::lock_guard lock(mutex_);
  return first_;
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

}  // namespace rootstock::selftest
