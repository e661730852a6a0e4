#include "pid_one.hpp"

#include <fcntl.h>
#include <linux/reboot.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "appliance/spec_dir.hpp"
#include "appliance/whole_file.hpp"
#include "boot_disk.hpp"
#include "console.hpp"
#include "default_vm.hpp"
#include "modules.hpp"
#include "network.hpp"
#include "pid_one_selftests.hpp"
#include "power_button.hpp"
#include "selftest/memory_figures.hpp"
#include "selftest/registry.hpp"
#include "vmm/hvroot_backend.hpp"

namespace rootstock::init {

using appliance::Existing;
using appliance::sync_folder;
using appliance::write_whole_file;
namespace {

// The signals PID 1 handles through its signalfd (all blocked for normal delivery). The kernel
// sends SIGINT for Ctrl-Alt-Del once reboot(CAD_OFF) is set, SIGPWR on power failure; the
// others are requests from outside (busybox's convention: USR1 halt-ish, USR2 power-off).
constexpr int kSignals[] = {SIGCHLD, SIGTERM, SIGINT, SIGUSR1, SIGUSR2, SIGPWR, SIGHUP};

Text as_text(std::string_view s) {
  return Text(s.data(), s.size());
}

std::string read_file(const char* path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

uint64_t system_ram_bytes(const std::string& iomem) {
  uint64_t total = 0;
  std::istringstream in(iomem);
  for (std::string line; std::getline(in, line);) {
    // Top-level entries only (nested ones are indented): "00100000-3bdfffff : System RAM".
    if (line.empty() || line[0] == ' ' || !line.ends_with(" : System RAM")) continue;
    const size_t dash = line.find('-');
    if (dash == std::string::npos) continue;
    const uint64_t start = std::strtoull(line.c_str(), nullptr, 16);
    const uint64_t end = std::strtoull(line.c_str() + dash + 1, nullptr, 16);
    if (end >= start) total += end - start + 1;
  }
  return total;
}

void PidOne::on_exit(pid_t pid, std::function<void(int)> callback) {
  exit_callbacks_[pid] = std::move(callback);
}

void PidOne::start() {
  attach_console();
  std::vector<std::string> errors;
  mounted_ = mount_all(sys_, early_mounts(), errors);
  attach_console();
  attach_screen();
  for (const std::string& e : errors) say(e);

  options_ = parse_options(read_file("/proc/cmdline"));
  for (const std::string& p : options_.problems) say("command line: " + p + "; ignored");

  load_hvroot();

  // Ctrl-Alt-Del becomes SIGINT to PID 1 instead of an immediate reboot.
  if (sys_.reboot(LINUX_REBOOT_CMD_CAD_OFF) != 0) say("cannot take over Ctrl-Alt-Del");
  watch_signals();
  watch_power_buttons();

  utsname u{};
  ::uname(&u);
  struct sysinfo si{};
  ::sysinfo(&si);
  const uint64_t mem_mib = static_cast<uint64_t>(si.totalram) * si.mem_unit >> 20;
  const long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  announce(milestone::Writer("root-init")
               .field("cpus", static_cast<uint64_t>(cpus > 0 ? cpus : 0))
               .field("mem_mib", mem_mib)
               .field("ram_mib", system_ram_bytes(read_file("/proc/iomem")) >> 20)
               .field("kernel", u.release));
  open_state();
  apply_configuration();
}

// The boot disk's two partitions: the configuration on the ESP, the state on the data
// partition. Only when rootstock.efi said which partition it was started from: a boot without
// it (-kernel, PXE, a CD) has no disk of its own to wait for.
void PidOne::open_state() {
  if (!options_.esp) return;
  const auto disk = find_boot_disk(*options_.esp, std::chrono::seconds(options_.data_wait_s), say);
  if (!disk) {
    say("the boot disk (EFI system partition " + options_.esp->text() + ") did not appear within " +
        std::to_string(options_.data_wait_s) +
        " s (rootstock.data_wait); running without its "
        "configuration and state");
    announce(milestone::Writer("data-unavailable").field("reason", "no-boot-disk"));
    return;
  }
  config_ =
      load_esp_config(partition_device("/sys/block", disk->name, disk->partitions.esp.number));
  auto data = mount_data_partition(*disk, say);
  if (!data) {
    say("data partition: " + data.error() + "; running without saved state");
    announce(milestone::Writer("data-unavailable").field("reason", "not-mounted"));
    return;
  }
  data_ = std::move(*data);
  mounted_.push_back(MountSpec{data_->device, kDataMount, "ext4", 0, ""});
  if (data_->grown_from_mib) {
    announce(milestone::Writer("data-grown")
                 .field("device", as_text(data_->device))
                 .field("from_mib", *data_->grown_from_mib)
                 .field("to_mib", data_->size_mib));
  }
  announce(milestone::Writer("data-mounted")
               .field("device", as_text(data_->device))
               .field("size_mib", data_->size_mib)
               .field("free_mib", data_->free_mib)
               .field("boots", data_->boots));
}

// The configuration file's settings, each overridden by its rootstock.* option when given.
void PidOne::apply_configuration() {
  if (!config_.problem.empty()) {
    say("configuration " + std::string(appliance::kApplianceConfigFile) + ": " + config_.problem +
        "; running with the defaults");
    announce(milestone::Writer("config-refused")
                 .field("file", as_text(appliance::kApplianceConfigFile))
                 .field("key", as_text(config_.refused_key)));
  }
  const appliance::ApplianceConfig& c = config_.config;
  const std::string hostname = options_.hostname.value_or(c.hostname);
  if (::sethostname(hostname.data(), hostname.size()) != 0) {
    say("cannot set the host name " + hostname + ": " + std::strerror(errno));
  }
  if (!options_.stop_timeout_s) options_.stop_timeout_s = c.stop_timeout_s;
  if (c.api) {
    // For the management API: the token stays in the root's memory, readable by root only.
    (void)::mkdir("/run/rootstock", 0755);
    if (auto kept = write_whole_file(kApiTokenFile, c.api->token, 0600, Existing::kReplace,
                                     /*durable=*/false);
        !kept) {
      say("cannot keep the API token: " + kept.error());
    }
  }
  if (data_ && data_->boots == 1) write_first_boot_vms();
  utsname u{};
  ::uname(&u);  // the host name as the kernel has it now
  announce(milestone::Writer("config")
               .field("source", config_.from_file ? "esp" : "defaults")
               .field("hostname", u.nodename)
               .field("api", c.api ? "on" : "off")
               .field("vms", c.vms.size()));
  // After the config line: the network's own lines come from its thread.
  start_network(c.network, hostname,
                NetworkReports{[](const std::string& line) { say(line); },
                               [](const milestone::Writer& line) { announce(line); }});
}

// The file's VMs become spec files on the data partition at the first boot: from then on they
// are the appliance's, kept and changed there, and an edited file does not bring them back.
void PidOne::write_first_boot_vms() {
  const std::string dir = kDataVmSpecs;
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    say("cannot make " + dir + ": " + std::strerror(errno));
    return;
  }
  for (const auto& [id, spec] : config_.config.vms) {
    const std::string path = dir + "/" + id + ".json";
    if (auto written = write_whole_file(path, appliance::to_json(spec), 0644, Existing::kRefuse,
                                        /*durable=*/true);
        !written) {
      say(written.error());
    }
  }
  (void)sync_folder(dir);
}

void PidOne::load_hvroot() {
  // The driver through which the VMM reaches hv (docs/hvroot.md). Without hv (a plain kernel
  // boot) it refuses to load; PID 1 says why and runs on without child VMs. Raw hypercalls are
  // for the self-tests that play a hostile root only.
  const bool abuse = selftest::need_raw_hypercalls(options_.selftests);
  const auto loaded = load_module(kHvrootModule, abuse ? "allow_raw_hypercalls=1" : "");
  if (!loaded) say("hvroot: " + loaded.error() + "; no child VMs");
  hvroot_loaded_ = loaded.has_value();
}

void PidOne::watch_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : kSignals) sigaddset(&set, s);
  if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0) fatal("cannot block signals");
  const int fd = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) fatal(std::string("signalfd: ") + std::strerror(errno));
  loop_.watch(fd, [this, fd] {
    signalfd_siginfo info;
    while (::read(fd, &info, sizeof(info)) == static_cast<ssize_t>(sizeof(info))) {
      switch (static_cast<int>(info.ssi_signo)) {
        case SIGCHLD:
          reap();
          break;
        case SIGINT:
          shut_down(PowerAction::kPowerOff, "ctrl-alt-del");
        case SIGTERM:
          shut_down(PowerAction::kPowerOff, "sigterm");
        case SIGUSR2:
          shut_down(PowerAction::kPowerOff, "sigusr2");
        case SIGPWR:
          shut_down(PowerAction::kPowerOff, "sigpwr");
        case SIGUSR1:
          shut_down(PowerAction::kReboot, "sigusr1");
        default:
          break;  // SIGHUP: nothing to reload yet
      }
    }
  });
}

