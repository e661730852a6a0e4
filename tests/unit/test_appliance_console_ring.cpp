// appliance/console_ring: a VM's console output kept in a bounded ring with offsets that only
// grow, so a reader resumes where it left off and learns how much the ring dropped meanwhile.
#include <catch2/catch_test_macros.hpp>

#include <chrono>
#include <future>
#include <thread>

#include "appliance/console_ring.hpp"

using namespace rootstock::appliance;
using namespace std::chrono_literals;

TEST_CASE("console ring: reads since an offset", "[appliance]") {
  ConsoleRing ring(16);
  CHECK(ring.end() == 0);
  auto r = ring.read_since(0);
  CHECK(r.bytes.empty());
  CHECK(r.next == 0);
  ring.write("hello ");
  ring.write("world");
  r = ring.read_since(0);
  CHECK(r.bytes == "hello world");
  CHECK(r.from == 0);
  CHECK(r.missed == 0);
  CHECK(r.next == 11);
  r = ring.read_since(6);
  CHECK(r.bytes == "world");
  r = ring.read_since(r.next);
  CHECK(r.bytes.empty());
  CHECK(r.next == 11);
  r = ring.read_since(2, 3);  // at most 3 bytes
  CHECK(r.bytes == "llo");
  CHECK(r.next == 5);
  r = ring.read_since(100);  // past the end: nothing, and the end to go on from
  CHECK(r.bytes.empty());
  CHECK(r.from == 11);
  CHECK(r.next == 11);
}

TEST_CASE("console ring: wraps around and counts what a reader missed", "[appliance]") {
  ConsoleRing ring(8);
  ring.write("0123456789");  // 10 bytes in 8: "01" dropped
  CHECK(ring.begin() == 2);
  CHECK(ring.end() == 10);
  auto r = ring.read_since(0);
  CHECK(r.bytes == "23456789");
  CHECK(r.from == 2);
  CHECK(r.missed == 2);
  CHECK(r.next == 10);
  ring.write("abc");  // across the end of the buffer
  r = ring.read_since(r.next);
  CHECK(r.bytes == "abc");
  CHECK(r.missed == 0);
  r = ring.read_since(0);
  CHECK(r.bytes == "56789abc");
  CHECK(r.missed == 5);
  // A write longer than the ring keeps its last bytes, and the offsets count all of it.
  ring.write("ABCDEFGHIJKLMNOPQRSTUVWXYZ");
  CHECK(ring.end() == 39);
  r = ring.read_since(13);
  CHECK(r.bytes == "STUVWXYZ");
  CHECK(r.missed == 18);
}

TEST_CASE("console ring: every offset reads the same bytes across many wraps", "[appliance]") {
  ConsoleRing ring(7);
  std::string all;
  for (int i = 0; i < 200; ++i) {
    std::string chunk(static_cast<size_t>(i % 11), static_cast<char>('a' + i % 26));
    ring.write(chunk);
    all += chunk;
    uint64_t begin = ring.begin();
    for (uint64_t o = begin; o <= ring.end(); ++o) {
      auto r = ring.read_since(o);
      REQUIRE(r.bytes == all.substr(static_cast<size_t>(o)));
    }
  }
  CHECK(ring.end() == all.size());
}

TEST_CASE("console ring: waits for new output, a timeout or the close", "[appliance]") {
  ConsoleRing ring(64);
  ring.write("old");
  // Something is there already: no wait.
  auto t0 = std::chrono::steady_clock::now();
  CHECK(ring.wait_since(0, 5s).bytes == "old");
  CHECK(std::chrono::steady_clock::now() - t0 < 1s);
  // Nothing new: the timeout.
  t0 = std::chrono::steady_clock::now();
  auto r = ring.wait_since(3, 50ms);
  CHECK(std::chrono::steady_clock::now() - t0 >= 50ms);
  CHECK(r.bytes.empty());
  CHECK(r.next == 3);
  // New output wakes the waiter.
  auto waiter = std::async(std::launch::async, [&] { return ring.wait_since(3, 10s); });
  std::this_thread::sleep_for(20ms);
  ring.write("new");
  REQUIRE(waiter.wait_for(5s) == std::future_status::ready);
  CHECK(waiter.get().bytes == "new");
  // The close wakes it too, and later waits do not wait.
  auto closed = std::async(std::launch::async, [&] { return ring.wait_since(6, 10s); });
  std::this_thread::sleep_for(20ms);
  ring.close();
  REQUIRE(closed.wait_for(5s) == std::future_status::ready);
  CHECK(closed.get().bytes.empty());
  CHECK(ring.closed());
  t0 = std::chrono::steady_clock::now();
  (void)ring.wait_since(6, 10s);
  CHECK(std::chrono::steady_clock::now() - t0 < 1s);
}

TEST_CASE("console ring: one writer and readers on other threads", "[appliance]") {
  ConsoleRing ring(128);
  constexpr int kBytes = 20000;
  std::atomic<bool> done{false};
  auto reader = [&] {
    // Follows the stream: what it gets, plus what it missed, is every byte, in order.
    uint64_t next = 0, got = 0, missed = 0;
    while (next < kBytes) {
      auto r = ring.wait_since(next, 10ms);
      for (size_t i = 0; i < r.bytes.size(); ++i) {
        if (r.bytes[i] != static_cast<char>('a' + (r.from + i) % 26)) return false;
      }
      got += r.bytes.size();
      missed += r.missed;
      next = r.next;
      if (done && next == ring.end()) break;
    }
    return got + missed == kBytes;
  };
  auto r1 = std::async(std::launch::async, reader);
  auto r2 = std::async(std::launch::async, reader);
  for (int i = 0; i < kBytes; ++i) {
    char c = static_cast<char>('a' + i % 26);
    ring.write(std::string_view(&c, 1));
  }
  done = true;
  CHECK(r1.get());
  CHECK(r2.get());
}
