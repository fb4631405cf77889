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
//                            the handler switches with set_count() in
//                            on_found(), as the README advises.
//                            frames = on_found() calls (2 per record).
//   careless/count/<body>    the same records with a std::string buffer.
//   chatframe/none/-         the none terminator: every byte collected.
//   chatframe_cached/<term>/4096, memchr_cached/<term>/4096,
//   chatframe_cached/count/<body>
//                            the same, over the stream's first 1 MiB (its
//                            whole records, for count) 64 times: about the
//                            same bytes and frames from a range that stays
//                            in cache, as a chunk recv() just wrote does
//                            (the rows above read from memory).
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
//   length/count/<body>      the same records through the ready-made decoder,
//                            length_field_framer, as whole frames (on_frame);
//   length_pieces/count/<body> and as streamed pieces (on_frame_begin /
//                            on_frame_piece / on_frame_end: never copied).
//   walk/count/<body>        the floor under any decoder: a bare walk from
//                            header to header that never touches a body.
//   read/count/<body>        the memory's pace, no decoder: one load from
//                            every 64-byte line of each read (2 KiB
//                            prefetched ahead), summed, and nothing else.
//                            A decoder of 16 B or 128 B records reads a
//                            header in every line or two; at about read/'s
//                            speed from memory (paired_read_pieces, ratio
//                            near 1) it is bound by the memory, not by its
//                            own work, and read/ against Asio
//                            (paired_asio_read) is then about the most a
//                            decoder can be over Asio in that process.
//   walk_whole/count/<body>  the floor under whole-frame delivery: the walk,
//                            plus what the decoder's contract makes it do —
//                            a record that crosses a read is copied once
//                            into one reused buffer; one inside a read is a
//                            view. Paired with length/ (paired_walk_whole_
//                            length) it is the ratio to quote for whole
//                            frames; walk/ is the one for pieces.
//   paired_memchr/<term>/<len>, paired_memchr_cached/<term>/4096,
//   paired_asio/<term>/<len>, paired_asio/count/<body>,
//   paired_asio_cached/count/<body>, paired_walk_length/count/<body>,
//   paired_walk_whole_length/count/<body>, paired_walk_pieces/count/<body>,
//   paired_asio_length/count/<body>, paired_asio_pieces/count/<body>,
//   paired_{walk,asio}_{length,pieces}_cached/count/<body>,
//   paired_walk_whole_length_cached/count/<body> (the last five over the
//   range that stays in cache), paired_read_pieces/count/<body>,
//   paired_asio_read/count/<body> (Asio against read/)
//                            chatframe and the ceiling (or Asio) in the same
//                            iterations, one pass of each per iteration in
//                            alternating order; counter `ratio` is the median
//                            of the per-iteration speed ratios. These are the
//                            ratios to quote: separate rows run seconds
//                            apart, and on a shared machine memory bandwidth
//                            moves by 10-30% in that time.
//
// <term> is lf ("\n"), crlf ("\r\n") or crlf2 ("\r\n\r\n"); <len> is the line
// length including the terminator; payload is printable filler that contains
// neither '\r' nor '\n'. <body> is a record's body length, 16, 128 or 4096
// bytes, or `mixed`: lengths from 8 B to 16 KiB in no order, as an RPC
// connection carries them (mixed_body_length()), where a decoder meets long
// records and short ones after them.
//
// Counters of the single rows: bytes_per_second (SetBytesProcessed), frames
// (kIsRate: frames/s), allocs_per_frame (heap allocations made inside the
// timed loop, counted by the replaced global operator new, divided by frames;
// for workloads without frames, per iteration). Paired rows: see bm_paired().
#include <benchmark/benchmark.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <istream>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>

#include "chatframe/framer.hpp"
#include "chatframe/length_field_framer.hpp"

#include "bench_main.hpp"
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
  // Records only: bodies of mixed lengths (mixed_body_length()) instead of
  // len each; named count/mixed.
  bool mixed = false;
};

// What one pass reads: `size` bytes from `data`, `reps` times over, and what
// a correct framer finds in them.
struct extent {
  const char* data = nullptr;
  std::size_t size = 0;
  std::size_t reps = 1;
  std::uint64_t frames = 0;
  std::uint64_t payload_bytes = 0;
  [[nodiscard]] std::uint64_t total_bytes() const { return std::uint64_t{size} * reps; }
};

// The stream's first kHotSize bytes stay in cache; the cached rows read them
// kStreamSize / kHotSize times over, as a chunk recv() just wrote is read.
constexpr std::size_t kHotSize = std::size_t{1} << 20;

