// Pins the calling process to one CPU when the machine has more than one.
#pragma once
#include <sched.h>
#include <unistd.h>

#include <cstdio>

namespace chatframe_bench {
inline void pin_to_cpu(int cpu) {
  const long n = sysconf(_SC_NPROCESSORS_ONLN);
  if (n < 2 || cpu >= n) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) std::perror("sched_setaffinity");
}
}  // namespace chatframe_bench
