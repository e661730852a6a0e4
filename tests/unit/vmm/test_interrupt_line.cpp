// Interrupt lines: an edge line sends one edge per rising level and nothing when it falls; a
// level line sends every change; setting the level a line has sends nothing; a sink's refusal
// is counted and changes nothing else; changes from several threads reach the sink in order.
#include <catch2/catch_test_macros.hpp>

#include <mutex>
#include <thread>
#include <vector>

#include "vmm/interrupt_line.hpp"

using namespace rootstock::vmm;

namespace {

struct Sent {
  bool edge;
  uint32_t gsi;
  bool asserted;
  bool operator==(const Sent&) const = default;
};

struct RecordingSink final : InterruptSink {
  std::mutex mutex;
  std::vector<Sent> sent;
  bool refuse = false;
  Result<void> edge(uint32_t gsi) override {
    std::lock_guard lock(mutex);
    sent.push_back({true, gsi, true});
    if (refuse) return fail("refused");
    return {};
  }
  Result<void> level(uint32_t gsi, bool asserted) override {
    std::lock_guard lock(mutex);
    sent.push_back({false, gsi, asserted});
    if (refuse) return fail("refused");
    return {};
  }
};

constexpr Sent kEdge4{true, 4, true};
constexpr Sent kAssert9{false, 9, true};
constexpr Sent kDeassert9{false, 9, false};

}  // namespace

TEST_CASE("interrupt line: an edge line sends an edge when it rises, nothing else",
          "[vmm][interrupt]") {
  RecordingSink sink;
  InterruptLine line(4, Trigger::kEdge, sink);
  CHECK(line.gsi() == 4);
  CHECK(line.trigger() == Trigger::kEdge);
  CHECK_FALSE(line.level());
  line.lower();  // low already
  CHECK(sink.sent.empty());
  line.raise();
  CHECK(sink.sent == std::vector<Sent>{kEdge4});
  line.raise();  // high already: no second edge
  line.set(true);
  CHECK(sink.sent.size() == 1);
  line.lower();  // a falling level is no edge
  CHECK(sink.sent.size() == 1);
  CHECK_FALSE(line.level());
  line.set(true);  // low then high again: the next edge (the 16550's THR write)
  CHECK(sink.sent == std::vector<Sent>{kEdge4, kEdge4});
  CHECK(line.level());
  CHECK(line.failed() == 0);
}

TEST_CASE("interrupt line: a level line sends each change of level", "[vmm][interrupt]") {
  RecordingSink sink;
  InterruptLine line(9, Trigger::kLevel, sink);
  line.lower();
  CHECK(sink.sent.empty());
  line.raise();
  line.raise();
  CHECK(sink.sent == std::vector<Sent>{kAssert9});
  line.lower();
  line.lower();
  CHECK(sink.sent == std::vector<Sent>{kAssert9, kDeassert9});
  line.set(true);
  CHECK(sink.sent == std::vector<Sent>{kAssert9, kDeassert9, kAssert9});
  CHECK(line.level());
}

TEST_CASE("interrupt line: a refused send is counted; the line keeps the device's level",
          "[vmm][interrupt]") {
  RecordingSink sink;
  InterruptLine line(9, Trigger::kLevel, sink);
  sink.refuse = true;
  line.raise();
  CHECK(line.failed() == 1);
  CHECK(line.level());
  sink.refuse = false;
  line.lower();  // the next change goes out as usual
  CHECK(sink.sent == std::vector<Sent>{kAssert9, kDeassert9});
  CHECK(line.failed() == 1);
}

TEST_CASE("interrupt line: changes from several threads reach the sink in order",
          "[vmm][interrupt]") {
  RecordingSink sink;
  InterruptLine line(9, Trigger::kLevel, sink);
  constexpr int kToggles = 2000;
  auto toggle = [&line] {
    for (int i = 0; i < kToggles; ++i) line.set(i % 2 == 0);
  };
  std::thread a(toggle), b(toggle);
  a.join();
  b.join();
  // Whatever the interleaving, the sink never sees the same level twice in a row: each send
  // happened under the line's lock with the level it changed to.
  REQUIRE_FALSE(sink.sent.empty());
  CHECK(sink.sent.front().asserted);
  for (size_t i = 1; i < sink.sent.size(); ++i) {
    REQUIRE(sink.sent[i].asserted != sink.sent[i - 1].asserted);
  }
  CHECK(sink.sent.back().asserted == line.level());
}
