// appliance/console_input: one VM at a time gets what is typed; the switch key (Ctrl-]) passes
// input on, and a VM that ends passes it on too. (No bracket in a test's name: CMake's list
// handling in catch_discover_tests would join every name after it into one test.)
#include <catch2/catch_test_macros.hpp>

#include "appliance/console_input.hpp"

using rootstock::appliance::ConsoleInput;
using Action = ConsoleInput::Action;
using Kind = ConsoleInput::Action::Kind;

namespace {

Action send(const char* id, const char* bytes) {
  return Action{Kind::kSend, id, bytes};
}
Action passed(const char* id) {
  return Action{Kind::kPassed, id, {}};
}

}  // namespace

TEST_CASE("console input: the first VM gets input, the switch key passes it round", "[appliance]") {
  ConsoleInput in;
  CHECK_FALSE(in.target());
  CHECK(in.feed("lost") == std::vector<Action>{});  // no VM: dropped
  CHECK(in.add("a") == std::vector<Action>{passed("a")});
  CHECK(in.add("b").empty());
  CHECK(in.add("a").empty());  // already there
  CHECK(in.feed("ls\n") == std::vector<Action>{send("a", "ls\n")});
  CHECK(in.feed("x\x1dy") == std::vector<Action>{send("a", "x"), passed("b"), send("b", "y")});
  CHECK(in.feed("\x1d\x1d") == std::vector<Action>{passed("a"), passed("b")});
  CHECK(*in.target() == "b");
}

TEST_CASE("console input: a VM that ends passes input on; others keep it", "[appliance]") {
  ConsoleInput in;
  (void)in.add("a");
  (void)in.add("b");
  (void)in.add("c");
  (void)in.feed("\x1d");  // b
  CHECK(in.remove("a").empty());
  CHECK(*in.target() == "b");
  CHECK(in.remove("b") == std::vector<Action>{passed("c")});
  CHECK(in.remove("zzz").empty());
  CHECK(in.remove("c") == std::vector<Action>{passed("")});
  CHECK_FALSE(in.target());
  CHECK(in.feed("\x1dq").empty());
  CHECK(in.add("d") == std::vector<Action>{passed("d")});
}

TEST_CASE("console input: the last VM leaving with input wraps to the first", "[appliance]") {
  ConsoleInput in;
  (void)in.add("a");
  (void)in.add("b");
  (void)in.feed("\x1d");
  CHECK(in.remove("b") == std::vector<Action>{passed("a")});
}
