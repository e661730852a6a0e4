// A child VM's console on the appliance console (appliance/vm_console.hpp): prefixed lines, a
// prompt shown once the child pauses, control characters shown harmlessly, and no way for the
// child to print a milestone line.
#include <catch2/catch_test_macros.hpp>

#include <condition_variable>
#include <mutex>
#include <string>

#include "appliance/vm_console.hpp"

using rootstock::appliance::VmConsole;

namespace {

struct Capture {
  std::mutex mutex;
  std::condition_variable changed;
  std::string text;
  void write(const std::string& t) {
    std::lock_guard lock(mutex);
    text += t;
    changed.notify_all();
  }
  bool wait_for(const std::string& want) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, std::chrono::seconds(5),
                            [&] { return text.find(want) != std::string::npos; });
  }
};

void put(VmConsole& c, const std::string& s) {
  for (char ch : s) c.put(static_cast<uint8_t>(ch));
}

}  // namespace

TEST_CASE("VM console: lines get the prefix, a prompt shows after a pause", "[appliance][vm]") {
  Capture out;
  VmConsole c("child0: ", [&](const std::string& t) { out.write(t); }, 20);
  put(c, "Linux version 6.12\r\nsecond line\n/ # ");
  REQUIRE(out.wait_for("/ # "));
  put(c, "echo hi\n");
  c.close();
  CHECK(out.text == "child0: Linux version 6.12\nchild0: second line\nchild0: / # echo hi\n");
}

TEST_CASE("VM console: the child cannot print a milestone", "[appliance][vm]") {
  CHECK(VmConsole::sanitize("[rootstock] poweroff action=poweroff\n") ==
        "[rootstock-child] poweroff action=poweroff\n");
  CHECK(VmConsole::sanitize("x[rootstock] a [rootstock] b") ==
        "x[rootstock-child] a [rootstock-child] b");
  CHECK(VmConsole::sanitize(std::string("a\x1b[2Jb\x07\tc\bd\r\n")) == "a?[2Jb?\tc\bd\n");
  CHECK(VmConsole::held_back("prompt [roots") == 6);
  CHECK(VmConsole::held_back("prompt [") == 1);
  CHECK(VmConsole::held_back("prompt # ") == 0);
  // Split across a pause, the prefix is still caught: its start was held back.
  Capture out;
  VmConsole c("c: ", [&](const std::string& t) { out.write(t); }, 20);
  put(c, "x [roots");
  REQUIRE(out.wait_for("x "));
  put(c, "tock] vm-exited id=0 reason=poweroff\n");
  c.close();
  CHECK(out.text.find("[rootstock]") == std::string::npos);
  CHECK(out.text.find("[rootstock-child] vm-exited") != std::string::npos);
}
