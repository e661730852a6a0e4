// The self-test registry (selftest/registry.hpp): the names operators and boot tests use are all
// there, unknown names are reported with a failed milestone, and the result prints what a boot
// test waits for, exactly.
#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "fake_selftest_context.hpp"
#include "selftest/registry.hpp"

using namespace rootstock::selftest;
using rootstock::testing::FakeSelftestContext;

TEST_CASE("registry: every documented name, sorted and once", "[selftest][registry]") {
  const std::vector<std::string> names = selftest_names();
  CHECK(names == std::vector<std::string>{"appliance-cycles", "hostile-child", "hostile-root",
                                          "hypercall-abuse", "init", "interrupt-delivery",
                                          "linux-children", "partitions", "protection",
                                          "virtio-exits", "vm-isolation", "vsock-echo"});
  CHECK(std::is_sorted(names.begin(), names.end()));
  CHECK(std::adjacent_find(names.begin(), names.end()) == names.end());
  for (const SelftestEntry& e : selftests()) CHECK(e.run != nullptr);
}

TEST_CASE("registry: raw hypercalls only for the tests that play a hostile root",
          "[selftest][registry]") {
  CHECK(need_raw_hypercalls({"hypercall-abuse"}));
  CHECK(need_raw_hypercalls({"init", "hostile-root"}));
  CHECK_FALSE(need_raw_hypercalls({"partitions", "hostile-child", "linux-children"}));
  CHECK_FALSE(need_raw_hypercalls({"no-such-test"}));
  CHECK_FALSE(need_raw_hypercalls({}));
}

TEST_CASE("registry: an unknown name is said and fails its milestone", "[selftest][registry]") {
  FakeSelftestContext context;
  CHECK_FALSE(run_selftest("no-such-test", context));
  CHECK(context.announced.empty());
  run_selftests({"no-such-test"}, context);
  REQUIRE(context.announced.size() == 1);
  CHECK(context.announced[0] == "[rootstock] selftest name=no-such-test passed=0 failed=1");
  REQUIRE_FALSE(context.said.empty());
  CHECK(context.said[0].find("there is no self-test named 'no-such-test'") != std::string::npos);
  CHECK(context.said[0].find("partitions") != std::string::npos);  // the names there are
}

TEST_CASE("report: failures are said, the milestone counts both", "[selftest][registry]") {
  FakeSelftestContext context;
  SelftestResult r("example", context);
  r.check(true, "fine");
  r.check(false, "the thing broke");
  r.check(true, "fine again");
  r.note("example: a note");
  r.finish();
  CHECK(r.passed() == 2);
  CHECK(r.failed() == 1);
  CHECK(context.said ==
        std::vector<std::string>{"selftest example: FAILED: the thing broke", "example: a note"});
  REQUIRE(context.announced.size() == 1);
  CHECK(context.announced[0] == "[rootstock] selftest name=example passed=2 failed=1");
}
