/// @file chatframe/framer.hpp
/// The input side: splits a byte stream into frames.
///
/// A framer is fed chunks of any size and reports, through two callbacks, what
/// CPython's async_chat.handle_read reports through collect_incoming_data() and
/// found_terminator() (asynchat.py:121-191): the same calls, in the same order,
/// with the same bytes, for every input and every chunking.
///
/// @code
///   struct lines {
///     void on_collect(const chatframe::collected& data) { data.append_to(line); }
///     void on_found() { use(line); line.clear(); }
///     std::string line;
///   };
///   chatframe::framer f;
///   (void)f.set_terminator(chatframe::terminator::bytes("\r\n"));
///   lines h;
///   f.feed(chunk, h);   // any number of times, any chunk sizes
/// @endcode
///
/// Sans-IO: the framer reads nothing, writes nothing, keeps no clock and starts
/// no thread. It never owns or copies the caller's chunk; payload reaches the
/// callbacks as views (see collected.hpp for how long each view lives). The only
/// bytes it stores are a held-back partial delimiter — at most the delimiter's
/// length minus one — and a copy of the delimiter itself. Neither feed() nor the
/// callbacks allocate once those buffers have grown to the delimiter's size.
///
/// Cost: O(bytes fed) however many frames a chunk holds, whatever the input
/// (see detail/byte_search.hpp for the worst case).
///
/// Callbacks may call set_terminator(), get_terminator(), held() and
/// discard() on the same framer; the rules are those of CPython:
///   * set_terminator() inside on_found() frames the rest of the current chunk
///     with the new terminator (asynchat.py:176-178).
///   * set_terminator() inside on_collect() does not change the step being
///     taken: a delimiter found is consumed with its old length and a count
///     that completes still leaves count 0 (asynchat.py:157, 175). While a
///     count is running short of the buffer, CPython then counts down whatever
///     was set (asynchat.py:153), and so does the framer: a new count is
///     reduced by the bytes just collected, possibly below zero, and any other
///     terminator makes feed() return errc::count_replaced_by_non_count where
///     CPython raises TypeError.
///   * discard() inside a callback drops the rest of the current chunk and
///     anything held back (asynchat.py:271-273). Inside on_collect() the
///     pending on_found() of that step still happens, as in CPython.
///   * feed() from inside a callback is refused with errc::reentrant_feed.
///
/// Exceptions thrown by a callback propagate out of feed() and leave the framer
/// in CPython's state at that point: if on_collect() throws, the step that
/// called it is undone and its bytes, with the rest of the chunk, are kept and
/// framed again at the start of the next feed(); if on_found() throws, the
/// delimiter (or count) is consumed and the rest of the chunk is kept for the
/// next feed(). No byte is lost or skipped either way. Keeping the rest of the
/// chunk is the one place the framer copies payload (asynchat.py:133, 175).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "chatframe/collected.hpp"
#include "chatframe/detail/byte_search.hpp"
#include "chatframe/error.hpp"
#include "chatframe/terminator.hpp"

namespace chatframe {

/// A framer's limits, fixed at construction.
struct framer_options {
  /// Longest delimiter set_terminator() accepts. The delimiter is copied and a
  /// table of 4 bytes per delimiter byte is built, so this bounds what a hostile
  /// terminator program can make the framer allocate.
  std::size_t max_terminator_length = std::size_t{1} << 20;
};

/// Anything with these two members can receive a framer's events; the framer
/// calls them directly, so they inline. framer_handler is the virtual version
/// for code that wants the framer compiled separately from its handler.
/// Declaring both noexcept, where they cannot throw, spares the framer the
/// bookkeeping that keeps a throwing callback from losing bytes.
template <class H>
concept framing_handler = requires(H& h, const collected& data) {
  h.on_collect(data);
  h.on_found();
};

/// The virtual framing_handler: a framer fed with it is compiled once, in the
/// library (framer.cpp), instead of inlined into the caller.
class framer_handler {
 public:
  virtual ~framer_handler() = default;
  /// CPython's collect_incoming_data(): bytes of the frame being read.
  virtual void on_collect(const collected& data) = 0;
  /// CPython's found_terminator(): the terminator was found.
  virtual void on_found() = 0;
};

/// What feed() did with a chunk.
struct feed_result {
  /// Bytes of the chunk the framer took responsibility for: the whole chunk
  /// (delivered, held back, or dropped by discard()), so an event loop never
  /// has to re-offer a tail — except when feed() was refused
  /// (errc::reentrant_feed), which takes 0.
  std::size_t consumed = 0;
  /// ok, reentrant_feed, or count_replaced_by_non_count: where CPython's
  /// handle_read raises TypeError (error.hpp), after every byte was delivered.
  errc error = errc::ok;
};

/// CPython's async_chat input side, sans-IO: splits a byte stream into frames
/// (see the file's description for the callbacks' rules).
class framer {
 public:
  /// No terminator (collects everything), nothing held back.
  explicit framer(framer_options options = {});
  /// Copies hold the same terminator and held-back bytes. The framer moved
  /// from is left as a new one with the same options: no terminator, nothing
  /// held.
  framer(const framer&) = default;
  /// Copies terminator, held-back bytes and options.
  framer& operator=(const framer&) = default;
  /// Takes the terminator and held-back bytes; `other` is left as a new framer.
  framer(framer&& other) noexcept;
  /// As the move constructor.
  framer& operator=(framer&& other) noexcept;
  ~framer() = default;