struct stream {
  std::string bytes;
  std::uint64_t frames = 0;         // frames a correct framer reports
  std::uint64_t payload_bytes = 0;  // bytes a correct framer collects
  // The longest prefix of at most kHotSize bytes that ends with a frame (all
  // of kHotSize for lines that divide it; 7943 whole 132-byte records).
  std::size_t hot_size = 0;
  std::uint64_t hot_frames = 0;
  std::uint64_t hot_payload_bytes = 0;

  [[nodiscard]] extent whole() const {
    return {bytes.data(), bytes.size(), 1, frames, payload_bytes};
  }
  [[nodiscard]] extent hot() const {
    const std::size_t reps = kStreamSize / kHotSize;
    return {bytes.data(), hot_size, reps, hot_frames * reps, hot_payload_bytes * reps};
  }
};

// A fixed pseudo-random sequence (a 64-bit LCG): every stream is the same
// on every run.
struct sequence {
  std::uint64_t s;
  // The next number, below n.
  std::uint64_t below(std::uint64_t n) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return (s >> 33) % n;
  }
};

// Printable filler, never '\r' or '\n' (both are < 0x20).
struct filler {
  sequence seq{0x9E3779B97F4A7C15ull};
  char next() { return static_cast<char>(0x20 + seq.below(95)); }
};

// count/mixed's body lengths, as a binary RPC connection carries them: 60%
// of 8-64 bytes, 30% of 65-512, 8% of 513-2048 and 2% of 2049-16384 (about
// 390 bytes on average), one after another in no order — so runs of short
// records follow long ones, and the decoder's record run changes schedule
// (engine::record_run()). `lengths` is a sequence of their own.
std::size_t mixed_body_length(sequence& lengths) {
  const std::uint64_t r = lengths.below(100);
  if (r < 60) return 8 + lengths.below(57);
  if (r < 90) return 65 + lengths.below(448);
  if (r < 98) return 513 + lengths.below(1536);
  return 2049 + lengths.below(14336);
}

