// A VM's console on the appliance console: each line with the VM's prefix ("child0: "), a
// partial line (a shell prompt, what the user is typing) shown once the VM pauses, and
// the child's text never able to pass for a milestone line (docs/milestones.md: a reader finds
// "[rootstock] " anywhere in a line, so the child's copy of it is defused).
#pragma once

#include <stdint.h>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace rootstock::appliance {

/// Turns a child's console bytes into prefixed output. put() may be called from any thread;
/// output goes to `write` from the console's own thread, in order.
class VmConsole {
 public:
  using WriteFn = std::function<void(const std::string& text)>;

  /// `prefix` starts every line; a partial line is written after `idle_ms` without bytes.
  VmConsole(std::string prefix, WriteFn write, unsigned idle_ms = 50);
  ~VmConsole();
  VmConsole(const VmConsole&) = delete;
  VmConsole& operator=(const VmConsole&) = delete;

  void put(uint8_t byte);
  /// Writes what is pending and stops the thread.
  void close();

  /// The text `chunk` becomes on the appliance console: control characters other than tab,
  /// newline and backspace shown as '?', and the milestone prefix defused. Pure, for tests.
  static std::string sanitize(const std::string& chunk);
  /// How many bytes at the end of `text` could begin the milestone prefix (kept back until
  /// more bytes show whether they do).
  static size_t held_back(const std::string& text);

 private:
  void run();
  void flush(bool all);  // under mutex_

  std::string prefix_;
  WriteFn write_;
  unsigned idle_ms_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::string pending_;
  bool at_line_start_ = true;
  bool closing_ = false;
  std::thread thread_;
};

}  // namespace rootstock::appliance
