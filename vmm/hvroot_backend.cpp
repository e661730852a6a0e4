#include "vmm/hvroot_backend.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstdio>
#include <string>

#include "vmm/unique_fd.hpp"

namespace rootstock::vmm {
namespace {

// ioctl(2)'s request parameter is `unsigned long` in glibc and `int` in musl; the _IOR/_IOW
// numbers of hvroot.h have bit 31 set, so each library gets the conversion it declares.
template <typename Request>
int call_ioctl(int (*fn)(int, Request, ...), int fd, unsigned long request, void* arg) {
  return fn(fd, static_cast<Request>(request), arg);
}

int do_ioctl(int fd, unsigned long request, void* arg) {
  return call_ioctl(&::ioctl, fd, request, arg);
}

std::string hex(uint64_t value) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(value));
  return buf;
}

class HvrootVp final : public VpBackend {
 public:
  HvrootVp(UniqueFd fd, uint32_t index, rs_run_page* page)
      : fd_(std::move(fd)), index_(index), page_(page) {}
  ~HvrootVp() override { ::munmap(page_, sizeof(rs_run_page)); }
  HvrootVp(const HvrootVp&) = delete;
  HvrootVp& operator=(const HvrootVp&) = delete;

  uint32_t index() const override { return index_; }
  rs_run_page& run_page() override { return *page_; }

  Result<RunStatus> run() override {
    // The flags travel as the ioctl's argument value (hvroot.h), not through a pointer.
    void* flags = reinterpret_cast<void*>(halt_in_kernel_ ? HVROOT_RUN_HALT_IN_KERNEL : 0ul);
    if (do_ioctl(fd_.get(), HVROOT_RUN_VP, flags) == 0) return RunStatus::kExit;
    if (errno == EINTR) return RunStatus::kInterrupted;
    return fail_errno("HVROOT_RUN_VP vp=" + std::to_string(index_), errno);
  }

  Result<void> get_registers(std::span<const uint32_t> names,
                             std::span<rs_hc_register_value> values) override {
    return registers(HVROOT_GET_REGISTERS, "HVROOT_GET_REGISTERS", names, values.data(),
                     values.size());
  }

  Result<void> set_registers(std::span<const uint32_t> names,
                             std::span<const rs_hc_register_value> values) override {
    return registers(HVROOT_SET_REGISTERS, "HVROOT_SET_REGISTERS", names, values.data(),
                     values.size());
  }

  void set_halt_in_kernel(bool on) override { halt_in_kernel_ = on; }

  Result<void> inject(uint64_t event) override {
    hvroot_inject arg{};
    arg.event = event;
    if (do_ioctl(fd_.get(), HVROOT_INJECT, &arg) == 0) return {};
    return fail_errno("HVROOT_INJECT event=" + hex(event), errno, arg.hv_status);
  }

 private:
  Result<void> registers(unsigned long request, const char* name, std::span<const uint32_t> names,
                         const rs_hc_register_value* values, size_t value_count) {
    if (names.size() != value_count || names.empty() || names.size() > RS_HC_REGISTERS_MAX_REPS) {
      return fail(std::string(name) + ": " + std::to_string(names.size()) + " names and " +
                  std::to_string(value_count) + " values (1 to 128 pairs)");
    }
    hvroot_registers arg{};
    arg.count = static_cast<uint32_t>(names.size());
    arg.names = reinterpret_cast<uintptr_t>(names.data());
    arg.values = reinterpret_cast<uintptr_t>(values);
    if (do_ioctl(fd_.get(), request, &arg) == 0) return {};
    return fail_errno(std::string(name) + " count=" + std::to_string(names.size()), errno,
                      arg.hv_status);
  }

  bool halt_in_kernel_ = false;
  UniqueFd fd_;
  uint32_t index_;
  rs_run_page* page_;
};

class HvrootPartition final : public PartitionBackend {
 public:
  explicit HvrootPartition(UniqueFd fd) : fd_(std::move(fd)) {}

  Result<void> map_memory(uint64_t gpa, std::span<uint8_t> host, uint32_t flags) override {
    hvroot_memory_region arg{};
    arg.userspace_addr = reinterpret_cast<uintptr_t>(host.data());
    arg.guest_phys_addr = gpa;
    arg.size = host.size();
    arg.flags = flags;
    if (do_ioctl(fd_.get(), HVROOT_MAP_MEMORY, &arg) == 0) return {};
    return fail_errno(
        "HVROOT_MAP_MEMORY gpa=" + hex(gpa) + " size=" + hex(host.size()) + " flags=" + hex(flags),
        errno, arg.hv_status);
  }

