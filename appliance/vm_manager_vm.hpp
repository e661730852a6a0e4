// VmManager's record of one VM (appliance-internal: vm_manager*.cpp only).
#pragma once

#include "appliance/vm_manager.hpp"

namespace rootstock::appliance {

struct VmManager::Vm {
  // Set at create() and never changed: read without the lock.
  std::string id;
  uint64_t serial = 0;

  // Under the manager's mutex_. `spec` and `console` are replaced only while the VM is created
  // or stopped (update_spec), so a thread that took the VM into `starting` under the lock reads
  // them without.
  std::shared_ptr<const VmSpec> spec;  // shared with the runner (VmLaunch)
  std::shared_ptr<ConsoleRing> console;
  VmState state = VmState::kCreated;
  std::optional<VmExit> last_exit;
  uint32_t start_count = 0;
  // Starts begun so far; an exit callback carries the number of the start it belongs to, so a
  // late one cannot end a newer run.
  uint64_t generation = 0;
  bool exited = false;  // the current start's run has ended
  // An exit that came while launch() was still waiting for the runner to return.
  std::optional<VmExit> early_exit;
  std::shared_ptr<RunningVm> handle;  // the current run's, until it ends
};

}  // namespace rootstock::appliance
