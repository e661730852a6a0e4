#include "pid_one_selftests.hpp"

#include "appliance/vm_console.hpp"
#include "child_images.hpp"
#include "console.hpp"
#include "modules.hpp"
#include "shutdown.hpp"

namespace rootstock::init {

PidOneSelftests::PidOneSelftests(PidOne& init) : init_(init) {
  options_.steps = init.options().selftest_steps;
  options_.abuse_calls = init.options().abuse_calls;
}

void PidOneSelftests::say(const std::string& line) {
  init::say(appliance::VmConsole::sanitize(line));
}

void PidOneSelftests::announce(const milestone::Writer& line) {
  init::announce(line);
}

void PidOneSelftests::on_exit(pid_t pid, std::function<void(int status)> callback) {
  init_.on_exit(pid, std::move(callback));
}

bool PidOneSelftests::run_until(const std::function<bool()>& done,
                                std::chrono::steady_clock::time_point deadline) {
  return init_.loop().run_until(done, deadline);
}

std::expected<void, std::string> PidOneSelftests::load_module(const std::string& path,
                                                              const std::string& params) {
  return init::load_module(path, params);
}

selftest::StopOutcome PidOneSelftests::stop_processes(std::chrono::milliseconds grace) {
  StopPolicy policy;
  policy.grace = grace;
  const StopReport report = init::stop_processes(init_.system(), policy);
  selftest::StopOutcome outcome;
  for (const Reaped& r : report.reaped) outcome.reaped.push_back({r.pid, r.status});
  outcome.killed = report.killed;
  outcome.all_gone = report.all_gone;
  return outcome;
}

std::expected<selftest::DefaultChildImages, std::string> PidOneSelftests::default_child_images() {
  ChildImages images = read_child_images();
  if (images.kernel.empty())
    return std::unexpected(std::string("no child kernel at ") + kChildKernel);
  if (images.initramfs.empty()) {
    return std::unexpected(std::string("no child initramfs at ") + kChildInitramfs);
  }
  return selftest::DefaultChildImages{std::move(images.kernel), std::move(images.initramfs),
                                      kChildKernel, kChildInitramfs};
}

}  // namespace rootstock::init
