// The `init` self-test: what PID 1 must get right before anything else can rely on it. PID 1's
// reaping, module loading and process stopping are reached through the context.
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <map>
#include <string>

#include "selftest/selftests.hpp"

namespace rootstock::selftest {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kBurst = 200;

// A forked child starts with PID 1's blocked signal mask; a real process must not.
void unblock_signals() {
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

// A burst of children exiting at once: every exit is reaped, with its own status.
void check_burst(SelftestContext& context, SelftestResult& r) {
  int seen = 0, right = 0, forked = 0;
  for (int i = 0; i < kBurst; ++i) {
    const int code = i % 250 + 1;
    const pid_t pid = ::fork();
    if (pid == 0) ::_exit(code);
    if (pid < 0) break;
    ++forked;
    context.on_exit(pid, [&seen, &right, code](int status) {
      ++seen;
      right += WIFEXITED(status) && WEXITSTATUS(status) == code ? 1 : 0;
    });
  }
  r.check(forked == kBurst, "fork failed after " + std::to_string(forked) + " children");
  const bool all =
      context.run_until([&] { return seen == forked; }, Clock::now() + std::chrono::seconds(30));
  r.check(all, "reaped " + std::to_string(seen) + " of " + std::to_string(forked) + " children");
  r.check(right == seen, std::to_string(seen - right) + " children reaped with a wrong status");
}

// A grandchild whose parent died is reparented to PID 1 and must be reaped by it too.
void check_orphan(SelftestContext& context, SelftestResult& r) {
  int to_parent[2], release[2];
  if (::pipe(to_parent) != 0 || ::pipe(release) != 0) {
    r.check(false, "pipe for the orphan test");
    return;
  }
  const pid_t middle = ::fork();
  if (middle == 0) {
    const pid_t orphan = ::fork();
    if (orphan == 0) {
      char c;
      (void)!::read(release[0], &c, 1);  // wait until PID 1 watches for this exit
      ::_exit(7);
    }
    (void)!::write(to_parent[1], &orphan, sizeof(orphan));
    ::_exit(0);
  }
  pid_t orphan = -1;
  bool middle_gone = false, orphan_gone = false;
  int orphan_status = 0;
  context.on_exit(middle, [&](int) { middle_gone = true; });
  const bool got_pid = ::read(to_parent[0], &orphan, sizeof(orphan)) == sizeof(orphan);
  r.check(got_pid && orphan > 0, "no PID from the orphan's parent");
  if (got_pid) {
    context.on_exit(orphan, [&](int status) {
      orphan_gone = true;
      orphan_status = status;
    });
    // Only now, with its parent gone, does the orphan exit: its exit must reach PID 1.
    context.run_until([&] { return middle_gone; }, Clock::now() + std::chrono::seconds(10));
    (void)!::write(release[1], "x", 1);
    context.run_until([&] { return orphan_gone; }, Clock::now() + std::chrono::seconds(10));
  }
  r.check(middle_gone, "the orphan's parent was not reaped");
  r.check(orphan_gone && WIFEXITED(orphan_status) && WEXITSTATUS(orphan_status) == 7,
          "the orphan was not reaped by PID 1 with its status");
  for (int fd : {to_parent[0], to_parent[1], release[0], release[1]}) ::close(fd);
}

// Module loading fails with words a person can act on.
void check_module_errors(SelftestContext& context, SelftestResult& r) {
  const auto missing = context.load_module("/nonexistent/hvroot.ko", "");
  r.check(!missing && missing.error().find("no such file") != std::string::npos,
          "a missing module file: " + (missing ? std::string("loaded?") : missing.error()));
  const auto not_module = context.load_module("/init", "");
  r.check(!not_module && not_module.error().find("not a valid module") != std::string::npos,
          "a non-module file: " + (not_module ? std::string("loaded?") : not_module.error()));
}

// The first step of shutdown: SIGTERM, the grace period, SIGKILL for whoever ignored it.
void check_stopping(SelftestContext& context, SelftestResult& r) {
  int ready[2];
  if (::pipe(ready) != 0) {
    r.check(false, "pipe for the stopping test");
    return;
  }
  std::map<pid_t, bool> stubborn;
  for (int i = 0; i < 3; ++i) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      unblock_signals();
      if (i == 2) ::signal(SIGTERM, SIG_IGN);
      (void)!::write(ready[1], "x", 1);
      for (;;) ::pause();
    }
    if (pid > 0) stubborn[pid] = i == 2;
  }
  for (size_t i = 0; i < stubborn.size(); ++i) {
    char c;
    (void)!::read(ready[0], &c, 1);
  }
  ::close(ready[0]);
  ::close(ready[1]);
  const StopOutcome report = context.stop_processes(std::chrono::milliseconds(500));
  r.check(report.all_gone, "processes left after stopping");
  r.check(report.killed, "the process ignoring SIGTERM was not escalated to SIGKILL");
  int by_term = 0, by_kill = 0;
  for (const ProcessExit& x : report.reaped) {
    const auto it = stubborn.find(x.pid);
    if (it == stubborn.end() || !WIFSIGNALED(x.status)) continue;
    by_term += !it->second && WTERMSIG(x.status) == SIGTERM ? 1 : 0;
    by_kill += it->second && WTERMSIG(x.status) == SIGKILL ? 1 : 0;
  }
  r.check(by_term == 2 && by_kill == 1, "expected 2 stopped by SIGTERM and 1 by SIGKILL, got " +
                                            std::to_string(by_term) + " and " +
                                            std::to_string(by_kill));
}

}  // namespace

void selftest_init(SelftestContext& context, SelftestResult& r) {
  check_burst(context, r);
  check_orphan(context, r);
  check_module_errors(context, r);
  check_stopping(context, r);
}

}  // namespace rootstock::selftest