  Result<void> unmap_memory(uint64_t gpa, uint64_t size) override {
    hvroot_memory_region arg{};
    arg.guest_phys_addr = gpa;
    arg.size = size;
    if (do_ioctl(fd_.get(), HVROOT_UNMAP_MEMORY, &arg) == 0) return {};
    return fail_errno("HVROOT_UNMAP_MEMORY gpa=" + hex(gpa) + " size=" + hex(size), errno,
                      arg.hv_status);
  }

  Result<std::unique_ptr<VpBackend>> create_vp(uint32_t index) override {
    hvroot_create_vp arg{};
    arg.vp_index = index;
    const std::string what = "HVROOT_CREATE_VP vp=" + std::to_string(index);
    UniqueFd vp(do_ioctl(fd_.get(), HVROOT_CREATE_VP, &arg));
    if (!vp) return fail_errno(what, errno);
    void* page =
        ::mmap(nullptr, sizeof(rs_run_page), PROT_READ | PROT_WRITE, MAP_SHARED, vp.get(), 0);
    if (page == MAP_FAILED) return fail_errno(what + ": mmap of the run page", errno);
    return std::make_unique<HvrootVp>(std::move(vp), index, static_cast<rs_run_page*>(page));
  }

  Result<hvroot_partition_info> query() override {
    hvroot_partition_info info{};
    if (do_ioctl(fd_.get(), HVROOT_QUERY_PARTITION, &info) == 0) return info;
    return fail_errno("HVROOT_QUERY_PARTITION", errno);
  }

  Result<void> interrupt(uint32_t flags, uint64_t argument) override {
    hvroot_interrupt arg{};
    arg.flags = flags;
    arg.argument = argument;
    if (do_ioctl(fd_.get(), HVROOT_INTERRUPT, &arg) == 0) return {};
    return fail_errno("HVROOT_INTERRUPT flags=" + hex(flags) + " argument=" + hex(argument), errno,
                      arg.hv_status);
  }

  Result<void> doorbell(hvroot_doorbell& arg) override {
    if (do_ioctl(fd_.get(), HVROOT_DOORBELL, &arg) == 0) return {};
    return fail_errno("HVROOT_DOORBELL gpa=" + hex(arg.gpa) + " flags=" + hex(arg.flags), errno,
                      arg.hv_status);
  }

 private:
  UniqueFd fd_;
};

class HvrootBackend final : public Backend {
 public:
  explicit HvrootBackend(UniqueFd fd) : fd_(std::move(fd)) {}

  Result<hvroot_version> version() override {
    hvroot_version v{};
    if (do_ioctl(fd_.get(), HVROOT_GET_VERSION, &v) == 0) return v;
    return fail_errno("HVROOT_GET_VERSION", errno);
  }

  Result<std::unique_ptr<PartitionBackend>> create_partition() override {
    hvroot_create_partition arg{};
    UniqueFd partition(do_ioctl(fd_.get(), HVROOT_CREATE_PARTITION, &arg));
    if (!partition) return fail_errno("HVROOT_CREATE_PARTITION", errno);
    return std::make_unique<HvrootPartition>(std::move(partition));
  }

  Result<rs_hc_invariants_output> check_invariants() override {
    rs_hc_invariants_output out{};
    if (do_ioctl(fd_.get(), HVROOT_CHECK_INVARIANTS, &out) == 0) return out;
    return fail_errno("HVROOT_CHECK_INVARIANTS", errno);
  }

  Result<void> raw_hypercall(hvroot_raw_hypercall& call) override {
    if (do_ioctl(fd_.get(), HVROOT_RAW_HYPERCALL, &call) == 0) return {};
    return fail_errno("HVROOT_RAW_HYPERCALL control=" + hex(call.control), errno);
  }

 private:
  UniqueFd fd_;
};

}  // namespace

Result<std::unique_ptr<Backend>> open_hvroot(const char* path) {
  UniqueFd fd(::open(path, O_RDWR | O_CLOEXEC));
  if (!fd) {
    const int err = errno;
    std::string what = std::string("open ") + path;
    if (err == ENOENT) what += " (is the hvroot module loaded?)";
    return fail_errno(what, err);
  }
  return std::make_unique<HvrootBackend>(std::move(fd));
}

}  // namespace rootstock::vmm
