// hv's command line: hv.* options are consumed, everything else reaches the root kernel in
// order with quotes intact, and a bad option is reported without spoiling the rest.
#include <catch2/catch_test_macros.hpp>
#include <string>

#include "boot/cmdline.hpp"

using rootstock::Text;

namespace {

std::string str(Text t) {
  return {t.data, t.size};
}

std::string problem(const hv::HvOptions& o, size_t i) {
  return std::string(o.problems[i].option) + ": " + o.problems[i].reason;
}

}  // namespace

TEST_CASE("hv cmdline: defaults without hv options", "[hv][cmdline]") {
  hv::HvOptions o;
  hv::parse_cmdline("console=ttyS0 quiet", o);
  CHECK(o.console_enabled);
  CHECK(o.console_port == 0x3f8);
  CHECK(o.reserve_bytes == 64 * hv::kMiB);
  CHECK_FALSE(o.selftest);
  CHECK(o.log_level == hv::log::Level::kInfo);
  CHECK(str(o.root_cmdline()) == "console=ttyS0 quiet");
  CHECK(o.problem_count == 0);

  hv::parse_cmdline("", o);
  CHECK(o.root_cmdline().empty());
  CHECK(o.root_cmdline_storage[0] == '\0');
  hv::parse_cmdline(" \t \n", o);
  CHECK(o.root_cmdline().empty());
}

TEST_CASE("hv cmdline: valid options are consumed", "[hv][cmdline]") {
  hv::HvOptions o;
  hv::parse_cmdline(
      "  hv.console=com2 console=ttyS0   hv.reserve=128M hv.selftest\thv.loglevel=debug "
      "rootstock.selftest=net  ",
      o);
  CHECK(o.console_port == 0x2f8);
  CHECK(o.reserve_bytes == 128 * hv::kMiB);
  CHECK(o.selftest);
  CHECK(o.log_level == hv::log::Level::kDebug);
  CHECK(str(o.root_cmdline()) == "console=ttyS0 rootstock.selftest=net");
  CHECK(o.root_cmdline_storage[o.root_cmdline_length] == '\0');
  CHECK(o.problem_count == 0);
}

TEST_CASE("hv cmdline: console choices", "[hv][cmdline]") {
  hv::HvOptions o;
  const struct {
    const char* arg;
    bool enabled;
    uint16_t port;
  } good[] = {{"hv.console=com1", true, 0x3f8},    {"hv.console=com3", true, 0x3e8},
              {"hv.console=com4", true, 0x2e8},    {"hv.console=0x2F8", true, 0x2f8},
              {"hv.console=0xe000", true, 0xe000}, {"hv.console=none", false, 0x3f8},
              {"hv.console=\"com2\"", true, 0x2f8}};
  for (const auto& g : good) {
    hv::parse_cmdline(g.arg, o);
    INFO(g.arg);
    CHECK(o.problem_count == 0);
    CHECK(o.console_enabled == g.enabled);
    CHECK(o.console_port == g.port);
  }
  for (const char* bad :
       {"hv.console=com5", "hv.console=com", "hv.console=3f8", "hv.console=0x", "hv.console=0x0",
        "hv.console=0xfff9", "hv.console=0x10000", "hv.console=0xg", "hv.console=ttyS0"}) {
    hv::parse_cmdline(bad, o);
    INFO(bad);
    REQUIRE(o.problem_count == 1);
    CHECK(std::string(o.problems[0].option) == bad);
    CHECK(o.console_port == 0x3f8);  // default kept
    CHECK(o.console_enabled);
  }
}

