#include "appliance/vm_console.hpp"

#include <chrono>

namespace rootstock::appliance {
namespace {

constexpr const char* kMilestonePrefix = "[rootstock]";
constexpr const char* kDefused = "[rootstock-child]";

}  // namespace

VmConsole::VmConsole(std::string prefix, WriteFn write, unsigned idle_ms)
    : prefix_(std::move(prefix)), write_(std::move(write)), idle_ms_(idle_ms) {
  thread_ = std::thread([this] { run(); });
}

VmConsole::~VmConsole() {
  close();
}

void VmConsole::put(uint8_t byte) {
  std::lock_guard lock(mutex_);
  pending_.push_back(static_cast<char>(byte));
  changed_.notify_one();
}

void VmConsole::close() {
  {
    std::lock_guard lock(mutex_);
    if (closing_) return;
    closing_ = true;
    changed_.notify_one();
  }
  thread_.join();
}

std::string VmConsole::sanitize(const std::string& chunk) {
  std::string out;
  out.reserve(chunk.size());
  for (char c : chunk) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\r') continue;  // the appliance console adds its own
    out.push_back(u >= 0x20 && u < 0x7f ? c : (c == '\n' || c == '\t' || c == '\b') ? c : '?');
  }
  for (size_t at = out.find(kMilestonePrefix); at != std::string::npos;
       at = out.find(kMilestonePrefix, at + 1)) {
    out.replace(at, std::char_traits<char>::length(kMilestonePrefix), kDefused);
  }
  return out;
}

size_t VmConsole::held_back(const std::string& text) {
  const std::string prefix = kMilestonePrefix;
  for (size_t n = std::min(prefix.size() - 1, text.size()); n > 0; --n) {
    if (text.compare(text.size() - n, n, prefix, 0, n) == 0) return n;
  }
  return 0;
}

void VmConsole::flush(bool all) {
  // Complete lines go out whole; the rest (a prompt) only when `all`, minus anything that
  // might still become the milestone prefix.
  std::string out;
  size_t done = 0;
  for (size_t nl = pending_.find('\n'); nl != std::string::npos; nl = pending_.find('\n', done)) {
    if (at_line_start_) out += prefix_;
    out += sanitize(pending_.substr(done, nl + 1 - done));
    at_line_start_ = true;
    done = nl + 1;
  }
  if (all && done < pending_.size()) {
    std::string rest = pending_.substr(done);
    const size_t keep = closing_ ? 0 : held_back(rest);
    rest.resize(rest.size() - keep);
    if (!rest.empty()) {
      if (at_line_start_) out += prefix_;
      out += sanitize(rest);
      at_line_start_ = false;
      done += rest.size();
    }
  }
  pending_.erase(0, done);
  if (!out.empty()) write_(out);
}

void VmConsole::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    const bool woke = changed_.wait_for(lock, std::chrono::milliseconds(idle_ms_), [this] {
      return closing_ || pending_.find('\n') != std::string::npos;
    });
    flush(!woke || closing_);
    if (closing_) {
      if (!at_line_start_) write_("\n");
      return;
    }
  }
}

}  // namespace rootstock::appliance