// Called after each whole frame: the hot prefix grows while it fits.
void mark_hot(stream& s) {
  if (s.bytes.size() > kHotSize) return;
  s.hot_size = s.bytes.size();
  s.hot_frames = s.frames;
  s.hot_payload_bytes = s.payload_bytes;
}

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
        mark_hot(out);
      }
      break;
    }
    case shape::records: {
      sequence lengths{0x2545F4914F6CDD1Dull};
      for (;;) {
        const std::size_t len = w.mixed ? mixed_body_length(lengths) : w.len;
        if (out.bytes.size() + kHeaderSize + len > kStreamSize) break;
        const auto n = static_cast<std::uint32_t>(len);
        for (std::size_t i = 0; i < kHeaderSize; ++i)
          out.bytes.push_back(static_cast<char>((n >> (8 * i)) & 0xFF));
        for (std::size_t i = 0; i < len; ++i) out.bytes.push_back(f.next());
        out.frames += 2;
        out.payload_bytes += kHeaderSize + len;
        mark_hot(out);
      }
      break;
    }
    case shape::none:
      while (out.bytes.size() < kStreamSize) out.bytes.push_back(f.next());
      out.payload_bytes = out.bytes.size();
      out.hot_size = out.hot_payload_bytes = kHotSize;
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
      current->len != w.len || current->mixed != w.mixed) {
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

// Length-prefixed records: count(4) for the header, then count(len). A
// header that arrives whole, as nearly all do, is the one 4-byte piece the
// framer hands over for it (a header split across chunks comes in shorter
// pieces): its length is read straight from the stream, with nothing else to
// keep. A split header is gathered byte by byte.
struct record_handler {
  chatframe::framer* f = nullptr;
  std::uint64_t frames = 0;
  std::uint64_t bytes = 0;
  std::uint32_t length = 0;       // little-endian, from the header's bytes
  std::uint32_t header_have = 0;  // bytes of a split header gathered so far
  bool in_header = true;

  void on_collect(const chatframe::collected& d) noexcept {
    bytes += d.size();
    if (!in_header) return;
    if (d.carried.empty() && d.fresh.size() == kHeaderSize) [[likely]] {
      const auto* b = reinterpret_cast<const unsigned char*>(d.fresh.data());
      length = b[0] | (std::uint32_t{b[1]} << 8) | (std::uint32_t{b[2]} << 16) |
               (std::uint32_t{b[3]} << 24);
      return;
    }
    if (header_have == 0) length = 0;
    for (std::size_t i = 0; i < d.size() && header_have < kHeaderSize; ++i, ++header_have)
      length |= std::uint32_t{static_cast<unsigned char>(d[i])} << (8 * header_have);
    if (header_have == kHeaderSize) header_have = 0;
  }
  void on_found() noexcept {
    ++frames;
    in_header = !in_header;
    (void)f->set_count(in_header ? kHeaderSize : length);
  }
};

// ---------------------------------------------------------------------------
// Chunking.

template <class F>
void for_each_chunk_of(const char* p, const char* const end, std::size_t chunk, F& f) {
  while (p != end) {
    const std::size_t n =
        static_cast<std::size_t>(end - p) < chunk ? static_cast<std::size_t>(end - p) : chunk;
    f(p, n);
    p += n;
  }
}

// An extent, chunk by chunk; each repetition is chunked from its start. The
// whole 64 MiB stream measures reading from memory, where 4 KiB chunks cost
// a stall per page; its hot prefix, a range that stays in cache.
template <class F>
void for_each_chunk(const extent& e, std::size_t chunk, F&& f) {
  for (std::size_t rep = 0; rep < e.reps; ++rep)
    for_each_chunk_of(e.data, e.data + e.size, chunk, f);
}

// ---------------------------------------------------------------------------
// Implementations. Each is a pass: run() frames the whole stream once (or,
// in cache, its first MiB as many times), adding what it found to frames and
// bytes. One virtual call per 64 MiB pass; everything inside run() inlines.

enum class impl : std::uint8_t {
  chatframe,
  memchr,
  careless,
  asio,
  asio_getline,
  length,
  length_pieces,
  walk,
  walk_whole,
  read,
};

class pass {
 public:
  pass(const extent& e, const workload& w, std::size_t chunk) : e_(e), w_(w), chunk_(chunk) {}
  pass(const pass&) = delete;
  pass& operator=(const pass&) = delete;
  virtual ~pass() = default;
  virtual void run() = 0;
  // Whether run() reports the payload bytes a correct framer collects (the
  // memchr ceiling counts only frames: it ignores delimiters split by chunks).
  [[nodiscard]] virtual bool counts_bytes() const { return true; }
  // Whether frames are records and bytes their bodies (the length-field
  // decoder and the walk), not the count framer's headers and bodies.
  [[nodiscard]] virtual bool counts_records() const { return false; }
  // Whether run() frames at all (read/ only reads).
  [[nodiscard]] virtual bool counts_frames() const { return true; }
  std::uint64_t frames = 0;
  std::uint64_t bytes = 0;

 protected:
  template <class F>
  void chunks(F&& f) {
    for_each_chunk(e_, chunk_, std::forward<F>(f));
  }
  extent e_;
  const workload& w_;
  std::size_t chunk_;
};

// chatframe: framer::feed() with a handler that only counts.
class chatframe_pass final : public pass {
 public:
  chatframe_pass(const extent& e, const workload& w, std::size_t chunk) : pass(e, w, chunk) {
    if (w.kind == shape::lines) (void)f_.set_terminator(chatframe::terminator::bytes(w.term));
    if (w.kind == shape::records)
      (void)f_.set_terminator(chatframe::terminator::count(kHeaderSize));
    rh_.f = &f_;
  }
  void run() override {
    lh_.frames = lh_.bytes = rh_.frames = rh_.bytes = 0;
    if (w_.kind == shape::records)
      chunks([&](const char* p, std::size_t n) { (void)f_.feed(std::string_view(p, n), rh_); });
    else
      chunks([&](const char* p, std::size_t n) { (void)f_.feed(std::string_view(p, n), lh_); });
    frames += lh_.frames + rh_.frames;
    bytes += lh_.bytes + rh_.bytes;
  }

 private:
  chatframe::framer f_;
  counting_handler lh_;
  record_handler rh_;
};

// Records through the ready-made decoder: length_field_framer with the
// stream's layout (4-byte little-endian field counting the body, header
// stripped). Frames whole (on_frame: zero-copy inside a chunk, copied once
// across chunks) or, with pieces, streamed (on_frame_begin / on_frame_piece /
// on_frame_end: never copied).
class length_pass final : public pass {
 public:
  length_pass(const extent& e, const workload& w, std::size_t chunk, bool pieces)
      : pass(e, w, chunk), pieces_(pieces) {}
  [[nodiscard]] bool counts_records() const override { return true; }
  void run() override {
    wh_ = {};
    ph_ = {};
    if (pieces_)
      chunks([&](const char* p, std::size_t n) { (void)f_.feed(std::string_view(p, n), ph_); });
    else
      chunks([&](const char* p, std::size_t n) { (void)f_.feed(std::string_view(p, n), wh_); });
    frames += wh_.frames + ph_.frames;
    bytes += wh_.bytes + ph_.bytes;
  }

 private:
  struct whole_handler {
    std::uint64_t frames = 0;
    std::uint64_t bytes = 0;
    void on_frame(std::string_view frame) noexcept {
      ++frames;
      bytes += frame.size();
    }
    void on_error(const chatframe::length_error& /*e*/) noexcept { frames = 0; }  // never here
  };
  struct piece_handler {
    std::uint64_t frames = 0;
    std::uint64_t bytes = 0;
    void on_frame_begin(std::uint64_t /*length*/) noexcept {}
    void on_frame_piece(std::string_view piece) noexcept { bytes += piece.size(); }
    void on_frame_end() noexcept { ++frames; }
    void on_error(const chatframe::length_error& /*e*/) noexcept { frames = 0; }  // never here
  };
  chatframe::length_field_framer f_{
      {.length_width = kHeaderSize, .order = chatframe::byte_order::little, .strip = std::nullopt}};
  bool pieces_;
  whole_handler wh_;
  piece_handler ph_;
};

// The floor under any length-prefixed decoder: a bare walk from header to
// header over the same chunks — read the 4-byte length, step over the body —
// with only the state a chunk boundary needs (a split header, the rest of a
// body). Counts records and body bytes; checks nothing else.
//
// kWhole: the floor under whole-frame delivery (length_field_framer's
// on_frame()), walk_whole/: the same walk, delivering what the decoder
// delivers — each record's body as one view, into the chunk when the record
// lies whole in it, else into one reused buffer that the record's bytes are
// copied into as they arrive (it grows with the bytes copied, is never
// reserved from a declared length, and keeps its capacity from one record
// to the next). The only work on top of the bare walk is the copy that the
// decoder's contract also makes ("copied once otherwise"): the bare walk
// never touches a body, so it is no floor for whole frames that cross reads.
template <bool kWhole>
class walk_pass final : public pass {
 public:
  using pass::pass;
  [[nodiscard]] bool counts_records() const override { return true; }
  void run() override {
    chunks([&](const char* p, std::size_t n) {
      const char* const end = p + n;
      while (p != end) {
        if (body_left_ != 0) {  // the rest of a body begun in an earlier chunk
          const std::size_t take =
              std::min<std::size_t>(body_left_, static_cast<std::size_t>(end - p));
          if constexpr (kWhole) frame_.append(p, take);
          p += take;
          body_left_ -= take;
          if (body_left_ == 0) deliver_copy();
          continue;
        }
        if (have_ == 0) {
          // The counts in registers while the walk runs (stores to members
          // would be ordered with the loads from the chunk: char aliases).
          std::uint64_t n_frames = 0, n_bytes = 0;
          while (static_cast<std::size_t>(end - p) >= kHeaderSize) {
            std::uint32_t len;
            std::memcpy(&len, p, sizeof len);
            const std::size_t left = static_cast<std::size_t>(end - p) - kHeaderSize;
            n_bytes += len;
            if (len > left) {  // the body goes on in the next chunk
              if constexpr (kWhole) frame_.assign(p + kHeaderSize, left);
              body_left_ = len - left;
              p = end;
              break;
            }
            ++n_frames;  // (kWhole: the frame is a view of len bytes at p + kHeaderSize)
            p += kHeaderSize + len;
          }
          frames += n_frames;
          bytes += n_bytes;
          if (p == end) break;
        }
        length_ |= std::uint32_t{static_cast<unsigned char>(*p++)} << (8 * have_);
        if (++have_ == kHeaderSize) {
          bytes += length_;
          body_left_ = length_;
          if (body_left_ == 0) deliver_copy();
          have_ = 0;
          length_ = 0;
        }
      }
    });
  }

 private:
  // The end of a record that was not whole in one chunk (kWhole: the view
  // of the copy is handed out, and the buffer emptied for the next record).
  void deliver_copy() {
    ++frames;
    if constexpr (kWhole) {
      benchmark::DoNotOptimize(frame_.data());
      frame_.clear();
    }
  }
  std::uint64_t body_left_ = 0;
  std::uint32_t length_ = 0;  // of a header split across chunks, so far
  std::size_t have_ = 0;      // its bytes so far
  std::string frame_;         // kWhole: the record crossing reads, so far
};

// The ceiling: memchr from hit to hit; for a multi-byte delimiter, memchr of
// its first byte and memcmp of the rest. Per chunk: a delimiter straddling
// two chunks is not counted (none does with these streams, whose lines divide
// the chunk size).
class memchr_pass final : public pass {
 public:
  using pass::pass;
  [[nodiscard]] bool counts_bytes() const override { return false; }
  void run() override {
    const std::string_view t = w_.term;
    const char first = t[0];
    const std::size_t m = t.size();
    chunks([&](const char* p, std::size_t n) {
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
    });
  }
};

// The memory's pace (read/): one byte of every 64-byte line of each chunk,
// summed so that no load can be dropped. The loads are independent (no
// chain, unlike a walk from header to header) and prefetched ahead, so the
// core keeps as many lines in flight as it can. Not a strict ceiling: the
// decoder's own prefetch schedule (short_walk_prefetch) outran it with
// 128 B records in 4 KiB reads (bench/NOTES.md, "Issue 23, 2026-12-06
// (fourth)").
class read_pass final : public pass {
 public:
  using pass::pass;
  [[nodiscard]] bool counts_frames() const override { return false; }
  void run() override {
    std::uint64_t sum = 0;
    chunks([&](const char* p, std::size_t n) {
      for (std::size_t i = 0; i < n; i += 64) {
        __builtin_prefetch(p + i + kReadAhead);  // a hint: past the chunk's end it never faults
        sum += static_cast<unsigned char>(p[i]);
      }
    });
    benchmark::DoNotOptimize(sum);
  }

 private:
  static constexpr std::size_t kReadAhead = 2048;
};

// The careless baseline: std::string buffer, append each chunk, find() the
// terminator, erase() the front per frame.
class careless_pass final : public pass {
 public:
  using pass::pass;
  void run() override {
    chunks([&](const char* p, std::size_t n) {
      buf_.append(p, n);
      if (w_.kind == shape::lines) {
        for (;;) {
          const std::size_t pos = buf_.find(w_.term);
          if (pos == std::string::npos) break;
          bytes += pos;
          ++frames;
          buf_.erase(0, pos + w_.term.size());
        }
        return;
      }
      while (buf_.size() >= need_) {
        bytes += need_;
        ++frames;
        if (in_header_) {
          const auto* h = reinterpret_cast<const unsigned char*>(buf_.data());
          const std::size_t body = h[0] | (std::size_t{h[1]} << 8) | (std::size_t{h[2]} << 16) |
                                   (std::size_t{h[3]} << 24);
          buf_.erase(0, need_);
          need_ = body;
        } else {
          buf_.erase(0, need_);
          need_ = kHeaderSize;
        }
        in_header_ = !in_header_;
      }
    });
  }

 private:
  std::string buf_;
  std::size_t need_ = kHeaderSize;  // records: bytes the next frame needs
  bool in_header_ = true;
};

// A SyncReadStream over an extent: read_some() copies at most to the end of
// the current chunk, so the reader sees the same chunk boundaries as every
// other implementation (fewer bytes when Asio asks for fewer, e.g.
// transfer_exactly()). The copy into Asio's buffer is the recv() every
// implementation pays; the others are handed the chunk in place.
class chunked_stream {
 public:
  chunked_stream(const extent& e, std::size_t chunk) : e_(e), chunk_(chunk) {}
  void rewind() noexcept { pos_ = rep_ = 0; }

  template <class MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers, boost::system::error_code& ec) {
    ec = {};
    if (pos_ == e_.size && rep_ + 1 < e_.reps) {
      pos_ = 0;
      ++rep_;
    }
    if (pos_ == e_.size) {
      ec = boost::asio::error::eof;
      return 0;
    }
    const std::size_t chunk_end = std::min(e_.size, (pos_ / chunk_ + 1) * chunk_);
    std::size_t room = chunk_end - pos_, n = 0;
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers) && room != 0; ++it) {
      const boost::asio::mutable_buffer b(*it);
      const std::size_t k = std::min(room, b.size());
      std::memcpy(b.data(), e_.data + pos_ + n, k);
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
  extent e_;
  std::size_t chunk_;
  std::size_t pos_ = 0;  // in the current repetition
  std::size_t rep_ = 0;
};