void PidOne::watch_power_buttons() {
  const std::vector<int> buttons = open_power_buttons();
  if (buttons.empty()) say("no ACPI power button found");
  for (int fd : buttons) {
    loop_.watch(fd, [this, fd] {
      if (power_button_pressed(fd)) shut_down(PowerAction::kPowerOff, "power-button");
    });
  }
}

void PidOne::reap() {
  Reaped r;
  while (sys_.reap_one(r) == ReapResult::kReaped) {
    const auto it = exit_callbacks_.find(r.pid);
    if (it == exit_callbacks_.end()) {
      unclaimed_.push_back(r);
      continue;
    }
    auto callback = std::move(it->second);
    exit_callbacks_.erase(it);
    callback(r.status);
  }
}

void PidOne::run_selftests() {
  PidOneSelftests context(*this);
  selftest::run_selftests(options_.selftests, context);
}

void PidOne::start_appliance() {
  if (!hvroot_loaded_) {
    say("no child VMs: no hvroot driver (not under hv?)");
    return;
  }
  auto backend = vmm::open_hvroot();
  if (!backend) {
    say("no child VMs: " + vmm::describe(backend.error()));
    return;
  }
  backend_ = std::move(*backend);
  (void)::mkdir("/run/rootstock", 0755);
  (void)::mkdir(kVmLogDir, 0755);
  appliance::EventLog::Options log;
  if (data_) {
    (void)::mkdir(kDataLogs, 0755);
    log.file = std::string(kDataLogs) + "/appliance.jsonl";
  }
  log_ = std::make_unique<appliance::EventLog>(std::move(log));
  appliance::Appliance::Options o;
  o.log = log_.get();
  o.stop_timeout = std::chrono::seconds(options_.stop_timeout_s.value_or(30));
  o.say = [](const std::string& line) { say(line); };
  o.announce = [](const milestone::Writer& line) { announce(line); };
  o.console = [](const std::string& text) { write_console(text); };
  appliance_ = std::make_unique<appliance::Appliance>(*backend_, std::move(o));
  raw_terminal_ = std::make_unique<RawTerminal>();
  loop_.watch(STDIN_FILENO, [this] {
    char buf[256];
    const ssize_t n = ::read(STDIN_FILENO, buf, sizeof(buf));
    if (n > 0) appliance_->type({buf, static_cast<size_t>(n)});
  });
  define_vms();
}

