// chatframe-bench-framing — throughput of framer::feed() and what bounds it.
//
// Every benchmark frames the same pre-generated 64 MiB stream (one per
// workload, generated once and reused), fed in chunks of 64 KiB or 4 KiB:
//
//   chatframe/<term>/<len>   framer::feed() with a handler that only counts
//                            frames and bytes (a template handler: inlined).
//   memchr/<term>/<len>      the ceiling: memchr from hit to hit ('\n'), or
//                            memchr of the first byte + memcmp from hit to hit
//                            ("\r\n", "\r\n\r\n"), chunk by chunk.
//   careless/<term>/<len>    the baseline: std::string buffer, append each
//                            chunk, find() the terminator, erase() the front
//                            per frame.
//   chatframe/count/<body>   records: a 4-byte little-endian length header
//                            framed as count(4), then the body as count(len);
//                            the handler switches terminator in on_found().
//                            frames = on_found() calls (2 per record).
//   careless/count/<body>    the same records with a std::string buffer.
//   chatframe/none/-         the none terminator: every byte collected.
//   chatframe_cached/<term>/4096, memchr_cached/<term>/4096
//                            the same, over the stream's first 1 MiB 64
//                            times: the same bytes and frames from a range
//                            that stays in cache, as a chunk recv() just
//                            wrote does (the rows above read from memory).
//   memcpy/-/-               memcpy of the stream, chunk by chunk, into a
//                            chunk-sized buffer: the copy ceiling.
//   asio/<term>/<len>        Boost.Asio: asio::read_until() with an
//                            asio::streambuf over an in-memory SyncReadStream
//                            whose read_some() never crosses a chunk boundary
//                            (the same chunk sizes as the others get), then
//                            streambuf.consume(n) per line.
//   asio/count/<body>        the same records read with asio::read() and
//                            transfer_exactly(): header, then body.
//   asio_getline/<term>/<len> Asio's own idiom for lines (its examples and
//                            documentation): read_until(), then
//                            std::getline() from a std::istream over the
//                            streambuf — each line becomes a std::string
//                            (lf and crlf: getline ends at one byte).
//                            asio/ above is the strictest Asio: it never
//                            extracts a line, so it is the baseline the
//                            ratios use; this row shows what typical code
//                            pays.
//
// <term> is lf ("\n"), crlf ("\r\n") or crlf2 ("\r\n\r\n"); <len> is the line
// length including the terminator; payload is printable filler that contains
// neither '\r' nor '\n'.
//
// Counters: bytes_per_second (SetBytesProcessed), frames (kIsRate: frames/s),
// allocs_per_frame (heap allocations made inside the timed loop, counted by the
// replaced global operator new below, divided by frames; for workloads without
// frames, per iteration).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <istream>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>

#include "chatframe/framer.hpp"

#include "counting_allocator.hpp"

