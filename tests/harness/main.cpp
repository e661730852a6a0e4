// rootstock-boottest: runs a command (QEMU booting a Rootstock image) and follows its serial
// console through ordered steps. Used by the boot tests in CTest; usable by anyone's CI.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "api_call.hpp"
#include "boot_session.hpp"

namespace {

using rootstock::harness::Seconds;
using rootstock::harness::SessionConfig;
using rootstock::harness::Step;

constexpr double kDefaultStepTimeout = 60;

const char* const kUsage =
    R"(usage: rootstock-boottest --name NAME [options] [steps] -- COMMAND [ARGS...]

Runs COMMAND (normally qemu-system-x86_64 ... -serial stdio) and follows its console.
Steps run in the order given; each has its own timeout from the end of the step before it
(default 60 s; write STEP@SECONDS to change it):
  --milestone 'NAME k=v ...'  a milestone line with that name and at least those fields
  --text TEXT                 any console line containing TEXT
  --seen 'NAME k=v ...'       as --milestone, but a line before this step counts too (for
                              what happens in no fixed order, such as several VMs at once)
  --seen-text TEXT            as --text, and a line before this step counts too
  --type TEXT                 type TEXT into the console (escapes: \n \r \t \\ \xNN)
  --monitor COMMAND           run COMMAND on QEMU's monitor (needs --monitor-socket), e.g.
                              system_powerdown, sendkey ctrl-alt-delete, or quit (a power
                              cut: QEMU ends at once, and the closed monitor is its answer)
  --exit STATUS               the command exits with STATUS
  --debug-exit VALUE          the guest wrote VALUE to isa-debug-exit (status VALUE*2+1)
Options:
  --timeout SECONDS   hard limit for the whole run (default 600)
  --fail PATTERN      another text that fails the run at once
  --allow PATTERN     drop PATTERN from the default failure patterns
  --log-dir DIR       where NAME.log is written (default ./test-logs); kept when the run fails
  --keep-log          keep the log after a passing run too
  --echo              copy the console to stdout
  --monitor-socket P  QEMU's monitor is on the Unix socket P (-monitor unix:P,server,nowait)
  --http-file PATH    serve PATH over HTTP on 127.0.0.1 at a free port for the run (GET /NAME,
                      NAME the file's name) and add a guestfwd to it to the command's first
                      QEMU user network (-nic user,... or -netdev user,..., which must have
                      restrict=on): the guest fetches http://10.0.2.100/NAME by default
  --http-guest A:P    the guest's address and port of --http-file (default 10.0.2.100:80)
  --api-forward PORT  forward a free port on 127.0.0.1 to the guest's PORT (a hostfwd on the
                      command's first user network, which must have restrict=on)
  --api-token TOKEN   the bearer token --http steps send
  --api-tls VAR       --http steps speak HTTPS and pin the server's certificate to the SHA-256
                      a milestone step captured as VAR ("sha256=>VAR")
  --http SPEC@S       a step: '[anonymous] METHOD PATH [BODY] -> STATUS [TEXT]' sent through
                      --api-forward (with --api-token unless anonymous); the answer must have
                      STATUS and contain TEXT, within S seconds
Exit status: 0 passed, 1 failed, 2 bad usage.
)";

[[noreturn]] void usage_error(const std::string& what) {
  std::cerr << "rootstock-boottest: " << what << "\n\n" << kUsage;
  std::exit(2);
}

bool parse_number(const std::string& s, double& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size() && out >= 0;
}

// Splits "ARG@SECONDS"; an ARG without a numeric suffix keeps its '@'.
std::pair<std::string, Seconds> split_timeout(const std::string& spec) {
  const size_t at = spec.rfind('@');
  double secs = 0;
  if (at != std::string::npos && parse_number(spec.substr(at + 1), secs)) {
    return {spec.substr(0, at), Seconds(secs)};
  }
  return {spec, Seconds(kDefaultStepTimeout)};
}

int exit_status_arg(const std::string& s) {
  double v = 0;
  if (!parse_number(s, v) || v != static_cast<int>(v) || v > 255) {
    usage_error("not an exit status: '" + s + "'");
  }
  return static_cast<int>(v);
}

SessionConfig parse_args(int argc, char** argv) {
  SessionConfig config;
  bool http_guest_given = false;
  int i = 1;
  auto value = [&](const std::string& opt) -> std::string {
    if (i + 1 >= argc) usage_error(opt + " needs a value");
    return argv[++i];
  };
  for (; i < argc; ++i) {
    const std::string opt = argv[i];
    if (opt == "--") {
      for (++i; i < argc; ++i) config.command.emplace_back(argv[i]);
      break;
    }
    if (opt == "--help" || opt == "-h") {
      std::cout << kUsage;
      std::exit(0);
    } else if (opt == "--name") {
      config.name = value(opt);
    } else if (opt == "--timeout") {
      double secs = 0;
      if (!parse_number(value(opt), secs)) usage_error("--timeout needs seconds");
      config.hard_limit = Seconds(secs);
    } else if (opt == "--log-dir") {
      config.log_dir = value(opt);
    } else if (opt == "--keep-log") {
      config.keep_log = true;
    } else if (opt == "--echo") {
      config.echo = true;
    } else if (opt == "--monitor-socket") {
      config.monitor_socket = value(opt);
    } else if (opt == "--http-file") {
      config.http_file = value(opt);
    } else if (opt == "--http-guest") {
      const auto guest = rootstock::harness::parse_guest_endpoint(value(opt));
      if (!guest) usage_error("--http-guest needs an IPv4 address and a port: A.B.C.D:PORT");
      config.http_guest = *guest;
      http_guest_given = true;
    } else if (opt == "--api-forward") {
      double port = 0;
      if (!parse_number(value(opt), port) || port != static_cast<int>(port) || port < 1 ||
          port > 65535) {
        usage_error("--api-forward needs the guest's port");
      }
      config.api_guest_port = static_cast<uint16_t>(port);
    } else if (opt == "--api-token") {
      config.api_token = value(opt);
    } else if (opt == "--api-tls") {
      config.api_tls = true;
      config.api_pin_variable = value(opt);
    } else if (opt == "--http") {
      auto [arg, timeout] = split_timeout(value(opt));
      if (!rootstock::harness::parse_api_call(arg)) {
        usage_error("--http needs 'METHOD PATH [BODY] -> STATUS [TEXT]@SECONDS'");
      }
      config.steps.push_back({Step::Kind::kApiCall, arg, timeout, 0});
    } else if (opt == "--monitor") {
      auto [arg, timeout] = split_timeout(value(opt));
      config.steps.push_back({Step::Kind::kMonitor, arg, timeout, 0});
    } else if (opt == "--fail") {
      config.failure_patterns.push_back(value(opt));
    } else if (opt == "--allow") {
      const std::string p = value(opt);
      std::erase(config.failure_patterns, p);
    } else if (opt == "--milestone" || opt == "--text" || opt == "--seen" || opt == "--seen-text") {
      auto [arg, timeout] = split_timeout(value(opt));
      const auto kind = opt == "--text"        ? Step::Kind::kWaitText
                        : opt == "--seen"      ? Step::Kind::kSeenMilestone
                        : opt == "--seen-text" ? Step::Kind::kSeenText
                                               : Step::Kind::kWaitMilestone;
      config.steps.push_back({kind, arg, timeout, 0});
    } else if (opt == "--type") {
      auto bytes = rootstock::harness::unescape(value(opt));
      if (!bytes) usage_error("bad escape in --type text");
      config.steps.push_back({Step::Kind::kType, *bytes, Seconds(0), 0});
    } else if (opt == "--exit" || opt == "--debug-exit") {
      auto [arg, timeout] = split_timeout(value(opt));
      int status = exit_status_arg(arg);
      if (opt == "--debug-exit") {
        if (status > 127) usage_error("--debug-exit value must be 0..127");
        status = status * 2 + 1;  // QEMU's isa-debug-exit: status = (value << 1) | 1
      }
      config.steps.push_back({Step::Kind::kExpectExit, arg, timeout, status});
    } else {
      usage_error("unknown option '" + opt + "'");
    }
  }
  if (config.name.empty()) usage_error("--name is required");
  if (config.command.empty()) usage_error("no command after --");
  if (http_guest_given && config.http_file.empty()) usage_error("--http-guest needs --http-file");
  if (config.steps.empty()) usage_error("no steps: a test that waits for nothing proves nothing");
  return config;
}

// The end of a failed run's log, so CI output shows what the console said last.
void print_tail(const std::filesystem::path& log, size_t lines) {
  std::ifstream in(log);
  std::vector<std::string> tail;
  for (std::string line; std::getline(in, line);) {
    tail.push_back(line);
    if (tail.size() > lines) tail.erase(tail.begin());
  }
  std::cerr << "---- last " << tail.size() << " console lines (" << log.string() << ") ----\n";
  for (const std::string& l : tail) std::cerr << l << "\n";
  std::cerr << "----\n";
}

}  // namespace

int main(int argc, char** argv) {
  const SessionConfig config = parse_args(argc, argv);
  const auto result = rootstock::harness::run_session(config);
  for (const std::string& note : result.notes) {
    std::fprintf(stderr, "boottest %s: %s\n", config.name.c_str(), note.c_str());
  }
  for (const auto& [step, secs] : result.step_times) {
    std::fprintf(stderr, "boottest %s: [%7.2f s] %s\n", config.name.c_str(), secs, step.c_str());
  }
  if (result.passed) {
    std::fprintf(stderr, "boottest %s: PASSED\n", config.name.c_str());
    return 0;
  }
  std::fprintf(stderr, "boottest %s: FAILED: %s\n", config.name.c_str(), result.reason.c_str());
  if (!result.log.empty()) {
    print_tail(result.log, 40);
  }
  return 1;
}
