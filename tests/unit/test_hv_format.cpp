// hv's log formatter: what the supported conversions print, cutting at the buffer's end, and
// unknown conversions not consuming arguments.
#include <catch2/catch_test_macros.hpp>
#include <cstdint>
#include <string>

#include "lib/format.hpp"

// The wrapper passes formats at run time on purpose: the unknown-conversion cases below are
// exactly what the compiler's format checking would reject at compile time.
#pragma clang diagnostic ignored "-Wformat-security"
#pragma clang diagnostic ignored "-Wformat-nonliteral"

namespace {
template <typename... Args>
std::string fmt(const char* f, Args... args) {
  char buf[128];
  hv::format(buf, sizeof(buf), f, args...);
  return buf;
}
}  // namespace

TEST_CASE("hv format prints integers, strings and pointers", "[hv][format]") {
  CHECK(fmt("%d %i %u", -42, 7, 42u) == "-42 7 42");
  CHECK(fmt("%x %X %08x", 0xbeefu, 0xbeefu, 0x1fu) == "beef BEEF 0000001f");
  CHECK(fmt("%lu %lx", uint64_t{1} << 40, uint64_t{0xffffffffffffffff}) ==
        "1099511627776 ffffffffffffffff");
  CHECK(fmt("%ld", INT64_MIN) == "-9223372036854775808");
  CHECK(fmt("%zu", sizeof(uint64_t)) == "8");
  CHECK(fmt("[%5d]", -3) == "[   -3]");
  CHECK(fmt("%s|%6s|%c", "ab", "cd", 'z') == "ab|    cd|z");
  CHECK(fmt("%s", static_cast<const char*>(nullptr)) == "(null)");
  CHECK(fmt("%p", reinterpret_cast<void*>(0x1000)) == "0x0000000000001000");
  CHECK(fmt("100%%") == "100%");
}

TEST_CASE("hv format cuts at the buffer end and always terminates", "[hv][format]") {
  char buf[6];
  CHECK(hv::format(buf, sizeof(buf), "%s", "abcdefgh") == 5);
  CHECK(std::string(buf) == "abcde");
  char one[1] = {'x'};
  CHECK(hv::format(one, sizeof(one), "abc") == 0);
  CHECK(one[0] == '\0');
  CHECK(hv::format(nullptr, 0, "abc") == 0);
}

TEST_CASE("hv format copies unknown conversions without reading arguments", "[hv][format]") {
  CHECK(fmt("%q %d", 5) == "%q 5");
  CHECK(fmt("end %") == "end %");
}

TEST_CASE("hv format pads signed numbers like printf", "[hv][format]") {
  CHECK(fmt("[%5d]", -3) == "[   -3]");
  CHECK(fmt("[%05d]", -3) == "[-0003]");
  CHECK(fmt("[%2d]", -300) == "[-300]");
}
