// PID 1 as the self-tests see it (selftest/selftest_context.hpp): its console, its options for
// them, its reaping and event loop, module loading, the process-stopping step of shutdown and
// the default child's images, all forwarded to the running PidOne and init/'s own functions.
#pragma once

#include "pid_one.hpp"
#include "selftest/selftest_context.hpp"

namespace rootstock::init {

/// The SelftestContext PID 1 hands the self-tests it runs. Lives as long as the run.
class PidOneSelftests final : public selftest::SelftestContext {
 public:
  explicit PidOneSelftests(PidOne& init);

  void say(const std::string& line) override;
  void announce(const milestone::Writer& line) override;
  const selftest::SelftestOptions& options() const override { return options_; }
  void on_exit(pid_t pid, std::function<void(int status)> callback) override;
  bool run_until(const std::function<bool()>& done,
                 std::chrono::steady_clock::time_point deadline) override;
  std::expected<void, std::string> load_module(const std::string& path,
                                               const std::string& params) override;
  selftest::StopOutcome stop_processes(std::chrono::milliseconds grace) override;
  std::expected<selftest::DefaultChildImages, std::string> default_child_images() override;

 private:
  PidOne& init_;
  selftest::SelftestOptions options_;
};

}  // namespace rootstock::init