namespace {

constexpr std::size_t kStreamSize = std::size_t{64} << 20;
constexpr std::size_t kHeaderSize = 4;

// ---------------------------------------------------------------------------
// Workloads and their streams.

enum class shape : std::uint8_t { lines, records, none };

struct workload {
  shape kind;
  std::string_view term;  // lines: the delimiter
  std::size_t len;        // lines: line length incl. terminator; records: body length
  const char* term_name;  // for benchmark names
};

struct stream {
  std::string bytes;
  std::uint64_t frames = 0;         // frames a correct framer reports
  std::uint64_t payload_bytes = 0;  // bytes a correct framer collects
};

// Printable filler, never '\r' or '\n' (both are < 0x20).
struct filler {
  std::uint64_t s = 0x9E3779B97F4A7C15ull;
  char next() {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<char>(0x20 + (s >> 33) % 95);
  }
};

stream make_stream(const workload& w) {
  stream out;
  out.bytes.reserve(kStreamSize);
  filler f;
  switch (w.kind) {
    case shape::lines: {
      const std::size_t payload = w.len - w.term.size();
      while (out.bytes.size() + w.len <= kStreamSize) {
        for (std::size_t i = 0; i < payload; ++i) out.bytes.push_back(f.next());
        out.bytes.append(w.term);
        ++out.frames;
        out.payload_bytes += payload;
      }
      break;
    }
    case shape::records: {
      while (out.bytes.size() + kHeaderSize + w.len <= kStreamSize) {
        const auto n = static_cast<std::uint32_t>(w.len);
        for (std::size_t i = 0; i < kHeaderSize; ++i)
          out.bytes.push_back(static_cast<char>((n >> (8 * i)) & 0xFF));
        for (std::size_t i = 0; i < w.len; ++i) out.bytes.push_back(f.next());
        out.frames += 2;
        out.payload_bytes += kHeaderSize + w.len;
      }
      break;
    }
    case shape::none:
      while (out.bytes.size() < kStreamSize) out.bytes.push_back(f.next());
      out.payload_bytes = out.bytes.size();
      break;
  }
  return out;
}

// One stream alive at a time: benchmarks are registered grouped by workload,
// so each stream is generated once and reused by every benchmark of its group.
const stream& stream_for(const workload& w) {
  static const workload* current = nullptr;
  static stream cached;
  if (current == nullptr || current->kind != w.kind || current->term != w.term ||
      current->len != w.len) {
    cached = stream{};  // free the previous one before building the next
    cached = make_stream(w);
    current = &w;
  }
  return cached;
}

// ---------------------------------------------------------------------------
// Handlers: count and nothing else.

struct counting_handler {
  std::uint64_t frames = 0;
  std::uint64_t bytes = 0;
  void on_collect(const chatframe::collected& d) noexcept { bytes += d.size(); }
  void on_found() noexcept { ++frames; }
};

// Length-prefixed records: count(4) for the header, then count(len).
struct record_handler {
  chatframe::framer* f = nullptr;
  std::uint64_t frames = 0;
  std::uint64_t bytes = 0;
  unsigned char header[kHeaderSize] = {};
  std::size_t header_have = 0;
  bool in_header = true;

