// A recording stand-in for PID 1's System seam: every call is logged as a line, and children
// are scripted (which signals end them), so shutdown and mount sequencing run without a kernel.
#pragma once

#include <sys/wait.h>

#include <csignal>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "system.hpp"

namespace rootstock::testing {

class FakeSystem final : public init::System {
 public:
  std::vector<std::string> calls;
  std::map<std::string, int> mount_errors;    ///< target -> errno
  std::map<std::string, int> unmount_errors;  ///< target -> errno for a plain unmount
  /// Live children and the signals they ignore.
  std::map<pid_t, std::set<int>> children;
  std::vector<init::Reaped> exited;
  int reboot_result = 0;
  long slept_ms = 0;

  int make_directory(const std::string& path, unsigned) override {
    calls.push_back("mkdir " + path);
    return 0;
  }
  int mount(const std::string&, const std::string& target, const std::string& fstype, unsigned long,
            const std::string&) override {
    calls.push_back("mount " + fstype + " " + target);
    const auto it = mount_errors.find(target);
    return it == mount_errors.end() ? 0 : it->second;
  }
  int unmount(const std::string& target, int flags) override {
    calls.push_back("umount " + target + (flags != 0 ? " detach" : ""));
    const auto it = unmount_errors.find(target);
    return flags == 0 && it != unmount_errors.end() ? it->second : 0;
  }
  void sync() override { calls.push_back("sync"); }
  int kill(pid_t pid, int signal) override {
    calls.push_back("kill " + std::to_string(pid) + " " + std::to_string(signal));
    if (pid != -1 || signal == SIGCONT) return 0;
    for (auto it = children.begin(); it != children.end();) {
      if (signal == SIGKILL || it->second.count(signal) == 0) {
        exited.push_back({it->first, signal});  // a wait status "killed by signal"
        it = children.erase(it);
      } else {
        ++it;
      }
    }
    return 0;
  }
  init::ReapResult reap_one(init::Reaped& out) override {
    if (!exited.empty()) {
      out = exited.front();
      exited.erase(exited.begin());
      return init::ReapResult::kReaped;
    }
    return children.empty() ? init::ReapResult::kNoChildren : init::ReapResult::kNoneReady;
  }
  void sleep_for(std::chrono::milliseconds d) override { slept_ms += d.count(); }
  int reboot(int command) override {
    calls.push_back("reboot " + std::to_string(command));
    return reboot_result;
  }
};

}  // namespace rootstock::testing
