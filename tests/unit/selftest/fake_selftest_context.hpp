// A SelftestContext without PID 1: lines and milestones recorded, options set by the test, and
// PID 1's duties answered with fixed values, so the registry and the reporting run on the host.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "selftest/selftest_context.hpp"

namespace rootstock::testing {

class FakeSelftestContext final : public selftest::SelftestContext {
 public:
  std::vector<std::string> said;       ///< each say(), as given
  std::vector<std::string> announced;  ///< each milestone line
  selftest::SelftestOptions selftest_options;
  std::map<pid_t, std::function<void(int)>> exit_callbacks;

  void say(const std::string& line) override {
    std::lock_guard lock(mutex_);
    said.push_back(line);
  }
  void announce(const milestone::Writer& line) override {
    std::lock_guard lock(mutex_);
    announced.emplace_back(line.c_str());
  }
  const selftest::SelftestOptions& options() const override { return selftest_options; }
  void on_exit(pid_t pid, std::function<void(int)> callback) override {
    exit_callbacks[pid] = std::move(callback);
  }
  bool run_until(const std::function<bool()>& done,
                 std::chrono::steady_clock::time_point) override {
    return done();
  }
  std::expected<void, std::string> load_module(const std::string& path,
                                               const std::string&) override {
    return std::unexpected(path + ": no modules here");
  }
  selftest::StopOutcome stop_processes(std::chrono::milliseconds) override {
    return {{}, false, true};
  }
  std::expected<selftest::DefaultChildImages, std::string> default_child_images() override {
    return std::unexpected(std::string("no child images here"));
  }

 private:
  std::mutex mutex_;
};

}  // namespace rootstock::testing