// Boost.Asio at its leanest: read_until() with a streambuf, then consume(n)
// per line; records with read() and transfer_exactly(), header then body.
class asio_pass final : public pass {
 public:
  asio_pass(const extent& e, const workload& w, std::size_t chunk)
      : pass(e, w, chunk), in_(e, chunk) {}
  void run() override {
    in_.rewind();
    sb_.consume(sb_.size());
    boost::system::error_code ec;
    if (w_.kind == shape::lines) {
      const std::size_t m = w_.term.size();
      for (;;) {
        const std::size_t n = m == 1 ? boost::asio::read_until(in_, sb_, w_.term[0], ec)
                                     : boost::asio::read_until(in_, sb_, w_.term, ec);
        if (ec) break;
        bytes += n - m;
        ++frames;
        sb_.consume(n);
      }
      return;
    }
    for (;;) {
      if (sb_.size() < kHeaderSize) {
        boost::asio::read(in_, sb_, boost::asio::transfer_exactly(kHeaderSize - sb_.size()), ec);
        if (ec) break;
      }
      const auto* h = static_cast<const unsigned char*>(sb_.data().data());
      const std::size_t body =
          h[0] | (std::size_t{h[1]} << 8) | (std::size_t{h[2]} << 16) | (std::size_t{h[3]} << 24);
      sb_.consume(kHeaderSize);
      bytes += kHeaderSize;
      ++frames;
      if (sb_.size() < body) {
        boost::asio::read(in_, sb_, boost::asio::transfer_exactly(body - sb_.size()), ec);
        if (ec) break;
      }
      sb_.consume(body);
      bytes += body;
      ++frames;
    }
  }

