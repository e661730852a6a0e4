// The appliance's log of what it did and what it was asked, as JSON lines (one object per line:
// "time" in UTC with milliseconds, "kind" — "api" for a request, "vm" for a VM's start or end —
// and the event's fields). The newest lines are kept in memory within a byte bound and, when a
// file is given (on the data partition), appended there, the file renamed to FILE.1 once it
// passes the bound, so the log on disk stays within twice the bound. GET /logs reads it.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>

namespace rootstock::appliance {

class EventLog {
 public:
  struct Options {
    size_t max_bytes = 1 << 20;  ///< in memory, and per file on disk
    std::string file;            ///< empty: memory only
  };

  explicit EventLog(Options options) : options_(std::move(options)) {}

  /// An API request and how it was answered.
  void api_request(std::string_view method, std::string_view path, int status,
                   std::chrono::microseconds took);
  /// A VM's start or end: `what` "started" or "ended", `detail` its reason or run number.
  void vm_event(std::string_view id, std::string_view what, std::string_view detail);

  /// The newest `max_lines` lines, oldest first, each ending in '\n'.
  [[nodiscard]] std::string text(size_t max_lines) const;

 private:
  void append(std::string line);

  Options options_;
  mutable std::mutex mutex_;  // everything below
  std::deque<std::string> lines_;
  size_t bytes_ = 0;
  uint64_t file_bytes_ = 0;  // what this run appended to the file (its size is re-read at open)
  bool file_sized_ = false;
};

/// ISO 8601 UTC with milliseconds ("2026-12-07T21:10:13.123Z").
[[nodiscard]] std::string utc_timestamp(std::chrono::system_clock::time_point t);

}  // namespace rootstock::appliance