  /// Sets what ends a frame; takes effect at the next byte examined (also
  /// from inside a callback). Rejects a negative count (errc::negative_count,
  /// CPython's ValueError) and a delimiter over max_terminator_length; the
  /// terminator is unchanged on error. Bytes already held back stay held and
  /// are framed with the new terminator by the next feed(), as CPython keeps
  /// them in ac_in_buffer.
  [[nodiscard]] errc set_terminator(terminator t);
  /// The same as set_terminator(terminator::count(n)) — same rules, same
  /// errors, same get_terminator() afterwards — without building a terminator
  /// value, whose std::string member costs a few stores even when empty. What
  /// a length-prefixed protocol calls twice per record.
  [[nodiscard]] errc set_count(std::int64_t n) noexcept;
  /// The terminator as CPython's get_terminator() returns it: while a count is
  /// running, the bytes still expected; after it completes, count 0
  /// (asynchat.py:153, 157). The one way to a negative count is CPython's:
  /// on_collect() setting a count smaller than the bytes it was handed while a
  /// count was running.
  [[nodiscard]] const terminator& get_terminator() const noexcept { return term_; }

  /// Frames `chunk` (which may be empty: an empty chunk re-frames the held-back
  /// bytes, as CPython's handle_read does after recv() returns b'' at end of
  /// stream). Callbacks run before feed() returns; `chunk` is not referenced
  /// afterwards.
  template <framing_handler H>
  feed_result feed(std::string_view chunk, H& handler);

  /// Drops held-back bytes and, when called from a callback, the rest of the
  /// chunk being fed. CPython's discard_buffers(), input half.
  void discard() noexcept;

  /// Bytes held back because they may begin the delimiter. CPython never
  /// delivers them at end of stream; these two calls are the opt-in way to
  /// get them. The view is valid until the next non-const call.
  [[nodiscard]] std::string_view held() const noexcept {
    return std::string_view(carry_).substr(carry_pos_);
  }
  /// Returns the held-back bytes and forgets them. The view is valid until
  /// the next non-const call.
  [[nodiscard]] std::string_view take_held() noexcept;
  /// Delivers the held-back bytes, if any, through on_collect() (never
  /// on_found()) and forgets them. For a stream that ended mid-delimiter.
  template <framing_handler H>
  void flush_held(H& handler);

  /// The options the framer was made with.
  [[nodiscard]] const framer_options& options() const noexcept { return options_; }

 private:
  enum class step_outcome : std::uint8_t { go_on, stop };

  template <framing_handler H>
  step_outcome step(const char*& k, const char* end, H& handler);
  template <framing_handler H>
  step_outcome delimiter_step(const char*& k, const char* end, H& handler);
  template <framing_handler H>
  void complete_count(std::size_t n, const char*& k, const char* end, H& handler);
  template <framing_handler H>
  step_outcome count_run(const char*& k, const char* end, H& handler);
  void set_count_done() noexcept;
  void become_count() noexcept;
  void become_new() noexcept;  // the state framer(options_) starts in
  template <framing_handler H>
  step_outcome no_delimiter_in_buffer(const char*& k, const char* end, H& handler);
  static constexpr std::size_t kShortDelimiter = 4;
  template <framing_handler H>
  step_outcome delimiter_run(const char*& k, const char* end, H& handler);
  template <bool one_byte, framing_handler H>
  step_outcome short_delimiter_run(const char*& k, const char* end, H& handler);

