// Several VMs' text on the one appliance console. Each VM's VmConsole writes whole lines, and a
// partial line (a prompt, or a line the VM paused in the middle of) once the VM pauses; when
// another VM writes next, its text would run on after that partial line ("web: / # db:
// booted"). The mux ends an open line before another VM's text, and when the broken line goes
// on it writes the line again from its start, so every line a VM completes stands whole on one
// console line ("web: / # ls"), which is what a reader of the console (a person, a test
// waiting for a line) looks for.
#pragma once

#include <stdint.h>

#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>

namespace rootstock::appliance {

class ConsoleMux {
 public:
  using WriteFn = std::function<void(const std::string& text)>;

  /// `out` gets everything, one call at a time.
  explicit ConsoleMux(WriteFn out) : out_(std::move(out)) {}

  /// A writer for one VM whose lines start with `prefix`. Writers must not outlive the mux.
  [[nodiscard]] WriteFn writer(std::string prefix);

 private:
  void write(uint64_t source, const std::string& prefix, const std::string& text);

  WriteFn out_;
  std::mutex mutex_;
  uint64_t next_source_ = 0;
  uint64_t open_ = 0;          // the source whose line the console is in the middle of; 0: none
  std::set<uint64_t> broken_;  // sources whose open line the mux ended for another's text
  /// Each source's line so far (from its prefix on), to write again after a break; dropped
  /// past kMaxReprint bytes, and then the line goes on after the prefix alone.
  std::map<uint64_t, std::string> lines_;
  static constexpr size_t kMaxReprint = 4096;
};

}  // namespace rootstock::appliance
