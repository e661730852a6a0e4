// rootstock.selftest=linux-children: the project's own kernel and the busybox initramfs, kept in
// the root's initramfs as the default child's, booted in a 2-vCPU child VM (vmm/linux_vm.hpp)
// with hv's interrupt controller. Checks, in the child's own words on its console: init is
// reached with both CPUs and the memory given; `sleep 2` inside the child takes 2 s of the
// root's clock (its timer works); a line typed into its console reaches its shell; paused, the
// child does not run at all, and resumed it answers what was typed meanwhile; and
// the ACPI power button (the child's acpid runs `poweroff -f`) ends the VM with ACPI S5 while the
// appliance keeps running.
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "selftest/console_lines.hpp"
#include "selftest/linux_child.hpp"
#include "selftest/selftests.hpp"

namespace rootstock::selftest {
namespace {

using Clock = ConsoleLines::Clock;

constexpr uint32_t kVcpus = 2;
constexpr uint64_t kRamMib = 256;
constexpr auto kInitDeadline = std::chrono::seconds(300);
constexpr auto kStepDeadline = std::chrono::seconds(60);
constexpr auto kAnswerDeadline = std::chrono::seconds(15);
constexpr int kTypingAttempts = 3;
constexpr auto kPausedFor = std::chrono::seconds(1);
// What busybox's ash prints when it starts interactively, before it reads its first line.
constexpr const char* kShellBanner = "Enter 'help' for a list of built-in commands.";
// The child's init runs its sleep2 check (image/child/init.sh), then a shell.
constexpr const char* kCmdline = "console=ttyS0 rootstock.child_cmd=sleep2";
// A sleep of 2 s measured by the root: the child's timer may be late by its tick and our
// console polling, never early.
constexpr int64_t kSleepMinMs = 1900, kSleepMaxMs = 3000;

int64_t ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(b - a).count();
}

// Pause and resume: every vCPU parks outside VP_RUN, and while it is paused the child makes no
// progress — no VP_RUN at all, no console output, a typed line unanswered — and once resumed it
// answers that line. Run while the child's shell is known to read its input.
void check_pause(vmm::LinuxVm& vm, ConsoleLines& console, SelftestResult& r) {
  const auto asked = Clock::now();
  const bool paused = vm.pause();
  const int64_t pause_ms = ms_between(asked, Clock::now());
  r.check(paused, "pause: a vCPU still ran after the VMM's timeout");
  std::string states;
  bool all_paused = true;
  for (const vmm::VcpuState s : vm.vcpu_states()) {
    states += std::string(states.empty() ? "" : ",") + vmm::describe(s);
    all_paused = all_paused && s == vmm::VcpuState::kPaused;
  }
  r.check(all_paused, "pause: the vCPUs are " + states + ", not all paused");
  const uint64_t exits = vm.vp_exits();
  const size_t lines = console.count();
  vm.send_input("echo paused-$((6*7))\n");
  std::this_thread::sleep_for(kPausedFor);  // the length of the pause itself, not a wait
  const uint64_t exits_paused = vm.vp_exits() - exits;
  const size_t lines_paused = console.count() - lines;
  r.check(exits_paused == 0 && lines_paused == 0,
          "pause: the child ran while paused (" + std::to_string(exits_paused) + " VP_RUN exits, " +
              std::to_string(lines_paused) + " console lines)");
  const auto resumed = Clock::now();
  vm.resume();
  const auto answer = console.wait_for("paused-42", lines, kAnswerDeadline);
  r.check(answer.has_value(), "pause: the line typed while paused was not answered after resume");
  r.note("linux-children: paused " + std::to_string(vm.vcpu_count()) + " vCPUs (" + states +
         ") in " + std::to_string(pause_ms) + " ms; " +
         std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(kPausedFor).count()) +
         " ms paused: " + std::to_string(exits_paused) + " VP_RUN exits, " +
         std::to_string(lines_paused) + " console lines; the line typed meanwhile answered " +
         (answer ? std::to_string(ms_between(resumed, answer->when)) + " ms after resume"
                 : std::string("never")));
}

}  // namespace

