// chatframe-bench-extensions — what the opt-in extensions cost against the
// plain core, measured in one run on the same buffers: multi_framer with one
// and with two delimiters, with three and with five distinct last bytes
// (multi_framer's search has one path for up to four and another beyond),
// and frame_assembler (whole frames, size limit) on top of framer.
// '\n'-terminated lines of 16 B, 128 B and 4 KiB in a 64 MiB stream fed in
// 64 KiB chunks; the sinks only count. One row frames a stream whose lines end
// in turn with each of six delimiters instead. The BM_paired_multi_* rows run
// framer and multi_framer in the same iterations, alternating, and report the
// median ratio of their speeds: those are the ratios to quote (bench/NOTES.md).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <iterator>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "chatframe/frame_assembler.hpp"
#include "chatframe/framer.hpp"
#include "chatframe/memory_budget.hpp"
#include "chatframe/multi_framer.hpp"
#include "chatframe/outbox.hpp"

#include "bench_main.hpp"

namespace {

constexpr std::size_t kStream = std::size_t{64} << 20;
constexpr std::size_t kChunk = 64 * 1024;

const std::string& stream_of(std::size_t line) {
  static std::string cache[3];
  const std::size_t slot = line == 16 ? 0 : line == 128 ? 1 : 2;
  std::string& s = cache[slot];
  if (s.empty()) {
    s.reserve(kStream);
    while (s.size() < kStream) {
      for (std::size_t i = 0; i + 1 < line; ++i)
        s.push_back(static_cast<char>('a' + (s.size() + i) % 26));
      s.push_back('\n');
    }
  }
  return s;
}

// Six delimiters with five distinct last bytes.
constexpr std::string_view kSixDelimiters[] = {"\n", "\r\n", ";", "|", "\x1e", {"\0", 1}};

// As stream_of(), but line i ends with delimiter i % 6 of kSixDelimiters, so
// every delimiter occurs and each line is still `line` bytes long.
const std::string& mixed_stream_of(std::size_t line) {
  static std::string cache[3];
  const std::size_t slot = line == 16 ? 0 : line == 128 ? 1 : 2;
  std::string& s = cache[slot];
  if (s.empty()) {
    s.reserve(kStream + line);
    for (std::size_t i = 0; s.size() < kStream; ++i) {
      const std::string_view end = kSixDelimiters[i % std::size(kSixDelimiters)];
      for (std::size_t j = 0; j + end.size() < line; ++j)
        s.push_back(static_cast<char>('a' + (s.size() + j) % 26));
      s.append(end);
    }
  }
  return s;
}

struct counter {
  std::size_t frames = 0, bytes = 0;
  void on_collect(const chatframe::collected& d) { bytes += d.size(); }
  void on_found() { ++frames; }
  void on_found(std::size_t) { ++frames; }
};

struct frame_counter {
  std::size_t frames = 0, bytes = 0;
  void on_frame(std::string_view f, std::size_t) {
    ++frames;
    bytes += f.size();
  }
  void on_limit(const chatframe::frame_error&) {}
};

template <class Feed>
void run_on(const std::string& s, benchmark::State& state, Feed&& feed_chunk, std::size_t& frames) {
  for (auto _ : state) {
    for (std::size_t pos = 0; pos < s.size(); pos += kChunk)
      feed_chunk(std::string_view(s).substr(pos, kChunk));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * s.size()));
  state.counters["frames"] =
      benchmark::Counter(static_cast<double>(frames), benchmark::Counter::kIsRate);
}

template <class Feed>
void run(benchmark::State& state, Feed&& feed_chunk, std::size_t& frames) {
  run_on(stream_of(static_cast<std::size_t>(state.range(0))), state, std::forward<Feed>(feed_chunk),
         frames);
}

void BM_framer_single(benchmark::State& state) {
  chatframe::framer f;
  (void)f.set_terminator(chatframe::terminator::bytes("\n"));
  counter c;
  run(
      state, [&](std::string_view chunk) { (void)f.feed(chunk, c); }, c.frames);
}

// multi_framer over `stream` with `delimiters`, counting frames.
void run_multi(benchmark::State& state, std::span<const std::string_view> delimiters,
               const std::string& stream) {
  chatframe::multi_framer f;
  (void)f.set_delimiters(delimiters);
  counter c;
  run_on(
      stream, state, [&](std::string_view chunk) { (void)f.feed(chunk, c); }, c.frames);
}

// The delimiter sets multi_framer frames the lines with; every row but
// six_delimiters_mixed frames '\n' lines, so a set's other delimiters cost
// only the looking.
struct delimiter_set {
  const char* name;
  std::vector<std::string_view> delimiters;
  bool mixed;  // the lines end with each delimiter in turn (mixed_stream_of)
};
const delimiter_set kSets[] = {
    {"one_delimiter", {"\n"}, false},
    {"two_delimiters", {"\r\n", "\n"}, false},
    {"three_end_bytes", {"\n", ";", "|"}, false},
    {"six_delimiters", {std::begin(kSixDelimiters), std::end(kSixDelimiters)}, false},
    {"six_delimiters_mixed", {std::begin(kSixDelimiters), std::end(kSixDelimiters)}, true},
};