  void on_collect(const chatframe::collected& d) noexcept {
    bytes += d.size();
    if (!in_header) return;
    if (header_have == 0 && d.carried.empty() && d.fresh.size() == kHeaderSize) {
      std::memcpy(header, d.fresh.data(), kHeaderSize);  // the usual case: one piece
      header_have = kHeaderSize;
      return;
    }
    // The header may also arrive split across chunks.
    for (std::size_t i = 0; i < d.size() && header_have < kHeaderSize; ++i)
      header[header_have++] = static_cast<unsigned char>(d[i]);
  }
  void on_found() noexcept {
    ++frames;
    if (in_header) {
      const std::uint32_t n = header[0] | (std::uint32_t{header[1]} << 8) |
                              (std::uint32_t{header[2]} << 16) | (std::uint32_t{header[3]} << 24);
      header_have = 0;
      in_header = false;
      (void)f->set_terminator(chatframe::terminator::count(n));
    } else {
      in_header = true;
      (void)f->set_terminator(chatframe::terminator::count(kHeaderSize));
    }
  }
};

// ---------------------------------------------------------------------------
// Common reporting.

void report(benchmark::State& state, const stream& s, std::uint64_t frames,
            std::uint64_t allocations) {
  const auto iters = static_cast<std::int64_t>(state.iterations());
  state.SetBytesProcessed(iters * static_cast<std::int64_t>(s.bytes.size()));
  state.counters["frames"] =
      benchmark::Counter(static_cast<double>(frames), benchmark::Counter::kIsRate);
  const double per = frames != 0 ? static_cast<double>(frames) : static_cast<double>(iters);
  state.counters["allocs_per_frame"] = benchmark::Counter(static_cast<double>(allocations) / per);
}

bool check(benchmark::State& state, const char* what, std::uint64_t got, std::uint64_t want) {
  if (got == want) return true;
  char msg[160];
  std::snprintf(msg, sizeof msg, "%s: got %llu, want %llu", what,
                static_cast<unsigned long long>(got), static_cast<unsigned long long>(want));
  state.SkipWithError(msg);
  return false;
}

// One untimed pass that must frame what the stream holds (frames, and bytes
// when check_bytes), then the timed passes, reported with the allocations
// they made. `frames` and `bytes` are the counters run_once() adds to.
template <class Run>
void measure(benchmark::State& state, const stream& s, Run&& run_once, std::uint64_t& frames,
             std::uint64_t& bytes, bool check_bytes = true) {
  run_once();
  if (!check(state, "frames", frames, s.frames)) return;
  if (check_bytes && !check(state, "bytes", bytes, s.payload_bytes)) return;
  frames = bytes = 0;
  const std::uint64_t a0 = g_allocations.load(std::memory_order_relaxed);
  for (auto _ : state) {
    run_once();
    benchmark::DoNotOptimize(bytes);
    benchmark::DoNotOptimize(frames);
  }
  const std::uint64_t a1 = g_allocations.load(std::memory_order_relaxed);
  report(state, s, frames, a1 - a0);
}

template <class F>
void for_each_chunk_of(const char* p, const char* const end, std::size_t chunk, F& f) {
  while (p != end) {
    const std::size_t n =
        static_cast<std::size_t>(end - p) < chunk ? static_cast<std::size_t>(end - p) : chunk;
    f(p, n);
    p += n;
  }
}

// The stream, chunk by chunk. With `in_cache`, its first kHotSize bytes
// instead, kStreamSize / kHotSize times over: the same number of bytes and
// (for lines that divide kHotSize) frames, from a range that stays in cache,
// as a chunk just written by recv() is. The 64 MiB stream measures reading
// from memory, where 4 KiB chunks cost a stall per page.
constexpr std::size_t kHotSize = std::size_t{1} << 20;
template <class F>
void for_each_chunk(const std::string& bytes, std::size_t chunk, F&& f, bool in_cache = false) {
  if (!in_cache || bytes.size() < kHotSize) {
    for_each_chunk_of(bytes.data(), bytes.data() + bytes.size(), chunk, f);
    return;
  }
  for (std::size_t pass = 0; pass < bytes.size() / kHotSize; ++pass)
    for_each_chunk_of(bytes.data(), bytes.data() + kHotSize, chunk, f);
}

// ---------------------------------------------------------------------------
// chatframe.

void framer_run(benchmark::State& state, const workload* w, bool hot) {
  const stream& s = stream_for(*w);
  const auto chunk = static_cast<std::size_t>(state.range(0));
  chatframe::framer f;
  if (w->kind == shape::lines) (void)f.set_terminator(chatframe::terminator::bytes(w->term));
  if (w->kind == shape::records) (void)f.set_terminator(chatframe::terminator::count(kHeaderSize));
  counting_handler lh;
  record_handler rh;
  rh.f = &f;
  auto run_once = [&] {
    for_each_chunk(
        s.bytes, chunk,
        [&](const char* p, std::size_t n) {
          if (w->kind == shape::records)
            (void)f.feed(std::string_view(p, n), rh);
          else
            (void)f.feed(std::string_view(p, n), lh);
        },
        hot);
  };
  // Untimed warm-up pass that also checks the framer frames what it should.
  run_once();
  {
    const std::uint64_t frames = lh.frames + rh.frames, bytes = lh.bytes + rh.bytes;
    if (!check(state, "frames", frames, s.frames) || !check(state, "bytes", bytes, s.payload_bytes))
      return;
  }
  lh = {};
  rh.frames = rh.bytes = 0;
  const std::uint64_t a0 = g_allocations.load(std::memory_order_relaxed);
  for (auto _ : state) {
    run_once();
    benchmark::DoNotOptimize(lh.bytes);
    benchmark::DoNotOptimize(rh.bytes);
  }
  const std::uint64_t a1 = g_allocations.load(std::memory_order_relaxed);
  report(state, s, lh.frames + rh.frames, a1 - a0);
}

// ---------------------------------------------------------------------------
// Ceilings.

// memchr from hit to hit; for a multi-byte delimiter, memchr of its first byte
// and memcmp of the rest. Per chunk: a delimiter straddling two chunks is not
// counted (none does with these streams, whose lines divide the chunk size).
void memchr_run(benchmark::State& state, const workload* w, bool hot) {
  const stream& s = stream_for(*w);
  const auto chunk = static_cast<std::size_t>(state.range(0));
  const std::string_view t = w->term;
  const char first = t[0];
  const std::size_t m = t.size();
  std::uint64_t frames = 0, bytes = 0;
  auto run_once = [&] {
    for_each_chunk(
        s.bytes, chunk,
        [&](const char* p, std::size_t n) {
          const char* const end = p + n;
          if (m == 1) {
            while (const void* v = std::memchr(p, static_cast<unsigned char>(first),
                                               static_cast<std::size_t>(end - p))) {
              const char* hit = static_cast<const char*>(v);
              bytes += static_cast<std::size_t>(hit - p);
              ++frames;
              p = hit + 1;
            }
          } else {
            while (const void* v = std::memchr(p, static_cast<unsigned char>(first),
                                               static_cast<std::size_t>(end - p))) {
              const char* hit = static_cast<const char*>(v);
              if (static_cast<std::size_t>(end - hit) < m) break;
              if (std::memcmp(hit, t.data(), m) == 0) {
                bytes += static_cast<std::size_t>(hit - p);
                ++frames;
                p = hit + m;
              } else {
                p = hit + 1;
              }
            }
          }
        },
        hot);
  };
  measure(state, s, run_once, frames, bytes, /*check_bytes=*/false);
}

void bm_framer(benchmark::State& state, const workload* w) { framer_run(state, w, false); }
void bm_framer_cached(benchmark::State& state, const workload* w) { framer_run(state, w, true); }
void bm_memchr(benchmark::State& state, const workload* w) { memchr_run(state, w, false); }
void bm_memchr_cached(benchmark::State& state, const workload* w) { memchr_run(state, w, true); }

void bm_memcpy(benchmark::State& state, const workload* w) {
  const stream& s = stream_for(*w);
  const auto chunk = static_cast<std::size_t>(state.range(0));
  std::vector<char> dst(chunk);
  const std::uint64_t a0 = g_allocations.load(std::memory_order_relaxed);
  for (auto _ : state) {
    for_each_chunk(s.bytes, chunk, [&](const char* p, std::size_t n) {
      std::memcpy(dst.data(), p, n);
      benchmark::ClobberMemory();
    });
  }
  const std::uint64_t a1 = g_allocations.load(std::memory_order_relaxed);
  report(state, s, 0, a1 - a0);
}

// ---------------------------------------------------------------------------
// Careless baseline.

void bm_careless(benchmark::State& state, const workload* w) {
  const stream& s = stream_for(*w);
  const auto chunk = static_cast<std::size_t>(state.range(0));
  std::uint64_t frames = 0, bytes = 0;
  std::string buf;
  std::size_t need = kHeaderSize;  // records: bytes the next frame needs
  bool in_header = true;
  auto run_once = [&] {
    for_each_chunk(s.bytes, chunk, [&](const char* p, std::size_t n) {
      buf.append(p, n);
      if (w->kind == shape::lines) {
        for (;;) {
          const std::size_t pos = buf.find(w->term);
          if (pos == std::string::npos) break;
          bytes += pos;
          ++frames;
          buf.erase(0, pos + w->term.size());
        }
      } else {
        while (buf.size() >= need) {
          bytes += need;
          ++frames;
          if (in_header) {
            const auto* h = reinterpret_cast<const unsigned char*>(buf.data());
            const std::size_t body = h[0] | (std::size_t{h[1]} << 8) | (std::size_t{h[2]} << 16) |
                                     (std::size_t{h[3]} << 24);
            buf.erase(0, need);
            need = body;
          } else {
            buf.erase(0, need);
            need = kHeaderSize;
          }
          in_header = !in_header;
        }
      }
    });
  };
  measure(state, s, run_once, frames, bytes);
}

// ---------------------------------------------------------------------------
// Boost.Asio baseline.

// A SyncReadStream over the pre-generated stream: read_some() copies at most
// to the end of the current chunk, so the reader sees the same chunk
// boundaries as every other implementation (fewer bytes when Asio asks for
// fewer, e.g. transfer_exactly()). The copy into Asio's buffer is the recv()
// every implementation pays; the others are handed the chunk in place.
class chunked_stream {
 public:
  chunked_stream(const std::string& bytes, std::size_t chunk) : bytes_(bytes), chunk_(chunk) {}
  void rewind() noexcept { pos_ = 0; }

