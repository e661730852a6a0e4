#include "boot_session.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "api_call.hpp"
#include "child_process.hpp"
#include "http_file_server.hpp"
#include "monitor_client.hpp"

namespace rootstock::harness {
namespace {

using Clock = std::chrono::steady_clock;

// Lines from the console, handed from the reader thread to the judge. The reader also writes
// every byte to the log as it arrives, so a run killed from outside still leaves its log.
class ConsoleReader {
 public:
  ConsoleReader(ChildProcess& child, std::ofstream& log, bool echo)
      : child_(child), log_(log), echo_(echo), thread_([this] { run(); }) {}
  ~ConsoleReader() { thread_.join(); }
  ConsoleReader(const ConsoleReader&) = delete;
  ConsoleReader& operator=(const ConsoleReader&) = delete;

  // The next console line, or nullopt at `deadline` or when the console has closed
  // (`closed()` tells which).
  std::optional<std::string> next_line(Clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    cv_.wait_until(lock, deadline, [this] { return !lines_.empty() || closed_; });
    if (lines_.empty()) return std::nullopt;
    std::string line = std::move(lines_.front());
    lines_.pop_front();
    return line;
  }
  bool closed() {
    std::lock_guard lock(mutex_);
    return closed_ && lines_.empty();
  }

 private:
  void run() {
    pollfd fds[2] = {{child_.stdout_fd(), POLLIN, 0}, {child_.stderr_fd(), POLLIN, 0}};
    std::string partial[2];
    int open = 2;
    char buf[4096];
    while (open > 0) {
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        break;
      }
      for (int i = 0; i < 2; ++i) {
        if (fds[i].fd < 0 || fds[i].revents == 0) continue;
        const ssize_t n = ::read(fds[i].fd, buf, sizeof(buf));
        if (n <= 0) {
          if (n < 0 && errno == EINTR) continue;
          fds[i].fd = -1;
          --open;
          if (!partial[i].empty()) deliver(i, partial[i] + "\n");
          continue;
        }
        partial[i].append(buf, static_cast<size_t>(n));
        size_t nl;
        while ((nl = partial[i].find('\n')) != std::string::npos) {
          deliver(i, partial[i].substr(0, nl + 1));
          partial[i].erase(0, nl + 1);
        }
      }
    }
    std::lock_guard lock(mutex_);
    closed_ = true;
    cv_.notify_all();
  }

  // Serial output goes to the log as is; QEMU's own stderr is marked so the two can be told apart.
  void deliver(int stream, std::string line) {
    const std::string logged = stream == 0 ? line : "[qemu stderr] " + line;
    log_ << logged << std::flush;
    if (echo_) {
      (void)!::write(STDOUT_FILENO, logged.data(), logged.size());
    }
    line.pop_back();
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::lock_guard lock(mutex_);
    lines_.push_back(std::move(line));
    cv_.notify_all();
  }