namespace {

// GET /metrics' figures of the appliance: the root's uptime and memory, hv's frames.
appliance::ApplianceFigures appliance_figures(vmm::Backend& backend) {
  appliance::ApplianceFigures f;
  struct sysinfo si{};
  if (::sysinfo(&si) == 0) {
    f.uptime_seconds = static_cast<double>(si.uptime);
    f.memory_total_bytes = static_cast<uint64_t>(si.totalram) * si.mem_unit;
  }
  // MemAvailable: what the kernel can give without swapping; RssAnon: PID 1's anonymous
  // resident memory (proc(5); both "Key: N kB" lines).
  f.memory_available_bytes =
      selftest::meminfo_kib(read_file("/proc/meminfo"), "MemAvailable").value_or(0) * 1024;
  f.vmm_anon_bytes =
      selftest::meminfo_kib(read_file("/proc/self/status"), "RssAnon").value_or(0) * 1024;
  if (auto frames = backend.check_invariants()) {
    const std::pair<const char*, unsigned> states[] = {{"root", RS_FRAME_ROOT},
                                                       {"hv_free", RS_FRAME_HV_FREE},
                                                       {"hv_used", RS_FRAME_HV_USED},
                                                       {"deposited_free", RS_FRAME_DEPOSITED_FREE},
                                                       {"deposited_used", RS_FRAME_DEPOSITED_USED},
                                                       {"child", RS_FRAME_CHILD},
                                                       {"run_page", RS_FRAME_RUN_PAGE}};
    for (const auto& [name, state] : states) f.hv_frames.emplace_back(name, frames->frames[state]);
    f.hv_partitions = frames->partitions;
  }
  return f;
}

}  // namespace