  template <class MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers, boost::system::error_code& ec) {
    ec = {};
    if (pos_ == bytes_.size()) {
      ec = boost::asio::error::eof;
      return 0;
    }
    const std::size_t chunk_end = std::min(bytes_.size(), (pos_ / chunk_ + 1) * chunk_);
    std::size_t room = chunk_end - pos_, n = 0;
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers) && room != 0; ++it) {
      const boost::asio::mutable_buffer b(*it);
      const std::size_t k = std::min(room, b.size());
      std::memcpy(b.data(), bytes_.data() + pos_ + n, k);
      n += k;
      room -= k;
    }
    pos_ += n;
    return n;
  }
  template <class MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers) {
    boost::system::error_code ec;
    const std::size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

 private:
  const std::string& bytes_;
  std::size_t chunk_;
  std::size_t pos_ = 0;
};

void bm_asio(benchmark::State& state, const workload* w) {
  const stream& s = stream_for(*w);
  const auto chunk = static_cast<std::size_t>(state.range(0));
  chunked_stream in(s.bytes, chunk);
  boost::asio::streambuf sb;
  std::uint64_t frames = 0, bytes = 0;
  auto run_once = [&] {
    in.rewind();
    sb.consume(sb.size());
    boost::system::error_code ec;
    if (w->kind == shape::lines) {
      const std::size_t m = w->term.size();
      for (;;) {
        const std::size_t n = m == 1 ? boost::asio::read_until(in, sb, w->term[0], ec)
                                     : boost::asio::read_until(in, sb, w->term, ec);
        if (ec) break;
        bytes += n - m;
        ++frames;
        sb.consume(n);
      }
    } else {
      for (;;) {
        if (sb.size() < kHeaderSize) {
          boost::asio::read(in, sb, boost::asio::transfer_exactly(kHeaderSize - sb.size()), ec);
          if (ec) break;
        }
        const auto* h = static_cast<const unsigned char*>(sb.data().data());
        const std::size_t body =
            h[0] | (std::size_t{h[1]} << 8) | (std::size_t{h[2]} << 16) | (std::size_t{h[3]} << 24);
        sb.consume(kHeaderSize);
        bytes += kHeaderSize;
        ++frames;
        if (sb.size() < body) {
          boost::asio::read(in, sb, boost::asio::transfer_exactly(body - sb.size()), ec);
          if (ec) break;
        }
        sb.consume(body);
        bytes += body;
        ++frames;
      }
    }
  };
  measure(state, s, run_once, frames, bytes);
}

