// What the root's self-tests use of the running PID 1 (DESIGN.md §3): its console, its options
// for them, its reaping, and the duties the `init` self-test checks. PID 1 implements it
// (init/pid_one_selftests.hpp); unit tests pass a fake. The self-tests reach PID 1 only through
// this interface, so nothing in selftest/ includes init/.
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include <chrono>
#include <expected>
#include <functional>
#include <string>
#include <vector>

#include <rootstock/milestone.hpp>

namespace rootstock::selftest {

/// PID 1's options for the self-tests (rootstock.selftest_steps, rootstock.abuse_calls).
struct SelftestOptions {
  std::vector<std::string> steps;  ///< only these steps of a self-test that has steps; empty: all
  uint64_t abuse_calls = 100000;   ///< the hypercall-abuse self-test's random calls
};

/// A child process that ended: its PID and wait status (as waitpid() gives it).
struct ProcessExit {
  pid_t pid = 0;
  int status = 0;
};

/// What stopping every other process found (the first step of PID 1's shutdown).
struct StopOutcome {
  std::vector<ProcessExit> reaped;
  bool killed = false;    ///< some process outlived the grace period and got SIGKILL
  bool all_gone = false;  ///< no child was left at the end
};

/// The default child's kernel and initramfs, as the root's initramfs carries them: the Linux
/// self-tests boot them.
struct DefaultChildImages {
  std::vector<uint8_t> kernel;
  std::vector<uint8_t> initramfs;
  std::string kernel_path;  ///< where they were read, for a VM spec that names them
  std::string initramfs_path;
};

/// The running PID 1 as the self-tests see it.
class SelftestContext {
 public:
  virtual ~SelftestContext() = default;

  /// Prints "rootstock: LINE" on the appliance console, defused as a child's console text is
  /// (a self-test shows children's lines through it), so that only announce() can print a
  /// milestone. Any thread.
  virtual void say(const std::string& line) = 0;
  /// Prints a milestone line on the appliance console. Any thread.
  virtual void announce(const milestone::Writer& line) = 0;

  virtual const SelftestOptions& options() const = 0;

  /// Calls `callback` with the wait status once PID 1 reaps `pid` (one-shot). PID 1 reaps
  /// every child, so a self-test that forks learns of its child's end only this way.
  virtual void on_exit(pid_t pid, std::function<void(int status)> callback) = 0;
  /// Runs PID 1's event loop (reaping among it) until `done()` or `deadline`; whether done()
  /// became true.
  virtual bool run_until(const std::function<bool()>& done,
                         std::chrono::steady_clock::time_point deadline) = 0;

  /// Loads a kernel module as PID 1 does; the error names the file and says why in words.
  virtual std::expected<void, std::string> load_module(const std::string& path,
                                                       const std::string& params) = 0;
  /// The first step of PID 1's shutdown: SIGTERM to every other process, `grace`, then SIGKILL.
  virtual StopOutcome stop_processes(std::chrono::milliseconds grace) = 0;
  /// The default child's images, or why there are none ("no kernel at /path").
  virtual std::expected<DefaultChildImages, std::string> default_child_images() = 0;
};

}  // namespace rootstock::selftest
