// cpu-handoff ROUNDS: a token passed around every CPU the child has, ROUNDS times, by one thread
// pinned to each CPU that waits for its turn in a PAUSE loop, as a kernel spinlock waiter or a
// CPU waiting for an IPI's answer does (rootstock.child_cmd=cpu-handoff, image/child/init.sh).
// Every pass needs the next vCPU to run: with more vCPUs than the root has CPUs, that is the
// root's scheduler's doing, and a spinning vCPU that gives way (hv's PAUSE exits, the driver's
// directed yield) is what keeps it fast. It prints
//   rootstock-child: cpu-handoff cpus=N rounds=R passes=P ms=T
// with T the child's own monotonic time for all passes. Plain POSIX threads and Linux's
// affinity calls; no C++ library.
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

namespace {

constexpr unsigned kMaxCpus = 64;

struct Ring {
  unsigned cpus = 0;
  unsigned long passes = 0;  ///< token passes in all
  /// The pass number whose turn it is; thread i takes passes i, i + cpus, ...
  alignas(64) volatile unsigned long turn = 0;
};

struct Seat {
  Ring* ring;
  unsigned index;
  int cpu;
};

void* take_turns(void* arg) {
  const auto* seat = static_cast<const Seat*>(arg);
  Ring& ring = *seat->ring;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(seat->cpu, &set);
  if (sched_setaffinity(0, sizeof(set), &set) != 0) {
    printf("rootstock-child: cpu-handoff: cannot pin a thread to CPU %d\n", seat->cpu);
  }
  for (unsigned long pass = seat->index; pass < ring.passes; pass += ring.cpus) {
    while (__atomic_load_n(&ring.turn, __ATOMIC_ACQUIRE) != pass) __builtin_ia32_pause();
    __atomic_store_n(&ring.turn, pass + 1, __ATOMIC_RELEASE);
  }
  return nullptr;
}

unsigned long now_ms() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<unsigned long>(t.tv_sec) * 1000 +
         static_cast<unsigned long>(t.tv_nsec) / 1000000;
}

}  // namespace

int main(int argc, char** argv) {
  const unsigned long rounds = argc > 1 ? strtoul(argv[1], nullptr, 10) : 100;
  cpu_set_t online;
  if (sched_getaffinity(0, sizeof(online), &online) != 0) return 1;
  int cpu_of[kMaxCpus];
  Ring ring;
  for (int cpu = 0; cpu < CPU_SETSIZE && ring.cpus < kMaxCpus; ++cpu) {
    if (CPU_ISSET(cpu, &online)) cpu_of[ring.cpus++] = cpu;
  }
  ring.passes = rounds * ring.cpus;
  Seat seats[kMaxCpus];
  pthread_t threads[kMaxCpus];
  const unsigned long start = now_ms();
  for (unsigned i = 0; i < ring.cpus; ++i) {
    seats[i] = {&ring, i, cpu_of[i]};
    if (pthread_create(&threads[i], nullptr, take_turns, &seats[i]) != 0) {
      printf("rootstock-child: cpu-handoff: cannot start thread %u\n", i);
      return 1;
    }
  }
  for (unsigned i = 0; i < ring.cpus; ++i) pthread_join(threads[i], nullptr);
  printf("rootstock-child: cpu-handoff cpus=%u rounds=%lu passes=%lu ms=%lu\n", ring.cpus, rounds,
         ring.passes, now_ms() - start);
  return 0;
}
