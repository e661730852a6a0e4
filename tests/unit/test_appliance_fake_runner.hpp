// A VmRunner for the VM manager's unit tests: "VMs" that run nothing, end when the test (the
// "guest") says so, power off a little after the power button unless told to ignore it, and
// count what the manager asked of them.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "appliance/vm_manager.hpp"
#include "appliance/vm_runner.hpp"

namespace rootstock::appliance::testing {

/// How a fake VM behaves; set per VM id before it starts.
struct FakeBehaviour {
  bool ignore_power_button = false;
  bool fail_start = false;
  bool pause_fails = false;
  bool exit_during_start = false;  ///< on_exit(triple-fault) before start() returns
  std::chrono::milliseconds start_delay{0};
  bool replace_drive_fails = false;  ///< replace_drive() refuses ("cannot open …")
};

/// One run of a fake VM.
class FakeVm {
 public:
  FakeVm(VmLaunch launch, FakeBehaviour behaviour)
      : launch_(std::move(launch)), behaviour_(behaviour) {}
  ~FakeVm() { join(); }

  /// The guest ends the run (once; later calls do nothing).
  void end(ExitReason reason, std::string detail = {}) {
    if (ended_.exchange(true)) return;
    launch_.on_exit(VmExit{reason, std::move(detail), {}});
  }
  [[nodiscard]] bool ended() const { return ended_; }
  void join() {
    std::lock_guard lock(mutex_);
    if (guest_.joinable()) guest_.join();
  }

  bool pause() {
    ++pauses;
    paused = !behaviour_.pause_fails;
    return paused;
  }
  void resume() {
    ++resumes;
    paused = false;
  }
  void power_button() {
    ++power_buttons;
    if (behaviour_.ignore_power_button) return;
    // The guest shuts down on its own thread a moment later, as a real one does.
    std::lock_guard lock(mutex_);
    if (!guest_.joinable()) {
      guest_ = std::thread([this] {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        end(ExitReason::kPowerOff);
      });
    }
  }
  void stop() {
    ++stops;
    end(ExitReason::kStopped);  // inside stop(), which VmLaunch allows
  }
  void type(std::string_view bytes) {
    std::lock_guard lock(mutex_);
    typed_ += bytes;
  }
  void resize(uint16_t cols, uint16_t rows) {
    std::lock_guard lock(mutex_);
    size_ = {cols, rows};
  }
  /// The last console size given, (0, 0) before any.
  std::pair<uint16_t, uint16_t> console_size() {
    std::lock_guard lock(mutex_);
    return size_;
  }
  std::string typed() {
    std::lock_guard lock(mutex_);
    return typed_;
  }

  /// What figures() answers; the test sets it as the "guest" works.
  void set_figures(VmFigures f) {
    std::lock_guard lock(mutex_);
    figures_ = std::move(f);
  }
  VmFigures figures() {
    std::lock_guard lock(mutex_);
    return figures_;
  }
  std::expected<void, std::string> replace_drive(const std::string& drive_id,
                                                 const std::string& path) {
    if (behaviour_.replace_drive_fails) return std::unexpected("cannot open " + path);
    std::lock_guard lock(mutex_);
    replaced_.emplace_back(drive_id, path);
    return {};
  }
  /// Every replace_drive() that succeeded: (drive id, path).
  std::vector<std::pair<std::string, std::string>> replaced() {
    std::lock_guard lock(mutex_);
    return replaced_;
  }
  const std::string& id() const { return launch_.id; }
  const VmSpec& spec() const { return *launch_.spec; }
  std::atomic<int> pauses{0}, resumes{0}, power_buttons{0}, stops{0};
  std::atomic<bool> paused{false};

 private:
  VmLaunch launch_;
  FakeBehaviour behaviour_;
  std::atomic<bool> ended_{false};
  std::mutex mutex_;  // guest_, typed_, figures_, replaced_
  std::thread guest_;
  std::string typed_;
  std::pair<uint16_t, uint16_t> size_{0, 0};
  VmFigures figures_;
  std::vector<std::pair<std::string, std::string>> replaced_;
};

/// The handle the manager holds: destroying it joins the "guest" thread, as the real one joins
/// its vCPU threads.
class FakeHandle : public RunningVm {
 public:
  explicit FakeHandle(std::shared_ptr<FakeVm> vm) : vm_(std::move(vm)) {}
  ~FakeHandle() override {
    vm_->join();
    vm_->end(ExitReason::kStopped);
  }
  bool pause() override { return vm_->pause(); }
  void resume() override { vm_->resume(); }
  void power_button() override { vm_->power_button(); }
  void stop() override { vm_->stop(); }
  void send_input(std::string_view bytes) override { vm_->type(bytes); }
  void resize_console(uint16_t cols, uint16_t rows) override { vm_->resize(cols, rows); }
  VmFigures figures() override { return vm_->figures(); }
  std::expected<void, std::string> replace_drive(const std::string& drive_id,
                                                 const std::string& path) override {
    return vm_->replace_drive(drive_id, path);
  }

 private:
  std::shared_ptr<FakeVm> vm_;
};

class FakeRunner : public VmRunner {
 public:
  void behave(const std::string& id, FakeBehaviour b) {
    std::lock_guard lock(mutex_);
    behaviours_[id] = b;
  }

  std::expected<std::unique_ptr<RunningVm>, std::string> start(VmLaunch launch) override {
    FakeBehaviour b;
    {
      std::lock_guard lock(mutex_);
      if (auto it = behaviours_.find(launch.id); it != behaviours_.end()) b = it->second;
    }
    if (b.start_delay.count() > 0) std::this_thread::sleep_for(b.start_delay);
    if (b.fail_start)
      return std::unexpected(std::string("no kernel at ") +
                             launch.spec->boot_source.kernel_image_path);
    std::string id = launch.id;
    auto vm = std::make_shared<FakeVm>(std::move(launch), b);
    {
      std::lock_guard lock(mutex_);
      runs_.push_back(vm);
    }
    if (b.exit_during_start) vm->end(ExitReason::kTripleFault, "vcpu 0");
    return std::make_unique<FakeHandle>(vm);
  }

  /// The newest run of VM `id`, or null.
  std::shared_ptr<FakeVm> last(const std::string& id) {
    std::lock_guard lock(mutex_);
    for (auto it = runs_.rbegin(); it != runs_.rend(); ++it) {
      if ((*it)->id() == id) return *it;
    }
    return nullptr;
  }
  /// Runs started, and how many of them have not ended.
  size_t runs() {
    std::lock_guard lock(mutex_);
    return runs_.size();
  }
  size_t unended() {
    std::lock_guard lock(mutex_);
    size_t n = 0;
    for (const auto& r : runs_) n += r->ended() ? 0 : 1;
    return n;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, FakeBehaviour> behaviours_;
  std::vector<std::shared_ptr<FakeVm>> runs_;
};

/// A manager's options with the given grace and nothing else.
inline VmManager::Options with_grace(std::chrono::milliseconds grace) {
  VmManager::Options o;
  o.stop_grace = grace;
  return o;
}

}  // namespace rootstock::appliance::testing
