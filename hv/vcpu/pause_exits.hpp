// Spinning children: when a child's vCPU that spins in a PAUSE loop (waiting for a lock, or for
// a sibling to answer an IPI) leaves the guest, so that the root can give its CPU to the sibling
// it waits for. This is KVM's pause-loop exiting; on an appliance with more vCPUs than CPUs the
// sibling holding the lock is often one the root's scheduler has preempted.
#pragma once

#include <stdint.h>

namespace hv {

/// `hv.pause_exits=` (boot/cmdline.hpp).
enum class PauseExitMode : uint8_t {
  kAuto,  ///< PAUSE loops exit where the CPU can tell a loop from a single PAUSE (a filter)
  kAll,   ///< every PAUSE exits: for CPUs and emulators without a filter (an exit per PAUSE)
  kNone,  ///< a child's PAUSE never exits
};

}  // namespace hv
