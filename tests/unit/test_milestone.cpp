// The milestone line format (docs/milestones.md): the writer's output always parses back, the
// reader rejects malformed lines, and matching is by name plus a subset of fields.
#include <rootstock/milestone.hpp>

#include <catch2/catch_test_macros.hpp>
#include <string>

using namespace rootstock;
using namespace rootstock::milestone;

namespace {
std::string str(Text t) {
  return {t.data, t.size};
}
}  // namespace

TEST_CASE("milestone writer formats name and fields", "[milestone]") {
  Writer w("hv-ready");
  w.field("version", "0.1.0").field("cpus", uint64_t{4}).field_hex("base", 0x1f000);
  CHECK(std::string(w.c_str()) == "[rootstock] hv-ready version=0.1.0 cpus=4 base=0x1f000");
  CHECK_FALSE(w.truncated());
  CHECK(std::string(Writer("x").field("zero", uint64_t{0}).c_str()) == "[rootstock] x zero=0");
  CHECK(std::string(Writer("x").field("max", UINT64_MAX).c_str()) ==
        "[rootstock] x max=18446744073709551615");
}

TEST_CASE("milestone writer keeps lines parseable whatever the values hold", "[milestone]") {
  Writer w("vm-exited");
  w.field("id", "my vm=1\n").field("Bad Key", "x");
  CHECK(std::string(w.c_str()) == "[rootstock] vm-exited id=my_vm_1_ _ad__ey=x");
  Parsed p;
  REQUIRE(parse(w.text(), p));
  CHECK(p.field_count == 2);
}

TEST_CASE("milestone writer drops whole fields that do not fit", "[milestone]") {
  Writer w("long");
  const std::string big(100, 'v');
  w.field("a", big.c_str()).field("b", big.c_str()).field("c", big.c_str()).field("d", "1");
  CHECK(w.truncated());
  CHECK(w.text().size <= kMaxLine);
  Parsed p;
  REQUIRE(parse(w.text(), p));
  CHECK(p.field_count == 2);
  CHECK(p.find("d") == nullptr);  // nothing is appended after the first field that did not fit
}

TEST_CASE("milestone reader finds the prefix anywhere and strips line endings", "[milestone]") {
  Parsed p;
  REQUIRE(parse("garbage[rootstock] root-init cpus=2 mem_mib=480\r\n", p));
  CHECK(str(p.name) == "root-init");
  REQUIRE(p.field_count == 2);
  CHECK(str(p.fields[1].key) == "mem_mib");
  CHECK(str(p.fields[1].value) == "480");
  REQUIRE(parse("[rootstock] poweroff", p));
  CHECK(p.field_count == 0);
}

TEST_CASE("milestone reader rejects malformed lines", "[milestone]") {
  Parsed p;
  CHECK_FALSE(parse("", p));
  CHECK_FALSE(parse("hv-ready cpus=4", p));
  CHECK_FALSE(parse("[rootstock] ", p));
  CHECK_FALSE(parse("[rootstock] Hv-ready", p));
  CHECK_FALSE(parse("[rootstock] x cpus", p));
  CHECK_FALSE(parse("[rootstock] x =4", p));
  CHECK_FALSE(parse("[rootstock] x a=1  b=2", p));
  CHECK_FALSE(parse("[rootstock] x a=1=2", p));
}

TEST_CASE("milestone reader keeps at most kMaxFields fields", "[milestone]") {
  std::string line = "[rootstock] many";
  for (int i = 0; i < 20; ++i) line += " k" + std::to_string(i) + "=" + std::to_string(i);
  Parsed p;
  REQUIRE(parse(Text{line.data(), line.size()}, p));
  CHECK(p.field_count == kMaxFields);
}

TEST_CASE("milestone matching is by name and a subset of fields", "[milestone]") {
  Parsed line, want;
  REQUIRE(parse("[rootstock] hv-ready version=0.1 cpus=4 arch=svm", line));
  REQUIRE(parse("[rootstock] hv-ready cpus=4", want));
  CHECK(matches(line, want));
  REQUIRE(parse("[rootstock] hv-ready cpus=2", want));
  CHECK_FALSE(matches(line, want));
  REQUIRE(parse("[rootstock] hv-ready numa=1", want));
  CHECK_FALSE(matches(line, want));
  REQUIRE(parse("[rootstock] root-init", want));
  CHECK_FALSE(matches(line, want));
}
