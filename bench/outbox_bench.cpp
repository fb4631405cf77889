// chatframe-bench-outbox — the output side: draining an outbox into a sink.
//
// Each iteration pushes ~4 MiB as items of one size and drains the outbox
// completely into a sink that accepts everything (memcpy into a 1 MiB ring,
// as a socket's send buffer would copy). Timed: the pushes and the drain.
//
//   outbox/<item>/<drain>/size:<size>
//     item:  push      push(std::string): the outbox owns a copy (the string is
//                      built from a pre-made buffer; the allocation is the caller's
//                      and counted)
//            view      push_view(): borrowed bytes, nothing copied at push time
//            joined    push_view_joined(): the same borrowed slices, which lie
//                      back to back and so join one item (cut at 64 KiB)
//            producer  push_with_producer(simple_producer(<size> bytes, 512)),
//                      CPython's default producer buffer size
//     size:  16, 128, 4096 bytes per item
//     drain: offer     offer() -> sink -> consume(n): one "send()" per call,
//                      what CPython's initiate_send() does
//            gather    gather(64 views, 1 MiB) -> sink -> consume(total): what a
//                      writev()/sendmsg() transport does
//
// Counters: bytes_per_second, sink_calls_per_MiB (offers or gathers that gave
// data, per MiB drained: the number of system calls a socket transport would
// make), allocs_per_item (heap allocations per pushed item, counted by the
// replaced operator new), items (kIsRate: items/s).
#include <benchmark/benchmark.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "chatframe/outbox.hpp"
#include "chatframe/producer.hpp"

#include "bench_main.hpp"
#include "counting_allocator.hpp"

namespace {

constexpr std::size_t kPerIteration = std::size_t{4} << 20;
constexpr std::size_t kRing = std::size_t{1} << 20;
constexpr std::size_t kMiB = std::size_t{1} << 20;

enum class item : std::uint8_t { push, view, joined, producer };
enum class drain : std::uint8_t { offer, gather };

// Accepts everything: copies into a ring, as a kernel send buffer would.
struct sink {
  std::vector<char> ring = std::vector<char>(kRing);
  std::size_t pos = 0;
  std::uint64_t calls = 0;
  std::uint64_t bytes = 0;
  void put(std::string_view d) noexcept {
    while (!d.empty()) {
      const std::size_t k = std::min(d.size(), kRing - pos);
      std::memcpy(ring.data() + pos, d.data(), k);
      pos = (pos + k) % kRing;
      d.remove_prefix(k);
      bytes += k;
    }
  }
};

void bm_outbox(benchmark::State& state, item it, drain dr) {
  const auto size = static_cast<std::size_t>(state.range(0));
  const std::size_t count = kPerIteration / size;
  std::string payload(kPerIteration, 'x');
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>('a' + i % 26);
  chatframe::outbox out;
  sink s;
  std::uint64_t items = 0;
  auto run_once = [&] {
    for (std::size_t i = 0; i < count; ++i) {
      const std::string_view piece(payload.data() + i * size, size);
      switch (it) {
        case item::push: (void)out.push(std::string(piece)); break;
        case item::view: (void)out.push_view(piece); break;
        case item::joined: (void)out.push_view_joined(piece); break;
        case item::producer:
          (void)out.push_with_producer(
              std::make_unique<chatframe::simple_producer>(std::string(piece), 512));
          break;
      }
    }
    items += count;
    if (dr == drain::offer) {
      for (;;) {
        const chatframe::send_offer o = out.offer();
        if (o.status != chatframe::send_status::data) break;
        ++s.calls;
        s.put(o.data);
        (void)out.consume(o.data.size());
      }
    } else {
      std::array<std::string_view, 64> views;
      for (;;) {
        const std::size_t k = out.gather(views, kMiB);
        if (k == 0) {
          if (out.offer().status != chatframe::send_status::data) break;
          continue;  // spent entries before more data: offer() popped them
        }
        ++s.calls;
        std::size_t total = 0;
        for (std::size_t i = 0; i < k; ++i) {
          s.put(views[i]);
          total += views[i].size();
        }
        (void)out.consume(total);
      }
    }
  };
  run_once();  // warm-up and check
  if (s.bytes != count * size || !out.empty()) {
    state.SkipWithError("sink did not get every byte");
    return;
  }
  s.calls = s.bytes = 0;
  items = 0;
  const std::uint64_t a0 = g_allocations.load(std::memory_order_relaxed);
  for (auto _ : state) {
    run_once();
    benchmark::DoNotOptimize(s.ring.data());
  }
  const std::uint64_t a1 = g_allocations.load(std::memory_order_relaxed);
  state.SetBytesProcessed(static_cast<std::int64_t>(s.bytes));
  state.counters["items"] =
      benchmark::Counter(static_cast<double>(items), benchmark::Counter::kIsRate);
  state.counters["sink_calls_per_MiB"] =
      benchmark::Counter(static_cast<double>(s.calls) / (static_cast<double>(s.bytes) / kMiB));
  state.counters["allocs_per_item"] =
      benchmark::Counter(static_cast<double>(a1 - a0) / static_cast<double>(items ? items : 1));
}

void register_all() {
  const std::pair<item, const char*> items[] = {{item::push, "push"},
                                                {item::view, "view"},
                                                {item::joined, "joined"},
                                                {item::producer, "producer"}};
  const std::pair<drain, const char*> drains[] = {{drain::offer, "offer"},
                                                  {drain::gather, "gather"}};
  for (const auto& [it, iname] : items) {
    for (const long size : {16L, 128L, 4096L}) {
      for (const auto& [dr, dname] : drains) {
        const std::string n = std::string("outbox/") + iname + "/" + dname;
        benchmark::RegisterBenchmark(n.c_str(), bm_outbox, it, dr)
            ->Arg(size)
            ->ArgName("size")
            ->Unit(benchmark::kMillisecond);
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  return chatframe_bench::run_benchmarks(argc, argv);
}
