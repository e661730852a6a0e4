// The operating-system calls PID 1's sequencing logic makes, behind one seam: LinuxSystem
// (system_linux.cpp) makes the real calls, unit tests pass a recording fake.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>

namespace rootstock::init {

/// A child that exited: its PID and wait status (as waitpid() gives it).
struct Reaped {
  pid_t pid = 0;
  int status = 0;
};

/// What one non-blocking reap found.
enum class ReapResult { kReaped, kNoneReady, kNoChildren };

/// The calls PID 1 needs. Errors are errno values; 0 means success.
class System {
 public:
  virtual ~System() = default;
  virtual int make_directory(const std::string& path, unsigned mode) = 0;  ///< EEXIST is 0
  virtual int mount(const std::string& source, const std::string& target, const std::string& fstype,
                    unsigned long flags, const std::string& data) = 0;
  virtual int unmount(const std::string& target, int flags) = 0;
  virtual void sync() = 0;
  /// kill(2); pid -1 signals every process but PID 1.
  virtual int kill(pid_t pid, int signal) = 0;
  virtual ReapResult reap_one(Reaped& out) = 0;
  virtual void sleep_for(std::chrono::milliseconds d) = 0;
  /// reboot(2) with LINUX_REBOOT_CMD_*; returns only on failure.
  virtual int reboot(int command) = 0;
};

/// The real calls.
class LinuxSystem final : public System {
 public:
  int make_directory(const std::string& path, unsigned mode) override;
  int mount(const std::string& source, const std::string& target, const std::string& fstype,
            unsigned long flags, const std::string& data) override;
  int unmount(const std::string& target, int flags) override;
  void sync() override;
  int kill(pid_t pid, int signal) override;
  ReapResult reap_one(Reaped& out) override;
  void sleep_for(std::chrono::milliseconds d) override;
  int reboot(int command) override;
};

}  // namespace rootstock::init
