// chatframe/detail/engine.hpp — the framing engine under every framer.
//
// Not part of the public API: framer.hpp and multi_framer.hpp state the
// contracts; this is how both are kept.
//
// Theory of operation
// -------------------
// Goal. Turn chunks of a byte stream into collect and found events exactly
// as CPython's async_chat.handle_read loop does (asynchat.py:121-191), in time
// linear in the bytes fed whatever the input, copying nothing but the few
// bytes that must outlive a chunk, for any terminator a configuration (a
// "framer") can state: CPython's one terminator (framer), a set of
// delimiters (multi_framer), and, later, a length field.
//
// The buffer. CPython keeps one buffer, ac_in_buffer, and slices it. Here
// the buffer is the held-back bytes (held_, the only bytes the engine owns)
// followed by the unread part of the chunk [k, end). Payload reaches the
// handler as a `collected` of two views, one into each; nothing is joined.
// held_ holds at most the longest delimiter minus one byte — the end of the
// stream that may begin a delimiter — or, after a callback threw, the rest
// of the chunk (the one time payload is copied).
//
// Steps. feed() runs the configuration's step until the buffer is empty, a
// step stops (bytes held back, or an error), or a callback called discard().
// A step is one turn of CPython's loop: collect everything (no terminator),
// a count (count_step(), complete_count()), or a delimiter
// (delimiter_step()): find the first frame end in the buffer, collect what
// is before it, consume through the delimiter, report found; or, with no
// delimiter in the buffer, collect all but the longest tail that may begin
// one and hold that back (hold_back()). Every step's bytes are fixed before
// its callbacks run; what a callback changes takes effect at the next step:
// that is CPython's rule, and the engine keeps it for every configuration.
//
// Callbacks may call back into the framer. The engine notices with three
// flags: changed_ (the terminator or delimiters were set; the fast runs
// return to feed()'s loop so the next step reads them), discarded_
// (discard(): the rest of the chunk and held_ are dropped; a pending found
// of the same step is still reported, asynchat.py:175 after 273), in_feed_
// (feed() from a callback is refused). An exception from a callback leaves
// the buffer as CPython would have it: from on_collect() the step is undone,
// from on_found() the delimiter is consumed; the unread bytes are kept in
// held_ and framed by the next feed(). Keeping them takes memory; when there
// is none, they are gone, and framing on as if they had been framed would
// hand the next bytes over as the continuation of a frame they do not
// continue. The engine notes how many were lost (lost_), and every feed()
// is refused with errc::input_lost until the caller accepts the gap
// (accept_loss(), which framer's and multi_framer's discard() call).
//
// Matchers. Where a delimiter ends is a matcher's business: delimiter_search
// (one delimiter, KMP, detail/delimiter_search.hpp) or delimiter_set (up to
// 16, Shift-And, detail/delimiter_set.hpp). The engine asks a matcher for
// (a) a plain automaton — start(), step(state, byte), reach(state) — that it
// runs one byte at a time over the held-back bytes and the chunk's first
// bytes, (b) a contiguous find() once no match in progress reaches back
// before the bytes still unread (reach() <= bytes stepped: every later match
// starts inside the chunk), (c) state_at_end(), the automaton's state after
// a range without a match, whose reach() is the length to hold back, and
// (d) for the fast runs, candidate bytes 64 at a time and a verdict on each.
//
// Search state survives between chunks. After hold_back() the matcher keeps
// its automaton state (resume()) and held_known_ says it still describes
// held_: the next feed() steps only the new bytes, never the held ones
// again. So a 1 MiB delimiter fed one byte at a time costs O(1) per byte,
// not O(held bytes). A terminator change, a callback that threw, or bytes
// taken from held_ any other way make the state stale (held_known_ false),
// and the held bytes are stepped once more from the start.
//
// Plain path first. Everything above is the plain path below: it alone
// gives the right events. The fast paths, under their own banner further
// down, give the same events with fewer instructions when nothing is held
// back: runs that frame every frame of a chunk without returning to feed()'s
// loop, cutting short frames from 64-byte bitmasks and finding long ones
// with memchr-class search; and a run of count frames. The property tests
// and fuzzers check that both give the same events under any chunking and
// any callback program.
//
// A length-field configuration plugs in the same way (issue "length-prefixed
// records"): its step is count_step() with the header's width, its events
// adapter copies those bytes into a fixed header buffer instead of calling
// on_collect(); on the header's last byte it reads the length, checks it
// against its maximum before any body byte is read (fail fast) and sets the
// next count to the body's length, whose bytes go to the handler — or, for
// an oversized record, to an adapter that drops them (skip) — then the
// header count again. Nothing is held back for counts, so held_ only ever
// holds a thrown callback's unread bytes there; its fast path is a run like
// count_run() that walks header to header inside a chunk. Its reference
// model is the one-byte-at-a-time model of framing/tests/reference_model.hpp
// with the header/body/skip phases as its terminator program.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

#include "chatframe/collected.hpp"
#include "chatframe/detail/byte_search.hpp"
#include "chatframe/detail/held_bytes.hpp"
#include "chatframe/error.hpp"
#include "chatframe/feed_result.hpp"

