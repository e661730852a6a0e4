// appliance/console_mux: two VMs' text on one console never share a line.
#include <catch2/catch_test_macros.hpp>

#include <string>

#include "appliance/console_mux.hpp"

using rootstock::appliance::ConsoleMux;

TEST_CASE("console mux: whole lines pass as they are", "[appliance]") {
  std::string out;
  ConsoleMux mux([&](const std::string& t) { out += t; });
  auto a = mux.writer("a: ");
  auto b = mux.writer("b: ");
  a("a: one\n");
  b("b: two\nb: three\n");
  a("a: four\n");
  CHECK(out == "a: one\nb: two\nb: three\na: four\n");
}

TEST_CASE("console mux: another VM's text ends an open prompt line", "[appliance]") {
  std::string out;
  ConsoleMux mux([&](const std::string& t) { out += t; });
  auto a = mux.writer("a: ");
  auto b = mux.writer("b: ");
  a("a: / # ");
  b("b: booted\n");
  a("ls\n");  // the user's typing, echoed: a's broken line again, whole
  a("a: / # ");
  a("pwd\n");  // the same VM goes on with its own line: nothing repeated
  CHECK(out == "a: / # \nb: booted\na: / # ls\na: / # pwd\n");
}

TEST_CASE("console mux: a broken line's own end is not written twice", "[appliance]") {
  std::string out;
  ConsoleMux mux([&](const std::string& t) { out += t; });
  auto a = mux.writer("a: ");
  auto b = mux.writer("b: ");
  a("a: partial");
  b("b: x");
  a("\n");  // a's VmConsole ends its line at the VM's end
  b("y\n");
  a("");
  CHECK(out == "a: partial\nb: x\nb: xy\n");  // b's line, whole
}

TEST_CASE("console mux: a line broken in the middle stands whole once it ends", "[appliance]") {
  std::string out;
  ConsoleMux mux([&](const std::string& t) { out += t; });
  auto a = mux.writer("a: ");
  auto b = mux.writer("b: ");
  a("a: first\na: peer reached=y");  // the VM paused mid-line: its VmConsole wrote the part
  b("b: peer r");
  a("es\n");
  b("eached=yes\n");
  CHECK(out ==
        "a: first\na: peer reached=y\nb: peer r\na: peer reached=yes\nb: peer reached=yes\n");
  // A line too long to keep goes on after the prefix alone.
  out.clear();
  a(std::string("a: ") + std::string(5000, 'x'));
  b("b: z\n");
  a("end\n");
  CHECK(out.ends_with("\nb: z\na: end\n"));
}
