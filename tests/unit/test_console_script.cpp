// The console judge: failure patterns, milestone and text waits, failed selftests, escapes.
#include <catch2/catch_test_macros.hpp>

#include "console_script.hpp"

using namespace rootstock::harness;

namespace {
Step wait_milestone(const char* spec) {
  return {Step::Kind::kWaitMilestone, spec, Seconds(1), 0};
}
Step wait_text(const char* text) {
  return {Step::Kind::kWaitText, text, Seconds(1), 0};
}
}  // namespace

TEST_CASE("judge fails at once on every default failure pattern", "[harness]") {
  ConsoleJudge judge(default_failure_patterns());
  for (const char* line : {"[    1.0] Kernel panic - not syncing: VFS", "Oops: 0000 [#1] SMP",
                           "WARNING: CPU: 1 PID: 0 at kernel/x.c:1", "BUG: unable to handle",
                           "[rootstock] panic component=hv reason=triple-fault"}) {
    const LineVerdict v = judge.judge(line, nullptr);
    INFO(line);
    CHECK(v.failure.has_value());
    CHECK_FALSE(v.step_done);
  }
  CHECK_FALSE(judge.judge("all is well", nullptr).failure);
}

TEST_CASE("judge can drop or add failure patterns", "[harness]") {
  std::vector<std::string> patterns = default_failure_patterns();
  std::erase(patterns, "BUG:");
  patterns.emplace_back("no SVM");
  ConsoleJudge judge(patterns);
  CHECK_FALSE(judge.judge("BUG: expected here", nullptr).failure);
  CHECK(judge.judge("hv: no SVM on this CPU", nullptr).failure);
}

TEST_CASE("judge matches milestones by name and field subset", "[harness]") {
  ConsoleJudge judge(default_failure_patterns());
  const Step step = wait_milestone("hv-ready cpus=4");
  CHECK(judge.judge("[rootstock] hv-ready version=0.1 cpus=4 arch=svm", &step).step_done);
  CHECK_FALSE(judge.judge("[rootstock] hv-ready version=0.1 cpus=2", &step).step_done);
  CHECK_FALSE(judge.judge("hv-ready cpus=4", &step).step_done);
  const Step bare = wait_milestone("poweroff");
  CHECK(judge.judge("[rootstock] poweroff", &bare).step_done);
}

TEST_CASE("judge matches text anywhere in a line", "[harness]") {
  ConsoleJudge judge(default_failure_patterns());
  const Step step = wait_text("Linux version 6.12");
  CHECK(judge.judge("[    0.000000] Linux version 6.12.117 (x@y)", &step).step_done);
  CHECK_FALSE(judge.judge("Linux version 6.1", &step).step_done);
}

TEST_CASE("judge fails on a selftest that reports failures", "[harness]") {
  ConsoleJudge judge(default_failure_patterns());
  const Step step = wait_milestone("selftest name=hv failed=0");
  CHECK(judge.judge("[rootstock] selftest name=hv passed=9 failed=0", &step).step_done);
  const LineVerdict bad = judge.judge("[rootstock] selftest name=init passed=3 failed=1", &step);
  REQUIRE(bad.failure);
  CHECK(bad.failure->find("init") != std::string::npos);
}

TEST_CASE("unescape decodes typed text and rejects bad escapes", "[harness]") {
  CHECK(unescape("ls\\n") == std::optional<std::string>("ls\n"));
  CHECK(unescape("a\\tb\\r\\\\") == std::optional<std::string>("a\tb\r\\"));
  CHECK(unescape("\\x03\\x7f") == std::optional<std::string>("\x03\x7f"));
  CHECK_FALSE(unescape("\\"));
  CHECK_FALSE(unescape("\\q"));
  CHECK_FALSE(unescape("\\x4"));
  CHECK_FALSE(unescape("\\xzz"));
}

TEST_CASE("judge compares numeric milestone fields", "[harness]") {
  ConsoleJudge judge(default_failure_patterns());
  const Step range = wait_milestone("root-init cpus=2 mem_mib>=448 mem_mib<=512");
  CHECK(judge.judge("[rootstock] root-init cpus=2 mem_mib=480 kernel=6.12", &range).step_done);
  CHECK_FALSE(judge.judge("[rootstock] root-init cpus=2 mem_mib=447", &range).step_done);
  CHECK_FALSE(judge.judge("[rootstock] root-init cpus=2 mem_mib=513", &range).step_done);
  CHECK_FALSE(judge.judge("[rootstock] root-init cpus=2 mem_mib=4x0", &range).step_done);
  CHECK_FALSE(judge.judge("[rootstock] root-init cpus=2", &range).step_done);
  const Step hex = wait_milestone("hv-ready base>=0x1000");
  CHECK(judge.judge("[rootstock] hv-ready base=0x2000", &hex).step_done);
}

TEST_CASE("judge captures a field and compares later milestones with it", "[harness]") {
  ConsoleJudge judge(default_failure_patterns());
  const Step capture = wait_milestone("root-start ram_mib=>RAM");
  const Step compare = wait_milestone("root-init ram_mib>=$RAM-2 ram_mib<=$RAM");
  const Step equal = wait_milestone("root-init cpus=$CPUS");
  // A comparison with a variable nobody captured never matches.
  CHECK_FALSE(judge.judge("[rootstock] root-init ram_mib=954", &compare).step_done);
  CHECK_FALSE(judge.judge("[rootstock] root-start cpus=4", &capture).step_done);
  CHECK(judge.judge("[rootstock] root-start ram_mib=954", &capture).step_done);
  CHECK(judge.judge("[rootstock] root-init ram_mib=953", &compare).step_done);
  CHECK(judge.judge("[rootstock] root-init ram_mib=954", &compare).step_done);
  CHECK_FALSE(judge.judge("[rootstock] root-init ram_mib=951", &compare).step_done);
  CHECK_FALSE(judge.judge("[rootstock] root-init ram_mib=955", &compare).step_done);
  CHECK_FALSE(judge.judge("[rootstock] root-init cpus=4", &equal).step_done);
}

TEST_CASE("judge: a --seen step counts lines from before it, a --milestone step does not",
          "[harness]") {
  ConsoleJudge judge(default_failure_patterns());
  (void)judge.judge("[rootstock] vm-exited id=b name=b reason=poweroff", nullptr);
  (void)judge.judge("b: rootstock-child: power button", nullptr);
  const Step seen{Step::Kind::kSeenMilestone, "vm-exited id=b reason=poweroff", Seconds(1), 0};
  const Step seen_text{Step::Kind::kSeenText, "power button", Seconds(1), 0};
  const Step later = wait_milestone("vm-exited id=b reason=poweroff");
  const Step other{Step::Kind::kSeenMilestone, "vm-exited id=c", Seconds(1), 0};
  CHECK(judge.seen_before(seen));
  CHECK(judge.seen_before(seen_text));
  CHECK_FALSE(judge.seen_before(later));  // a plain wait only looks ahead
  CHECK_FALSE(judge.seen_before(other));
  CHECK(judge.judge("[rootstock] vm-exited id=c name=c reason=stopped", &other).step_done);
  CHECK(judge.seen_before(other));
  CHECK(seen.describe() == "milestone 'vm-exited id=b reason=poweroff' (then or before)");
}
