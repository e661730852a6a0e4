// VmManager: the VMs by id and the operations that move one VM between states. Stopping, the
// exit callback and the manager's own thread are in vm_manager_stop.cpp.
//
// Lock order: the manager's mutex_ is the only lock here, and it is never held while the
// runner or a RunningVm is called (a runner may call the exit callback from inside stop()).
// Every operation claims the VM under the lock by moving it to a transient state, works
// outside the lock, and commits under it if the VM is still where it left it.
#include "appliance/vm_manager.hpp"

#include <algorithm>
#include <utility>

#include "appliance/vm_manager_vm.hpp"

namespace rootstock::appliance {

const char* describe(VmState state) {
  switch (state) {
    case VmState::kCreated:
      return "created";
    case VmState::kStarting:
      return "starting";
    case VmState::kRunning:
      return "running";
    case VmState::kPausing:
      return "pausing";
    case VmState::kPaused:
      return "paused";
    case VmState::kResuming:
      return "resuming";
    case VmState::kStopping:
      return "stopping";
    case VmState::kStopped:
      return "stopped";
    case VmState::kRestarting:
      return "restarting";
  }
  return "unknown";
}

const char* describe(ExitReason reason) {
  switch (reason) {
    case ExitReason::kPowerOff:
      return "poweroff";
    case ExitReason::kReset:
      return "reset";
    case ExitReason::kTripleFault:
      return "triple-fault";
    case ExitReason::kFailed:
      return "failed";
    case ExitReason::kStopped:
      return "stopped";
  }
  return "unknown";
}

VmManager::VmManager(VmRunner& runner, Options options)
    : runner_(runner), options_(options), supervisor_([this] { supervise(); }) {}

std::expected<std::shared_ptr<VmManager::Vm>, VmError> VmManager::find_locked(
    const std::string& id) const {
  auto it = vms_.find(id);
  if (it == vms_.end()) {
    return std::unexpected(VmError{VmErrc::kNotFound, "no vm '" + id + "'", std::nullopt});
  }
  return it->second;
}

VmError VmManager::wrong_state(const Vm& vm, const char* wanted) {
  return VmError{VmErrc::kWrongState,
                 "vm '" + vm.id + "' is " + describe(vm.state) + " (needs " + wanted + ")",
                 vm.state};
}

VmInfo VmManager::info_locked(const Vm& vm) const {
  return VmInfo{vm.id,    vm.spec->name.value_or(vm.id), vm.state, vm.last_exit, vm.start_count,
                vm.serial};
}

std::expected<std::string, VmError> VmManager::create(VmSpec spec, std::optional<std::string> id) {
  if (id && !is_valid_id(*id)) {
    return std::unexpected(
        VmError{VmErrc::kBadId, "a vm id is 1 to 64 of A-Z a-z 0-9 _ -", std::nullopt});
  }
  auto vm = std::make_shared<Vm>();
  vm->console = std::make_shared<ConsoleRing>(size_t{spec.console.ring_kib} * 1024);
  vm->spec = std::make_shared<const VmSpec>(std::move(spec));
  std::lock_guard lock(mutex_);
  if (id && vms_.contains(*id)) {
    return std::unexpected(
        VmError{VmErrc::kIdTaken, "vm '" + *id + "' exists already", std::nullopt});
  }
  // A made id skips those users took ("vm3" given by hand).
  while (!id || vms_.contains(*id)) id = "vm" + std::to_string(++next_id_);
  vm->id = *id;
  vm->serial = ++next_serial_;
  vms_.emplace(*id, std::move(vm));
  return *id;
}

VmManager::Result VmManager::start(const std::string& id) {
  uint64_t generation;
  std::shared_ptr<Vm> vm;
  {
    std::lock_guard lock(mutex_);
    auto found = find_locked(id);
    if (!found) return std::unexpected(found.error());
    vm = *found;
    if (shutting_down_) {
      return std::unexpected(
          VmError{VmErrc::kShuttingDown, "the appliance is shutting down", std::nullopt});
    }
    if (vm->state != VmState::kCreated && vm->state != VmState::kStopped) {
      return std::unexpected(wrong_state(*vm, "created or stopped"));
    }
    generation = begin_start_locked(*vm);
  }
  changed_.notify_all();
  return launch(vm, generation);
}

uint64_t VmManager::begin_start_locked(Vm& vm) {
  vm.state = VmState::kStarting;
  vm.exited = false;
  vm.early_exit.reset();
  return ++vm.generation;
}

VmManager::Result VmManager::launch(const std::shared_ptr<Vm>& vm, uint64_t generation) {
  std::weak_ptr<Vm> weak = vm;
  auto started =
      runner_.start(VmLaunch{vm->id, vm->spec, vm->console, [this, weak, generation](VmExit exit) {
                               on_exit(weak, generation, std::move(exit));
                             }});
  Result result;
  {
    std::lock_guard lock(mutex_);
    if (!started) {
      vm->state = VmState::kStopped;
      vm->last_exit = VmExit{ExitReason::kFailed, started.error(), {}};
      event_locked(VmEvent::Kind::kEnded, *vm, *vm->last_exit);
      result = std::unexpected(VmError{VmErrc::kStartFailed,
                                       "vm '" + vm->id + "' did not start: " + started.error(),
                                       std::nullopt});
    } else {
      vm->handle = std::move(*started);
      vm->state = VmState::kRunning;
      ++vm->start_count;
      event_locked(VmEvent::Kind::kStarted, *vm);
      if (vm->early_exit) exited_locked(vm, *std::exchange(vm->early_exit, std::nullopt));
    }
  }
  changed_.notify_all();
  return result;
}

std::expected<VmManager::Claim, VmError> VmManager::enter_passing(const std::string& id,
                                                                  VmState from, const char* wanted,
                                                                  VmState passing) {
  Claim claim;
  {
    std::lock_guard lock(mutex_);
    auto found = find_locked(id);
    if (!found) return std::unexpected(found.error());
    const std::shared_ptr<Vm>& vm = *found;
    if (vm->state != from) return std::unexpected(wrong_state(*vm, wanted));
    vm->state = passing;
    claim = Claim{vm, vm->handle, vm->generation, from == VmState::kPaused};
  }
  changed_.notify_all();
  return claim;
}

VmManager::Result VmManager::pause(const std::string& id) {
  auto claim = enter_passing(id, VmState::kRunning, "running", VmState::kPausing);
  if (!claim) return std::unexpected(claim.error());
  const auto& [vm, handle, generation, was_paused] = *claim;
  bool parked = handle->pause();
  // A pause that timed out may have parked some vCPUs: let them go again, the VM runs on.
  if (!parked) handle->resume();
  Result result;
  {
    std::lock_guard lock(mutex_);
    if (vm->generation != generation || vm->state != VmState::kPausing) {
      result = std::unexpected(wrong_state(*vm, "running"));  // it ended meanwhile
    } else if (!parked) {
      vm->state = VmState::kRunning;
      result = std::unexpected(
          VmError{VmErrc::kPauseFailed, "vm '" + id + "' did not pause in time", std::nullopt});
    } else {
      vm->state = VmState::kPaused;
    }
  }
  changed_.notify_all();
  return result;
}

VmManager::Result VmManager::resume(const std::string& id) {
  auto claim = enter_passing(id, VmState::kPaused, "paused", VmState::kResuming);
  if (!claim) return std::unexpected(claim.error());
  const auto& [vm, handle, generation, was_paused] = *claim;
  handle->resume();
  Result result;
  {
    std::lock_guard lock(mutex_);
    if (vm->generation != generation || vm->state != VmState::kResuming) {
      result = std::unexpected(wrong_state(*vm, "paused"));
    } else {
      vm->state = VmState::kRunning;
    }
  }
  changed_.notify_all();
  return result;
}

void VmManager::event_locked(VmEvent::Kind kind, const Vm& vm, const VmExit& exit,
                             bool restarting) {
  if (!options_.on_event) return;
  events_.push_back(VmEvent{kind, vm.id, vm.spec, vm.start_count, exit, restarting});
}

std::expected<std::shared_ptr<RunningVm>, VmError> VmManager::running_handle(
    const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto found = find_locked(id);
  if (!found) return std::unexpected(found.error());
  const Vm& vm = **found;
  const bool runs = vm.state == VmState::kRunning || vm.state == VmState::kPausing ||
                    vm.state == VmState::kPaused || vm.state == VmState::kResuming;
  if (!runs || !vm.handle) return std::unexpected(wrong_state(vm, "running or paused"));
  return vm.handle;
}

VmManager::Result VmManager::send_input(const std::string& id, std::string_view bytes) {
  auto handle = running_handle(id);
  if (!handle) return std::unexpected(handle.error());
  (*handle)->send_input(bytes);  // outside the lock, as every call into a run
  return {};
}

VmManager::Result VmManager::resize_console(const std::string& id, uint16_t cols, uint16_t rows) {
  auto handle = running_handle(id);
  if (!handle) return std::unexpected(handle.error());
  (*handle)->resize_console(cols, rows);  // outside the lock, as every call into a run
  return {};
}

VmManager::Result VmManager::press_power_button(const std::string& id) {
  std::shared_ptr<RunningVm> handle;
  {
    std::lock_guard lock(mutex_);
    auto found = find_locked(id);
    if (!found) return std::unexpected(found.error());
    const Vm& vm = **found;
    // A paused VM's vCPUs cannot take the button: it would wait until a resume.
    if (vm.state != VmState::kRunning || !vm.handle) {
      return std::unexpected(wrong_state(vm, "running"));
    }
    handle = vm.handle;
  }
  handle->power_button();
  return {};
}

VmManager::Result VmManager::update_spec(const std::string& id, const SpecEdit& edit) {
  std::shared_ptr<ConsoleRing> retired;
  {
    std::lock_guard lock(mutex_);
    auto found = find_locked(id);
    if (!found) return std::unexpected(found.error());
    Vm& vm = **found;
    if (vm.state != VmState::kCreated && vm.state != VmState::kStopped) {
      return std::unexpected(wrong_state(vm, "created or stopped"));
    }
    VmSpec changed = *vm.spec;
    if (auto r = edit(changed); !r) {
      return std::unexpected(VmError{VmErrc::kBadSpec, r.error(), std::nullopt});
    }
    // A new ring size is a new ring: readers of the old one see it end (outside the lock, as
    // remove() closes one).
    if (changed.console.ring_kib != vm.spec->console.ring_kib) {
      retired = std::exchange(
          vm.console, std::make_shared<ConsoleRing>(size_t{changed.console.ring_kib} * 1024));
    }
    vm.spec = std::make_shared<const VmSpec>(std::move(changed));
  }
  if (retired) retired->close();
  return {};
}

VmManager::Result VmManager::remove(const std::string& id) {
  std::shared_ptr<Vm> vm;
  {
    std::lock_guard lock(mutex_);
    auto found = find_locked(id);
    if (!found) return std::unexpected(found.error());
    vm = *found;
    if (vm->state != VmState::kCreated && vm->state != VmState::kStopped) {
      return std::unexpected(wrong_state(*vm, "created or stopped"));
    }
    vms_.erase(id);
  }
  vm->console->close();
  return {};
}

std::expected<VmInfo, VmError> VmManager::get(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto found = find_locked(id);
  if (!found) return std::unexpected(found.error());
  return info_locked(**found);
}

std::vector<VmInfo> VmManager::list() const {
  std::lock_guard lock(mutex_);
  std::vector<VmInfo> out;
  out.reserve(vms_.size());
  for (const auto& [id, vm] : vms_) out.push_back(info_locked(*vm));
  return out;
}

std::expected<VmSpec, VmError> VmManager::spec(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto found = find_locked(id);
  if (!found) return std::unexpected(found.error());
  return *(*found)->spec;
}

VmManager::Result VmManager::replace_drive(const std::string& id, const std::string& drive_id,
                                           const std::string& path) {
  auto has_drive = [&drive_id](const VmSpec& spec) {
    return std::ranges::find(spec.drives, drive_id, &Drive::drive_id) != spec.drives.end();
  };
  std::shared_ptr<RunningVm> handle;
  {
    std::lock_guard lock(mutex_);
    auto found = find_locked(id);
    if (!found) return std::unexpected(found.error());
    const Vm& vm = **found;
    const bool runs = vm.state == VmState::kRunning || vm.state == VmState::kPaused;
    if (!runs || !vm.handle) return std::unexpected(wrong_state(vm, "running or paused"));
    if (!has_drive(*vm.spec)) {
      return std::unexpected(
          VmError{VmErrc::kBadSpec, "vm '" + id + "' has no drive '" + drive_id + "'", {}});
    }
    handle = vm.handle;
  }
  if (auto r = handle->replace_drive(drive_id, path); !r) {  // outside the lock
    return std::unexpected(VmError{VmErrc::kBadSpec, r.error(), std::nullopt});
  }
  std::lock_guard lock(mutex_);
  auto found = find_locked(id);
  if (!found || !has_drive(*(*found)->spec)) return {};  // removed meanwhile: nothing to keep
  VmSpec changed = *(*found)->spec;
  std::ranges::find(changed.drives, drive_id, &Drive::drive_id)->path_on_host = path;
  (*found)->spec = std::make_shared<const VmSpec>(std::move(changed));
  return {};
}

std::expected<VmFigures, VmError> VmManager::figures(const std::string& id) const {
  std::shared_ptr<RunningVm> handle;
  {
    std::lock_guard lock(mutex_);
    auto found = find_locked(id);
    if (!found) return std::unexpected(found.error());
    handle = (*found)->handle;
  }
  if (!handle) return VmFigures{};
  return handle->figures();  // outside the lock, as every call into a run
}

std::expected<std::shared_ptr<ConsoleRing>, VmError> VmManager::console(
    const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto found = find_locked(id);
  if (!found) return std::unexpected(found.error());
  return (*found)->console;
}

}  // namespace rootstock::appliance
