#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <thread>

#include "system.hpp"

namespace rootstock::init {

int LinuxSystem::make_directory(const std::string& path, unsigned mode) {
  if (::mkdir(path.c_str(), static_cast<mode_t>(mode)) == 0 || errno == EEXIST) return 0;
  return errno;
}

int LinuxSystem::mount(const std::string& source, const std::string& target,
                       const std::string& fstype, unsigned long flags, const std::string& data) {
  return ::mount(source.c_str(), target.c_str(), fstype.c_str(), flags,
                 data.empty() ? nullptr : data.c_str()) == 0
             ? 0
             : errno;
}

int LinuxSystem::unmount(const std::string& target, int flags) {
  return ::umount2(target.c_str(), flags) == 0 ? 0 : errno;
}

void LinuxSystem::sync() {
  ::sync();
}

int LinuxSystem::kill(pid_t pid, int signal) {
  return ::kill(pid, signal) == 0 ? 0 : errno;
}

ReapResult LinuxSystem::reap_one(Reaped& out) {
  int status = 0;
  pid_t pid;
  do {
    pid = ::waitpid(-1, &status, WNOHANG);
  } while (pid < 0 && errno == EINTR);
  if (pid > 0) {
    out = {pid, status};
    return ReapResult::kReaped;
  }
  return pid == 0 ? ReapResult::kNoneReady : ReapResult::kNoChildren;
}

void LinuxSystem::sleep_for(std::chrono::milliseconds d) {
  std::this_thread::sleep_for(d);
}

int LinuxSystem::reboot(int command) {
  return ::reboot(command) == 0 ? 0 : errno;
}

}  // namespace rootstock::init