namespace chatframe {

namespace detail {

// What a step leaves feed()'s loop to do. `unmatched` is internal to
// delimiter_step(): a fast run ended with bytes that hold no delimiter.
enum class step_outcome : std::uint8_t { go_on, stop, unmatched };

// The engine's events as a handler's calls: on_collect(data), and
// on_found(which) for a configuration that says which delimiter ended the
// frame (kWhich), on_found() for one that does not. Passed by value: the
// runs then keep the handler's address in a register (by reference, it was
// loaded again after every store to the handler: bench/NOTES.md, "events").
template <class H, bool kWhich>
struct handler_events {
  H& handler;
  static constexpr bool may_throw = [] {
    if constexpr (kWhich) {
      return !noexcept(std::declval<H&>().on_collect(std::declval<const collected&>())) ||
             !noexcept(std::declval<H&>().on_found(std::size_t{}));
    } else {
      return !noexcept(std::declval<H&>().on_collect(std::declval<const collected&>())) ||
             !noexcept(std::declval<H&>().on_found());
    }
  }();
  void collect(const collected& data) { handler.on_collect(data); }
  void found(std::size_t which) {
    if constexpr (kWhich) {
      handler.on_found(which);
    } else {
      handler.on_found();
    }
  }
};

// The prefetch schedule of a run that walks from frame to frame inside a
// chunk (count_run(); record_run()'s short records have
// short_walk_prefetch below); count_run()'s comment says why and
// bench/NOTES.md, "count_run", has the figures. An address cursor, so that
// it may step past the chunk's end without a check per frame.
class walk_prefetch {
 public:
  explicit walk_prefetch(const char* end) noexcept : end_(reinterpret_cast<std::uintptr_t>(end)) {}
  // Before the frame of n bytes at `frame` is handed over. Inlined: as a
  // call, the run reloaded its pointers from the stack after it, and those
  // loads sat between one header and the next (bench/NOTES.md, "record_run").
  [[gnu::always_inline]] void before(const char* frame, std::size_t n) noexcept {
    if (n - kLine <= kWalkFrame - kLine && last_ <= kWalkFrame) {
      const auto next = reinterpret_cast<std::uintptr_t>(frame) + n;
      const std::uintptr_t until = end_ - next > kWalkAhead ? next + kWalkAhead : end_;
      if (prefetched_ < next) prefetched_ = next;
      // Inside the chunk: prefetched_ < until <= end.
      for (; prefetched_ < until; prefetched_ += kLine)
        __builtin_prefetch(
            reinterpret_cast<const void*>(prefetched_));  // NOLINT(performance-no-int-to-ptr)
    }
    last_ = n;
  }
  // Frames up to this long are short for the runs (the prefetch schedule's bound).
  static constexpr std::size_t kShort = 1024;
  static constexpr std::size_t kLine = 64;

 private:
  static constexpr std::size_t kWalkFrame = kShort, kWalkAhead = 1024;
  std::uintptr_t end_;
  std::uintptr_t prefetched_ = 0;      // lines below this address were prefetched
  std::size_t last_ = kWalkFrame + 1;  // the frame before this one (none yet)
};

// The schedule of a record run's short records (record_run()):
// before the record that ends at `next` is handed over, every line not yet
// prefetched up to kAhead bytes and a line past it, four lines at a time
// (two at a time, 128 B records took one turn each: 8 instructions per
// record, 5.5 now). One compare when none is due and nothing else per
// record: in cache,
// walk_prefetch's checks cost more than its prefetches (128 B records in
// 4 KiB reads: 0.42x-0.57x of the bare walk with them, 0.63x-0.79x with
// this; bench/NOTES.md, "Issue 23, 2026-12-05 (fifth)"). So it does not do
// three things walk_prefetch does:
// - It reaches past the chunk's end: a prefetch is a hint, not a read, and
//   never faults. From a buffer not in cache the next chunk usually lies
//   there, and the next run starts on it.
// - It does not prefetch the run's first kAhead bytes: the previous chunk's
//   run reached into them when the chunks are contiguous, and a burst of
//   prefetches at each run's start cost more in cache than it saved. (A
//   chunk that is neither in cache nor after the previous one waits for
//   memory at each header of its first kAhead bytes.) Short records that
//   follow a long one are the exception: nothing read ahead of them (the
//   long body was handed over unread), so whoever starts the schedule
//   there prefetches those bytes first (warm()).
// - It does not skip the body of a long record met later in the run: its
//   lines are prefetched too, a few instructions for each 128 bytes of a
//   body that is handed to the handler next.
// It looks 3 KiB ahead, where walk_prefetch looks 1 KiB: with fewer
// instructions per record the run reaches a line sooner, and 1 KiB ahead,
// 128 B records in 64 KiB reads from memory lost a sixth of their speed.
class short_walk_prefetch {
 public:
  // From `start`, the first short record; the kAhead bytes from there are
  // an earlier schedule's, or warm()'s.
  explicit short_walk_prefetch(const char* start) noexcept
      : due_(reinterpret_cast<std::uintptr_t>(start) - walk_prefetch::kLine) {}
  // The lines of the kAhead bytes from `start`, which the schedule begun
  // there leaves to an earlier one: for short records after a long one.
  [[gnu::always_inline]] static void warm(const char* start) noexcept {
    for (std::size_t at = 0; at < kAhead; at += kStep) {
      __builtin_prefetch(start + at);
      __builtin_prefetch(start + at + walk_prefetch::kLine);
      __builtin_prefetch(start + at + 2 * walk_prefetch::kLine);
      __builtin_prefetch(start + at + 3 * walk_prefetch::kLine);
    }
  }
  [[gnu::always_inline]] void ahead_of(const char* next) noexcept {
    for (; reinterpret_cast<std::uintptr_t>(next) > due_; due_ += kStep) {
      const std::uintptr_t at = due_ + kAhead + walk_prefetch::kLine;
      // NOLINTNEXTLINE(performance-no-int-to-ptr)
      __builtin_prefetch(reinterpret_cast<const void*>(at));
      // NOLINTNEXTLINE(performance-no-int-to-ptr)
      __builtin_prefetch(reinterpret_cast<const void*>(at + walk_prefetch::kLine));
      // NOLINTNEXTLINE(performance-no-int-to-ptr)
      __builtin_prefetch(reinterpret_cast<const void*>(at + 2 * walk_prefetch::kLine));
      // NOLINTNEXTLINE(performance-no-int-to-ptr)
      __builtin_prefetch(reinterpret_cast<const void*>(at + 3 * walk_prefetch::kLine));
    }
  }