// Lines the way Asio's examples read them: read_until(), then getline() from
// an istream on the streambuf (the delimiter's last byte ends the getline;
// the bytes before it in the delimiter stay in the line, as they do for
// users of "\r\n" with this idiom). The std::string is reused, so short
// lines allocate nothing.
void bm_asio_getline(benchmark::State& state, const workload* w) {
  const stream& s = stream_for(*w);
  const auto chunk = static_cast<std::size_t>(state.range(0));
  chunked_stream in(s.bytes, chunk);
  boost::asio::streambuf sb;
  std::istream is(&sb);
  std::string line;
  const std::size_t m = w->term.size();
  std::uint64_t frames = 0, bytes = 0;
  auto run_once = [&] {
    in.rewind();
    sb.consume(sb.size());
    is.clear();
    boost::system::error_code ec;
    for (;;) {
      if (m == 1)
        (void)boost::asio::read_until(in, sb, w->term[0], ec);
      else
        (void)boost::asio::read_until(in, sb, w->term, ec);
      if (ec) break;
      std::getline(is, line, w->term[m - 1]);
      bytes += line.size() - (m - 1);
      ++frames;
    }
  };
  measure(state, s, run_once, frames, bytes);
}

// ---------------------------------------------------------------------------

const workload kLines[] = {
    {shape::lines, "\n", 16, "lf"},
    {shape::lines, "\n", 128, "lf"},
    {shape::lines, "\n", 4096, "lf"},
    {shape::lines, "\r\n", 16, "crlf"},
    {shape::lines, "\r\n", 128, "crlf"},
    {shape::lines, "\r\n", 4096, "crlf"},
    {shape::lines, "\r\n\r\n", 16, "crlf2"},
    {shape::lines, "\r\n\r\n", 128, "crlf2"},
    {shape::lines, "\r\n\r\n", 4096, "crlf2"},
};
const workload kRecords[] = {
    {shape::records, {}, 16, "count"},
    {shape::records, {}, 128, "count"},
    {shape::records, {}, 4096, "count"},
};
const workload kNone = {shape::none, {}, 0, "none"};

