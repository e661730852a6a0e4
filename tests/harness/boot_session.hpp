// Runs one boot test: starts the process, follows its console through the script's steps with
// a timeout each and a hard limit overall, and keeps the full console log when the run fails.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "console_script.hpp"
#include "qemu_user_net.hpp"

namespace rootstock::harness {

/// Everything one run needs.
struct SessionConfig {
  std::string name;                  ///< names the log: <log_dir>/<name>.log
  std::vector<std::string> command;  ///< QEMU (or a fake) and its arguments
  std::vector<Step> steps;           ///< in order
  std::vector<std::string> failure_patterns = default_failure_patterns();
  Seconds hard_limit{600};  ///< the whole run, whatever the steps say
  std::filesystem::path log_dir = "test-logs";
  bool keep_log = false;       ///< keep the log after a passing run too
  bool echo = false;           ///< copy the console to stdout as it arrives
  std::string monitor_socket;  ///< QEMU's monitor on this Unix socket, for kMonitor steps
  /// A file served over HTTP on 127.0.0.1 for the run (http_file_server.hpp), which the
  /// command's user network forwards to `http_guest` (qemu_user_net.hpp); none when empty.
  std::filesystem::path http_file;
  /// In QEMU's default user network (10.0.2.0/24), clear of its gateway (.2), DNS server (.3)
  /// and DHCP range (from .15).
  GuestEndpoint http_guest{"10.0.2.100", 80};
  /// The guest's API port, reached through a hostfwd from a free port on 127.0.0.1 that the
  /// session picks (kApiCall steps); 0: none.
  uint16_t api_guest_port = 0;
  std::string api_token;  ///< the bearer token kApiCall steps send; none when empty
  bool api_tls = false;   ///< kApiCall steps speak HTTPS
  /// With api_tls: the captured milestone value (a "sha256=>NAME" step) the server's
  /// certificate must match; empty: any certificate.
  std::string api_pin_variable;
};

/// How a run ended.
struct SessionResult {
  bool passed = false;
  std::string reason;                                      ///< why it failed; empty when it passed
  std::filesystem::path log;                               ///< the kept log, or empty
  std::vector<std::pair<std::string, double>> step_times;  ///< step, seconds since start
  std::vector<std::string> notes;  ///< what the run's helpers said (the HTTP server), also logged
};

/// Runs the session to its end; never leaves the process running.
[[nodiscard]] SessionResult run_session(const SessionConfig& config);

}  // namespace rootstock::harness
