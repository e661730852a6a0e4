// The orderly end of the appliance (DESIGN.md §3): stop every process (SIGTERM, a grace period,
// then SIGKILL), sync, unmount in reverse order, print the `poweroff` milestone, and power
// off or reboot. Each step reports what went wrong and the sequence goes on.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "mounts.hpp"
#include "system.hpp"

namespace rootstock::init {

enum class PowerAction { kPowerOff, kReboot };

/// How processes are stopped.
struct StopPolicy {
  std::chrono::milliseconds grace{3000};  ///< after SIGTERM, before SIGKILL
  std::chrono::milliseconds poll{10};
  std::chrono::milliseconds kill_wait{2000};  ///< after SIGKILL, before giving up
};

/// What stop_processes() saw.
struct StopReport {
  std::vector<Reaped> reaped;
  bool killed = false;    ///< some process outlived the grace period
  bool all_gone = false;  ///< no child left at the end
};

/// Signals every process but PID 1 to stop and reaps them, escalating to SIGKILL after the
/// grace period.
StopReport stop_processes(System& sys, const StopPolicy& policy);

/// Runs the whole sequence; `say` prints a line on the console. Returns only when the final
/// reboot(2) failed (the caller then halts for good).
void shut_down(System& sys, PowerAction action, const std::string& reason,
               const std::vector<MountSpec>& mounted, const StopPolicy& policy,
               const std::function<void(const std::string&)>& say);

}  // namespace rootstock::init