// The management API, when the configuration has one: on its address and port, answering
// only requests with the configuration's token (a token is required wherever `api` is given,
// appliance_config.cpp). The outcome is a milestone: api-ready, or api-unavailable and why.
std::expected<appliance::TlsIdentity, std::string> PidOne::supplied_api_identity() const {
  if (!config_.api_identity) {
    return std::unexpected(config_.api_identity_problem.empty()
                               ? std::string("the configuration's certificate was not read")
                               : config_.api_identity_problem);
  }
  appliance::TlsIdentity identity = *config_.api_identity;
  auto fingerprint = appliance::check_tls_identity(identity);
  if (!fingerprint)
    return std::unexpected("the configuration's certificate: " + fingerprint.error());
  identity.fingerprint = *fingerprint;
  return identity;
}

void PidOne::start_api() {
  const std::optional<appliance::ApiConfig>& api = config_.config.api;
  if (!api) return;
  if (!appliance_) {
    say("management API: off, as this appliance runs no VMs (see above)");
    announce(milestone::Writer("api-unavailable").field("reason", "no-vms"));
    return;
  }
  appliance::ApiRouterOptions router;
  router.token = api->token;
  // The VMs the API makes are kept where the appliance reads its own at boot; without a data
  // partition they last until the power goes.
  if (data_) {
    (void)::mkdir(kDataVmSpecs, 0755);
    router.spec_dir = kDataVmSpecs;
    auto images = appliance::ImageStore::open(kDataImages);
    if (images) {
      images_ = std::move(*images);
      router.images = images_.get();
    } else {
      say("management API: no images: " + images.error());
    }
  }
  // A VM made through the API boots and uses images only: the store's and those built in.
  router.image_roots = {kDataImages, kBuiltInChildImages, kBuiltInExamples};
  // What such a VM writes (console log, logger, metrics) goes to the VMs' log folders only.
  router.output_roots = {kVmLogDir};
  if (data_) {
    (void)::mkdir(kDataVmLogs, 0755);
    router.output_roots.emplace_back(kDataVmLogs);
  }
  metrics_ =
      std::make_unique<appliance::MetricsFlusher>(appliance_->manager(), std::chrono::seconds(60));
  router.metrics = metrics_.get();
  router.appliance_figures = [backend = backend_.get()] { return appliance_figures(*backend); };
  router.log = log_.get();
  api_router_ = std::make_unique<appliance::ApiRouter>(appliance_->manager(), std::move(router));
  appliance::ApiServerOptions o;
  o.address = api->listen.address.text();
  o.port = api->listen.port;
  std::string fingerprint;
  if (api->tls) {
    // The identity is kept with the data partition; without one it lasts this boot.
    utsname u{};
    ::uname(&u);
    auto identity =
        api->certificate_file
            ? supplied_api_identity()
            : (data_ ? appliance::load_or_make_tls_identity(kDataApiIdentity, u.nodename)
                     : appliance::make_tls_identity(u.nodename));
    auto tls =
        identity ? appliance::TlsServer::create(*identity) : std::unexpected(identity.error());
    if (!tls) {
      say("management API: no TLS: " + tls.error());
      announce(milestone::Writer("api-unavailable").field("reason", "no-tls"));
      return;
    }
    api_tls_ = std::move(*tls);
    fingerprint = identity->fingerprint;
    o.wrap = [tls_server = api_tls_.get()](int fd) { return tls_server->wrap(fd); };
  }
  const appliance::ApiRouter* routes = api_router_.get();
  auto server = appliance::ApiServer::start(
      o, [routes](const appliance::ApiRequest& r) { return routes->handle(r); },
      [routes](const appliance::ApiRequest& head, uint64_t length) {
        return routes->start_upload(head, length);
      });
  if (!server) {
    say("management API: " + server.error());
    announce(milestone::Writer("api-unavailable").field("reason", "cannot-listen"));
    return;
  }
  api_server_ = std::move(*server);
  milestone::Writer ready("api-ready");
  ready.field("address", as_text(o.address))
      .field("port", static_cast<uint64_t>(api_server_->port()))
      .field("tls", api->tls ? "on" : "off");
  if (api->tls) ready.field("sha256", as_text(fingerprint));
  announce(ready);
}

