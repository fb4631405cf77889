// The main() of every Google Benchmark suite here: Google Benchmark parses
// the command line (--help exits 0); an unknown flag is named on stderr and
// exits 2, as a bad command line does in every chatframe tool.
#pragma once

#include <benchmark/benchmark.h>

namespace chatframe_bench {
inline int run_benchmarks(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
}  // namespace chatframe_bench