const std::string& stream_for(const delimiter_set& set, const benchmark::State& state) {
  const auto line = static_cast<std::size_t>(state.range(0));
  return set.mixed ? mixed_stream_of(line) : stream_of(line);
}

void bm_multi(benchmark::State& state, const delimiter_set* set) {
  run_multi(state, set->delimiters, stream_for(*set, state));
}

void BM_assembler(benchmark::State& state) {
  chatframe::framer f;
  (void)f.set_terminator(chatframe::terminator::bytes("\n"));
  frame_counter sink;
  chatframe::frame_assembler a(sink, {.max_frame_size = 1 << 20});
  run(
      state, [&](std::string_view chunk) { (void)a.feed(f, chunk); }, sink.frames);
}

// framer plus a memory_budget recount after every chunk, as a loop would do.
void BM_budget(benchmark::State& state) {
  chatframe::framer f;
  (void)f.set_terminator(chatframe::terminator::bytes("\n"));
  chatframe::outbox out;
  chatframe::memory_budget budget;
  counter c;
  run(
      state,
      [&](std::string_view chunk) {
        (void)f.feed(chunk, c);
        benchmark::DoNotOptimize(budget.update(f, out));
      },
      c.frames);
}

// The single framer and multi_framer over the same stream, one pass of each
// per iteration in alternating order, so that both see the same moment of a
// shared machine. Counter `ratio`: the median over iterations of the
// framer's pass time over multi_framer's, i.e. multi_framer's speed as a
// fraction of the single framer's; ratio_p25 and ratio_p75 its quartiles.
void run_paired(benchmark::State& state, std::span<const std::string_view> delimiters,
                const std::string& stream) {
  using clock = std::chrono::steady_clock;
  chatframe::framer single;
  (void)single.set_terminator(chatframe::terminator::bytes("\n"));
  chatframe::multi_framer multi;
  (void)multi.set_delimiters(delimiters);
  counter a, b;
  const auto pass = [&](auto& f, counter& c) {
    for (std::size_t pos = 0; pos < stream.size(); pos += kChunk)
      (void)f.feed(std::string_view(stream).substr(pos, kChunk), c);
  };
  std::vector<double> ratios;
  bool single_first = true;
  for (auto _ : state) {
    const auto t0 = clock::now();
    if (single_first)
      pass(single, a);
    else
      pass(multi, b);
    const auto t1 = clock::now();
    if (single_first)
      pass(multi, b);
    else
      pass(single, a);
    const auto t2 = clock::now();
    const double first = std::chrono::duration<double>(t1 - t0).count();
    const double second = std::chrono::duration<double>(t2 - t1).count();
    ratios.push_back(single_first ? first / second : second / first);
    single_first = !single_first;
  }
  if (a.frames != b.frames) state.SkipWithError("multi_framer and framer found different frames");
  std::sort(ratios.begin(), ratios.end());
  const auto at = [&](double q) {
    return ratios.empty()
               ? 0.0
               : ratios[static_cast<std::size_t>(q * static_cast<double>(ratios.size() - 1) + 0.5)];
  };
  state.counters["ratio"] = at(0.5);
  state.counters["ratio_p25"] = at(0.25);
  state.counters["ratio_p75"] = at(0.75);
}

void bm_paired(benchmark::State& state, const delimiter_set* set) {
  run_paired(state, set->delimiters, stream_for(*set, state));
}

// BM_multi_<set> for every set, then the other rows, then BM_paired_multi_<set>
// for the sets of '\n' lines.
void register_all() {
  const auto lines = [](benchmark::internal::Benchmark* b) {
    b->Arg(16)->Arg(128)->Arg(4096)->Unit(benchmark::kMillisecond);
  };
  lines(benchmark::RegisterBenchmark("BM_budget", BM_budget));
  lines(benchmark::RegisterBenchmark("BM_framer_single", BM_framer_single));
  for (const delimiter_set& set : kSets)
    lines(benchmark::RegisterBenchmark((std::string("BM_multi_") + set.name).c_str(), bm_multi,
                                       &set));
  lines(benchmark::RegisterBenchmark("BM_assembler", BM_assembler));
  for (const delimiter_set& set : kSets)
    if (!set.mixed)
      lines(benchmark::RegisterBenchmark((std::string("BM_paired_multi_") + set.name).c_str(),
                                         bm_paired, &set));
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  return chatframe_bench::run_benchmarks(argc, argv);
}