void PidOne::define_vms() {
  if (options_.vm.start) {
    (void)appliance_->define(kDefaultVmId, default_vm_spec(options_.vm), "rootstock.vm");
  }
  // The image's folder (or rootstock.vm_specs), then the data partition's, where the VMs the
  // appliance keeps live.
  std::vector<std::string> dirs = {options_.vm_specs};
  if (data_) dirs.emplace_back(kDataVmSpecs);
  for (const std::string& dir : dirs) {
    const appliance::SpecDir specs = appliance::read_spec_dir(dir);
    for (const std::string& problem : specs.problems) say(problem + "; skipped");
    for (const appliance::SpecFile& file : specs.specs) {
      (void)appliance_->define(file.id, file.spec, file.path);
    }
  }
  // Without a data partition the configuration's VMs cannot be kept: defined at every boot.
  if (!data_) {
    for (const auto& [id, spec] : config_.config.vms) {
      (void)appliance_->define(id, spec, std::string(appliance::kApplianceConfigFile));
    }
  }
}

void PidOne::run() {
  start();
  run_selftests();
  start_appliance();
  start_api();
  loop_.run_until([] { return false; });
  fatal("the event loop stopped");
}

void PidOne::shut_down(PowerAction action, const std::string& reason) {
  if (stopping_) fatal("shutdown re-entered");
  stopping_ = true;
  // The VMs stop before the root's processes and mounts go: each gets its power button and
  // rootstock.stop_timeout, then is stopped; their ends are told before the appliance goes.
  // No request reaches the VMs once their shutdown begins; a request being answered finishes.
  api_server_.reset();
  api_router_.reset();
  api_tls_.reset();
  if (appliance_) {
    appliance_->shut_down();
    loop_.unwatch(STDIN_FILENO);
    appliance_.reset();
    raw_terminal_.reset();
  }
  init::shut_down(sys_, action, reason, mounted_, StopPolicy{}, say);
  fatal("could not power off or reboot");
}

void PidOne::fatal(const std::string& message) {
  say("fatal: " + message);
  if (options_.on_fatal != FatalAction::kStay && !stopping_) {
    shut_down(
        options_.on_fatal == FatalAction::kPowerOff ? PowerAction::kPowerOff : PowerAction::kReboot,
        "fatal-error");
  }
  say("staying up for diagnosis (rootstock.on_fatal=stay); reaping children");
  for (;;) {
    Reaped r;
    if (sys_.reap_one(r) != ReapResult::kReaped) sys_.sleep_for(std::chrono::seconds(1));
  }
}

}  // namespace rootstock::init