 private:
  chunked_stream in_;
  boost::asio::streambuf sb_;
};

// Lines the way Asio's examples read them: read_until(), then getline() from
// an istream on the streambuf (the delimiter's last byte ends the getline;
// the bytes before it in the delimiter stay in the line, as they do for
// users of "\r\n" with this idiom). The std::string is reused, so short
// lines allocate nothing.
class asio_getline_pass final : public pass {
 public:
  asio_getline_pass(const extent& e, const workload& w, std::size_t chunk)
      : pass(e, w, chunk), in_(e, chunk), is_(&sb_) {}
  void run() override {
    in_.rewind();
    sb_.consume(sb_.size());
    is_.clear();
    const std::size_t m = w_.term.size();
    boost::system::error_code ec;
    for (;;) {
      if (m == 1)
        (void)boost::asio::read_until(in_, sb_, w_.term[0], ec);
      else
        (void)boost::asio::read_until(in_, sb_, w_.term, ec);
      if (ec) break;
      std::getline(is_, line_, w_.term[m - 1]);
      bytes += line_.size() - (m - 1);
      ++frames;
    }
  }

 private:
  chunked_stream in_;
  boost::asio::streambuf sb_;
  std::istream is_;
  std::string line_;
};

std::unique_ptr<pass> make_pass(impl i, const extent& e, const workload& w, std::size_t chunk) {
  switch (i) {
    case impl::chatframe: return std::make_unique<chatframe_pass>(e, w, chunk);
    case impl::memchr: return std::make_unique<memchr_pass>(e, w, chunk);
    case impl::careless: return std::make_unique<careless_pass>(e, w, chunk);
    case impl::asio: return std::make_unique<asio_pass>(e, w, chunk);
    case impl::asio_getline: return std::make_unique<asio_getline_pass>(e, w, chunk);
    case impl::length: return std::make_unique<length_pass>(e, w, chunk, false);
    case impl::length_pieces: return std::make_unique<length_pass>(e, w, chunk, true);
    case impl::walk: return std::make_unique<walk_pass<false>>(e, w, chunk);
    case impl::walk_whole: return std::make_unique<walk_pass<true>>(e, w, chunk);
    case impl::read: return std::make_unique<read_pass>(e, w, chunk);
  }
  return nullptr;
}

