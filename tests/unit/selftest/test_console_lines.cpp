// The self-tests' view of a child's console (selftest/console_lines.hpp): only the newest lines are
// kept however much the child prints, line numbers count every line, and a waiter sees a line
// that completes while it waits even when that line is dropped before the waiter wakes.
#include <catch2/catch_test_macros.hpp>

#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "selftest/console_lines.hpp"

using rootstock::selftest::ConsoleLines;
using namespace std::chrono_literals;

namespace {

void put(ConsoleLines& c, const std::string& s) {
  for (char ch : s) c.put(static_cast<uint8_t>(ch));
}

// A console that keeps `max_lines` and shows nothing.
ConsoleLines quiet(size_t max_lines) {
  return ConsoleLines("child: ", max_lines, [](const std::string&) {});
}

}  // namespace

TEST_CASE("console lines: the newest lines are kept, the rest dropped and counted",
          "[selftest][console_lines]") {
  std::vector<std::string> shown;
  ConsoleLines c("child: ", 16, [&](const std::string& l) { shown.push_back(l); });
  for (int i = 0; i < 100000; ++i) put(c, "line " + std::to_string(i) + "\r\n");
  CHECK(c.count() == 100000);
  CHECK(c.dropped() == 100000 - 16);
  CHECK(c.line(99999) == "line 99999");
  CHECK(c.line(100000 - 16) == "line 99984");
  CHECK(c.line(100000 - 17).empty());  // dropped
  CHECK(c.line(0).empty());
  CHECK(c.line(100000).empty());    // not yet come
  REQUIRE(shown.size() == 100000);  // every line is shown, kept or not
  CHECK(shown.back() == "child: line 99999");
  // Old lines are not found; kept ones are, by their number since the start.
  CHECK_FALSE(c.wait_for("line 5", 0, 0ms));
  const auto found = c.wait_for("line 99990", 0, 0ms);
  REQUIRE(found);
  CHECK(found->index == 99990);
}

TEST_CASE("console lines: a line is kept to kMaxLineBytes", "[selftest][console_lines]") {
  ConsoleLines c = quiet(4);
  put(c, std::string(100000, 'x') + "\n");
  CHECK(c.line(0) == std::string(ConsoleLines::kMaxLineBytes, 'x'));
}

TEST_CASE("console lines: a waiter sees a line that is dropped before it wakes",
          "[selftest][console_lines]") {
  ConsoleLines c = quiet(4);
  put(c, "boot\n");
  put(c, "ready old\n");  // line 1: before `from`
  std::promise<void> waiting;
  auto found = std::async(std::launch::async, [&] {
    waiting.set_value();
    return c.wait_for("ready", 2, 10s);
  });
  waiting.get_future().wait();
  std::this_thread::sleep_for(50ms);  // the waiter is (almost surely) asleep in wait_for
  // One burst: the line it waits for, then far more than are kept.
  put(c, "noise\nready now\n");
  for (int i = 0; i < 1000; ++i) put(c, "noise " + std::to_string(i) + "\n");
  const auto f = found.get();
  REQUIRE(f);
  CHECK(f->index == 3);
  CHECK(c.line(3).empty());  // gone from the kept lines, but the waiter saw it
  CHECK(c.count() == 1004);
}

TEST_CASE("console lines: waits end at a match, the timeout or close()",
          "[selftest][console_lines]") {
  ConsoleLines c = quiet(8);
  put(c, "a\nb marker\n");
  const auto now = c.wait_for("marker", 0, 0ms);  // already there
  REQUIRE(now);
  CHECK(now->index == 1);
  CHECK_FALSE(c.wait_for("marker", 2, 20ms));  // only before `from`: the timeout
  auto closed = std::async(std::launch::async, [&] { return c.wait_for("never", 0, 10s); });
  std::this_thread::sleep_for(20ms);
  const auto start = std::chrono::steady_clock::now();
  c.close();
  CHECK_FALSE(closed.get());
  CHECK(std::chrono::steady_clock::now() - start < 5s);
}
