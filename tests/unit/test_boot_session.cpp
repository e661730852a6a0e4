// The boot-test harness end to end against fake_console, a stand-in for QEMU that prints
// markers, hangs, panics, echoes typed input or exits as told.
#include <catch2/catch_test_macros.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "boot_session.hpp"

using namespace rootstock::harness;

namespace {

std::filesystem::path log_dir() {
  return std::filesystem::temp_directory_path() / "rootstock-harness-tests";
}

SessionConfig config(const std::string& name, std::vector<std::string> script,
                     std::vector<Step> steps) {
  SessionConfig c;
  c.name = name;
  c.command = {FAKE_CONSOLE_PATH};
  c.command.insert(c.command.end(), script.begin(), script.end());
  c.steps = std::move(steps);
  c.log_dir = log_dir();
  c.hard_limit = Seconds(20);
  return c;
}

Step milestone(const char* spec, double secs = 10) {
  return {Step::Kind::kWaitMilestone, spec, Seconds(secs), 0};
}
Step text(const char* t, double secs = 10) {
  return {Step::Kind::kWaitText, t, Seconds(secs), 0};
}
Step type(const char* t) {
  return {Step::Kind::kType, t, Seconds(0), 0};
}
Step exits(int status, double secs = 10) {
  return {Step::Kind::kExpectExit, "", Seconds(secs), status};
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("session passes when milestones arrive in order, and removes its log", "[harness]") {
  const auto r = run_session(config("pass",
                                    {"print:booting", "print:[rootstock] hv-ready cpus=2",
                                     "sleep:50", "print:[rootstock] root-init cpus=2", "hang"},
                                    {milestone("hv-ready cpus=2"), milestone("root-init")}));
  CHECK(r.passed);
  CHECK(r.reason.empty());
  CHECK(r.step_times.size() == 2);
  CHECK_FALSE(std::filesystem::exists(log_dir() / "pass.log"));
}

TEST_CASE("session fails at once on a panic and keeps the full log", "[harness]") {
  const auto start = std::chrono::steady_clock::now();
  const auto r = run_session(
      config("panic", {"print:early line", "print:Kernel panic - not syncing: test", "hang"},
             {milestone("root-init", 30)}));
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK_FALSE(r.passed);
  CHECK(r.reason.find("Kernel panic") != std::string::npos);
  CHECK(took < std::chrono::seconds(10));  // did not sit out the 30 s step timeout
  REQUIRE(r.log == log_dir() / "panic.log");
  const std::string log = slurp(r.log);
  CHECK(log.find("early line\n") != std::string::npos);
  CHECK(log.find("Kernel panic - not syncing: test\n") != std::string::npos);
}

TEST_CASE("a passing retry keeps the failed run's log", "[harness]") {
  // ./rootstock test runs a failed test once more; the first run's log is the evidence.
  const auto failed = run_session(
      config("retry", {"print:first run", "print:Kernel panic - not syncing: x", "hang"},
             {milestone("root-init", 30)}));
  REQUIRE_FALSE(failed.passed);
  const auto passed = run_session(
      config("retry", {"print:second run", "print:[rootstock] root-init cpus=1", "hang"},
             {milestone("root-init")}));
  CHECK(passed.passed);
  REQUIRE(std::filesystem::exists(log_dir() / "retry.log"));
  CHECK(slurp(log_dir() / "retry.log").find("first run") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(log_dir() / "retry.running.log"));
}

TEST_CASE("session times out on a hung console and kills the process", "[harness]") {
  const auto start = std::chrono::steady_clock::now();
  const auto r = run_session(config("hang", {"print:[rootstock] hv-ready", "hang"},
                                    {milestone("hv-ready", 5), milestone("root-init", 0.5)}));
  CHECK_FALSE(r.passed);
  CHECK(r.reason.find("timed out") != std::string::npos);
  CHECK(r.reason.find("root-init") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}

TEST_CASE("session honours the hard limit over a longer step timeout", "[harness]") {
  SessionConfig c = config("hard", {"hang"}, {milestone("never", 60)});
  c.hard_limit = Seconds(0.5);
  const auto start = std::chrono::steady_clock::now();
  const auto r = run_session(c);
  CHECK_FALSE(r.passed);
  CHECK(r.reason.find("hard limit") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}

TEST_CASE("session types into the console", "[harness]") {
  const auto r = run_session(config("type", {"print:login:", "echo", "hang"},
                                    {text("login:"), type("root\n"), text("got: root")}));
  CHECK(r.passed);
}

TEST_CASE("session checks the exit status", "[harness]") {
  CHECK(run_session(config("exit-ok", {"print:[rootstock] poweroff", "exit:3"},
                           {milestone("poweroff"), exits(3)}))
            .passed);
  const auto r = run_session(config("exit-bad", {"exit:1"}, {exits(3)}));
  CHECK_FALSE(r.passed);
  CHECK(r.reason.find("status 1") != std::string::npos);
}

TEST_CASE("session fails when the process exits before a milestone", "[harness]") {
  const auto r =
      run_session(config("early-exit", {"print:hello", "exit:0"}, {milestone("hv-ready")}));
  CHECK_FALSE(r.passed);
  CHECK(r.reason.find("exited with status 0") != std::string::npos);
}

TEST_CASE("session reports a command that cannot run", "[harness]") {
  SessionConfig c = config("no-such", {}, {milestone("x")});
  c.command = {"/nonexistent/qemu"};
  const auto r = run_session(c);
  CHECK_FALSE(r.passed);
  CHECK(r.reason.find("cannot run /nonexistent/qemu") != std::string::npos);
}

TEST_CASE("session logs stderr apart and reassembles split and burst lines", "[harness]") {
  SessionConfig c = config("streams",
                           {"err:qemu warning", "partial:[rootstock] hv-", "sleep:100",
                            "print:ready cpus=1", "burst:400", "print:[rootstock] done", "hang"},
                           {milestone("hv-ready cpus=1"), text("line 399"), milestone("done")});
  c.keep_log = true;
  const auto r = run_session(c);
  CHECK(r.passed);
  const std::string log = slurp(log_dir() / "streams.log");
  CHECK(log.find("[qemu stderr] qemu warning\n") != std::string::npos);
  CHECK(log.find("line 0\n") != std::string::npos);
}

TEST_CASE("session serves --http-file through the command's user network", "[harness]") {
  const auto file = log_dir() / "served.bin";
  std::filesystem::create_directories(log_dir());
  std::ofstream(file, std::ios::trunc) << std::string(200000, 'r');
  // fake_console plays QEMU's guestfwd: it connects to the port the harness put on its -nic.
  SessionConfig c = config(
      "http", {"-nic", "user,restrict=on", "fetch:/served.bin", "fetch:/missing.bin", "hang"},
      {text("fetched status=200 bytes=200000"), text("fetched status=404 bytes=0")});
  c.http_file = file;
  const auto r = run_session(c);
  CHECK(r.passed);
  REQUIRE(r.notes.size() == 2);
  CHECK(r.notes[0].starts_with("http: serving " + file.string() +
                               " (200000 bytes) at http://10.0.2.100:80/served.bin, forwarded "
                               "to 127.0.0.1:"));
  CHECK(r.notes[1] == "http: connections=2 requests=2 files_sent=1 body_bytes=200000");
}

TEST_CASE("session refuses --http-file without a restricted user network", "[harness]") {
  const auto file = log_dir() / "served.bin";
  std::filesystem::create_directories(log_dir());
  std::ofstream(file, std::ios::trunc) << "x";
  SessionConfig c = config("http-open", {"-nic", "user", "hang"}, {text("never")});
  c.http_file = file;
  const auto r = run_session(c);
  CHECK_FALSE(r.passed);
  CHECK(r.reason.find("--http-file: the user network 'user' lacks restrict=on") !=
        std::string::npos);

  c = config("http-missing", {"-nic", "user,restrict=on", "hang"}, {text("never")});
  c.http_file = log_dir() / "no-such.bin";
  const auto missing = run_session(c);
  CHECK_FALSE(missing.passed);
  CHECK(missing.reason.find("--http-file: cannot open") != std::string::npos);
}
