// VmManager: how runs end. stop() and stop_all() (the power button, a bounded grace, then
// RunningVm::stop()), the exit callback that records an end, and the manager's own thread,
// which drops ended runs' handles and restarts a VM that reset with on-reset=restart. A run's
// end touches only its own VM's record: one VM ending never changes another.
#include <utility>

#include "appliance/vm_manager.hpp"
#include "appliance/vm_manager_vm.hpp"

namespace rootstock::appliance {
namespace {

using Clock = std::chrono::steady_clock;

bool live(VmState s) {
  return s != VmState::kCreated && s != VmState::kStopped;
}

bool settling(VmState s) {
  return s == VmState::kStarting || s == VmState::kPausing || s == VmState::kResuming ||
         s == VmState::kRestarting;
}

}  // namespace

VmManager::~VmManager() {
  stop_all(std::chrono::milliseconds{0});
  {
    std::lock_guard lock(mutex_);
    quit_ = true;
  }
  changed_.notify_all();
  supervisor_.join();
}

void VmManager::on_exit(const std::weak_ptr<Vm>& weak, uint64_t generation, VmExit exit) {
  {
    std::lock_guard lock(mutex_);
    std::shared_ptr<Vm> vm = weak.lock();
    if (!vm || vm->generation != generation || vm->exited) return;
    if (vm->state == VmState::kStarting) {
      vm->early_exit = std::move(exit);  // launch() records it once the handle is in place
      return;
    }
    exited_locked(vm, std::move(exit));
  }
  changed_.notify_all();
}

void VmManager::exited_locked(const std::shared_ptr<Vm>& vm, VmExit exit) {
  vm->exited = true;
  // A reset restarts unless someone is stopping the VM or the appliance is going down.
  bool restart = exit.reason == ExitReason::kReset && vm->spec->on_reset == OnReset::kRestart &&
                 vm->state != VmState::kStopping && !shutting_down_;
  event_locked(VmEvent::Kind::kEnded, *vm, exit, restart);
  vm->last_exit = std::move(exit);
  Job job{std::move(vm->handle), nullptr, vm->generation};
  if (restart) {
    vm->state = VmState::kRestarting;
    job.restart = vm;
  } else {
    vm->state = VmState::kStopped;
  }
  jobs_.push_back(std::move(job));
}

VmManager::Claim VmManager::claim_locked(const std::shared_ptr<Vm>& vm) {
  bool paused = vm->state == VmState::kPaused;
  vm->state = VmState::kStopping;
  return Claim{vm, vm->handle, vm->generation, paused};
}

bool VmManager::exited_locked(const Claim& c) const {
  return c.vm->exited || c.vm->generation != c.generation;
}

void VmManager::finish_stop(const Claim& c, Clock::time_point deadline) {
  Lock lock(mutex_);
  if (!changed_.wait_until(lock, deadline, [&] { return exited_locked(c); })) {
    lock.unlock();
    c.handle->stop();
    lock.lock();
    // The runner bounds its own stop and then calls the exit callback.
    changed_.wait(lock, [&] { return exited_locked(c); });
  }
}

VmManager::Result VmManager::stop(const std::string& id) {
  return stop(id, options_.stop_grace);
}

VmManager::Result VmManager::stop(const std::string& id, std::chrono::milliseconds grace) {
  Claim claim;
  {
    std::lock_guard lock(mutex_);
    auto found = find_locked(id);
    if (!found) return std::unexpected(found.error());
    const auto& vm = *found;
    if (vm->state != VmState::kRunning && vm->state != VmState::kPaused) {
      return std::unexpected(wrong_state(*vm, "running or paused"));
    }
    claim = claim_locked(vm);
  }
  changed_.notify_all();
  if (!claim.paused) claim.handle->power_button();
  finish_stop(claim, claim.paused ? Clock::now() : Clock::now() + grace);
  return {};
}

void VmManager::stop_all(std::chrono::milliseconds timeout) {
  Clock::time_point deadline = Clock::now() + timeout;
  std::vector<Claim> claims;
  auto claim_settled = [&] {
    for (const auto& [id, vm] : vms_) {
      if (vm->state == VmState::kRunning || vm->state == VmState::kPaused) {
        claims.push_back(claim_locked(vm));
      }
    }
  };
  auto any = [&](bool (*pred)(VmState)) {
    for (const auto& [id, vm] : vms_) {
      if (pred(vm->state)) return true;
    }
    return false;
  };
  {
    Lock lock(mutex_);
    shutting_down_ = true;  // from here no start and no restart begins
    claim_settled();
    // A VM in the middle of a start or a pause is claimed once it gets there, within the bound.
    while (any(settling) && changed_.wait_until(lock, deadline) == std::cv_status::no_timeout) {
      claim_settled();
    }
  }
  changed_.notify_all();
  for (const Claim& c : claims) {
    if (!c.paused) c.handle->power_button();
  }
  for (const Claim& c : claims) finish_stop(c, c.paused ? Clock::now() : deadline);
  // Past the bound: whatever settles now is stopped without grace, until no VM is live (a
  // stop() running elsewhere included).
  Lock lock(mutex_);
  while (any(live)) {
    std::vector<Claim> late;
    for (const auto& [id, vm] : vms_) {
      if (vm->state == VmState::kRunning || vm->state == VmState::kPaused) {
        late.push_back(claim_locked(vm));
      }
    }
    if (late.empty()) {
      changed_.wait(lock);
      continue;
    }
    lock.unlock();
    changed_.notify_all();
    for (const Claim& c : late) finish_stop(c, Clock::now());
    lock.lock();
  }
}

void VmManager::supervise() {
  Lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [&] { return quit_ || !jobs_.empty() || !events_.empty(); });
    if (!events_.empty()) {
      VmEvent event = std::move(events_.front());
      events_.pop_front();
      lock.unlock();
      options_.on_event(event);
      lock.lock();
      continue;
    }
    if (jobs_.empty()) return;  // quit_, and nothing left to drop or to tell
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    // Joins the ended run's threads, outside the lock (its exit callback took the lock).
    job.retired.reset();
    if (job.restart) {
      std::shared_ptr<Vm> vm = std::move(job.restart);
      uint64_t generation = 0;
      {
        std::lock_guard relock(mutex_);
        bool due = vm->state == VmState::kRestarting && vm->generation == job.generation;
        if (due && shutting_down_) vm->state = VmState::kStopped;
        if (due && !shutting_down_) generation = begin_start_locked(*vm);
      }
      changed_.notify_all();
      // A failed restart leaves the VM stopped with the runner's reason as its last exit.
      if (generation != 0) (void)launch(vm, generation);
    }
    lock.lock();
  }
}

}  // namespace rootstock::appliance
