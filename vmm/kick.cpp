#include "vmm/kick.hpp"

#include <signal.h>

#include <cerrno>

namespace rootstock::vmm {
namespace {

void on_kick(int) {}

}  // namespace

int kick_signal() {
  return SIGRTMIN + 1;
}

Result<void> install_kick_handler() {
  struct sigaction action{};
  action.sa_handler = on_kick;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: the ioctl must return -EINTR
  if (::sigaction(kick_signal(), &action, nullptr) != 0) {
    return fail_errno("sigaction for the VP kick signal", errno);
  }
  return {};
}

Result<void> accept_kicks() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, kick_signal());
  if (const int err = ::pthread_sigmask(SIG_UNBLOCK, &set, nullptr); err != 0) {
    return fail_errno("pthread_sigmask for the VP kick signal", err);
  }
  return {};
}

void kick(pthread_t thread) {
  ::pthread_kill(thread, kick_signal());
}

}  // namespace rootstock::vmm
