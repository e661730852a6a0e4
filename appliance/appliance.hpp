// The appliance: the VMs the root partition runs, as PID 1 starts it (docs/DESIGN.md §3). It
// defines VMs from specs (the default child, spec files), starts those marked autostart, tells
// the appliance console when each starts and ends (vm-started, vm-exited milestones with id and
// name), routes what is typed to one VM at a time, and shuts down like an appliance: every VM
// gets its power button and a bounded time, then is stopped.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <rootstock/milestone.hpp>

#include "appliance/console_input.hpp"
#include "appliance/event_log.hpp"
#include "appliance/linux_vm_runner.hpp"
#include "appliance/vm_manager.hpp"

namespace rootstock::appliance {

class Appliance {
 public:
  struct Options {
    /// How long shut_down() gives the VMs after their power button before stopping them.
    std::chrono::milliseconds stop_timeout{30'000};
    /// A line for the appliance console ("rootstock: " is added by it).
    std::function<void(const std::string&)> say;
    /// A milestone line for the appliance console.
    std::function<void(const milestone::Writer&)> announce;
    /// The VMs' console text (VmConsoleOutput::TextFn), from several threads at once.
    VmConsoleOutput::TextFn console;
    /// Where VMs' starts and ends are logged (event_log.hpp); null: nowhere.
    EventLog* log = nullptr;
  };

  /// `backend` must outlive the appliance.
  Appliance(vmm::Backend& backend, Options options);
  /// Stops what still runs, without grace (shut_down() is the orderly way), and tells of it.
  ~Appliance();
  Appliance(const Appliance&) = delete;
  Appliance& operator=(const Appliance&) = delete;

  /// Defines the VM `id` (`source` names where the spec came from, for messages) and starts it
  /// if its spec says autostart. A refusal is said on the console; false then.
  bool define(const std::string& id, VmSpec spec, const std::string& source);
  /// Bytes typed on the appliance console (ConsoleInput: Ctrl-] passes input on).
  void type(std::string_view bytes);
  /// Every running VM gets the power button; what runs after Options::stop_timeout is stopped.
  /// Returns when no VM runs, with the vms-down milestone (how many went down by themselves,
  /// how many were stopped, how long it took); nothing starts after it.
  void shut_down();

  VmManager& manager() { return manager_; }

 private:
  void on_event(const VmEvent& event);
  // The event into the VM's own log, if its spec has one (vm_log.hpp).
  void log_to_vm(const VmEvent& event);
  void act(const std::vector<ConsoleInput::Action>& actions);
  std::string name_of(const std::string& id) const;

  Options options_;
  LinuxVmRunner runner_;
  ConsoleInput input_;
  VmManager manager_;  // last: its thread calls on_event, which uses everything above
};

}  // namespace rootstock::appliance
