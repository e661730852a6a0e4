// The initramfs writer: byte-exact newc headers, padding, name order, parents, determinism and
// the refusals (duplicates, bad paths, missing parents, malformed list lines).
#include <catch2/catch_test_macros.hpp>
#include <string>

#include "cpio_writer.hpp"

using rootstock::image::CpioWriter;
using rootstock::image::read_list;

namespace {

// Field i (0 = ino) of the newc header at `at`.
unsigned long field(const std::string& a, size_t at, int i) {
  return std::stoul(a.substr(at + 6 + 8 * static_cast<size_t>(i), 8), nullptr, 16);
}

}  // namespace

TEST_CASE("cpio: one file gives the exact newc layout", "[cpio]") {
  CpioWriter w;
  REQUIRE(w.add_file("init", 0755, "abcde"));
  const auto a = w.write();
  REQUIRE(a);
  CHECK(a->substr(0, 6) == "070701");
  CHECK(field(*a, 0, 0) == 1);        // ino
  CHECK(field(*a, 0, 1) == 0100755);  // regular file, rwxr-xr-x
  CHECK(field(*a, 0, 2) == 0);        // uid
  CHECK(field(*a, 0, 5) == 0);        // mtime
  CHECK(field(*a, 0, 6) == 5);        // size
  CHECK(field(*a, 0, 11) == 5);       // "init" + NUL
  // 110-byte header + "init\0" = 115, padded to 116; then 5 bytes of data padded to 8.
  CHECK(a->substr(110, 5) == std::string("init\0", 5));
  CHECK(a->substr(116, 5) == "abcde");
  CHECK(a->substr(121, 3) == std::string(3, '\0'));
  CHECK(a->substr(124, 6) == "070701");
  CHECK(a->find("TRAILER!!!") == 124 + 110);
  CHECK(a->size() % 4 == 0);
}

TEST_CASE("cpio: entries come out sorted with parents first, the same every time", "[cpio]") {
  CpioWriter w;
  REQUIRE(w.add_char_device("/dev/console", 0600, 5, 1));
  REQUIRE(w.add_directory("dev", 0755));
  REQUIRE(w.add_symlink("bin/sh", "/init"));
  REQUIRE(w.add_directory("bin", 0755));
  const auto a = w.write();
  REQUIRE(a);
  CHECK(a->find("bin") < a->find("bin/sh"));
  CHECK(a->find("bin/sh") < a->find("dev"));
  CHECK(a->find("dev") < a->find("dev/console"));
  const size_t console = a->find("dev/console") - 110;
  CHECK(field(*a, console, 1) == 020600);  // character device
  CHECK(field(*a, console, 9) == 5);       // rdevmajor
  CHECK(field(*a, console, 10) == 1);      // rdevminor
  CHECK(w.write() == a);
}

TEST_CASE("cpio: refuses duplicates, bad paths and missing parents", "[cpio]") {
  CpioWriter w;
  REQUIRE(w.add_directory("etc", 0755));
  CHECK_FALSE(w.add_directory("/etc", 0755));
  CHECK_FALSE(w.add_file("", 0644, ""));
  CHECK_FALSE(w.add_file("a/../b", 0644, ""));
  CHECK_FALSE(w.add_file("a//b", 0644, ""));
  CHECK_FALSE(w.add_file("etc/", 0644, ""));
  CHECK_FALSE(w.add_symlink("x", ""));
  REQUIRE(w.add_file("run/x", 0644, "1"));
  const auto a = w.write();
  REQUIRE_FALSE(a);
  CHECK(a.error().find("run/x") != std::string::npos);
}

TEST_CASE("cpio: reads gen_init_cpio-style lists and names the bad line", "[cpio]") {
  auto ok = read_list(
      "# comment\n\ndir /dev 0755 0 0\nnod /dev/console 0600 0 0 c 5 1\n"
      "slink /sh /init 0777 0 0\n");
  REQUIRE(ok);
  CHECK(ok->write());
  auto bad_mode = read_list("dir /dev 0799 0 0\n");
  REQUIRE_FALSE(bad_mode);
  CHECK(bad_mode.error().find("line 1") != std::string::npos);
  auto missing = read_list("dir /d 0755\nfile /init /nonexistent/file 0755\n");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().find("line 2: cannot read") != std::string::npos);
  CHECK_FALSE(read_list("pipe /p 0644 0 0\n"));
  CHECK_FALSE(read_list("nod /dev/sda 0600 0 0 b 8 0\n"));
}
