// Several VMs' text on the one appliance console. Each VM's VmConsole writes whole lines, and a
// partial line (a prompt) once the VM pauses; when another VM writes next, its text would run
// on after that partial line ("web: / # db: booted"). The mux ends an open line before another
// VM's text, and puts the VM's prefix back when its broken line goes on.
#pragma once

#include <stdint.h>

#include <functional>
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
};

}  // namespace rootstock::appliance