void tune(benchmark::internal::Benchmark* b) {
  b->ArgName("chunk")->Arg(65536)->Arg(4096)->Unit(benchmark::kMillisecond);
}

std::string name(const char* impl, const workload& w) {
  std::string n = std::string(impl) + "/" + w.term_name + "/";
  n += w.kind == shape::none ? std::string("-") : std::to_string(w.len);
  return n;
}

void register_all() {
  for (const workload& w : kLines) {
    tune(benchmark::RegisterBenchmark(name("chatframe", w).c_str(), bm_framer, &w));
    tune(benchmark::RegisterBenchmark(name("memchr", w).c_str(), bm_memchr, &w));
    if (w.len == 4096) {  // whole lines in a 1 MiB range that stays in cache
      tune(benchmark::RegisterBenchmark(name("chatframe_cached", w).c_str(), bm_framer_cached, &w));
      tune(benchmark::RegisterBenchmark(name("memchr_cached", w).c_str(), bm_memchr_cached, &w));
    }
    // Quadratic in frames per chunk (each erase moves the rest of the
    // buffer): one 64 MiB pass already takes seconds for short lines.
    tune(benchmark::RegisterBenchmark(name("careless", w).c_str(), bm_careless, &w)->Iterations(1));
    tune(benchmark::RegisterBenchmark(name("asio", w).c_str(), bm_asio, &w));
    // getline() ends a line at one byte, so the idiom fits a delimiter whose
    // last byte occurs in it once ("\n", "\r\n"), not "\r\n\r\n".
    if (w.term.find(w.term.back()) == w.term.size() - 1)
      tune(benchmark::RegisterBenchmark(name("asio_getline", w).c_str(), bm_asio_getline, &w));
  }
  for (const workload& w : kRecords) {
    tune(benchmark::RegisterBenchmark(name("chatframe", w).c_str(), bm_framer, &w));
    tune(benchmark::RegisterBenchmark(name("careless", w).c_str(), bm_careless, &w)->Iterations(1));
    tune(benchmark::RegisterBenchmark(name("asio", w).c_str(), bm_asio, &w));
  }
  tune(benchmark::RegisterBenchmark(name("chatframe", kNone).c_str(), bm_framer, &kNone));
  tune(benchmark::RegisterBenchmark("memcpy/-/-", bm_memcpy, &kNone));
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
