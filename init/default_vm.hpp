// The default child VM (issue 7; DESIGN.md §3): PID 1 starts it at boot unless
// rootstock.vm=off — the project's kernel and busybox initramfs from /lib/rootstock/child, with
// the vCPUs, memory and command line of the rootstock.vm_* options. Its console goes to the
// appliance console with the prefix "child0: " and to /run/rootstock/vm/0.log; what is typed on
// the appliance console goes to it; vm-started and vm-exited milestones say when it runs.
#pragma once

#include <memory>
#include <string>

#include "options.hpp"

namespace rootstock::init {

class PidOne;

/// The running default VM. Destroying it stops the VM.
class DefaultVm {
 public:
  virtual ~DefaultVm() = default;
  /// Starts the VM on its own threads; on failure says why and announces vm-exited
  /// reason=failed, returning null.
  static std::unique_ptr<DefaultVm> start(PidOne& init, const VmOptions& options);
};

/// Where the children's logs go.
inline constexpr const char* kVmLogDir = "/run/rootstock/vm";

}  // namespace rootstock::init
