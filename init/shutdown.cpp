#include "shutdown.hpp"

#include <linux/reboot.h>

#include <csignal>
#include <cstring>

#include <rootstock/milestone.hpp>

#include "console.hpp"

namespace rootstock::init {
namespace {

// Reaps until no child is ready; false when no child is left at all.
bool reap_ready(System& sys, StopReport& report) {
  for (;;) {
    Reaped r;
    switch (sys.reap_one(r)) {
      case ReapResult::kReaped:
        report.reaped.push_back(r);
        continue;
      case ReapResult::kNoneReady:
        return true;
      case ReapResult::kNoChildren:
        return false;
    }
  }
}

// Waits up to `limit` for every child to go; true when none is left.
bool wait_gone(System& sys, StopReport& report, std::chrono::milliseconds limit,
               std::chrono::milliseconds poll) {
  for (std::chrono::milliseconds waited{0};; waited += poll) {
    if (!reap_ready(sys, report)) return true;
    if (waited >= limit) return false;
    sys.sleep_for(poll);
  }
}

}  // namespace

StopReport stop_processes(System& sys, const StopPolicy& policy) {
  StopReport report;
  sys.kill(-1, SIGTERM);
  sys.kill(-1, SIGCONT);  // a stopped process must run to act on SIGTERM
  if (wait_gone(sys, report, policy.grace, policy.poll)) {
    report.all_gone = true;
    return report;
  }
  report.killed = true;
  sys.kill(-1, SIGKILL);
  report.all_gone = wait_gone(sys, report, policy.kill_wait, policy.poll);
  return report;
}

void shut_down(System& sys, PowerAction action, const std::string& reason,
               const std::vector<MountSpec>& mounted, const StopPolicy& policy,
               const std::function<void(const std::string&)>& say) {
  const char* what = action == PowerAction::kPowerOff ? "poweroff" : "reboot";
  say(std::string("shutting down (") + what + ", " + reason + ")");
  const StopReport stop = stop_processes(sys, policy);
  if (stop.killed) say("some processes ignored SIGTERM and were killed");
  if (!stop.all_gone) say("some processes could not be stopped");
  sys.sync();
  std::vector<std::string> errors;
  unmount_all(sys, mounted, errors);
  for (const std::string& e : errors) say(e);
  sys.sync();
  announce(milestone::Writer("poweroff")
               .field("action", what)
               .field("reason", Text{reason.data(), reason.size()}));
  const int err = sys.reboot(action == PowerAction::kPowerOff ? LINUX_REBOOT_CMD_POWER_OFF
                                                              : LINUX_REBOOT_CMD_RESTART);
  say(std::string("reboot(2) failed: ") + std::strerror(err));
}

}  // namespace rootstock::init
