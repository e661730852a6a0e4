#include "default_vm.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <thread>
#include <vector>

#include "child_images.hpp"
#include "console.hpp"
#include "pid_one.hpp"
#include "vm_console.hpp"
#include "vmm/hvroot_backend.hpp"
#include "vmm/kick.hpp"
#include "vmm/linux_vm.hpp"

namespace rootstock::init {
namespace {

constexpr uint64_t kVmId = 0;

void announce_exit(const char* reason) {
  announce(milestone::Writer("vm-exited").field("id", kVmId).field("reason", reason));
}

// The appliance console in raw mode while the child has it: each key goes to the child as it
// is typed, unechoed (the child's shell echoes), Ctrl-C included; restored at the end.
class RawConsole {
 public:
  RawConsole() {
    if (::tcgetattr(STDIN_FILENO, &saved_) != 0) return;
    termios raw = saved_;
    raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO | ISIG | IEXTEN);
    raw.c_iflag &= ~static_cast<tcflag_t>(ICRNL | IXON);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    active_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
  }
  ~RawConsole() {
    if (active_) (void)::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }
  RawConsole(const RawConsole&) = delete;
  RawConsole& operator=(const RawConsole&) = delete;

 private:
  termios saved_{};
  bool active_ = false;
};

class RunningVm final : public DefaultVm {
 public:
  RunningVm(PidOne& init, std::vector<uint8_t> kernel, std::vector<uint8_t> initramfs, int log_fd)
      : init_(init),
        kernel_(std::move(kernel)),
        initramfs_(std::move(initramfs)),
        log_fd_(log_fd),
        console_("child0: ", [this](const std::string& text) {
          (void)!::write(STDOUT_FILENO, text.data(), text.size());
          if (log_fd_ >= 0) (void)!::write(log_fd_, text.data(), text.size());
        }) {}

  ~RunningVm() override {
    if (vm_) vm_->stop();
    if (runner_.joinable()) runner_.join();
    init_.loop().unwatch(STDIN_FILENO);
    console_.close();
    if (log_fd_ >= 0) ::close(log_fd_);
  }

  bool start(const VmOptions& options) {
    auto backend = vmm::open_hvroot();
    if (!backend) return failed(vmm::describe(backend.error()));
    backend_ = std::move(*backend);
    if (auto k = vmm::install_kick_handler(); !k) return failed(vmm::describe(k.error()));
    vmm::LinuxVmConfig config;
    config.ram_mib = options.mem_mib;
    config.vcpus = options.vcpus;
    config.kernel = kernel_;
    config.initramfs = initramfs_;
    config.cmdline = options.cmdline;
    config.console = [this](uint8_t b) { console_.put(b); };
    auto vm = vmm::LinuxVm::create(*backend_, config);
    if (!vm) return failed(vmm::describe(vm.error()));
    vm_ = std::move(*vm);
    announce(milestone::Writer("vm-started")
                 .field("id", kVmId)
                 .field("vcpus", uint64_t{options.vcpus})
                 .field("mem_mib", options.mem_mib));
    raw_ = std::make_unique<RawConsole>();
    init_.loop().watch(STDIN_FILENO, [this] { forward_input(); });
    runner_ = std::thread([this] {
      const vmm::LinuxVmExit e = vm_->run();
      console_.close();
      say("child0: ended: " + std::string(vmm::describe(e.reason)) + " (" + e.detail + "), " +
          std::to_string(vm_->vp_exits()) + " exits, " + std::to_string(vm_->handled_exits()) +
          " handled by the VMM; by kind: " + vm_->exit_stats());
      announce_exit(vmm::describe(e.reason));
      raw_.reset();
    });
    return true;
  }

 private:
  bool failed(const std::string& why) {
    say("child0: cannot start: " + why);
    announce_exit("failed");
    return false;
  }

  void forward_input() {
    char buf[256];
    const ssize_t n = ::read(STDIN_FILENO, buf, sizeof(buf));
    if (n > 0 && vm_) vm_->send_input({buf, static_cast<size_t>(n)});
  }

  PidOne& init_;
  std::vector<uint8_t> kernel_;
  std::vector<uint8_t> initramfs_;
  int log_fd_;
  VmConsole console_;
  std::unique_ptr<vmm::Backend> backend_;
  std::unique_ptr<vmm::LinuxVm> vm_;
  std::unique_ptr<RawConsole> raw_;
  std::thread runner_;
};

}  // namespace

std::unique_ptr<DefaultVm> DefaultVm::start(PidOne& init, const VmOptions& options) {
  ChildImages images = read_child_images();
  std::vector<uint8_t> kernel = std::move(images.kernel);
  std::vector<uint8_t> initramfs = std::move(images.initramfs);
  if (kernel.empty()) {
    say(std::string("child0: cannot start: no kernel at ") + kChildKernel);
    announce_exit("failed");
    return nullptr;
  }
  (void)::mkdir("/run/rootstock", 0755);
  (void)::mkdir(kVmLogDir, 0755);
  const std::string log = std::string(kVmLogDir) + "/0.log";
  const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) say("child0: no log at " + log);
  auto vm = std::make_unique<RunningVm>(init, std::move(kernel), std::move(initramfs), log_fd);
  if (!vm->start(options)) return nullptr;
  return vm;
}

}  // namespace rootstock::init
