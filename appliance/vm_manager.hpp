// The VMs of the appliance by id: each with its spec, state and console ring, started and
// driven through a VmRunner. Every operation may be called from any number of threads at once.
//
// States: created → starting → running ⇄ (pausing) paused (resuming); running or paused →
// stopping → stopped → starting again. `starting`, `pausing`, `resuming`, `stopping` and
// `restarting` last while the runner works (outside the manager's lock); every operation meets
// them with a refusal naming the state, never by waiting, so no caller is held up by another's
// 30-second stop. A VM ending on its own (power-off, reset, triple fault, failure) becomes
// stopped, or restarting when it reset and its spec says on-reset=restart.
#pragma once

#include <stdint.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "appliance/console_ring.hpp"
#include "appliance/vm_runner.hpp"
#include "appliance/vm_spec.hpp"

namespace rootstock::appliance {

enum class VmState : uint8_t {
  kCreated,
  kStarting,
  kRunning,
  kPausing,
  kPaused,
  kResuming,
  kStopping,
  kStopped,
  kRestarting,
};

/// "created", "starting", "running", …
[[nodiscard]] const char* describe(VmState state);

/// Why an operation was refused.
enum class VmErrc : uint8_t {
  kBadId,         ///< not 1 to 64 of [A-Za-z0-9_-]
  kIdTaken,       ///< create() with an id in use
  kNotFound,      ///< no VM has the id
  kWrongState,    ///< the VM's state does not allow it (`state` says which)
  kStartFailed,   ///< the runner could not start it
  kPauseFailed,   ///< the runner could not park every vCPU (the VM runs on)
  kShuttingDown,  ///< stop_all() has begun: nothing starts any more
  kBadSpec,       ///< update_spec()'s edit refused the change
};

struct VmError {
  VmErrc code;
  std::string message;
  std::optional<VmState> state;  ///< the state that refused it (kWrongState)
};

/// What happened to a VM, for the appliance's milestones and log (VmManager::Options::on_event).
struct VmEvent {
  enum class Kind : uint8_t {
    kStarted,  ///< a run began (a restart after a reset included)
    kEnded,    ///< a run ended, or a start failed (exit.reason kFailed, the runner's reason)
  };
  Kind kind = Kind::kStarted;
  std::string id;
  std::shared_ptr<const VmSpec> spec;
  uint32_t start_count = 0;  ///< kStarted: this run's number, 1 for the first
  VmExit exit;               ///< kEnded: how
  bool restarting = false;   ///< kEnded: the VM reset and its spec restarts it
};

/// A VM as list() and get() show it.
struct VmInfo {
  std::string id;
  std::string name;  ///< the spec's name, or the id
  VmState state = VmState::kCreated;
  std::optional<VmExit> last_exit;
  uint32_t start_count = 0;  ///< successful starts, restarts after a reset included
  /// Which VM this is, distinct for every VM the manager made: an id made again after a
  /// delete is another VM (whose runs count from 1 again).
  uint64_t serial = 0;
};

class VmManager {
 public:
  struct Options {
    /// How long stop() waits after the power button before it stops the VM (issue 13's default).
    std::chrono::milliseconds stop_grace{30'000};
    /// Told of every VmEvent, on the manager's own thread, one at a time and in the order they
    /// happened; never under the manager's lock, so it may call the manager (briefly: events
    /// wait meanwhile). Events still queued are delivered before the destructor returns.
    std::function<void(const VmEvent&)> on_event;
  };
  using Result = std::expected<void, VmError>;

  explicit VmManager(VmRunner& runner) : VmManager(runner, Options{}) {}
  VmManager(VmRunner& runner, Options options);
  /// Stops every VM at once (no grace) and waits for the ends.
  ~VmManager();
  VmManager(const VmManager&) = delete;
  VmManager& operator=(const VmManager&) = delete;

