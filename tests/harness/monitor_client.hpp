// A client for QEMU's human monitor (HMP) on a Unix socket (`-monitor unix:PATH,server,nowait`):
// boot tests press the power button or Ctrl-Alt-Del through it (system_powerdown, sendkey).
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace rootstock::harness {

/// Connects to the monitor at `socket_path` (retrying while QEMU creates it), runs `command`
/// and waits for the next prompt. Returns an error text, or nullopt on success.
std::optional<std::string> run_monitor_command(const std::string& socket_path,
                                               const std::string& command,
                                               std::chrono::steady_clock::time_point deadline);

}  // namespace rootstock::harness