// ---------------------------------------------------------------------------
// Running them.

bool check(benchmark::State& state, const char* what, std::uint64_t got, std::uint64_t want) {
  if (got == want) return true;
  char msg[160];
  std::snprintf(msg, sizeof msg, "%s: got %llu, want %llu", what,
                static_cast<unsigned long long>(got), static_cast<unsigned long long>(want));
  state.SkipWithError(msg);
  return false;
}

// One untimed pass that must find what the stream holds; true if it did. It
// also warms up what the timed passes reuse (buffers, the framer's state).
bool verify(benchmark::State& state, pass& p, const extent& e) {
  p.run();
  if (!p.counts_frames()) return true;
  // Records: the stream's count frames are a header and a body each.
  const std::uint64_t frames = p.counts_records() ? e.frames / 2 : e.frames;
  const std::uint64_t bytes =
      p.counts_records() ? e.payload_bytes - kHeaderSize * frames : e.payload_bytes;
  if (!check(state, "frames", p.frames, frames)) return false;
  if (p.counts_bytes() && !check(state, "bytes", p.bytes, bytes)) return false;
  p.frames = p.bytes = 0;
  return true;
}

// Counters: bytes_per_second, frames (a rate), allocs_per_frame (allocations
// in the timed passes per frame; per iteration for workloads without frames).
void bm_single(benchmark::State& state, const workload* w, impl i, bool hot) {
  const stream& s = stream_for(*w);
  const extent e = hot ? s.hot() : s.whole();
  const auto chunk = static_cast<std::size_t>(state.range(0));
  const std::unique_ptr<pass> p = make_pass(i, e, *w, chunk);
  if (!verify(state, *p, e)) return;
  const std::uint64_t a0 = g_allocations.load(std::memory_order_relaxed);
  for (auto _ : state) {
    p->run();
    benchmark::DoNotOptimize(p->frames);
  }
  const std::uint64_t a1 = g_allocations.load(std::memory_order_relaxed);
  const auto iters = static_cast<std::int64_t>(state.iterations());
  state.SetBytesProcessed(iters * static_cast<std::int64_t>(e.total_bytes()));
  state.counters["frames"] =
      benchmark::Counter(static_cast<double>(p->frames), benchmark::Counter::kIsRate);
  const double per = p->frames != 0 ? static_cast<double>(p->frames) : static_cast<double>(iters);
  state.counters["allocs_per_frame"] = benchmark::Counter(static_cast<double>(a1 - a0) / per);
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5)];
}