  // The buffer CPython calls ac_in_buffer is, here, the held-back bytes
  // followed by the unread part of the chunk.
  [[nodiscard]] std::size_t carried_size() const noexcept { return carry_.size() - carry_pos_; }
  [[nodiscard]] collected slice(std::size_t n, const char* k) const noexcept {
    if (carry_pos_ == carry_.size()) return collected{{}, std::string_view(k, n)};
    return slice_across(n, k);
  }
  [[nodiscard]] collected slice_across(std::size_t n, const char* k) const noexcept;
  void advance(std::size_t n, const char*& k, const char* end) noexcept {
    if (!discarded_ && carry_pos_ == carry_.size()) {
      k += n;
      return;
    }
    advance_slow(n, k, end);
  }
  void advance_slow(std::size_t n, const char*& k, const char* end) noexcept;
  [[nodiscard]] errc set_terminator_slow(terminator t);
  void hold_tail(std::size_t p, const char*& k, const char* end);
  void keep_unread(const char* k, const char* end);
  // Searches the held-back bytes followed by [k, end) for the delimiter.
  [[nodiscard]] std::size_t find_across(const char* k, const char* end) const noexcept;
  [[nodiscard]] std::size_t prefix_at_end_across(const char* k, const char* end) const noexcept;

  framer_options options_;
  terminator term_;
  detail::delimiter_search search_;
  std::string carry_;  // held-back bytes live in carry_[carry_pos_, size)
  std::size_t carry_pos_ = 0;
  // Set by every set_terminator() and set_count(); cleared where a callback's
  // choice of terminator must be noticed (a delimiter run).
  bool term_set_ = false;
  bool in_feed_ = false;
  bool discarded_ = false;       // discard() was called during the current feed()
  bool count_replaced_ = false;  // errc::count_replaced_by_non_count, for feed() to return
  bool short_frames_ = true;     // the frames seen last were short: use short_delimiter_run()
};

// ---------------------------------------------------------------------------
// Implementation. The whole state machine is here, top to bottom; each branch
// names the asynchat.py lines it mirrors.

template <framing_handler H>
feed_result framer::feed(std::string_view chunk, H& handler) {
  if (in_feed_) return {0, errc::reentrant_feed};
  in_feed_ = true;
  discarded_ = false;
  count_replaced_ = false;
  const char* k = chunk.data();
  const char* const end = k + chunk.size();
  try {
    // asynchat.py:140 — go on while the buffer holds anything.
    while (!discarded_ && (carried_size() != 0 || k != end)) {
      if (step(k, end, handler) == step_outcome::stop) break;
    }
  } catch (...) {
    in_feed_ = false;
    if (!discarded_) keep_unread(k, end);
    throw;
  }
  in_feed_ = false;
  return {chunk.size(), count_replaced_ ? errc::count_replaced_by_non_count : errc::ok};
}

template <framing_handler H>
[[gnu::always_inline]] inline framer::step_outcome framer::step(const char*& k, const char* end,
                                                                H& handler) {
  const std::size_t lb = carried_size() + static_cast<std::size_t>(end - k);
  // asynchat.py:143-146 — none, b'' and 0: collect it all.
  if (term_.collects_everything()) {
    handler.on_collect(slice(lb, k));
    advance(lb, k, end);
    return step_outcome::go_on;
  }
  if (term_.kind_ == terminator::kind::count) {
    const auto n = static_cast<std::uint64_t>(term_.count_);
    if (lb < n) {
      // A negative count wraps to the largest n and comes here too.
      if (term_.count_ < 0) [[unlikely]] {
        // asynchat.py:149, 155-158 with n < 0: Python's slices count from
        // the end. Collect all but the last -n bytes (b'' when the buffer is
        // no longer, and CPython still reports it), keep those, count 0, found.
        const auto back = static_cast<std::uint64_t>(-term_.count_);
        complete_count(back < lb ? static_cast<std::size_t>(lb - back) : 0, k, end, handler);
        return step_outcome::go_on;
      }
      // asynchat.py:150-153 — not enough yet: collect all, count down.
      handler.on_collect(slice(lb, k));
      advance(lb, k, end);
      // 153 subtracts from whatever self.terminator is now: a count set inside
      // collect_incoming_data is counted down as well (below zero if it was
      // smaller than lb: see above for what that count then does), and any
      // other terminator is a TypeError once the whole buffer is delivered.
      if (term_.kind_ != terminator::kind::count) [[unlikely]] {
        count_replaced_ = true;
        return step_outcome::stop;
      }
      term_.count_ -= static_cast<std::int64_t>(lb);
      return step_outcome::go_on;
    }
    // asynchat.py:155-158 — the count completes: collect n, count is 0
    // (even if collect changed it), then found.
    if (carried_size() == 0) return count_run(k, end, handler);
    complete_count(static_cast<std::size_t>(n), k, end, handler);
    return step_outcome::go_on;
  }
  if (carried_size() == 0) {
    if (short_frames_ && search_.size() == 1) return short_delimiter_run<true>(k, end, handler);
    if (short_frames_ && search_.size() <= kShortDelimiter)
      return short_delimiter_run<false>(k, end, handler);
    return delimiter_run(k, end, handler);
  }
  return delimiter_step(k, end, handler);
}

// With nothing held back, frames that end in a delimiter are delivered by one
// of two runs, which frame as many as the chunk holds without going round
// feed()'s loop. Each keeps the frame's start in a local and stores it to k
// before every callback, so k is right if a callback throws without being
// read back every frame. Nothing can be held back during a run (callbacks
// cannot add to it), so advancing is moving k. A run returns to feed()'s
// loop when a callback changed the terminator or called discard(); after a
// discard() k is no longer used, as feed() keeps nothing of that chunk
// (asynchat.py:175 after 273).
//
// delimiter_run(): frames of any length, each found with delimiter_search::
// find() (memchr-class). It hands over to short_delimiter_run() after a
// frame shorter than two 64-byte blocks, if the delimiter has at most 4 bytes.
template <framing_handler H>
[[gnu::noinline]] framer::step_outcome framer::delimiter_run(const char*& k, const char* end,
                                                             H& handler) {
  const std::size_t m = search_.size();
  term_set_ = false;
  const char* frame = k;
  for (;;) {
    // Frames in this run are long, unless the delimiter is too long for the
    // short run: only then is a near occurrence worth checking for first.
    const std::size_t index =
        search_.find(frame, static_cast<std::size_t>(end - frame), m > kShortDelimiter);
    if (index == detail::delimiter_search::npos) break;
    // asynchat.py:171-174 — the empty string is not reported.
    if (index != 0) handler.on_collect(collected{{}, std::string_view(frame, index)});
    // After a discard() in on_collect() the run ends below and k is not used.
    frame += index + m;  // asynchat.py:175
    k = frame;
    handler.on_found();  // asynchat.py:178
    if (discarded_ || term_set_) return step_outcome::go_on;
    if (index < detail::byte_scanner::kShortGap && m <= kShortDelimiter) {
      short_frames_ = true;
      return step_outcome::go_on;
    }
    if (frame == end) return step_outcome::go_on;  // a chunk that ends with its last frame
  }
  // Not at the end: step() starts a run only on unread bytes, and a frame
  // that reaches the end returns above.
  return no_delimiter_in_buffer(k, end, handler);
}

// short_delimiter_run(): short frames, delimiters of 1 to 4 bytes. The chunk
// is compared with the delimiter's first byte 64 bytes at a time and the
// frames of a block are cut from its bitmask, instead of searching once per
// frame. Two blocks without a candidate mean the frames are long: the run
// hands over to delimiter_run(). A candidate that fails verification costs
// at most 3 compares, so the run stays linear. One-byte delimiters, the most
// common, get a loop of their own: every candidate is a frame.
template <bool one_byte, framing_handler H>
[[gnu::noinline]] framer::step_outcome framer::short_delimiter_run(const char*& k, const char* end,
                                                                   H& handler) {
  const std::string_view delimiter = search_.pattern();
  const std::size_t m = one_byte ? 1 : delimiter.size();
  term_set_ = false;
  detail::byte_scanner candidates(k, end, delimiter[0]);
  const char* frame = k;
  const char* hit = nullptr;
  for (;;) {
    const auto found = candidates.next(hit);
    if (found == detail::byte_scanner::gap::long_gap) {
      short_frames_ = false;
      return step_outcome::go_on;
    }
    // No candidate left, or one too close to the end to be verified: the
    // rest holds no whole delimiter, but may end with the start of one.
    if (found == detail::byte_scanner::gap::none_before_end) break;
    if constexpr (!one_byte) {
      if (static_cast<std::size_t>(end - hit) < m) break;
      if (!search_.rest_matches(hit)) {
        candidates.drop_first();
        continue;
      }
    }
    if (hit != frame)
      handler.on_collect(
          collected{{}, std::string_view(frame, static_cast<std::size_t>(hit - frame))});
    // After a discard() in on_collect() the run ends below and k is not used.
    frame = hit + m;  // asynchat.py:175
    k = frame;
    handler.on_found();  // asynchat.py:178
    if (discarded_ || term_set_) return step_outcome::go_on;
    if constexpr (one_byte) {
      candidates.drop_first();
    } else {
      candidates.drop_before(frame);
    }
  }
  if (frame == end) return step_outcome::go_on;
  return no_delimiter_in_buffer(k, end, handler);
}

// count_run(): with nothing held back, count frames one after another while
// the handler keeps setting counts that the chunk holds — length-prefixed
// records come many to a chunk — the same steps as step(), kept out of
// feed()'s loop, the frame's start in a local as in the delimiter runs. It is
// stored to k before each callback only if a callback can throw (the
// handler's callbacks are not noexcept); otherwise once, when the run ends.
//
// A walk of short records is a chain of dependent loads: where each header
// is depends on the one before. From a chunk that is not in cache (a large
// buffer, a mapped file) each record would then wait for memory, and the
// hardware prefetcher, which stops at every 4 KiB page, does not hide it. So
// before a frame of a line to kWalkFrame bytes that follows one of at most
// kWalkFrame bytes in this run, the run prefetches the kWalkAhead bytes of the
// chunk after it (never past the chunk): 128-byte records from memory framed
// 1.5-1.9x faster. Prefetching has no effect on what is read or delivered.
// The run's first frame is not followed by a prefetch: with reads smaller than
// the records it is mostly the rest of a long body, and what follows it is a
// header and another long body that the run skips (4 KiB records in 4 KiB
// reads framed at 31-34 GB/s with that prefetch, 59-86 GB/s without, paired
// with Asio). The cursor is an address, not an offset in the chunk: from
// cache, 6% more 16 B and 10% more 128 B records per second (one process,
// the two builds alternating); a pointer, kept in the chunk by a shorter
// last step, measured 15-28% fewer. (Topping up the prefetched bytes on a
// schedule of bytes walked instead takes 5 fewer instructions per 128 B
// record frame, but made the same 4 KiB records slower to frame from memory:
// 41-76 against 73-122 GB/s in paired runs with Asio.)
template <framing_handler H>
[[gnu::noinline]] framer::step_outcome framer::count_run(const char*& k, const char* end,
                                                         H& handler) {
  constexpr std::size_t kLine = 64, kWalkFrame = 1024, kWalkAhead = 1024;
  constexpr bool may_throw = !noexcept(handler.on_collect(std::declval<const collected&>())) ||
                             !noexcept(handler.on_found());
  const char* frame = k;
  // An address, so that it may step past the chunk's end (see above).
  std::uintptr_t prefetched = 0;      // lines below this address were prefetched
  std::size_t last = kWalkFrame + 1;  // the frame before this one (none yet)
  const auto end_address = reinterpret_cast<std::uintptr_t>(end);
  // "A count is running and the chunk holds it" in one compare: the count is
  // zero unless the terminator is a count (terminator.hpp), and both zero and
  // a negative count (which step() handles: asynchat.py:153's arithmetic can
  // reach one) wrap to above any chunk's size.
  while (static_cast<std::uint64_t>(term_.count_) - 1 < static_cast<std::uint64_t>(end - frame)) {
    const auto n = static_cast<std::size_t>(term_.count_);
    if (n - kLine <= kWalkFrame - kLine && last <= kWalkFrame) {
      const auto next = reinterpret_cast<std::uintptr_t>(frame) + n;
      const std::uintptr_t until =
          end_address - next > kWalkAhead ? next + kWalkAhead : end_address;
      if (prefetched < next) prefetched = next;
      // Inside the chunk: prefetched < until <= end.
      for (; prefetched < until; prefetched += kLine)
        __builtin_prefetch(
            reinterpret_cast<const void*>(prefetched));  // NOLINT(performance-no-int-to-ptr)
    }
    last = n;
    handler.on_collect(collected{{}, std::string_view(frame, n)});
    frame += n;  // asynchat.py:156; after a discard() the loop ends below
    if constexpr (may_throw) k = frame;
    set_count_done();  // asynchat.py:157
    handler.on_found();
    if (discarded_) break;
  }
  k = frame;
  return step_outcome::go_on;
}

template <framing_handler H>
[[gnu::always_inline]] inline void framer::complete_count(std::size_t n, const char*& k,
                                                          const char* end, H& handler) {
  handler.on_collect(slice(n, k));
  advance(n, k, end);
  set_count_done();
  handler.on_found();
}

// One step with a delimiter, for any buffer, held-back bytes included.
template <framing_handler H>
[[gnu::always_inline]] inline framer::step_outcome framer::delimiter_step(const char*& k,
                                                                          const char* end,
                                                                          H& handler) {
  const std::size_t m = search_.size();
  const std::size_t carried = carried_size();
  const std::size_t lb = carried + static_cast<std::size_t>(end - k);
  const std::size_t index = carried == 0 ? search_.find(k, lb) : find_across(k, end);
  if (index == detail::delimiter_search::npos) return no_delimiter_in_buffer(k, end, handler);
  // asynchat.py:171-174 — the empty string is not reported.
  if (index > 0) handler.on_collect(slice(index, k));
  advance(index + m, k, end);  // asynchat.py:175
  handler.on_found();          // asynchat.py:178
  return step_outcome::go_on;
}

// The buffer (held-back bytes and the rest of the chunk, not empty) holds no
// whole delimiter.
template <framing_handler H>
framer::step_outcome framer::no_delimiter_in_buffer(const char*& k, const char* end, H& handler) {
  const std::size_t carried = carried_size();
  const std::size_t lb = carried + static_cast<std::size_t>(end - k);
  // asynchat.py:181 — does the buffer end with the start of the delimiter?
  const std::size_t p = carried == 0 ? search_.prefix_at_end(k, lb) : prefix_at_end_across(k, end);
  if (p == 0) {
    // asynchat.py:189-191 — no: collect it all.
    handler.on_collect(slice(lb, k));
    advance(lb, k, end);
    return step_outcome::go_on;
  }
  if (p != lb) {
    // asynchat.py:183-186 — collect up to the partial delimiter, hold it back.
    handler.on_collect(slice(lb - p, k));
    if (discarded_) return step_outcome::stop;
    advance(lb - p, k, end);
  }
  hold_tail(p, k, end);  // asynchat.py:186-187 — and stop until more arrives.
  return step_outcome::stop;
}

template <framing_handler H>
void framer::flush_held(H& handler) {
  if (carried_size() == 0) return;
  const std::string_view bytes = held();
  handler.on_collect(collected{bytes, {}});
  carry_.clear();
  carry_pos_ = 0;
}

inline errc framer::set_terminator(terminator t) {
  if (t.kind_ == terminator::kind::count) return set_count(t.count_);
  return set_terminator_slow(std::move(t));
}

inline errc framer::set_count(std::int64_t n) noexcept {
  if (n < 0) return errc::negative_count;  // CPython's ValueError; the terminator stays
  become_count();
  term_.count_ = n;
  term_set_ = true;
  return errc::ok;
}

// asynchat.py:157, after a count completes. term_set_ stays as it is: no
// callback runs between here and the on_found() that follows, and what
// on_found() sets is noticed by the count loop reading term_ again.
inline void framer::set_count_done() noexcept {
  become_count();
  term_.count_ = 0;
}

// A count terminator carries no delimiter (terminator.hpp: delimiter() is
// empty unless is_bytes()); the check is one compare while counts follow counts.
inline void framer::become_count() noexcept {
  if (term_.kind_ == terminator::kind::count) [[likely]]
    return;
  term_.kind_ = terminator::kind::count;
  term_.bytes_.clear();
}

extern template feed_result framer::feed<framer_handler>(std::string_view, framer_handler&);
extern template void framer::flush_held<framer_handler>(framer_handler&);

}  // namespace chatframe