 private:
  static constexpr std::size_t kAhead = 3072;
  static constexpr std::size_t kStep = 4 * walk_prefetch::kLine;
  std::uintptr_t due_;  // lines below due_ + kAhead + kLine were prefetched
};

class engine {
 public:
  engine() = default;
  // Copies hold the same held-back bytes. A move leaves the source as a new
  // engine: nothing held, not feeding.
  engine(const engine&) = default;
  engine& operator=(const engine&) = default;
  engine(engine&& other) noexcept { *this = std::move(other); }
  engine& operator=(engine&& other) noexcept {
    if (this != &other) {
      held_ = std::move(other.held_);
      in_feed_ = std::exchange(other.in_feed_, false);
      discarded_ = std::exchange(other.discarded_, false);
      changed_ = std::exchange(other.changed_, false);
      held_known_ = std::exchange(other.held_known_, false);
      short_frames_ = std::exchange(other.short_frames_, true);
      error_ = std::exchange(other.error_, errc::ok);
      lost_ = std::exchange(other.lost_, 0);
    }
    return *this;
  }
  ~engine() = default;

  // --- held-back bytes ----------------------------------------------------

  [[nodiscard]] std::string_view held() const noexcept { return held_.view(); }
  // The held bytes, forgotten; the view stays valid until the next non-const call.
  [[nodiscard]] std::string_view take_held() noexcept {
    const std::string_view bytes = held_.view();
    held_.forget();
    return bytes;
  }
  // Delivers the held bytes through collect (never found) and forgets them.
  template <class Events>
  void flush_held(Events ev) {
    if (held_.empty()) return;
    ev.collect(collected{held_.view(), {}});
    held_.clear();
  }

  // --- what callbacks may do ----------------------------------------------

  // CPython's discard_buffers(), input half: drops held-back bytes and, from
  // a callback, the rest of the chunk being fed.
  void discard() noexcept {
    held_.clear();
    if (in_feed_) discarded_ = true;
  }
  // The caller accepts the gap left by bytes lost (lost()): framing resumes
  // with the next byte fed. (Not part of discard(), which a configuration
  // also calls for its own reasons while it still has to act on the loss.)
  void accept_loss() noexcept { lost_ = 0; }
  // The configuration changed what ends a frame (takes effect at the next step).
  void changed() noexcept { changed_ = true; }
  // Set by a step that must make feed() return an error once it stops.
  void fail(errc e) noexcept { error_ = e; }
  // A feed() is running (a call from a callback would be refused).
  [[nodiscard]] bool feeding() const noexcept { return in_feed_; }
  // After a feed() that threw: the unread bytes (held, then the rest of its
  // chunk) that could not be kept for lack of memory (0 when they were kept,
  // or none was left). Until accept_loss(), every feed() is refused with
  // errc::input_lost.
  [[nodiscard]] std::size_t lost() const noexcept { return lost_; }
  // Callbacks that a configuration calls outside feed() (its end of stream)
  // run between these as a feed's do: feeding() is true, so that a feed()
  // from them is refused and a discard() from them is noted.
  void begin_callbacks() noexcept {
    in_feed_ = true;
    discarded_ = false;
  }
  void end_callbacks() noexcept {
    in_feed_ = false;
    discarded_ = false;
  }

  // --- the feed loop --------------------------------------------------------

  // Frames `chunk`: `step(k, end)` is the configuration's step, called while
  // the buffer (held bytes, then [k, end)) is not empty.
  template <class Step>
  feed_result feed(std::string_view chunk, Step&& step) {
    return feed(chunk, step, [] { return false; });
  }
  // The same, and called while `due()` says the configuration has events
  // left that need no byte (an end whose callback has not run yet: the
  // length-field decoder's record whose on_frame_begin() threw on its last
  // byte), so that an empty chunk delivers them too.
  template <class Step, class Due>
  feed_result feed(std::string_view chunk, Step&& step, Due&& due);

  // A configuration's own way into a chunk, for the common case it can frame
  // with fewer instructions than feed()'s loop of steps: runs run(k, end)
  // over the chunk with the engine feeding (a feed() from a callback is
  // refused) and returns where it stopped — the chunk's end, or where feed()
  // must go on with the rest. A discard() from a callback drops the rest of
  // the chunk: run must stop after it, and the configuration (which has its
  // own note of the discard) does not go on. Only with nothing held back
  // (held bytes come first), and run must not throw: no byte of the chunk
  // could be kept for the next feed.
  template <class Run>
  [[gnu::always_inline]] const char* lead_in(std::string_view chunk, Run&& run) noexcept {
    static_assert(noexcept(run(chunk.data(), chunk.data())));
    in_feed_ = true;
    discarded_ = false;
    const char* const k = run(chunk.data(), chunk.data() + chunk.size());
    // Both flags as they were (the two stores as one: the next lead_in()
    // writes them together too).
    in_feed_ = false;
    discarded_ = false;
    return k;
  }

