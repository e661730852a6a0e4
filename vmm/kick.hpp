// Interrupting a thread blocked in HVROOT_RUN_VP: the driver returns -EINTR when a signal is
// pending (hvroot.h), so another thread sends one — a real-time signal with an empty handler,
// installed without SA_RESTART, and unblocked only in the threads that run VPs (PID 1 blocks
// its other signals for its signalfd). Pair it with Vp::request_stop(): the signal only makes
// the run loop look at the request.
#pragma once

#include <pthread.h>

#include "vmm/error.hpp"

namespace rootstock::vmm {

/// The signal number used (SIGRTMIN + 1: musl and glibc keep the ones below for themselves).
[[nodiscard]] int kick_signal();

/// Installs the empty handler; call once per process before any kick. Idempotent.
[[nodiscard]] Result<void> install_kick_handler();

/// Unblocks the kick signal in the calling thread (the start of a VP thread).
[[nodiscard]] Result<void> accept_kicks();

/// Sends the kick signal to `thread`. Harmless if the thread is not in HVROOT_RUN_VP at that
/// moment: the caller repeats it until the thread reports back.
void kick(pthread_t thread);

}  // namespace rootstock::vmm
