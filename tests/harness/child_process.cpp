#include "child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace rootstock::harness {
namespace {

void close_fd(int& fd) {
  if (fd >= 0) {
    ::close(fd);
    fd = -1;
  }
}

}  // namespace

std::optional<ChildProcess> ChildProcess::spawn(const std::vector<std::string>& argv,
                                                std::string& error) {
  if (argv.empty()) {
    error = "no command to run";
    return std::nullopt;
  }
  int in[2], out[2], err[2], exec_err[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0 ||
      ::pipe2(exec_err, O_CLOEXEC) != 0) {
    error = std::string("pipe: ") + std::strerror(errno);
    return std::nullopt;
  }
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t parent = ::getpid();

  const pid_t pid = ::fork();
  if (pid < 0) {
    error = std::string("fork: ") + std::strerror(errno);
    return std::nullopt;
  }
  if (pid == 0) {
    // Only async-signal-safe calls from here to exec.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl took effect
    ::dup2(in[0], STDIN_FILENO);
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(err[1], STDERR_FILENO);
    ::execvp(args[0], args.data());
    const int e = errno;
    (void)!::write(exec_err[1], &e, sizeof(e));
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  ::close(exec_err[1]);
  // The exec pipe closes on a successful exec; otherwise it carries exec's errno.
  int exec_errno = 0;
  ssize_t n;
  do {
    n = ::read(exec_err[0], &exec_errno, sizeof(exec_errno));
  } while (n < 0 && errno == EINTR);
  ::close(exec_err[0]);
  ChildProcess child(pid, in[1], out[0], err[0]);
  if (n == static_cast<ssize_t>(sizeof(exec_errno))) {
    child.wait();
    error = "cannot run " + argv[0] + ": " + std::strerror(exec_errno);
    return std::nullopt;
  }
  return child;
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(other.pid_),
      in_fd_(other.in_fd_),
      out_fd_(other.out_fd_),
      err_fd_(other.err_fd_),
      status_(other.status_) {
  other.pid_ = -1;
  other.in_fd_ = other.out_fd_ = other.err_fd_ = -1;
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !status_) {
    kill();
    wait();
  }
  close_fd(in_fd_);
  close_fd(out_fd_);
  close_fd(err_fd_);
}

bool ChildProcess::write_stdin(const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(in_fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

void ChildProcess::kill() {
  if (pid_ > 0 && !status_) ::kill(pid_, SIGKILL);
}

int ChildProcess::wait() {
  if (status_) return *status_;
  int raw = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &raw, 0);
  } while (r < 0 && errno == EINTR);
  if (r < 0) {
    status_ = 255;
  } else if (WIFEXITED(raw)) {
    status_ = WEXITSTATUS(raw);
  } else {
    status_ = 128 + WTERMSIG(raw);
  }
  return *status_;
}

}  // namespace rootstock::harness