  // --- the plain path: steps, one turn of CPython's loop each --------------

  // Bytes in the buffer: the held ones and the chunk's unread ones.
  [[nodiscard]] std::size_t buffered(const char* k, const char* end) const noexcept {
    return held_.size() + static_cast<std::size_t>(end - k);
  }
  [[nodiscard]] bool nothing_held() const noexcept { return held_.empty(); }

  // asynchat.py:143-146 — no terminator: collect it all.
  template <class Events>
  step_outcome collect_all(const char*& k, const char* end, Events ev) {
    const std::size_t lb = buffered(k, end);
    ev.collect(slice(lb, k));
    advance(lb, k, end);
    return step_outcome::go_on;
  }
  // asynchat.py:150-152 — a count longer than the buffer: collect it all.
  // The configuration then counts down (asynchat.py:153).
  template <class Events>
  void collect_short_count(std::size_t lb, const char*& k, const char* end, Events ev) {
    ev.collect(slice(lb, k));
    advance(lb, k, end);
  }
  // asynchat.py:155-158 — a count the buffer holds: collect n, done() (the
  // configuration's count is now 0, whatever the callback set), found.
  template <class Events, class Done>
  void complete_count(std::size_t n, const char*& k, const char* end, Events ev, Done&& done) {
    ev.collect(slice(n, k));
    advance(n, k, end);
    done();
    ev.found(0);
  }

  // A delimiter: the leftmost frame end of the buffer, found with matcher m.
  // With nothing held back, one of the fast runs frames the chunk.
  template <class Matcher, class Events>
  step_outcome delimiter_step(Matcher& m, const char*& k, const char* end, Events ev);

  // --- fast paths: the same events as the steps above, fewer instructions ---
  // (defined below the banner in this file)

  // Counts that a chunk holds, one after another, while the configuration's
  // callbacks keep setting them (length-prefixed records). `count` is the
  // configuration: count.running_count() the bytes now expected (0 or
  // negative when no count is running), count.count_done() what a completed
  // count leaves.
  template <class Count, class Events>
  step_outcome count_run(const char*& k, const char* end, Count& count, Events ev);

  // Length-prefixed records that lie whole in the chunk, one after another.
  // `records` is the configuration, for a record at p whose header lies in
  // the chunk (records.header_in(p)): records.whole_record(p, end, frame,
  // last) is the start of the next record if the one at p lies whole before
  // `end`, its header is one the run may frame (`frame` is then what it
  // delivers) and the next record's header lies whole before `end` too;
  // else nullptr, with `last` the start of the next record if the one at p
  // is whole and the run's nonetheless (`frame` then set), else nullptr.
  // ev.frame(frame) delivers it; ev.stopped() is true once the
  // configuration's own record of a discard() is set. The run works on a
  // copy of `records` (it must be cheap to copy). `warm_first`: the chunk
  // follows a long body that was handed over unread, so nothing read the
  // lines ahead of a first record that is short (short_walk_prefetch).
  template <class Records, class Events>
  step_outcome record_run(const char*& k, const char* end, const Records& records, Events ev,
                          bool warm_first);
  // The same run, inlined into a caller that frames a read's edges around it.
  template <class Records, class Events>
  step_outcome record_run_here(const char*& k, const char* end, const Records& records, Events ev,
                               bool warm_first);

 private:
  template <class Events>
  void deliver_last(const char*& k, const char*& record, const char* last, std::string_view frame,
                    Events& ev);
  template <class Matcher, class Events>
  step_outcome delimiter_step_across(Matcher& m, const char*& k, const char* end, Events ev);
  template <class Matcher, class Events>
  step_outcome hold_back(Matcher& m, const typename Matcher::partial& tail, const char*& k,
                         const char* end, Events ev);
  template <class Matcher, class Events>
  step_outcome no_delimiter_in_chunk(Matcher& m, const char*& k, const char* end, Events ev);
  template <class Matcher, class Events>
  step_outcome delimiter_run(Matcher& m, const char*& k, const char* end, Events ev);
  template <bool all_one_byte, class Matcher, class Events>
  step_outcome short_delimiter_run(Matcher& m, const char*& k, const char* end, Events ev);
  template <class Matcher, class Events>
  step_outcome short_delimiter_runs(Matcher& m, const char*& k, const char* end, Events ev);
#if CHATFRAME_AVX2_RUNS
  template <bool all_one_byte, class Matcher, class Events>
  [[gnu::target("avx2")]] step_outcome short_delimiter_run_avx2(Matcher& m, const char*& k,
                                                                const char* end, Events ev);
#endif
  template <bool all_one_byte, class Matcher, class Events>
  step_outcome short_run(Matcher& m, const char*& k, const char* end, Events ev);

  [[nodiscard]] collected slice(std::size_t n, const char* k) const noexcept {
    if (held_.empty()) return collected{{}, std::string_view(k, n)};
    return slice_across(n, k);
  }
  [[nodiscard]] collected slice_across(std::size_t n, const char* k) const noexcept {
    const std::size_t from_held = n < held_.size() ? n : held_.size();
    return collected{std::string_view(held_.data(), from_held), std::string_view(k, n - from_held)};
  }
  // Consumes the first n bytes of the buffer.
  void advance(std::size_t n, const char*& k, const char* end) noexcept {
    if (!discarded_ && held_.empty()) {
      k += n;
      return;
    }
    advance_slow(n, k, end);
  }
  void advance_slow(std::size_t n, const char*& k, const char* end) noexcept {
    if (discarded_) {
      // discard() ran inside the callback: CPython's slice of the now empty
      // buffer is empty too (asynchat.py:175 after 273).
      k = end;
      return;
    }
    const std::size_t from_held = n < held_.size() ? n : held_.size();
    held_.drop_front(from_held);
    held_known_ = false;
    k += n - from_held;
  }