TEST_CASE("hv cmdline: reserve sizes", "[hv][cmdline]") {
  hv::HvOptions o;
  const struct {
    const char* arg;
    uint64_t bytes;
  } good[] = {{"hv.reserve=16M", 16 * hv::kMiB},      {"hv.reserve=4G", 4096 * hv::kMiB},
              {"hv.reserve=2g", 2048 * hv::kMiB},     {"hv.reserve=32768K", 32 * hv::kMiB},
              {"hv.reserve=33554432", 32 * hv::kMiB}, {"hv.reserve=130m", 130 * hv::kMiB}};
  for (const auto& g : good) {
    hv::parse_cmdline(g.arg, o);
    INFO(g.arg);
    CHECK(o.problem_count == 0);
    CHECK(o.reserve_bytes == g.bytes);
  }
  const struct {
    const char* arg;
    const char* reason;
  } bad[] = {{"hv.reserve=15M", "is not a multiple of 2M"},
             {"hv.reserve=14M", "is below 16M"},
             {"hv.reserve=0", "is below 16M"},
             {"hv.reserve=4098M", "is above 4G"},
             {"hv.reserve=64MB", "is not a size (digits with an optional K, M or G suffix)"},
             {"hv.reserve=M", "is not a size (digits with an optional K, M or G suffix)"},
             {"hv.reserve=-64M", "is not a size (digits with an optional K, M or G suffix)"},
             {"hv.reserve=64T", "is not a size (digits with an optional K, M or G suffix)"},
             {"hv.reserve=99999999999999999999", "is too large"},
             {"hv.reserve=17179869184G", "is too large"},
             {"hv.reserve=", "needs a value"},
             {"hv.reserve", "needs a value"}};
  for (const auto& b : bad) {
    hv::parse_cmdline(b.arg, o);
    INFO(b.arg);
    REQUIRE(o.problem_count == 1);
    CHECK(std::string(o.problems[0].reason) == b.reason);
    CHECK(o.reserve_bytes == hv::kDefaultReserve);
  }
}

TEST_CASE("hv cmdline: log levels and the self-test flag", "[hv][cmdline]") {
  hv::HvOptions o;
  hv::parse_cmdline("hv.loglevel=error", o);
  CHECK(o.log_level == hv::log::Level::kError);
  hv::parse_cmdline("hv.loglevel=warn", o);
  CHECK(o.log_level == hv::log::Level::kWarn);
  hv::parse_cmdline("hv.loglevel=info", o);
  CHECK(o.log_level == hv::log::Level::kInfo);
  hv::parse_cmdline("hv.loglevel=DEBUG hv.selftest=1", o);
  CHECK(o.log_level == hv::log::Level::kInfo);
  CHECK_FALSE(o.selftest);
  REQUIRE(o.problem_count == 2);
  CHECK(problem(o, 0) == "hv.loglevel=DEBUG: is not one of error, warn, info, debug");
  CHECK(problem(o, 1) == "hv.selftest=1: names a self-test hv does not have (guest, exception)");
}

TEST_CASE("hv cmdline: unknown and bad hv options are collected, not fatal", "[hv][cmdline]") {
  hv::HvOptions o;
  hv::parse_cmdline(
      "hv.bogus=1 console=ttyS0 hv.reserve=3M hv. hv.console=com2 hv.Console=com3 quiet", o);
  REQUIRE(o.problem_count == 4);
  CHECK(problem(o, 0) == "hv.bogus=1: unknown hv option");
  CHECK(problem(o, 1) == "hv.reserve=3M: is not a multiple of 2M");
  CHECK(problem(o, 2) == "hv.: unknown hv option");
  CHECK(problem(o, 3) == "hv.Console=com3: unknown hv option");
  CHECK(o.console_port == 0x2f8);  // the good option after the bad ones still applies
  CHECK(str(o.root_cmdline()) == "console=ttyS0 quiet");
}

TEST_CASE("hv cmdline: the last valid value of a repeated option wins", "[hv][cmdline]") {
  hv::HvOptions o;
  hv::parse_cmdline("hv.reserve=32M hv.reserve=128M hv.reserve=1K", o);
  CHECK(o.reserve_bytes == 128 * hv::kMiB);
  CHECK(o.problem_count == 1);
}

