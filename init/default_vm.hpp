// The default child VM (DESIGN.md §3): PID 1 defines it at boot unless rootstock.vm=off — the
// project's kernel and busybox initramfs from /lib/rootstock/child, with the vCPUs, memory and
// command line of the rootstock.vm_* options, id 0 and name child0 (its console lines start
// "child0: "), its console also logged to /run/rootstock/vm/0.log. The appliance runs it like
// any VM from a spec.
#pragma once

#include <string>

#include "appliance/vm_spec.hpp"
#include "options.hpp"

namespace rootstock::init {

/// Where the VMs' console logs go.
inline constexpr const char* kVmLogDir = "/run/rootstock/vm";
/// The default VM's id.
inline constexpr const char* kDefaultVmId = "0";

/// The default VM's spec (autostart).
[[nodiscard]] appliance::VmSpec default_vm_spec(const VmOptions& options);

}  // namespace rootstock::init
