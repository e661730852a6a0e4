// A DoorbellSink for the transports' unit tests: the doorbells registered now, how many adds
// and removes came, and a switch that refuses every add.
#pragma once

#include <algorithm>
#include <catch2/catch_test_macros.hpp>
#include <vector>

#include "vmm/doorbell_sink.hpp"

namespace rootstock::test {

struct RecordingDoorbells final : vmm::DoorbellSink {
  std::vector<vmm::DoorbellSpec> live;
  int adds = 0;
  int removes = 0;
  bool refuse = false;
  vmm::Result<void> add(const vmm::DoorbellSpec& d) override {
    ++adds;
    if (refuse) return vmm::fail("refused");
    REQUIRE(std::find(live.begin(), live.end(), d) == live.end());
    live.push_back(d);
    return {};
  }
  vmm::Result<void> remove(const vmm::DoorbellSpec& d) override {
    ++removes;
    auto at = std::find(live.begin(), live.end(), d);
    REQUIRE(at != live.end());
    live.erase(at);
    return {};
  }
};

}  // namespace rootstock::test