TEST_CASE("hv cmdline: quotes in the root's part are kept intact", "[hv][cmdline]") {
  hv::HvOptions o;
  hv::parse_cmdline(
      "init=/init rootstock.banner=\"hello  world\" hv.selftest \"a b\"c d=\"x\" "
      "hv.loglevel=\"warn\"",
      o);
  CHECK(str(o.root_cmdline()) == "init=/init rootstock.banner=\"hello  world\" \"a b\"c d=\"x\"");
  CHECK(o.selftest);
  CHECK(o.log_level == hv::log::Level::kWarn);
  CHECK(o.problem_count == 0);

  // An unclosed quote runs to the end of the line, hv-looking text included.
  hv::parse_cmdline("a=\"open hv.selftest", o);
  CHECK(str(o.root_cmdline()) == "a=\"open hv.selftest");
  CHECK_FALSE(o.selftest);
  // A quoted hv option is not hv's.
  hv::parse_cmdline("\"hv.selftest\"", o);
  CHECK_FALSE(o.selftest);
  CHECK(str(o.root_cmdline()) == "\"hv.selftest\"");
}

TEST_CASE("hv cmdline: nothing after -- is consumed", "[hv][cmdline]") {
  hv::HvOptions o;
  hv::parse_cmdline("quiet hv.selftest -- hv.loglevel=debug init-arg", o);
  CHECK(o.selftest);
  CHECK(o.log_level == hv::log::Level::kInfo);
  CHECK(str(o.root_cmdline()) == "quiet -- hv.loglevel=debug init-arg");
}

TEST_CASE("hv cmdline: problems beyond the list are counted; long text is cut", "[hv][cmdline]") {
  hv::HvOptions o;
  std::string line;
  for (int i = 0; i < 11; ++i) line += "hv.x" + std::to_string(i) + " ";
  line += "hv." + std::string(100, 'y');
  hv::parse_cmdline(Text(line.c_str()), o);
  CHECK(o.problem_count == hv::kMaxOptionProblems);
  CHECK(o.problems_dropped == 4);
  CHECK(problem(o, 7) == "hv.x7: unknown hv option");

  hv::parse_cmdline(Text(line.c_str() + line.find("hv.yyy")), o);
  REQUIRE(o.problem_count == 1);
  const std::string cut = o.problems[0].option;
  CHECK(cut.size() == hv::kMaxProblemText);
  CHECK(cut == "hv." + std::string(57, 'y') + "...");
}

TEST_CASE("hv cmdline: a root part longer than its buffer is dropped with a problem",
          "[hv][cmdline]") {
  hv::HvOptions o;
  const std::string a(2000, 'a');
  const std::string b(100, 'b');
  const std::string line = a + " " + b + " c hv.selftest";
  hv::parse_cmdline(Text(line.c_str()), o);
  CHECK(str(o.root_cmdline()) == a);
  CHECK(o.selftest);
  REQUIRE(o.problem_count == 1);
  CHECK(std::string(o.problems[0].reason) ==
        "does not fit the root command line: it and the rest dropped");

  // Exactly full: 2047 characters fit.
  const std::string full = std::string(1023, 'x') + " " + std::string(1023, 'y');
  hv::parse_cmdline(Text(full.c_str()), o);
  CHECK(o.root_cmdline_length == hv::kMaxRootCmdline);
  CHECK(o.problem_count == 0);
}

TEST_CASE("hv.debug_exit takes a hex port", "[hv][cmdline]") {
  hv::HvOptions o;
  hv::parse_cmdline("hv.debug_exit=0xf4 console=ttyS0", o);
  CHECK(o.debug_exit_port == 0xf4);
  CHECK(o.problem_count == 0);
  hv::HvOptions bad;
  hv::parse_cmdline("hv.debug_exit=244 hv.debug_exit=0x0 hv.debug_exit=0x10000", bad);
  CHECK(bad.debug_exit_port == 0);
  CHECK(bad.problem_count == 3);
}

TEST_CASE("hv.selftest takes a list of named self-tests", "[hv][cmdline]") {
  hv::HvOptions o;
  hv::parse_cmdline("hv.selftest=exception", o);
  CHECK_FALSE(o.selftest);
  CHECK(o.selftest_exception);
  hv::HvOptions both;
  hv::parse_cmdline("hv.selftest=guest,exception", both);
  CHECK(both.selftest);
  CHECK(both.selftest_exception);
  hv::HvOptions bad;
  hv::parse_cmdline("hv.selftest=guest,,exception hv.selftest=", bad);
  CHECK_FALSE(bad.selftest);
  CHECK(bad.problem_count == 2);
}
