// The `protection` self-test (issue: the appliance image): inside the root partition, show that
// hv's memory can be neither read nor written from the root (through /dev/mem), that the root
// cannot turn SVM on or off or move hv's host save area (through /dev/cpu/0/msr), and that the
// root sees hv's CPUID leaves and no SVM (/proc/cpuinfo).
#include <cpuid.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rootstock/hypercall_abi.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>

#include "selftest/selftests.hpp"

namespace rootstock::selftest {
namespace {

constexpr uint32_t kLeafSignature = RS_CPUID_LEAF_SIGNATURE;
constexpr uint32_t kLeafMemory = RS_CPUID_LEAF_HV_MEMORY;
constexpr uint32_t kLeafCanary = RS_CPUID_LEAF_HV_CANARY;
constexpr uint32_t kMsrEfer = 0xc0000080;
constexpr uint32_t kMsrVmCr = 0xc0010114;
constexpr uint32_t kMsrVmHsavePa = 0xc0010117;
constexpr uint64_t kEferSvme = 1ull << 12;
constexpr uint64_t kVmCrSvmDis = 1ull << 4;
constexpr size_t kPage = 4096;

struct Regs {
  uint32_t a, b, c, d;
};

Regs cpuid(uint32_t leaf) {
  Regs r{};
  __cpuid_count(leaf, 0, r.a, r.b, r.c, r.d);
  return r;
}

void check_cpuid(SelftestResult& r) {
  const Regs sig = cpuid(kLeafSignature);
  char name[13] = {};
  std::memcpy(name, &sig.b, 4);
  std::memcpy(name + 4, &sig.c, 4);
  std::memcpy(name + 8, &sig.d, 4);
  r.check(std::strcmp(name, "Rootstock hv") == 0,
          std::string("CPUID 0x40000000 signature is '") + name + "'");
  r.check(sig.a >= kLeafCanary, "CPUID 0x40000000 lists too few hypervisor leaves");
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line, flags;
  while (std::getline(cpuinfo, line)) {
    if (line.starts_with("flags")) {
      flags = " " + line.substr(line.find(':') + 1) + " ";
      break;
    }
  }
  r.check(flags.find(" hypervisor ") != std::string::npos, "/proc/cpuinfo lacks 'hypervisor'");
  r.check(!flags.empty() && flags.find(" svm ") == std::string::npos,
          "/proc/cpuinfo shows 'svm' to the root");
}

// Reads every word of a mapped page; true when all are all-ones (hv's "empty bus").
bool all_ones(const volatile uint32_t* p) {
  for (size_t i = 0; i < kPage / 4; ++i) {
    if (p[i] != 0xffffffffu) return false;
  }
  return true;
}

void check_memory(SelftestResult& r) {
  const Regs mem = cpuid(kLeafMemory);
  const Regs can = cpuid(kLeafCanary);
  const uint64_t base = mem.a | (static_cast<uint64_t>(mem.b) << 32);
  const uint64_t canary = can.a | (static_cast<uint64_t>(can.b) << 32);
  r.check(mem.c != 0 && base != 0, "hv did not say where its memory is (CPUID 0x40000002)");
  r.check(canary >= base && canary < base + (uint64_t{mem.c} << 20),
          "hv's canary page is outside its reservation");
  r.check(can.c == 1, "hv's canary was not intact before the test");
  const int fd = ::open("/dev/mem", O_RDWR | O_SYNC | O_CLOEXEC);
  r.check(fd >= 0, std::string("open /dev/mem: ") + std::strerror(errno));
  if (fd < 0) return;
  for (const uint64_t target : {base, canary}) {
    void* m =
        ::mmap(nullptr, kPage, PROT_READ | PROT_WRITE, MAP_SHARED, fd, static_cast<off_t>(target));
    r.check(m != MAP_FAILED, std::string("mmap /dev/mem: ") + std::strerror(errno));
    if (m == MAP_FAILED) continue;
    auto* p = static_cast<volatile uint32_t*>(m);
    r.check(all_ones(p), "the root read something other than all ones from hv's memory");
    for (size_t i = 0; i < kPage / 4; i += 8) p[i] = 0x0badf00d;  // each write must be dropped
    r.check(all_ones(p), "a root write to hv's memory became visible");
    ::munmap(m, kPage);
  }
  ::close(fd);
  r.check(cpuid(kLeafCanary).c == 1, "hv's canary changed: the root wrote hv's memory");
}

bool read_msr(int fd, uint32_t msr, uint64_t& value) {
  return ::pread(fd, &value, sizeof(value), msr) == static_cast<ssize_t>(sizeof(value));
}
bool write_msr(int fd, uint32_t msr, uint64_t value) {
  return ::pwrite(fd, &value, sizeof(value), msr) == static_cast<ssize_t>(sizeof(value));
}

void check_msrs(SelftestResult& r) {
  const int fd = ::open("/dev/cpu/0/msr", O_RDWR | O_CLOEXEC);
  r.check(fd >= 0, std::string("open /dev/cpu/0/msr: ") + std::strerror(errno));
  if (fd < 0) return;
  uint64_t efer = 0, vm_cr = 0;
  r.check(read_msr(fd, kMsrEfer, efer), "cannot read EFER");
  r.check((efer & kEferSvme) == 0, "the root sees EFER.SVME set");
  r.check(write_msr(fd, kMsrEfer, efer & ~kEferSvme), "rewriting EFER without SVME failed");
  r.check(!write_msr(fd, kMsrEfer, efer | kEferSvme), "the root could set EFER.SVME");
  r.check(!write_msr(fd, kMsrVmHsavePa, 0x1000), "the root could move VM_HSAVE_PA");
  r.check(read_msr(fd, kMsrVmCr, vm_cr) && (vm_cr & kVmCrSvmDis) != 0,
          "VM_CR does not say SVM is disabled");
  ::close(fd);
}

}  // namespace

void selftest_protection(SelftestContext&, SelftestResult& r) {
  check_cpuid(r);
  check_memory(r);
  check_msrs(r);
}

}  // namespace rootstock::selftest