void selftest_linux_children(SelftestContext& context, SelftestResult& r) {
  auto setup = set_up_linux_children(context);
  if (!setup) return r.check(false, setup.error());
  const std::vector<uint8_t>& kernel = setup->images.kernel;
  const std::vector<uint8_t>& initramfs = setup->images.initramfs;
  vmm::Backend& backend = *setup->backend;
  ChildRunConfig config;
  config.kernel = kernel;
  config.initramfs = initramfs;
  config.ram_mib = kRamMib;
  config.vcpus = kVcpus;
  config.cmdline = kCmdline;
  config.console_prefix = "child0: ";
  auto child = build_child(context, backend, config);
  if (!child) return r.check(false, "linux child: " + vmm::describe(child.error()));
  ConsoleLines& console = *child->console;
  vmm::LinuxVm& vm = *child->vm;
  const auto start_time = Clock::now();
  start(*child);

  auto reached = console.wait_for("rootstock-child: init reached", 0, kInitDeadline);
  r.check(reached.has_value(), "the linux child did not reach its init");
  if (reached) {
    const std::string line = console.line(reached->index);
    r.note("linux-children: child0 reached init " +
           std::to_string(ms_between(start_time, reached->when)) + " ms after it started");
    r.check(line_field(line, "cpus") == kVcpus, "the child saw other than 2 CPUs: " + line);
    // MemTotal is RAM less what the kernel keeps for itself: most of it, never more.
    const long long kib = line_field(line, "mem_kib");
    r.check(kib > static_cast<long long>(kRamMib) * 1024 * 3 / 4 &&
                kib <= static_cast<long long>(kRamMib) * 1024,
            "the child's memory is not about 256 MiB: " + line);
    auto begun = console.wait_for("rootstock-child: sleep2 start", reached->index, kStepDeadline);
    auto slept = begun
                     ? console.wait_for("rootstock-child: sleep2 end", begun->index, kStepDeadline)
                     : std::nullopt;
    r.check(slept.has_value(), "the child's sleep 2 did not end");
    if (begun && slept) {
      const int64_t ms = ms_between(begun->when, slept->when);
      r.note("linux-children: the child's sleep 2 took " + std::to_string(ms) +
             " ms of the root's clock");
      r.check(ms >= kSleepMinMs && ms <= kSleepMaxMs,
              "the child's sleep 2 took " + std::to_string(ms) + " ms");
    }
    // Typed input reaches the shell: the shell computes what it echoes. Input typed before
    // the shell has started is lost (its line editor starts afresh), so the line is typed once
    // the shell's banner is out, and again if the shell did not answer.
    const auto shell = console.wait_for(kShellBanner, slept ? slept->index : 0, kStepDeadline);
    r.check(shell.has_value(), "the child's shell did not start");
    bool answered = false;
    for (int attempt = 0; shell && attempt < kTypingAttempts && !answered; ++attempt) {
      const size_t mark = console.count();
      vm.send_input("echo typed-$((6*7))\n");
      answered = console.wait_for("typed-42", mark, kAnswerDeadline).has_value();
    }
    r.check(answered, "typed input did not reach the child's shell");
    if (answered) check_pause(vm, console, r);
    // The ACPI power button: the child's acpid powers it off in order.
    const size_t before_button = console.count();
    vm.press_power_button();
    r.check(
        console.wait_for("rootstock-child: power button", before_button, kStepDeadline).has_value(),
        "the child did not answer the ACPI power button");
  }
  // The VM ends by itself on power-off; otherwise (a failure above) it is stopped.
  const std::optional<vmm::LinuxVmExit> ended = finish(*child, kStepDeadline);
  r.note(std::string("linux-children: child0 ended: ") + vmm::describe(ended->reason) + " (" +
         ended->detail + "), " + std::to_string(vm.vp_exits()) + " VP_RUN exits, " +
         std::to_string(vm.handled_exits()) + " handled by the VMM");
  r.note("linux-children: child0 exits by kind (hv's counts): " + vm.exit_stats());
  r.check(ended->reason == vmm::LinuxVmExit::Reason::kPowerOff,
          std::string("the child did not power off: ") + vmm::describe(ended->reason) + " " +
              ended->detail);
}

}  // namespace rootstock::selftest