  /// Adds a VM in state created; without an id one is made ("vm1", "vm2", …).
  [[nodiscard]] std::expected<std::string, VmError> create(VmSpec spec,
                                                           std::optional<std::string> id = {});
  /// created or stopped → running.
  [[nodiscard]] Result start(const std::string& id);
  /// running → paused.
  [[nodiscard]] Result pause(const std::string& id);
  /// paused → running.
  [[nodiscard]] Result resume(const std::string& id);
  /// running → stopped: the power button, then stop() after Options::stop_grace. A paused VM
  /// is stopped at once (its vCPUs cannot take the button). Returns once it has stopped.
  [[nodiscard]] Result stop(const std::string& id);
  [[nodiscard]] Result stop(const std::string& id, std::chrono::milliseconds grace);
  /// The power button of a running VM, without waiting for what the guest does with it.
  [[nodiscard]] Result press_power_button(const std::string& id);
  /// Bytes typed for a VM's console (running or paused).
  [[nodiscard]] Result send_input(const std::string& id, std::string_view bytes);
  /// The size of the terminal a running or paused VM's console is shown in: its hvc0 follows
  /// it (RunningVm::resize_console). Not kept: the next viewer says its own.
  [[nodiscard]] Result resize_console(const std::string& id, uint16_t cols, uint16_t rows);
  /// What update_spec() does to a copy of the spec: changes it, or refuses with a message for
  /// the caller (nothing changes then). Runs under the manager's lock: no calls back into it.
  using SpecEdit = std::function<std::expected<void, std::string>(VmSpec&)>;
  /// Changes a created or stopped VM's spec (the next start runs the new one); refused in any
  /// other state, and when `edit` refuses (kBadSpec, its message).
  [[nodiscard]] Result update_spec(const std::string& id, const SpecEdit& edit);
  /// Gives a running or paused VM's drive `drive_id` the file `path` (RunningVm::replace_drive)
  /// and keeps the path in its spec; refused (kBadSpec) for a drive the spec lacks or a file
  /// the runner cannot use, changing nothing.
  [[nodiscard]] Result replace_drive(const std::string& id, const std::string& drive_id,
                                     const std::string& path);
  /// Forgets a created or stopped VM; its console ring is closed.
  [[nodiscard]] Result remove(const std::string& id);

  [[nodiscard]] std::expected<VmInfo, VmError> get(const std::string& id) const;
  /// Every VM, by id.
  [[nodiscard]] std::vector<VmInfo> list() const;
  [[nodiscard]] std::expected<VmSpec, VmError> spec(const std::string& id) const;
  /// A VM's figures now: its run's (RunningVm::figures), all zero when it does not run.
  [[nodiscard]] std::expected<VmFigures, VmError> figures(const std::string& id) const;
  [[nodiscard]] std::expected<std::shared_ptr<ConsoleRing>, VmError> console(
      const std::string& id) const;

  /// The appliance's shutdown: nothing starts any more; every running VM gets the power button,
  /// what still runs after `timeout` is stopped; returns when no VM runs.
  void stop_all(std::chrono::milliseconds timeout);

 private:
  struct Vm;
  // A VM an operation took into `stopping`, with the handle it drives.
  struct Claim {
    std::shared_ptr<Vm> vm;
    std::shared_ptr<RunningVm> handle;
    uint64_t generation;
    bool paused;
  };
  // Work for the manager's thread: drop an ended run's handle (which joins its threads) and,
  // for a reset with on-reset=restart, start the VM again. Events go first, in order.
  struct Job {
    std::shared_ptr<RunningVm> retired;
    std::shared_ptr<Vm> restart;
    uint64_t generation = 0;
  };
  using Lock = std::unique_lock<std::mutex>;

  std::expected<std::shared_ptr<Vm>, VmError> find_locked(const std::string& id) const;
  /// The run of VM `id` while it runs or is paused (pausing and resuming included), or why not.
  std::expected<std::shared_ptr<RunningVm>, VmError> running_handle(const std::string& id) const;
  // Takes the VM `id` from `from` (named `wanted` in a refusal) to the passing state `passing`,
  // under the lock; what the operation then drives outside it.
  std::expected<Claim, VmError> enter_passing(const std::string& id, VmState from,
                                              const char* wanted, VmState passing);
  static VmError wrong_state(const Vm& vm, const char* wanted);
  VmInfo info_locked(const Vm& vm) const;
  // created, stopped or restarting → starting; the new start's generation.
  static uint64_t begin_start_locked(Vm& vm);
  // Runs the runner for a VM this thread moved to `starting` as start number `generation`.
  Result launch(const std::shared_ptr<Vm>& vm, uint64_t generation);
  void on_exit(const std::weak_ptr<Vm>& weak, uint64_t generation, VmExit exit);
  void exited_locked(const std::shared_ptr<Vm>& vm, VmExit exit);
  void event_locked(VmEvent::Kind kind, const Vm& vm, const VmExit& exit = {},
                    bool restarting = false);
  // Running or paused → stopping, for stop() and stop_all().
  Claim claim_locked(const std::shared_ptr<Vm>& vm);
  bool exited_locked(const Claim& c) const;
  // Stops the claimed VM: the button (unless paused), `grace`, then stop(); waits for the end.
  void finish_stop(const Claim& c, std::chrono::steady_clock::time_point deadline);
  void supervise();

  VmRunner& runner_;
  Options options_;
  mutable std::mutex mutex_;         // everything below; never held while the runner is called
  std::condition_variable changed_;  // any VM's state, the job queue, quit_
  std::map<std::string, std::shared_ptr<Vm>> vms_;
  uint64_t next_id_ = 0;
  uint64_t next_serial_ = 0;
  bool shutting_down_ = false;
  std::deque<Job> jobs_;
  std::deque<VmEvent> events_;  // for options_.on_event
  bool quit_ = false;
  std::thread supervisor_;  // last: started once everything above exists
};

}  // namespace rootstock::appliance
