// chatframe-bench-worst-case — the framer's cost on the input that made it
// quadratic: near misses of a 1 MiB delimiter, fed in 1-byte and 16-byte
// chunks, so that every chunk ends with up to a megabyte held back.
//
//   BM_near_misses/<chunk>/<bytes>   framer::feed() over the first <bytes> of
//                                    the stream ('a' x (1 MiB - 1), 'c', and
//                                    again), delimiter 'a' x (1 MiB - 1), 'b'.
//   BM_growth/<chunk>/<bytes>        the same at <bytes> and at twice as many,
//                                    one pass of each per iteration in
//                                    alternating order; counter `growth` is the
//                                    median of time(2n) / time(n): 2.0 for a
//                                    linear cost, 4.0 for a quadratic one.
//
// framing/tests/linear_cost_test.cpp checks the same linearity by counting
// the bytes the engine examines, which no machine load can disturb; this
// shows the times.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "chatframe/framer.hpp"

#include "bench_main.hpp"

namespace {

constexpr std::size_t kDelimiter = std::size_t{1} << 20;

const std::string& stream() {
  static const std::string s = [] {
    std::string miss(kDelimiter - 1, 'a');
    miss += 'c';
    std::string out;
    while (out.size() < (std::size_t{4} << 20)) out += miss;
    return out;
  }();
  return s;
}

struct counter {
  std::size_t bytes = 0;
  void on_collect(const chatframe::collected& d) noexcept { bytes += d.size(); }
  void on_found() noexcept {}
};

// The framer, its 1 MiB delimiter set once (the KMP table takes milliseconds
// to build, which would hide what is measured).
chatframe::framer& framer() {
  static chatframe::framer f = [] {
    chatframe::framer made;
    (void)made.set_terminator(chatframe::terminator::bytes(std::string(kDelimiter - 1, 'a') + 'b'));
    return made;
  }();
  return f;
}

// Frames the first n bytes of the stream in chunks of `chunk` bytes, from
// nothing held.
void frame(std::size_t n, std::size_t chunk) {
  chatframe::framer& f = framer();
  f.discard();
  counter c;
  const std::string_view s = std::string_view(stream()).substr(0, n);
  for (std::size_t pos = 0; pos < s.size(); pos += chunk) (void)f.feed(s.substr(pos, chunk), c);
  benchmark::DoNotOptimize(c.bytes);
}

void BM_near_misses(benchmark::State& state) {
  const auto chunk = static_cast<std::size_t>(state.range(0));
  const auto n = static_cast<std::size_t>(state.range(1));
  frame(n, chunk);  // warm-up: the held bytes' storage grows once
  for (auto _ : state) frame(n, chunk);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

void BM_growth(benchmark::State& state) {
  using clock = std::chrono::steady_clock;
  const auto chunk = static_cast<std::size_t>(state.range(0));
  const auto n = static_cast<std::size_t>(state.range(1));
  frame(2 * n, chunk);
  std::vector<double> ratios;
  bool small_first = true;
  for (auto _ : state) {
    const auto t0 = clock::now();
    frame(small_first ? n : 2 * n, chunk);
    const auto t1 = clock::now();
    frame(small_first ? 2 * n : n, chunk);
    const auto t2 = clock::now();
    const double first = std::chrono::duration<double>(t1 - t0).count();
    const double second = std::chrono::duration<double>(t2 - t1).count();
    ratios.push_back(small_first ? second / first : first / second);
    small_first = !small_first;
  }
  std::sort(ratios.begin(), ratios.end());
  state.counters["growth"] = ratios.empty() ? 0.0 : ratios[ratios.size() / 2];
}

// 16 Ki and 32 Ki bytes: what the quadratic cost took seconds for; 2 MiB and
// 4 MiB: two and four near misses, each of which drops a megabyte held back
// (and walks the KMP table's megabyte of borders: n and 2n hold as many
// near misses per byte, so that their memory traffic compares too).
void sizes(benchmark::internal::Benchmark* b) {
  for (const std::int64_t chunk : {1, 16})
    for (const std::int64_t n : {std::int64_t{16} << 10, std::int64_t{32} << 10,
                                 std::int64_t{2} << 20, std::int64_t{4} << 20})
      b->Args({chunk, n});
  b->ArgNames({"chunk", "bytes"})->Unit(benchmark::kMillisecond);
}

void growth_sizes(benchmark::internal::Benchmark* b) {
  for (const std::int64_t chunk : {1, 16})
    for (const std::int64_t n : {std::int64_t{16} << 10, std::int64_t{2} << 20})
      b->Args({chunk, n});
  b->ArgNames({"chunk", "bytes"})->Unit(benchmark::kMillisecond);
}

}  // namespace

BENCHMARK(BM_near_misses)->Apply(sizes);
BENCHMARK(BM_growth)->Apply(growth_sizes);
int main(int argc, char** argv) { return chatframe_bench::run_benchmarks(argc, argv); }
