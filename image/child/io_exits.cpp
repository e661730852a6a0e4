// io-exits [N]: what one exit to the VMM's user space and back costs, as the child sees it: N
// one-byte writes to port 0x80 (the PC's POST-code port; no device claims it in Rootstock's VMM
// or in QEMU's microvm, so each write goes out to the VMM's user space, which drops it, and
// comes back), timed with the child's monotonic clock. It prints
//   rootstock-child: io-exits n=N ns-per-exit=X total-ms=T
// (rootstock.child_cmd=io-exits, image/child/init.sh; bench/peer compares it with KVM's).
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <time.h>

namespace {

constexpr unsigned short kPostPort = 0x80;
constexpr unsigned long kDefaultWrites = 20000;

long long now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<long long>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

int main(int argc, char** argv) {
  const unsigned long n = argc > 1 ? strtoul(argv[1], nullptr, 10) : kDefaultWrites;
  if (n == 0) {
    printf("rootstock-child: io-exits failed (no writes asked)\n");
    return 1;
  }
  // Port access from user space needs CONFIG_X86_IOPL_IOPERM, which distribution kernels have
  // and Rootstock's own child kernel does not.
  if (ioperm(kPostPort, 1, 1) != 0) {
    printf("rootstock-child: io-exits failed (ioperm: %s)\n", strerror(errno));
    return 1;
  }
  const long long start = now_ns();
  for (unsigned long i = 0; i < n; ++i) outb(0, kPostPort);
  const long long took = now_ns() - start;
  printf("rootstock-child: io-exits n=%lu ns-per-exit=%lld total-ms=%lld\n", n,
         took / static_cast<long long>(n), took / 1'000'000);
  return 0;
}