// How fast the core issues instructions for this thread at the moment: ns
// per block of 150 nops, which use no execution unit, only issue slots. On
// this project's host it reads about 5.3 ns while the vCPU has its physical
// core to itself and 6.5-12 ns while the core's other hardware thread is busy
// with another guest's work, which halves the decoder's speed and not the
// bare walk's (bench/NOTES.md, "the 4 KiB mode is the core's, not the
// process's"). 0 where there is no probe.
double core_probe_ns() {
#if defined(__x86_64__)
  constexpr int kBlocks = 20000;  // about 0.1 ms
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kBlocks; ++i) asm volatile(".rept 150\n\tnop\n\t.endr");
  const auto t1 = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::nano>(t1 - t0).count() / kBlocks;
#else
  return 0.0;
#endif
}

// chatframe and another implementation, one pass each per iteration, the
// order alternating: both see the same moment of a shared machine, so their
// ratio does not carry the drift that separate rows a few seconds apart do
// (memory bandwidth here moves by 10-30% between seconds). Counters:
// ratio = median over iterations of (other's pass time / chatframe's), i.e.
// how many times faster chatframe is; ratio_p25, ratio_p75 its quartiles;
// chatframe_Bps, other_Bps the two throughputs over all iterations; cpu the
// CPU of the last iteration and cpu_moves how many times the process moved;
// core_probe_ns the slower of two core_probe_ns() readings, before and after
// the iterations. On a shared host a vCPU can run instruction-heavy code at
// half the speed it had a second before, while latency-bound code (the bare
// walk) hardly changes, so a row's ratio depends on where and when it ran.
void bm_paired(benchmark::State& state, const workload* w, impl mine, impl other, bool hot) {
  using clock = std::chrono::steady_clock;
  const stream& s = stream_for(*w);
  const extent e = hot ? s.hot() : s.whole();
  const auto chunk = static_cast<std::size_t>(state.range(0));
  const std::unique_ptr<pass> a = make_pass(mine, e, *w, chunk);
  const std::unique_ptr<pass> b = make_pass(other, e, *w, chunk);
  if (!verify(state, *a, e) || !verify(state, *b, e)) return;
  std::vector<double> ratios;
  double ta = 0, tb = 0;
  bool a_first = true;
  const double probe_before = core_probe_ns();
  int cpu = sched_getcpu();
  std::int64_t cpu_moves = 0;
  for (auto _ : state) {
    pass& first = a_first ? *a : *b;
    pass& second = a_first ? *b : *a;
    const auto t0 = clock::now();
    first.run();
    const auto t1 = clock::now();
    second.run();
    const auto t2 = clock::now();
    const double d1 = std::chrono::duration<double>(t1 - t0).count();
    const double d2 = std::chrono::duration<double>(t2 - t1).count();
    const double da = a_first ? d1 : d2, db = a_first ? d2 : d1;
    ta += da;
    tb += db;
    ratios.push_back(db / da);
    a_first = !a_first;
    const int now = sched_getcpu();
    if (now != cpu) ++cpu_moves;
    cpu = now;
  }
  const double total =
      static_cast<double>(state.iterations()) * static_cast<double>(e.total_bytes());
  state.counters["ratio"] = quantile(ratios, 0.5);
  state.counters["ratio_p25"] = quantile(ratios, 0.25);
  state.counters["ratio_p75"] = quantile(ratios, 0.75);
  state.counters["chatframe_Bps"] = ta > 0 ? total / ta : 0.0;
  state.counters["other_Bps"] = tb > 0 ? total / tb : 0.0;
  state.counters["cpu"] = cpu;
  state.counters["cpu_moves"] = static_cast<double>(cpu_moves);
  state.counters["core_probe_ns"] = std::max(probe_before, core_probe_ns());
}

void bm_memcpy(benchmark::State& state, const workload* w) {
  const stream& s = stream_for(*w);
  const auto chunk = static_cast<std::size_t>(state.range(0));
  std::vector<char> dst(chunk);
  for (auto _ : state) {
    for_each_chunk(s.whole(), chunk, [&](const char* p, std::size_t n) {
      std::memcpy(dst.data(), p, n);
      benchmark::ClobberMemory();
    });
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(s.bytes.size()));
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
    {shape::records, {}, 0, "count", true},
};
const workload kNone = {shape::none, {}, 0, "none"};

