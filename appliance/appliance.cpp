#include "appliance/appliance.hpp"

#include <utility>

#include "appliance/vm_log.hpp"

namespace rootstock::appliance {
namespace {

Text text(const std::string& s) {
  return Text{s.data(), s.size()};
}

}  // namespace

Appliance::Appliance(vmm::Backend& backend, Options options)
    : options_(std::move(options)),
      runner_(backend, options_.console),
      manager_(runner_, VmManager::Options{options_.stop_timeout,
                                           [this](const VmEvent& e) { on_event(e); }}) {}

Appliance::~Appliance() = default;  // ~VmManager stops what runs and delivers its events

bool Appliance::define(const std::string& id, VmSpec spec, const std::string& source) {
  const bool autostart = spec.autostart;
  auto created = manager_.create(std::move(spec), id);
  if (!created) {
    options_.say("vm " + id + " (" + source + "): not defined: " + created.error().message);
    return false;
  }
  // A failed start is told through its event (vm-exited reason=failed, with the reason).
  if (autostart) (void)manager_.start(*created);
  return true;
}

std::string Appliance::name_of(const std::string& id) const {
  auto info = manager_.get(id);
  return info ? info->name : id;
}

void Appliance::on_event(const VmEvent& e) {
  const std::string name = e.spec->name.value_or(e.id);
  if (options_.log) {
    if (e.kind == VmEvent::Kind::kStarted) {
      options_.log->vm_event(e.id, "started", "start " + std::to_string(e.start_count));
    } else {
      options_.log->vm_event(e.id, "ended", describe(e.exit.reason));
    }
  }
  log_to_vm(e);
  if (e.kind == VmEvent::Kind::kStarted) {
    options_.announce(milestone::Writer("vm-started")
                          .field("id", text(e.id))
                          .field("name", text(name))
                          .field("vcpus", uint64_t{e.spec->machine_config.vcpu_count})
                          .field("mem_mib", e.spec->machine_config.mem_size_mib)
                          .field("start", uint64_t{e.start_count}));
    if (e.spec->console.appliance_console) act(input_.add(e.id));
    return;
  }
  std::string line = name + ": ended: " + describe(e.exit.reason);
  if (!e.exit.detail.empty()) line += " (" + e.exit.detail + ")";
  if (!e.exit.stats.empty()) line += "; " + e.exit.stats;
  if (e.restarting) line += "; restarting it (on-reset is restart)";
  options_.say(line);
  options_.announce(milestone::Writer("vm-exited")
                        .field("id", text(e.id))
                        .field("name", text(name))
                        .field("reason", describe(e.exit.reason)));
  if (!e.restarting) act(input_.remove(e.id));
}

void Appliance::log_to_vm(const VmEvent& e) {
  if (e.kind == VmEvent::Kind::kStarted) {
    append_vm_log(e.spec->logger, e.id, "vmm", LogLevel::kInfo,
                  "started (start " + std::to_string(e.start_count) + ")");
    return;
  }
  // A run that ended by itself in order is news; one that failed or faulted is an error.
  const bool orderly = e.exit.reason == ExitReason::kPowerOff ||
                       e.exit.reason == ExitReason::kStopped || e.exit.reason == ExitReason::kReset;
  std::string message = std::string("ended: ") + describe(e.exit.reason);
  if (!e.exit.detail.empty()) message += " (" + e.exit.detail + ")";
  if (!e.exit.stats.empty()) message += "; " + e.exit.stats;
  append_vm_log(e.spec->logger, e.id, "vmm", orderly ? LogLevel::kInfo : LogLevel::kError, message);
}

void Appliance::act(const std::vector<ConsoleInput::Action>& actions) {
  for (const ConsoleInput::Action& a : actions) {
    if (a.kind == ConsoleInput::Action::Kind::kSend) {
      // A VM that ended meanwhile drops it; its end passes input on through its event.
      (void)manager_.send_input(a.id, a.bytes);
    } else if (a.id.empty()) {
      options_.say("console input: no VM takes it");
    } else {
      options_.say("console input goes to " + name_of(a.id) + " (Ctrl-] passes it on)");
    }
  }
}

void Appliance::type(std::string_view bytes) {
  act(input_.feed(bytes));
}

void Appliance::shut_down() {
  const auto began = std::chrono::steady_clock::now();
  std::vector<std::string> live;
  for (const VmInfo& vm : manager_.list()) {
    if (vm.state != VmState::kCreated && vm.state != VmState::kStopped) live.push_back(vm.id);
  }
  const size_t running = live.size();
  if (running > 0) {
    options_.say("stopping " + std::to_string(running) + " VM" + (running == 1 ? "" : "s") +
                 ": the power button, then up to " +
                 std::to_string(options_.stop_timeout.count() / 1000) + " s");
  }
  manager_.stop_all(options_.stop_timeout);
  // How they went down: by themselves after the button (or on their own), or stopped at the
  // bound. A VM that reset meanwhile is not started again and counts as gone by itself.
  uint64_t stopped = 0;
  for (const std::string& id : live) {
    auto info = manager_.get(id);
    if (info && info->last_exit && info->last_exit->reason == ExitReason::kStopped) ++stopped;
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - began);
  options_.announce(milestone::Writer("vms-down")
                        .field("vms", uint64_t{running})
                        .field("clean", uint64_t{running - stopped})
                        .field("stopped", stopped)
                        .field("ms", static_cast<uint64_t>(ms.count())));
}

}  // namespace rootstock::appliance
