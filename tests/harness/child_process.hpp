// A child process (QEMU, or a fake console in tests) with its console on pipes: we write its
// stdin, read its stdout and stderr, and end it by its own PID.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace rootstock::harness {

/// Owns one spawned process and the parent's ends of its pipes.
class ChildProcess {
 public:
  /// Starts `argv` with stdin, stdout and stderr on pipes; the error text says why it failed.
  /// The child is killed by the kernel if this process dies first (PR_SET_PDEATHSIG), so a
  /// harness killed by ctest's timeout never leaves QEMU behind.
  static std::optional<ChildProcess> spawn(const std::vector<std::string>& argv,
                                           std::string& error);

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&&) = delete;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();  ///< kills and reaps the child if it still runs

  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] int stdout_fd() const { return out_fd_; }
  [[nodiscard]] int stderr_fd() const { return err_fd_; }

  /// Writes all of `bytes` to the child's stdin; false if the child closed it.
  bool write_stdin(const std::string& bytes);
  /// Sends SIGKILL to the child's PID (not its group: QEMU's helpers are its own business).
  void kill();
  /// Waits for the child to exit and returns its status as a shell reports it: the exit code,
  /// or 128 + signal number. Repeated calls return the same status.
  int wait();

 private:
  ChildProcess(pid_t pid, int in_fd, int out_fd, int err_fd)
      : pid_(pid), in_fd_(in_fd), out_fd_(out_fd), err_fd_(err_fd) {}

  pid_t pid_ = -1;
  int in_fd_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::optional<int> status_;
};

}  // namespace rootstock::harness
