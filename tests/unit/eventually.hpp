// Waiting for a condition another thread makes true (a device's own thread, a socket's peer),
// with a bound: the tests poll the condition, never sleep in its place.
#pragma once

#include <chrono>
#include <thread>

namespace rootstock::test {

/// Polls `done()` every millisecond until it holds (true) or `timeout` has passed (false).
template <typename Done>
bool eventually(Done done, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace rootstock::test
