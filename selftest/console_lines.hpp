// A child VM's console as lines, for the self-tests: each completed line is shown (on the
// appliance console, through SelftestContext::say, which defuses milestone look-alikes) with the
// VM's prefix, kept with the time it completed, and can be waited for. Only the newest `max_lines`
// lines are kept (a child that prints without end must not grow PID 1 without end); line numbers
// count every line since the start, so a number stays the same line's while older ones are dropped.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace rootstock::selftest {

class ConsoleLines {
 public:
  using Clock = std::chrono::steady_clock;
  struct Found {
    size_t index = 0;  ///< the line's number (0 = the child's first line)
    Clock::time_point when;
  };
  /// Lines kept by default: the self-tests look back a few dozen; 4096 of at most kMaxLineBytes
  /// each bound a console to 2 MiB of text.
  static constexpr size_t kDefaultMaxLines = 4096;
  /// Characters kept of a line; the rest of a longer line is dropped.
  static constexpr size_t kMaxLineBytes = 512;

  /// `show` gets each completed line, prefixed, with bytes other than printable ASCII as '?'.
  ConsoleLines(std::string prefix, size_t max_lines, std::function<void(const std::string&)> show);

  /// A byte from the child's UART (any thread).
  void put(uint8_t b);
  /// Waits for the first line numbered `from` or later that contains `text`; nullopt at the
  /// timeout or once close() said no more lines come. A line that completes while it waits is
  /// seen even if it is dropped before the waiter wakes; one dropped before the call is not.
  std::optional<Found> wait_for(const std::string& text, size_t from, Clock::duration timeout);
  /// Line `i`'s text; empty if it was dropped or has not come yet.
  std::string line(size_t i);
  /// Lines completed since the start (kept or dropped): the number the next line gets.
  size_t count();
  /// Lines dropped to keep within the bound.
  size_t dropped();
  /// The VM ended: waiters stop waiting.
  void close();

 private:
  struct Line {
    std::string text;
    Clock::time_point when;
  };
  // A wait_for() in progress: put() checks each new line against it before the line can be
  // dropped.
  struct Waiter {
    const std::string* text;
    size_t from;
    std::optional<Found> found;
  };

  std::string prefix_;
  size_t max_lines_;
  std::function<void(const std::string&)> show_;
  std::mutex mutex_;  // everything below
  std::condition_variable changed_;
  std::deque<Line> lines_;  // lines first_ .. first_ + lines_.size() - 1
  size_t first_ = 0;
  std::vector<Waiter*> waiters_;
  std::string partial_;
  bool ended_ = false;
};

/// A field `name=value` of a line, as a number; -1 when absent.
long long line_field(const std::string& line, const std::string& name);

}  // namespace rootstock::selftest
