// Where one run of a VM puts its console output: every byte into the VM's ConsoleRing at once
// (readers of the API see prompts too), to the appliance console through a VmConsole (lines with
// the VM's name in front, a prompt once the VM pauses, nothing that passes for a milestone), and
// appended to the spec's log file, up to a bound so that a chatty VM cannot fill the disk.
#pragma once

#include <stdint.h>

#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "appliance/console_ring.hpp"
#include "appliance/vm_console.hpp"

namespace rootstock::appliance {

class VmConsoleOutput {
 public:
  /// Gets the VM's text for the appliance console, ready to print: "name: " in front of each
  /// line, control characters and milestone look-alikes defused (VmConsole). Called from each
  /// VM's console thread, one call at a time per VM, several VMs at once.
  using TextFn = VmConsole::WriteFn;

  /// `shown` may be empty (the spec turned the appliance console off). `log_path`, if given, is
  /// opened for appending (created 0640); a failure to open names the path and the reason.
  [[nodiscard]] static std::expected<std::unique_ptr<VmConsoleOutput>, std::string> open(
      std::shared_ptr<ConsoleRing> ring, std::string prefix, TextFn shown,
      const std::optional<std::string>& log_path, uint64_t max_log_bytes);
  ~VmConsoleOutput();
  VmConsoleOutput(const VmConsoleOutput&) = delete;
  VmConsoleOutput& operator=(const VmConsoleOutput&) = delete;

  /// One byte from the VM. Not thread-safe: the VM's console device has one writer at a time.
  void put(uint8_t byte);
  /// The VM has ended: what is pending goes to the console, buffered log bytes to the file.
  void finish();

 private:
  static constexpr size_t kLogChunk = 4096;  // one write() per line, or per this many bytes
  VmConsoleOutput(std::shared_ptr<ConsoleRing> ring, std::string prefix, TextFn shown, int log_fd,
                  uint64_t max_log_bytes);
  void flush_log();
  void write_log(const char* data, size_t size);  // a failure closes the log; the VM runs on

  std::shared_ptr<ConsoleRing> ring_;
  std::unique_ptr<VmConsole> shown_;  // null: not on the appliance console
  int log_fd_ = -1;
  uint64_t log_left_ = 0;  // bytes the log may still take
  std::string log_buffer_;
};

}  // namespace rootstock::appliance