  held_bytes held_;
  bool in_feed_ = false;
  bool discarded_ = false;    // discard() was called during the current feed()
  bool changed_ = false;      // the configuration changed since the current step began
  bool held_known_ = false;   // the matcher's resume() state describes held_
  bool short_frames_ = true;  // the frames seen last were short: use short_delimiter_run()
  errc error_ = errc::ok;     // for feed() to return
  std::size_t lost_ = 0;      // unread bytes that a throw left and memory could not keep
};

// ---------------------------------------------------------------------------
// The plain path.

template <class Step, class Due>
feed_result engine::feed(std::string_view chunk, Step&& step, Due&& due) {
  if (in_feed_) return {0, errc::reentrant_feed};
  if (lost_ != 0) [[unlikely]]
    return {0, errc::input_lost};  // the stream has a gap only the caller can accept
  in_feed_ = true;
  discarded_ = false;
  error_ = errc::ok;
  const char* k = chunk.data();
  const char* const end = k + chunk.size();
  try {
    // asynchat.py:140 — go on while the buffer holds anything (or, beyond
    // CPython, the configuration has events due).
    while (!discarded_ && (!held_.empty() || k != end || due())) {
      if (step(k, end) == step_outcome::stop) break;
    }
  } catch (...) {
    in_feed_ = false;
    if (!discarded_) {
      held_known_ = false;
      // Keeping them takes memory too. Without it the unread bytes are
      // gone: lost() tells the configuration, which cannot go on where the
      // stream left off (the exception out of feed() is bad_alloc then).
      try {
        held_.keep_all(k, end);
      } catch (...) {
        // The held bytes not yet framed go too: they come before the rest.
        lost_ = held_.size() + static_cast<std::size_t>(end - k);
        held_.clear();
        throw;
      }
    }
    throw;
  }
  in_feed_ = false;
  return {chunk.size(), error_};
}

template <class Matcher, class Events>
[[gnu::always_inline]] inline step_outcome engine::delimiter_step(Matcher& m, const char*& k,
                                                                  const char* end, Events ev) {
  if (!held_.empty()) return delimiter_step_across(m, k, end, ev);
  step_outcome run;
  if (short_frames_ && m.short_run_ok()) {
    run = short_delimiter_runs(m, k, end, ev);
  } else {
    run = delimiter_run(m, k, end, ev);
  }
  // The rest of the chunk is left to the plain hold-back here rather than
  // from inside the runs, which then keep one register less busy (the
  // matcher): their loops are shorter (bench/NOTES.md, "events").
  if (run == step_outcome::unmatched) return no_delimiter_in_chunk(m, k, end, ev);
  return run;
}

// One step over a buffer that starts with held bytes. The automaton walks
// what it has not seen of the held bytes and then the chunk, one byte at a
// time, until a delimiter ends or no match in progress reaches back before
// the next byte; from there find() searches the rest of the chunk at speed.
template <class Matcher, class Events>
step_outcome engine::delimiter_step_across(Matcher& m, const char*& k, const char* end, Events ev) {
  const std::size_t held = held_.size();
  const auto fresh = static_cast<std::size_t>(end - k);
  const bool known = held_known_ && !changed_;
  changed_ = false;
  typename Matcher::partial s = known ? m.resume() : Matcher::start();
  std::size_t which = 0;
  std::size_t stop = 0;  // one past the delimiter, in the buffer
  bool found = false;
  if (!known) {
    const char* const h = held_.data();
    for (std::size_t i = 0; i < held && !found; ++i) {
      found = m.step(s, h[i], which);
      stop = i + 1;
    }
  }
  for (std::size_t j = 0; !found; ++j) {
    const std::size_t back = m.reach(s);
    if (back <= j) {
      // Any match still to come starts at or after chunk byte j - back.
      const char* const from = k + (j - back);
      found_at at{};
      if (!m.find(from, end, true, at))
        return hold_back(m, m.state_at_end(from, static_cast<std::size_t>(end - from)), k, end, ev);
      which = at.which;
      stop = held + static_cast<std::size_t>(at.stop - k);
      break;
    }
    if (j == fresh) return hold_back(m, s, k, end, ev);
    found = m.step(s, k[j], which);
    stop = held + j + 1;
  }
  const std::size_t index = stop - m.length(which);
  // asynchat.py:171-174 — the empty string is not reported.
  if (index > 0) ev.collect(slice(index, k));
  advance(stop, k, end);  // asynchat.py:175
  ev.found(which);        // asynchat.py:178
  return step_outcome::go_on;
}

// The buffer (not empty) holds no whole delimiter, and `tail` is the
// matcher's state after it.
template <class Matcher, class Events>
step_outcome engine::hold_back(Matcher& m, const typename Matcher::partial& tail, const char*& k,
                               const char* end, Events ev) {
  const std::size_t lb = buffered(k, end);
  // asynchat.py:181 — does the buffer end with the start of a delimiter?
  const std::size_t p = m.reach(tail);
  if (p == 0) {
    // asynchat.py:189-191 — no: collect it all.
    ev.collect(slice(lb, k));
    advance(lb, k, end);
    return step_outcome::go_on;
  }
  if (p != lb) {
    // asynchat.py:183-186 — collect up to the partial delimiter, hold it back.
    ev.collect(slice(lb - p, k));
    if (discarded_) return step_outcome::stop;
  }
  // asynchat.py:186-187 — and stop until more arrives. The matcher's state
  // describes the held bytes unless the callback changed the delimiters.
  try {
    held_.keep_tail(p, k, end);
  } catch (...) {
    // No memory to hold them back: the p bytes are gone, and only they (the
    // bytes before them were collected). feed()'s handler finds nothing
    // left to keep and lets the bad_alloc out.
    lost_ = p;
    held_.clear();
    k = end;
    throw;
  }
  k = end;
  m.resume() = tail;
  held_known_ = !changed_;
  return step_outcome::stop;
}

// With nothing held back: the unread rest of the chunk holds no whole delimiter.
template <class Matcher, class Events>
step_outcome engine::no_delimiter_in_chunk(Matcher& m, const char*& k, const char* end, Events ev) {
  return hold_back(m, m.state_at_end(k, static_cast<std::size_t>(end - k)), k, end, ev);
}

// ===========================================================================
// Fast paths. Each gives exactly the events of the plain steps above — the
// same collect boundaries, the same found calls, the same reaction to what
// callbacks do — and only takes fewer instructions to get there. They run
// only with nothing held back, so advancing is moving a pointer.
// ===========================================================================

// With nothing held back, frames that end in a delimiter are delivered by one
// of two runs, which frame as many as the chunk holds without going round
// feed()'s loop. Each keeps the frame's start in a local and stores it to k
// before every callback, so k is right if a callback throws without being
// read back every frame. Nothing can be held back during a run (callbacks
// cannot add to it). A run returns to feed()'s loop when a callback changed
// the terminator or called discard(); after a discard() k is no longer used,
// as feed() keeps nothing of that chunk (asynchat.py:175 after 273).
//
// delimiter_run(): frames of any length, each found with the matcher's
// find() (memchr-class). It hands over to short_delimiter_run() after a frame
// shorter than two 64-byte blocks, if the matcher allows that run.
template <class Matcher, class Events>
[[gnu::noinline]] step_outcome engine::delimiter_run(Matcher& m, const char*& k, const char* end,
                                                     Events ev) {
  changed_ = false;
  const bool short_ok = m.short_run_ok();
  const char* frame = k;
  for (;;) {
    // Frames in this run are long, unless the delimiter is too long for the
    // short run: only then is a near occurrence worth checking for first.
    found_at at{};
    if (!m.find(frame, end, !short_ok, at)) break;
    const auto index = static_cast<std::size_t>(at.start - frame);
    // asynchat.py:171-174 — the empty string is not reported.
    if (index != 0) ev.collect(collected{{}, std::string_view(frame, index)});
    // After a discard() in on_collect() the run ends below and k is not used.
    frame = at.stop;  // asynchat.py:175
    k = frame;
    ev.found(at.which);  // asynchat.py:178
    if (discarded_ || changed_) return step_outcome::go_on;
    if (index < byte_scanner::kShortGap && short_ok) {
      short_frames_ = true;
      return step_outcome::go_on;
    }
    if (frame == end) return step_outcome::go_on;  // a chunk that ends with its last frame
  }
  // Not at the end: delimiter_step() starts a run only on unread bytes, and
  // a frame that reaches the end returns above.
  return step_outcome::unmatched;
}

// short_delimiter_run(): short frames. The chunk is compared with the
// candidate bytes 64 bytes at a time and the frames of a block are cut from
// its bitmask, instead of searching once per frame. Two blocks without a
// candidate mean the frames are long: the run hands over to delimiter_run().
// A candidate that fails verification costs a few compares, so the run stays
// linear. When every delimiter is one byte, every candidate is a frame end:
// that case gets a loop of its own.
//
// short_delimiter_run_avx2(): the same run, the same source, built for AVX2
// and flattened, for a matcher whose candidates an AVX2 classifier finds
// (Matcher::avx2_classified, and m.avx2_run(): a delimiter_set of several
// last bytes on a CPU with AVX2). The classifier is then inlined into the
// run's loop instead of being called once per 128 bytes (bench/NOTES.md,
// "short_delimiter_run_avx2", has the figures). Flattening inlines the
// handler's callbacks too, as the plain run's inlining mostly does; a compiler
// that flattens only one level (Clang 14) leaves the classifier a call, as in
// the plain run. Which of the two runs is no business of the events.
template <class Matcher, class Events>
[[gnu::always_inline]] inline step_outcome engine::short_delimiter_runs(Matcher& m, const char*& k,
                                                                        const char* end,
                                                                        Events ev) {
#if CHATFRAME_AVX2_RUNS
  if constexpr (Matcher::avx2_classified) {
    if (m.avx2_run()) {
      return m.all_one_byte() ? short_delimiter_run_avx2<true>(m, k, end, ev)
                              : short_delimiter_run_avx2<false>(m, k, end, ev);
    }
  }
#endif
  return m.all_one_byte() ? short_delimiter_run<true>(m, k, end, ev)
                          : short_delimiter_run<false>(m, k, end, ev);
}

// Aligned to a cache line: where its loop of a few dozen bytes falls
// against 32- and 64-byte boundaries otherwise depends on whatever code
// precedes it in the binary, and that alone moved paired_memchr/lf/16 by 5%
// between two builds of the same loop (bench/NOTES.md, "short run alignment").
template <bool all_one_byte, class Matcher, class Events>
[[gnu::noinline, gnu::aligned(64)]] step_outcome engine::short_delimiter_run(Matcher& m,
                                                                             const char*& k,
                                                                             const char* end,
                                                                             Events ev) {
  return short_run<all_one_byte>(m, k, end, ev);
}

#if CHATFRAME_AVX2_RUNS
template <bool all_one_byte, class Matcher, class Events>
[[gnu::noinline, gnu::flatten, gnu::target("avx2")]] step_outcome engine::short_delimiter_run_avx2(
    Matcher& m, const char*& k, const char* end, Events ev) {
  return short_run<all_one_byte>(m, k, end, ev);
}
#endif

// The loop of both short runs.
template <bool all_one_byte, class Matcher, class Events>
[[gnu::always_inline]] inline step_outcome engine::short_run(Matcher& m, const char*& k,
                                                             const char* end, Events ev) {
  changed_ = false;
  typename Matcher::scanner candidates = m.candidates(k, end);
  const char* frame = k;
  const char* hit = nullptr;
  // The block compares inlined into this loop, or called: inlined where every
  // candidate is a frame end, and into the AVX2 run (that is what it is for);
  // called for one delimiter of several bytes, whose loop is longer (inlined,
  // 128 B lines framed at 0.87x of memchr instead of 1.31x:
  // chatframe-bench-framing paired_memchr/crlf; called where every candidate
  // is a frame end, 16 B lines at 2.9x instead of 4.2x, paired_memchr/lf).
  constexpr bool inline_refill = all_one_byte || Matcher::avx2_classified;
  for (;;) {
    const auto found = candidates.template next<inline_refill>(hit);
    if (found == Matcher::scanner::gap::long_gap) {
      short_frames_ = false;
      return step_outcome::go_on;
    }
    // No candidate left, or one too close to the end to be verified: the
    // rest holds no whole delimiter, but may end with the start of one.
    if (found == Matcher::scanner::gap::none_before_end) break;
    found_at at{};
    if constexpr (all_one_byte) {
      at = m.one_byte_match(hit);
    } else {
      const verdict v = m.at_candidate(hit, frame, end, at);
      if (v == verdict::undecided) break;
      if (v == verdict::no_match) {
        candidates.drop_first();
        continue;
      }
    }
    if (at.start != frame)
      ev.collect(
          collected{{}, std::string_view(frame, static_cast<std::size_t>(at.start - frame))});
    // After a discard() in on_collect() the run ends below and k is not used.
    frame = at.stop;  // asynchat.py:175
    k = frame;
    ev.found(at.which);  // asynchat.py:178
    if (discarded_ || changed_) return step_outcome::go_on;
    if constexpr (all_one_byte) {
      candidates.drop_first();
    } else {
      m.after_match(candidates, frame);
    }
  }
  if (frame == end) return step_outcome::go_on;
  return step_outcome::unmatched;
}

// count_run(): with nothing held back, count frames one after another while
// the handler keeps setting counts that the chunk holds — length-prefixed
// records come many to a chunk — the same steps as a count step, kept out of
// feed()'s loop, the frame's start in a local as in the delimiter runs. It
// is stored to k before each callback only if a callback can throw (the
// handler's callbacks are not noexcept); otherwise once, when the run ends.
//
// A walk of short records is a chain of dependent loads: where each header
// is depends on the one before. From a chunk that is not in cache (a large
// buffer, a mapped file) each record would then wait for memory, and the
// hardware prefetcher, which stops at every 4 KiB page, does not hide it. So
// before a frame of a line to kWalkFrame bytes that follows one of at most
// kWalkFrame bytes in this run, the run prefetches the kWalkAhead bytes of the
// chunk after it (never past the chunk). Prefetching has no effect on what is
// read or delivered. The run's first frame is not followed by a prefetch:
// with reads smaller than the records it is mostly the rest of a long body,
// and what follows it is a header and another long body that the run skips.
// The cursor is an address, not an offset in the chunk, and the schedule is
// frames, not bytes walked: bench/NOTES.md, "count_run", has the figures
// behind each of these choices.
template <class Count, class Events>
[[gnu::noinline]] step_outcome engine::count_run(const char*& k, const char* end, Count& count,
                                                 Events ev) {
  const char* frame = k;
  walk_prefetch prefetch(end);
  // "A count is running and the chunk holds it" in one compare: the count is
  // zero unless a count is set, and both zero and a negative count (which the
  // configuration's step handles) wrap to above any chunk's size.
  while (static_cast<std::uint64_t>(count.running_count()) - 1 <
         static_cast<std::uint64_t>(end - frame)) {
    const auto n = static_cast<std::size_t>(count.running_count());
    prefetch.before(frame, n);
    ev.collect(collected{{}, std::string_view(frame, n)});
    frame += n;  // asynchat.py:156; after a discard() the loop ends below
    if constexpr (Events::may_throw) k = frame;
    count.count_done();  // asynchat.py:157
    ev.found(0);
    if (discarded_) break;
  }
  k = frame;
  return step_outcome::go_on;
}

// record_run(): with nothing held back, the records a chunk holds whole,
// framed without returning to feed()'s loop — a length-prefixed protocol's
// records come many to a chunk. Each record's header is read in place and
// its frame delivered as one view into the chunk; a record that does not lie
// whole in the chunk, or whose header the configuration's step must judge
// (an error, an oversized record), ends the run, and the plain steps take it
// from there. The record's start is a local, stored to k before the callback
// if a callback can throw (the record is then consumed, as a count is when
// on_found() throws), otherwise once, when the run ends. Like the delimiter
// runs, it returns to feed()'s loop after a discard() or a change.
//
// The walk from header to header is the run's critical path, and the
// handler's callbacks must stay off it. So the configuration is copied into
// locals (registers), which the callbacks' stores cannot make the run load
// again; and in a run of short records the next record's header is read
// before this record's callback runs, so its load never waits behind the
// callback's stores (after long records it did not pay: see below) — a load after
// stores to unknown addresses can be held until they resolve, and was, in
// one process in two (16 B records 0.6x or 1.3x the bare walk by the
// process: bench/NOTES.md, "record_run"). Reading the next header early
// changes nothing that is delivered: it is in the chunk, and what was read
// is acted on only after the callback, if the run goes on. The loop's shape
// is fragile (g++ 12 turned other shapes into a conditional move on the
// chain, or vectorized a handler's counters through the stack): NOTES.md
// says how to check its assembly.
template <class Records, class Events>
[[gnu::noinline]] step_outcome engine::record_run(const char*& k, const char* end,
                                                  const Records& records, Events ev,
                                                  bool warm_first) {
  return record_run_here(k, end, records, ev, warm_first);
}

template <class Records, class Events>
[[gnu::always_inline]] inline step_outcome engine::record_run_here(const char*& k, const char* end,
                                                                   const Records& records_in,
                                                                   Events ev, bool warm_first) {
  changed_ = false;
  // Never true here (the steps and the configuration's callers stop at a
  // discard()), but said: the compiler then knows both flags are false
  // when the loop begins, and where the handler's callbacks are inlined and
  // cannot set them, drops their checks after every record (5 of about 30
  // instructions per 128 B record as pieces; bench/NOTES.md, "Issue 23,
  // 2026-12-06 (second)").
  if (discarded_ || ev.stopped()) return step_outcome::go_on;
  const Records records = records_in;
  const char* const start = k;
  const char* record = start;
  std::string_view frame;
  const char* last = nullptr;  // whole_record()'s answer at the chunk's last whole record
  const char* stop =
      records.header_in(record) ? records.whole_record(record, end, frame, last) : nullptr;
  // Long records (a frame over kShort bytes): the next header is a miss of
  // its own, read after the callback (read before it, it cost 4 KiB whole
  // frames half their speed: bench/NOTES.md, "Issue 23 after the fast-path
  // rework"), and no prefetch — walk_prefetch, this schedule's until
  // 2026-12-06, prefetches nothing after a long record, and its checks cost
  // 4 KiB records 22 instructions each against 17 without (bench/NOTES.md,
  // "Issue 23, 2026-12-06 (fourth)"; 13 since one compare checks both the
  // record and the next header: "(sixth)"). The frame's length, not the
  // record's, is compared: it is at hand. A short record ends this schedule.
  while (stop != nullptr && frame.size() > walk_prefetch::kShort) {
    record = stop;
    if constexpr (Events::may_throw) k = record;
    ev.frame(frame);
    if (discarded_ || changed_) {
      k = record;
      return step_outcome::go_on;
    }
    stop = records.whole_record(record, end, frame, last);
  }
  if (stop == nullptr) {
    if (last != nullptr) deliver_last(k, record, last, frame, ev);
    k = record;
    return step_outcome::go_on;
  }
  // Short records, from the first one on: the next header read before the
  // callback, and short_walk_prefetch's schedule. Where long records came
  // first, nothing read the lines ahead of this one (the long bodies were
  // handed over unread), so the schedule starts with them; so it does where
  // the run itself follows a long record's rest (warm_first). Without it, a
  // new chunk after a long record waited for memory at each of its first
  // short records' headers (count/mixed from memory in 4 KiB reads: 0.52x-0.59x
  // of read/ without, 0.78x-0.80x with; bench/NOTES.md, "Issue 23,
  // 2026-12-06 (fifth)"). Decided here, where a long first record costs no
  // check: the caller's check read the first header once more (4 KiB
  // pieces in 64 KiB reads: 369 against 358 instructions a read; "Issue 23,
  // 2026-12-07 (fourth)").
  if (record != start || warm_first) short_walk_prefetch::warm(record);
  short_walk_prefetch short_prefetch(record);
  for (;;) {
    short_prefetch.ahead_of(stop);
    record = stop;
    std::string_view next_frame;
    const char* const next = records.whole_record(record, end, next_frame, last);
    if constexpr (Events::may_throw) k = record;
    // The run's last record handed over on its own: one call for every
    // record, with the test of next after it, took 128 B pieces 3 more
    // instructions each (944 against 885 per 4 KiB read: bench/NOTES.md,
    // "Issue 23, 2026-12-06 (fourth)").
    if (next == nullptr) {
      ev.frame(frame);
      if (last != nullptr && !discarded_ && !changed_)
        deliver_last(k, record, last, next_frame, ev);
      break;
    }
    ev.frame(frame);
    if (discarded_ || changed_) break;
    frame = next_frame;
    stop = next;
  }
  k = record;
  return step_outcome::go_on;
}

// record_run()'s last record, whole in the chunk but with no whole header
// after it: the chunk ends there, or inside the next header.
template <class Events>
[[gnu::always_inline]] inline void engine::deliver_last(const char*& k, const char*& record,
                                                        const char* last, std::string_view frame,
                                                        Events& ev) {
  record = last;
  if constexpr (Events::may_throw) k = record;
  ev.frame(frame);
}

}  // namespace detail
}  // namespace chatframe