  ChildProcess& child_;
  std::ofstream& log_;
  bool echo_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::string> lines_;
  bool closed_ = false;
  std::thread thread_;  // last: starts once the members above exist
};

std::string format_seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f s", s);
  return buf;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

SessionResult run_session(const SessionConfig& config) {
  SessionResult result;
  std::error_code ec;
  std::filesystem::create_directories(config.log_dir, ec);
  // The run writes NAME.running.log and renames it NAME.log only to keep it (a failure, or
  // --keep-log): a passing retry of a failed test leaves the failure's NAME.log in place.
  const std::filesystem::path log_path = config.log_dir / (config.name + ".log");
  const std::filesystem::path running_path = config.log_dir / (config.name + ".running.log");
  std::ofstream log(running_path, std::ios::trunc);
  if (!log) {
    result.reason = "cannot write the log " + running_path.string();
    return result;
  }
  const auto keep_log = [&] {
    log.close();
    std::filesystem::rename(running_path, log_path, ec);
    result.log = ec ? running_path : log_path;
  };

  // The harness's own lines go to the log before the console's and after it, marked.
  const auto note = [&](std::string text) {
    log << "[boottest] " << text << "\n" << std::flush;
    result.notes.push_back(std::move(text));
  };

  const Clock::time_point start = Clock::now();
  const Clock::time_point hard_deadline =
      start + std::chrono::duration_cast<Clock::duration>(config.hard_limit);
  std::string error;
  std::vector<std::string> command = config.command;
  // Listening before QEMU starts: its guestfwd connects once, at start-up.
  std::unique_ptr<HttpFileServer> http;
  if (!config.http_file.empty()) {
    http = HttpFileServer::start(config.http_file, error);
    if (http) {
      if (auto refused = add_guestfwd(command, config.http_guest, http->port())) error = *refused;
    }
    if (!http || !error.empty()) {
      result.reason = "--http-file: " + error;
      keep_log();
      return result;
    }
    note("http: serving " + config.http_file.string() + " (" + std::to_string(http->size()) +
         " bytes) at http://" + config.http_guest.address + ":" +
         std::to_string(config.http_guest.port) + http->url_path() +
         ", forwarded to 127.0.0.1:" + std::to_string(http->port()));
  }
  uint16_t api_port = 0;
  if (config.api_guest_port != 0) {
    api_port = free_loopback_port();
    std::optional<std::string> refused;
    if (api_port == 0) {
      refused = "no free port on 127.0.0.1";
    } else {
      refused = add_hostfwd(command, api_port, config.api_guest_port);
    }
    if (refused) {
      result.reason = "--api-forward: " + *refused;
      keep_log();
      return result;
    }
    note("api: 127.0.0.1:" + std::to_string(api_port) + " forwarded to the guest's port " +
         std::to_string(config.api_guest_port));
  }
  std::optional<ChildProcess> child = ChildProcess::spawn(command, error);
  if (!child) {
    result.reason = error;
    keep_log();
    return result;
  }

  ConsoleJudge judge(config.failure_patterns);
  // Where kApiCall steps go: the pinned fingerprint is what the console showed by then.
  const auto api_target = [&](const ConsoleJudge& j) {
    ApiTarget t{api_port, config.api_token, config.api_tls, {}};
    if (!config.api_pin_variable.empty()) {
      const auto found = j.variables().find(config.api_pin_variable);
      // Not captured: a pin no certificate matches, so the call fails and says so.
      t.pinned_sha256 = found != j.variables().end() ? found->second : "(not captured)";
    }
    return t;
  };
  std::optional<std::string> failure;
  std::map<std::string, std::string> api_variables;  // what --http steps kept ("=>VAR")
  // One --http step: its variables filled in, sent (again, with "until", until it passes),
  // judged; the failure, or nullopt.
  const auto api_step = [&](const Step& step, const ApiTarget& target,
                            const std::map<std::string, std::string>& console_variables,
                            Clock::time_point deadline) -> std::optional<std::string> {
    std::optional<ApiCall> call = parse_api_call(step.arg);
    if (!call) return step.describe() + " is not 'METHOD PATH [BODY] -> STATUS [TEXT]'";
    auto text = substitute_variables(
        call->expect_text, [&](const std::string& name) -> std::optional<std::string> {
          for (const std::map<std::string, std::string>* vars :
               {static_cast<const std::map<std::string, std::string>*>(&api_variables),
                &console_variables}) {
            if (auto it = vars->find(name); it != vars->end()) return it->second;
          }
          return std::nullopt;
        });
    if (!text) return step.describe() + ": no value was kept as " + text.error();
    call->expect_text = *text;
    for (;;) {
      ApiReply reply;
      std::string captured;
      std::optional<std::string> wrong = send_api_call(target, *call, deadline, reply);
      if (!wrong) wrong = judge_api_reply(*call, reply, &captured);
      if (!wrong) {
        if (!call->capture.empty()) api_variables[call->capture] = captured;
        note("api: " + call->method + " " + call->path + " -> " +
             (call->cut ? std::string("cut") : std::to_string(reply.status)));
        return std::nullopt;
      }
      // Repeated while there is time: a condition the appliance reaches in its own time.
      constexpr auto kRetryInterval = std::chrono::milliseconds(250);
      if (!call->until || Clock::now() + kRetryInterval >= deadline) {
        return step.describe() + ": " + *wrong;
      }
      std::this_thread::sleep_for(kRetryInterval);
    }
  };
  {
    ConsoleReader reader(*child, log, config.echo);
    for (const Step& step : config.steps) {
      Clock::time_point deadline =
          Clock::now() + std::chrono::duration_cast<Clock::duration>(step.timeout);
      const bool hard = deadline > hard_deadline;
      if (hard) deadline = hard_deadline;

      if (step.kind == Step::Kind::kType) {
        if (!child->write_stdin(step.arg)) failure = "the console closed before " + step.describe();
      } else if (step.kind == Step::Kind::kApiCall) {
        if (api_port == 0) {
          failure = step.describe() + " needs --api-forward";
        } else {
          failure = api_step(step, api_target(judge), judge.variables(), deadline);
        }
      } else if (step.kind == Step::Kind::kMonitor) {
        if (config.monitor_socket.empty()) {
          failure = step.describe() + " needs --monitor-socket";
        } else if (auto err = run_monitor_command(config.monitor_socket, step.arg, deadline)) {
          failure = *err;
        }
      } else {
        const bool wants_line = step.kind != Step::Kind::kExpectExit;
        bool done = judge.seen_before(step);
        while (!done && !failure) {
          std::optional<std::string> line = reader.next_line(deadline);
          if (line) {
            LineVerdict v = judge.judge(*line, wants_line ? &step : nullptr);
            if (v.failure) failure = v.failure;
            done = v.step_done;
          } else if (reader.closed()) {
            const int status = child->wait();
            if (!wants_line && status == step.exit_status) {
              done = true;
            } else {
              failure = "the process exited with status " + std::to_string(status) +
                        " while waiting for " + step.describe();
            }
          } else {
            failure = hard ? "the hard limit of " + format_seconds(config.hard_limit.count()) +
                                 " passed while waiting for " + step.describe()
                           : "timed out after " + format_seconds(step.timeout.count()) +
                                 " waiting for " + step.describe();
          }
        }
      }
      if (failure) break;
      result.step_times.emplace_back(step.describe(), seconds_since(start));
    }
    // The run is over either way: end the process by its PID so the reader sees the console
    // close, then reap it.
    child->kill();
  }
  child->wait();
  if (http) {
    const HttpServerStats stats = http->stats();
    note("http: connections=" + std::to_string(stats.connections) + " requests=" +
         std::to_string(stats.requests) + " files_sent=" + std::to_string(stats.files_sent) +
         " body_bytes=" + std::to_string(stats.body_bytes));
  }
  log.close();

  if (failure) {
    result.reason = *failure;
    keep_log();
  } else {
    result.passed = true;
    if (config.keep_log) {
      keep_log();
    } else {
      std::filesystem::remove(running_path, ec);
    }
  }
  return result;
}

}  // namespace rootstock::harness