void tune(benchmark::internal::Benchmark* b) {
  b->ArgName("chunk")->Arg(65536)->Arg(4096)->Unit(benchmark::kMillisecond);
}

std::string name(const char* prefix, const workload& w) {
  std::string n = std::string(prefix) + "/" + w.term_name + "/";
  n += w.kind == shape::none ? std::string("-")
       : w.mixed             ? std::string("mixed")
                             : std::to_string(w.len);
  return n;
}

void single(const char* prefix, const workload& w, impl i, bool hot = false) {
  tune(benchmark::RegisterBenchmark(name(prefix, w).c_str(), bm_single, &w, i, hot));
}
void paired(const char* prefix, const workload& w, impl other, bool hot = false,
            impl mine = impl::chatframe) {
  tune(benchmark::RegisterBenchmark(name(prefix, w).c_str(), bm_paired, &w, mine, other, hot));
}

void register_all() {
  for (const workload& w : kLines) {
    single("chatframe", w, impl::chatframe);
    single("memchr", w, impl::memchr);
    paired("paired_memchr", w, impl::memchr);
    if (w.len == 4096) {  // whole lines in a 1 MiB range that stays in cache
      single("chatframe_cached", w, impl::chatframe, true);
      single("memchr_cached", w, impl::memchr, true);
      paired("paired_memchr_cached", w, impl::memchr, true);
    }
    // Quadratic in frames per chunk (each erase moves the rest of the
    // buffer): one 64 MiB pass already takes seconds for short lines.
    tune(benchmark::RegisterBenchmark(name("careless", w).c_str(), bm_single, &w, impl::careless,
                                      false)
             ->Iterations(1));
    single("asio", w, impl::asio);
    paired("paired_asio", w, impl::asio);
    // getline() ends a line at one byte, so the idiom fits a delimiter whose
    // last byte occurs in it once ("\n", "\r\n"), not "\r\n\r\n".
    if (w.term.find(w.term.back()) == w.term.size() - 1)
      single("asio_getline", w, impl::asio_getline);
  }
  for (const workload& w : kRecords) {
    single("chatframe", w, impl::chatframe);
    // Whole records in a range that stays in cache (7943 of 132 bytes, 255
    // of 4100), against Asio: what the walk costs when memory does not bound
    // it, as for records just received.
    single("chatframe_cached", w, impl::chatframe, true);
    paired("paired_asio_cached", w, impl::asio, true);
    tune(benchmark::RegisterBenchmark(name("careless", w).c_str(), bm_single, &w, impl::careless,
                                      false)
             ->Iterations(1));
    single("asio", w, impl::asio);
    paired("paired_asio", w, impl::asio);
    // The ready-made decoder (whole frames; streamed pieces) against the
    // bare header-to-header walk and against Asio reading header then body.
    single("length", w, impl::length);
    single("length_pieces", w, impl::length_pieces);
    single("walk", w, impl::walk);
    single("walk_whole", w, impl::walk_whole);
    paired("paired_walk_length", w, impl::walk, false, impl::length);
    // Whole frames against the floor that delivers the same whole frames.
    paired("paired_walk_whole_length", w, impl::walk_whole, false, impl::length);
    paired("paired_walk_pieces", w, impl::walk, false, impl::length_pieces);
    paired("paired_asio_length", w, impl::asio, false, impl::length);
    paired("paired_asio_pieces", w, impl::asio, false, impl::length_pieces);
    // The same pairs over the range that stays in cache, as records just
    // received are: what the decoder costs when memory does not bound it.
    paired("paired_walk_length_cached", w, impl::walk, true, impl::length);
    paired("paired_walk_whole_length_cached", w, impl::walk_whole, true, impl::length);
    paired("paired_walk_pieces_cached", w, impl::walk, true, impl::length_pieces);
    paired("paired_asio_length_cached", w, impl::asio, true, impl::length);
    paired("paired_asio_pieces_cached", w, impl::asio, true, impl::length_pieces);
    // From memory: the decoder against the memory's pace (read/, not a
    // strict ceiling), and read/ against Asio: about how far a decoder bound
    // by the memory can be over Asio.
    paired("paired_read_pieces", w, impl::read, false, impl::length_pieces);
    paired("paired_asio_read", w, impl::asio, false, impl::read);
  }
  single("chatframe", kNone, impl::chatframe);
  tune(benchmark::RegisterBenchmark("memcpy/-/-", bm_memcpy, &kNone));
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  return chatframe_bench::run_benchmarks(argc, argv);
}
