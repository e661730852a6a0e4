// A child VM's console as lines, for the self-tests: each completed line is shown on the
// appliance console with the VM's prefix, kept with the time it completed, and can be waited
// for.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace rootstock::init {

class ConsoleLines {
 public:
  using Clock = std::chrono::steady_clock;
  struct Found {
    size_t index = 0;
    Clock::time_point when;
  };

  explicit ConsoleLines(std::string prefix) : prefix_(std::move(prefix)) {}

  /// A byte from the child's UART (any thread).
  void put(uint8_t b);
  /// Waits for the first line after line `from` that contains `text`; nullopt at the timeout
  /// or once close() said no more lines come.
  std::optional<Found> wait_for(const std::string& text, size_t from, Clock::duration timeout);
  std::string line(size_t i);
  size_t count();
  /// The VM ended: waiters stop waiting.
  void close();

 private:
  struct Line {
    std::string text;
    Clock::time_point when;
  };
  std::string prefix_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Line> lines_;
  std::string partial_;
  bool ended_ = false;
};

/// A field `name=value` of a line, as a number; -1 when absent.
long long line_field(const std::string& line, const std::string& name);

}  // namespace rootstock::init
