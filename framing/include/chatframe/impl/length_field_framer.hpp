// chatframe/impl/length_field_framer.hpp — length_field_framer's configuration of the engine.
//
// Not part of the public API (included by length_field_framer.hpp). A
// record is three counts in turn: its header (H bytes, whose length field is
// copied out as it goes by), its body (R - H bytes, which go to the frame or
// to the handler's pieces) or, for an oversized record, the same bytes
// skipped. Each is the engine's count step; the events adapter routes the
// collected bytes by the part being read, and a part's end (the count's
// found event) judges the header, delivers the frame or ends the skip.
// Records that lie whole in a chunk skip all that: the engine's record_run()
// reads their headers in place (length_walk below).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>
#include <utility>

#include "chatframe/length_field_framer.hpp"

namespace chatframe {

namespace detail {

template <class H>
constexpr bool length_handler_may_throw() {
  constexpr bool error_safe =
      noexcept(std::declval<H&>().on_error(std::declval<const length_error&>()));
  if constexpr (length_piece_handler<H>) {
    return !(error_safe&& noexcept(std::declval<H&>().on_frame_begin(std::uint64_t{}))&& noexcept(
        std::declval<H&>().on_frame_piece(
            std::string_view{}))&& noexcept(std::declval<H&>().on_frame_end()));
  } else {
    return !(error_safe&& noexcept(std::declval<H&>().on_frame(std::string_view{})));
  }
}

// The engine's events as the decoder's: collected bytes and the end of a
// count go to the part being read; a whole record from record_run() is
// delivered at once.
//
// Two references, and the engine's cursor only for callbacks that may
// throw (whole_frame() keeps it right for them). For noexcept handlers the
// adapter is then 16 bytes, which the out-of-line record_run() receives in
// two registers. With the cursor, its 24 bytes went through the stack: the
// caller wrote them as three 8-byte stores and GCC copied the first two
// with one 16-byte load, which store-to-load forwarding cannot serve from
// two stores — the load, and the run's first use of the handler's address,
// waited for both stores to reach the cache, once per read (4 KiB pieces
// in 64 KiB reads: 52-53 against 44-45 ns a read; bench/NOTES.md, "Issue
// 23, 2026-12-07").
template <class H>
struct length_events {
  length_field_framer& framer;
  H& handler;
  static constexpr bool may_throw = length_handler_may_throw<H>();
  struct no_cursor {};
  // The engine's k, which the fast path's callbacks keep right.
  [[no_unique_address]] std::conditional_t<may_throw, const char**, no_cursor> cursor{};
  void collect(const collected& data) { framer.take(data, handler); }
  void found(std::size_t /*which*/) { framer.part_done(handler); }
  // Inlined into the runs: left to the compiler, the call stayed in one
  // build of the short records' loop and not in another (10406 against
  // 9911 instructions per 64 KiB read of 128 B pieces).
  [[gnu::always_inline]] void frame(std::string_view frame) { framer.whole_frame(frame, *this); }
  [[nodiscard]] bool stopped() const noexcept { return framer.abandon_; }
};

// Whole records, for engine::record_run(): the header read with the fixed
// load of one width and byte order, judged with one range check (headers
// outside the range are left to the plain steps, which report them), or
// none where the layout accepts every record that ends in the chunk
// (kAcceptsAllWithin: length_layout::accepts_all_within()). It
// holds a copy of the layout's record_terms, which the run copies into
// locals: the handler's stores cannot make it load them again
// (bench/NOTES.md, "record_run"). The handler's calls cannot change the
// layout: options change at a record's start, in the decoder's step, never
// in a run.
template <class Reader, bool kAcceptsAllWithin = false>
class length_walk {
 public:
  // For a chunk that ends at `end` and holds a whole header at least (a run
  // starts on a whole record): end - header is then an address in it.
  length_walk(const length_layout& layout, const char* end) noexcept
      : terms_(layout.terms()),
        last_header_(reinterpret_cast<std::uintptr_t>(end) - layout.header()) {}
  // True if a whole header starts at p.
  [[nodiscard]] bool header_in(const char* p) const noexcept {
    return reinterpret_cast<std::uintptr_t>(p) <= last_header_;
  }
  // The start of the next record, if the record at p (whose header lies in
  // the chunk) is whole, is the run's to frame, and the next record's header
  // lies in the chunk too; else nullptr, and `last` is the start of the next
  // record if the record at p is whole and the run's nonetheless (the
  // chunk's last whole record), else nullptr. `frame` is what the record at
  // p delivers, where it is whole. One compare says the record is whole and
  // the next header can be read: the run reads it with no check of its own
  // (bench/NOTES.md, "Issue 23, 2026-12-06 (sixth)").
  [[nodiscard]] const char* whole_record(const char* p, const char* end, std::string_view& frame,
                                         const char*& last) const noexcept {
    const std::uint64_t v = Reader::read(p + terms_.offset);
    if constexpr (!kAcceptsAllWithin) {
      if (!terms_.accepts(v)) {
        last = nullptr;
        return nullptr;
      }
    }
    // The record is at most 2^63 bytes (F <= max, strip <= 2^62), or, with
    // no range check, under 2^63 + 2^32 (length_layout's bounded_): its end
    // does not wrap, and lies past the chunk's exactly when it is not whole.
    const std::uintptr_t stop = terms_.record_end(reinterpret_cast<std::uintptr_t>(p), v);
    if (stop > last_header_) [[unlikely]] {
      last = stop > reinterpret_cast<std::uintptr_t>(end) ? nullptr : framed(p, stop, v, frame);
      return nullptr;
    }
    return framed(p, stop, v, frame);
  }

 private:
  // The whole record at p that ends at stop: its frame, and its end as a
  // pointer into the chunk.
  const char* framed(const char* p, std::uintptr_t stop, std::uint64_t v,
                     std::string_view& frame) const noexcept {
    frame = std::string_view(p + terms_.strip, static_cast<std::size_t>(terms_.frame_of(v)));
    return p + (stop - reinterpret_cast<std::uintptr_t>(p));
  }

  record_terms terms_;
  std::uintptr_t last_header_;  // the last address a whole header can start at
};

}  // namespace detail

inline length_field_framer::length_field_framer(const length_field_options& options)
    : next_(options), refused_(validate(options)) {
  if (refused_ == errc::ok) apply_options();
}

inline length_field_framer::length_field_framer(length_field_framer&& other) noexcept {
  *this = std::move(other);
}

// The two members that own memory move; the rest is copied (the moved-from
// members copied with it are empty, which copies without allocating).
inline length_field_framer& length_field_framer::operator=(length_field_framer&& other) noexcept {
  if (this != &other) {
    detail::frame_bytes frame = std::move(other.frame_);
    detail::engine engine = std::move(other.engine_);
    other.frame_.clear();
    *this = static_cast<const length_field_framer&>(other);
    frame_ = std::move(frame);
    engine_ = std::move(engine);
    other.become_new();
  }
  return *this;
}

// A new decoder with the options set last.
inline void length_field_framer::become_new() noexcept {
  const length_field_options options = next_;
  new_record();
  pending_ = false;
  fed_ = position_ = 0;
  abandon_ = false;
  error_ = {};
  engine_ = detail::engine();
  next_ = options;
  refused_ = validate(next_);
  if (refused_ == errc::ok) apply_options();
}

inline errc length_field_framer::set_options(const length_field_options& options) {
  if (validate(options) != errc::ok) return errc::invalid_length_options;
  next_ = options;
  if (refused_ == errc::invalid_length_options) refused_ = errc::ok;  // not once stopped
  pending_ = true;
  engine_.changed();  // ends a record run: the next record reads the options
  if (!engine_.feeding() && at_record_boundary()) apply_options();
  return errc::ok;
}

inline void length_field_framer::apply_options() noexcept {
  layout_ = detail::length_layout(next_);
  fail_fast_ = next_.fail_fast;
  on_oversized_ = next_.on_oversized;
  pending_ = false;
}

inline void length_field_framer::discard() noexcept {
  engine_.discard();
  if (engine_.feeding()) {
    abandon_ = true;  // the record ends with the feed (see part_done's callers)
  } else {
    new_record();
    position_ = fed_;
  }
}

inline void length_field_framer::new_record() noexcept {
  phase_ = part::header;
  at_ = 0;
  record_ = 0;
  frame_.clear();
  late_pending_ = false;
}

// After every feed(), returned or thrown: no view into its chunk survives,
// a record discarded from a callback is forgotten, and the position counts
// what was framed.
inline void length_field_framer::settle() noexcept {
  // (A record discarded from a callback may have its frame copied here
  // before it is forgotten: only the header's share can be left in it, which
  // the options bound. Checking first cost 4 instructions a read of 4 KiB
  // whole frames, callgrind, bench/NOTES.md "Issue 23, 2026-12-07 (seventh)".)
  try {
    frame_.keep();
  } catch (...) {
    frame_not_kept();
  }
  if (abandon_) {
    abandon_ = false;
    new_record();
  }
  if (engine_.lost() != 0) [[unlikely]]
    bytes_not_kept();
  position_ = fed_ - engine_.held().size();
}

// A callback (or a frame's copy growing) threw, and the unread rest of the
// chunk could not be kept for the next feed() either (no memory): those
// bytes are gone, and the stream cannot be followed past them. The decoder
// stops, with the position of the record they cut.
[[gnu::cold]] inline void length_field_framer::bytes_not_kept() noexcept {
  const std::uint64_t start = fed_ - engine_.lost() - at_;
  refused_ = errc::frame_not_kept;
  error_ = length_error{errc::frame_not_kept, start, 0, 0, layout_.max_frame()};
  new_record();
}

// No memory for the copy of a frame whose bytes lie in the chunk that is
// about to go (settle()): the frame is lost, but the stream need not be. A
// record whose header was read is skipped to its end, which reports
// errc::frame_not_kept as the end of an oversized record reports its late
// length_too_large. Before its header is read the record's length is not
// known, and the bytes after it cannot be framed: the decoder stops (the
// frame then held the header's share, more bytes than fit the copy's
// inline storage only with a length_offset over 11).
inline void length_field_framer::frame_not_kept() noexcept {
  const std::uint64_t start = fed_ - engine_.held().size() - at_;
  frame_.clear();
  if (phase_ == part::body) {
    late_ = length_error{errc::frame_not_kept, start, field_value_, record_ - layout_.strip(),
                         layout_.max_frame()};
    late_pending_ = true;
    phase_ = part::skip;
    return;
  }
  refused_ = errc::frame_not_kept;
  error_ = length_error{errc::frame_not_kept, start, 0, 0, layout_.max_frame()};
  engine_.discard();
  new_record();
}

template <length_handler H>
feed_result length_field_framer::feed(std::string_view chunk, H& handler) {
  if (engine_.feeding()) return {0, errc::reentrant_feed};
  if (refused_ != errc::ok) return {0, refused_};
  if constexpr (streams<H>()) {
    if (engine_.nothing_held() && !pending_ && layout_.runnable_without_header_bytes()) {
      const char* const end = chunk.data() + chunk.size();
      const char* const k = engine_.lead_in(
          chunk, [&](const char* p, const char* e) noexcept { return stream(p, e, handler); });
      if (k == end || abandon_) {  // framed, or dropped by discard() from a callback
        fed_ += chunk.size();
        if constexpr (length_piece_handler<H>) {
          position_ = fed_;  // nothing is held back
          if (abandon_) {
            abandon_ = false;
            new_record();
          }
        } else {
          settle();  // and a frame begun in the chunk is copied before it goes
          return {chunk.size(), refused_};  // errc::ok unless no memory stopped it there
        }
        return {chunk.size(), errc::ok};
      }
      const auto used = static_cast<std::size_t>(k - chunk.data());
      fed_ += used;
      position_ = fed_;
      // The steps go on from where stream() stopped.
      const feed_result r = steps(chunk.substr(used), handler);
      return {used + r.consumed, r.error};
    }
  }
  return steps(chunk, handler);
}

// The engine's loop of steps over the chunk (all of feed() but stream()).
template <class H>
[[gnu::always_inline]] inline feed_result length_field_framer::steps(std::string_view chunk,
                                                                     H& handler) {
  fed_ += chunk.size();
  detail::length_events<H> ev{*this, handler};
  feed_result r;
  try {
    r = engine_.feed(
        chunk, [&](const char*& k, const char* end) { return step(k, end, ev); },
        [this] { return end_due(); });
  } catch (...) {
    settle();
    throw;
  }
  settle();
  if (r.error == errc::ok) r.error = refused_;  // ok unless settle() stopped the decoder
  return r;
}

// ===========================================================================
// stream(): noexcept handlers' own way into a chunk (feed() takes it when
// the frames hold no header byte, nothing is held back and no options
// wait). The events of the plain steps and of the fast path below, for the
// case that dominates a stream of long records — the rest of one record,
// maybe records whole in the chunk, the start of the next — with fewer
// instructions: it needs no engine loop, no cursor kept for a throw, no
// bookkeeping of header bytes in frame_ (none is in a frame) and, for
// pieces, no settle(). A 4 KiB record in 4 KiB reads took 212 instructions
// per read through the engine's loop and 99 this way as pieces; as whole
// frames 739 and 682, of which the copy is 439 (bench/NOTES.md, "Issue 23,
// 2026-12-06 (third)"). The fewer instructions matter most when the core is
// shared: the decoder is bound by how many the core issues, the bare walk
// by one header's load after the other ("Issue 23, 2026-12-06"). Anything
// else — a header cut by the chunk's end or one to report, a strip that
// reaches into the body and is not yet past, an options change, a whole
// frame's copy that must grow — is left to the steps: stream() returns
// where they go on.
// ===========================================================================

// Handlers that may take stream(): a throw there would have to keep the
// rest of the chunk, which only the engine's loop does. (Whole frames'
// copies, which could throw bad_alloc, grow only in the steps: stream()
// appends within the copy's capacity or leaves the bytes to them.)
template <class H>
constexpr bool length_field_framer::streams() noexcept {
  return !detail::length_handler_may_throw<H>();
}

template <class H>
[[gnu::always_inline]] inline const char* length_field_framer::stream(const char* k,
                                                                      const char* end, H& handler) {
  bool after_long = false;  // for the run (record_run()'s warm_first)
  if (phase_ == part::body) {
    if (at_ < layout_.strip()) return k;  // stripped body bytes still to come: the steps'
    after_long = record_ > detail::walk_prefetch::kShort;
    // (False: a whole frame's copy must grow, which the steps do.)
    if (!rest_of_record<header_share::none>(k, end, handler)) return k;
    if (k == end || abandon_ || pending_) return k;
  } else if (!at_record_boundary()) {
    return k;  // a header partly read, or a skip: the steps'
  }
  // A guess, which only picks the way: if a record as long as the last one
  // fits in the rest of the chunk, the next header is read where the records
  // after it are, in stream_records() (reading it here first cost 4 KiB
  // pieces in 64 KiB reads a width switch and a second load: 380 against
  // 369 instructions a read; bench/NOTES.md, "Issue 23, 2026-12-07
  // (fourth)"). Else, mostly a record that goes on past the chunk, it is
  // read here, without the call. (The run needs a whole header: record_ is
  // 0 before the first one.)
  const auto avail = static_cast<std::uint64_t>(end - k);
  if (record_ <= avail && layout_.header() <= avail) {
    return layout_.with_reader(
        [&](auto reader) { return stream_records<decltype(reader)>(k, end, handler, after_long); });
  }
  // One load through the width's switch (layout_.reader()): no dispatch on
  // the reader here, so this path is one copy, not one per width and byte
  // order.
  std::uint64_t v = 0, record = 0;
  if (!header_at(layout_.reader(), k, end, v, record)) return k;
  if (record <= static_cast<std::uint64_t>(end - k)) {
    return layout_.with_reader(
        [&](auto reader) { return stream_records<decltype(reader)>(k, end, handler, after_long); });
  }
  start_of_record<header_share::none>(k, end, v, record, handler);
  return k;
}

// Records whole in the chunk from k (a whole header lies at k: of a record
// that may or may not be whole, or one to report), by the engine's record
// run, then the start of the one that goes on past the chunk; `after_long`
// is the run's warm_first. One function per width and byte order (the
// dispatch is stream()'s), with the run inlined, so that its edges are not
// a second call — this function and the run's entry and exit (the walk's
// terms handed over on the stack, the header read again where the run
// stopped) took 121 instructions a read besides the records, 88 then, and
// the caller 101 for 88, the dispatch being its (4 KiB pieces in 64 KiB
// reads: 409 instructions a read, 380; bench/NOTES.md, "Issue 23,
// 2026-12-07 (third)"). Out of line: inlined into stream(), its registers
// cost the path of long records a third more instructions (131 against 99
// per 4 KiB read).
template <class Reader, class H>
[[gnu::noinline]] const char* length_field_framer::stream_records(const char* k, const char* end,
                                                                  H& handler, bool after_long) {
  static_assert(sizeof(detail::length_events<H>) == 2 * sizeof(void*),
                "record_run() takes the events in registers (length_events' comment)");
  detail::length_events<H> ev{*this, handler};
  run_records<Reader, run_call::inlined>(k, end, ev, after_long);
  if (k == end || abandon_ || pending_) return k;
  // The run stopped at a record not whole in the chunk, or at a header to
  // report (the steps').
  std::uint64_t v = 0, record = 0;
  if (header_at(Reader{}, k, end, v, record) && record > static_cast<std::uint64_t>(end - k))
    start_of_record<header_share::none>(k, end, v, record, handler);
  return k;
}

template <class H>
[[gnu::always_inline]] inline detail::step_outcome length_field_framer::step(
    const char*& k, const char* end, detail::length_events<H>& ev) {
  if (pending_ && at_record_boundary()) apply_options();
  if (engine_.nothing_held() && layout_.runnable()) {
    const char* const from = k;
    if constexpr (detail::length_events<H>::may_throw) ev.cursor = &k;  // for whole_frame()
    const bool acted = fast(k, end, ev);
    position_ += static_cast<std::uint64_t>(k - from);
    // Back to feed()'s loop, which sees a discard(); the next step reads new options.
    if (acted) return detail::step_outcome::go_on;
  }
  // The plain path: the part's count. Held bytes and the chunk's are never
  // mixed in one step, so every collect is one view.
  const std::uint64_t need = (phase_ == part::header ? layout_.header() : record_) - at_;
  const std::string_view held = engine_.held();
  const std::size_t avail = held.empty() ? static_cast<std::size_t>(end - k) : held.size();
  if (avail < need) {
    engine_.collect_short_count(avail, k, end, ev);
    return detail::step_outcome::go_on;
  }
  engine_.complete_count(static_cast<std::size_t>(need), k, end, ev, [] {});
  return refused_ != errc::ok ? detail::step_outcome::stop : detail::step_outcome::go_on;
}

// ===========================================================================
// The fast path: the same events as the plain count steps above, for the
// common case — nothing held back, headers the layout's range check accepts
// — with fewer instructions: the rest of a record begun in an earlier chunk,
// then the records that lie whole in the chunk (engine::record_run()), then
// the start of one that goes on in the next chunk. Anything else (a header
// to report, a header or strip cut by the chunk's end, held bytes) is left
// to the plain path. Each callback is called with the decoder's state and
// the engine's cursor where the plain path would have them, so a callback
// that throws, discards or sets options has the same effect.
// ===========================================================================

// True if it took bytes or delivered an event. The cursor is the engine's
// own when a callback may throw (it must be right when one does); otherwise
// a local, which stays in a register across the chunk: the engine's is in
// memory, and storing and loading it again put a store-to-load forward on
// the path from one header to the next (bench/NOTES.md, "fast path").
template <class H>
[[gnu::always_inline]] inline bool length_field_framer::fast(const char*& k, const char* end,
                                                             detail::length_events<H>& ev) {
  if constexpr (detail::length_events<H>::may_throw) {
    return fast_at(k, end, ev);
  } else {
    const char* p = k;
    const bool acted = fast_at(p, end, ev);
    k = p;
    return acted;
  }
}

template <class H>
[[gnu::always_inline]] inline bool length_field_framer::fast_at(const char*& k, const char* end,
                                                                detail::length_events<H>& ev) {
  const char* const from = k;
  bool after_long = false;  // for the run (record_run()'s warm_first)
  // (A piece handler's header piece, if still to come, is the plain path's.)
  if (phase_ == part::body && at_ >= layout_.strip() &&
      (!length_piece_handler<H> || frame_.size() == 0)) {
    after_long = record_ > detail::walk_prefetch::kShort;
    // The next header, fetched while this record's rest is handed over: in
    // reads shorter than the records it is the read's first line the walk
    // needs (bench/NOTES.md, "Issue 23, 2026-12-05").
    if (record_ - at_ < static_cast<std::uint64_t>(end - k))
      __builtin_prefetch(k + (record_ - at_) + layout_.offset());
    (void)rest_of_record(k, end, ev.handler);  // (true: frame_.add() grows the copy)
    // Not at the chunk's end, the record is over: the next one begins at k.
    if (k == end || abandon_ || pending_) return true;
  } else if (!at_record_boundary()) {
    return k != from;
  }
  // One dispatch on the width and byte order per chunk; the header at k is
  // read once, for the run and for the record that goes on past the chunk.
  return layout_.with_reader([&](auto reader) {
    using reader_type = decltype(reader);
    std::uint64_t v = 0, record = 0;
    if (!header_at(reader, k, end, v, record)) return k != from;
    if (record <= static_cast<std::uint64_t>(end - k)) {
      if constexpr (detail::length_events<H>::may_throw) {
        run_records<reader_type, run_call::out_of_line>(k, end, ev, after_long);
      } else {
        const char* run = k;  // k stays out of memory (see fast())
        run_records<reader_type, run_call::out_of_line>(run, end, ev, after_long);
        k = run;
      }
      if (k == end || abandon_ || pending_) return true;
      // The run stopped at a record that is not whole, or at a header to
      // report (the plain path's, as is anything else).
      if (!header_at(reader, k, end, v, record) || record <= static_cast<std::uint64_t>(end - k))
        return true;
    }
    start_of_record(k, end, v, record, ev.handler);
    return true;
  });
}

// The engine's record run over the records whole in the chunk from k, with
// the walk for this reader: without a range check of its own where a record
// that ends in the chunk is accepted whatever its field says (the default
// layout's, with a maximum of at least the chunk): 4 of about 34
// instructions per 128 B record.
template <class Reader, length_field_framer::run_call Call, class H>
[[gnu::always_inline]] inline void length_field_framer::run_records(const char*& k, const char* end,
                                                                    detail::length_events<H>& ev,
                                                                    bool after_long) {
  const auto run = [&](const auto& walk) {
    if constexpr (Call == run_call::inlined) {
      (void)engine_.record_run_here(k, end, walk, ev, after_long);
    } else {
      (void)engine_.record_run(k, end, walk, ev, after_long);
    }
  };
  if constexpr (Reader::width <= 4) {
    if (layout_.accepts_all_within(static_cast<std::size_t>(end - k))) {
      run(detail::length_walk<Reader, true>(layout_, end));
      return;
    }
  }
  run(detail::length_walk<Reader>(layout_, end));
}

// The header at k, if it lies in the chunk and the layout accepts it: true,
// with its field's value v and the record's length.
template <class Reader>
[[gnu::always_inline]] inline bool length_field_framer::header_at(const Reader& reader,
                                                                  const char* k, const char* end,
                                                                  std::uint64_t& v,
                                                                  std::uint64_t& record) const {
  if (static_cast<std::size_t>(end - k) < layout_.header()) return false;
  v = reader.read(k + layout_.offset());
  if (!layout_.accepts(v)) return false;
  record = layout_.record_of(v);
  return true;
}

// The rest of a record whose frame bytes began in an earlier chunk. False,
// with nothing done, only for stream() (header_share::none) and a whole
// frame whose copy would have to grow: it may not throw bad_alloc, so the
// steps take these bytes.
template <length_field_framer::header_share Share, class H>
[[gnu::always_inline]] inline bool length_field_framer::rest_of_record(const char*& k,
                                                                       const char* end,
                                                                       H& handler) {
  const std::uint64_t need = record_ - at_;
  const auto avail = static_cast<std::size_t>(end - k);
  const auto take = [&](std::size_t n, bool may_be_none) {
    const std::string_view bytes(k, n);
    if constexpr (length_piece_handler<H>) {
      if (!may_be_none || n != 0) handler.on_frame_piece(bytes);  // a throw moves nothing
    } else if constexpr (Share == header_share::none) {
      if (!frame_.add_without_growing(bytes)) return false;
    } else {
      frame_.add(bytes, true);
    }
    k += n;
    return true;
  };
  if (need > avail) {  // the record goes on past the chunk
    if (!take(avail, true)) return false;
    at_ += avail;
    return true;
  }
  // The record's last bytes: none only after an on_frame_begin() that threw
  // for an empty body (only its end is then due).
  if (!take(static_cast<std::size_t>(need), detail::length_handler_may_throw<H>())) return false;
  at_ = record_;
  frame_done<Share>(handler);
  return true;
}

// A record whose header lies in the chunk, accepted (field value v, length
// `record`), and whose end does not (record > end - k).
template <length_field_framer::header_share Share, class H>
[[gnu::always_inline]] inline void length_field_framer::start_of_record(
    const char*& k, const char* end, std::uint64_t v, std::uint64_t record, H& handler) {
  const auto avail = static_cast<std::size_t>(end - k);
  const std::size_t h = layout_.header();
  const char* const start = k;
  constexpr bool shared = Share == header_share::possible;
  field_value_ = v;  // for finish()
  phase_ = part::body;
  record_ = record;
  // The header is read: where it stops here, a throw (a callback's, or the
  // copy's bad_alloc where the frame holds header bytes) leaves the steps to
  // go on from there. Nothing else reads at_ before it is set below. (Stored
  // always, it sat beside record_'s store, and GCC paired the two in one
  // 16-byte store, which the next read's 8-byte load of record_ could not
  // take its value from: 4 KiB pieces in cache in 4 KiB reads at a median of
  // 1.03x of the walk against 1.23x, on a free core; bench/NOTES.md,
  // "Issue 23, 2026-12-07 (fourth)".)
  if constexpr (shared || detail::length_handler_may_throw<H>()) at_ = h;
  k = start + h;
  if constexpr (!length_piece_handler<H>)
    frame_.set_limit(static_cast<std::size_t>(layout_.frame_of(v)));  // the copy's bound
  if (shared && layout_.strip() < h)
    frame_.add(std::string_view(start + layout_.strip(), h - layout_.strip()), true);
  if constexpr (length_piece_handler<H>) {
    handler.on_frame_begin(layout_.frame_of(v));
    if (abandon_) return;
    if constexpr (shared) {
      flush_header_piece(handler);
      if (abandon_) return;
    }
  }
  const std::size_t from = shared ? std::max(layout_.strip(), h) : layout_.strip();
  if (from < avail) {
    const std::string_view bytes(start + from, avail - from);
    if constexpr (length_piece_handler<H>) {
      handler.on_frame_piece(bytes);  // if it throws, the body is delivered again from k
    } else {
      // A view, no allocation, where no header byte is in the frame (an
      // empty frame_ at a record's start): stream()'s may not throw.
      frame_.add(bytes, true);
    }
  }
  at_ = avail;
  k = end;
}

// Bytes at record offsets [at_, at_ + size) of the part being read.
template <class H>
void length_field_framer::take(const collected& data, H& handler) {
  const std::string_view bytes = data.contiguous_view();  // one view: see step()
  const bool lasting = data.carried.empty();
  if (phase_ == part::header) {
    const std::uint64_t first = layout_.offset(), last = first + layout_.width();
    const std::uint64_t to = std::min<std::uint64_t>(at_ + bytes.size(), last);
    for (std::uint64_t i = std::max(at_, first); i < to; ++i) field_[i - first] = bytes[i - at_];
    keep_frame_part(bytes, lasting);
  } else if (phase_ == part::body) {
    if constexpr (length_piece_handler<H>) {
      const std::size_t cut = at_ >= layout_.strip() ? 0 : layout_.strip() - at_;
      if (cut < bytes.size()) {
        flush_header_piece(handler);
        // After a discard() there, the record gets no more pieces.
        if (!abandon_) handler.on_frame_piece(bytes.substr(cut));
      }
    } else {
      keep_frame_part(bytes, lasting);
    }
  }
  at_ += bytes.size();
  position_ += bytes.size();
}

// The bytes of the frame among those at record offsets [at_, at_ + size).
inline void length_field_framer::keep_frame_part(std::string_view bytes, bool lasting) {
  if (at_ + bytes.size() <= layout_.strip()) return;
  const std::size_t cut = at_ >= layout_.strip() ? 0 : layout_.strip() - at_;
  frame_.add(bytes.substr(cut), lasting);
}

// A count ended: the part read is complete.
template <class H>
void length_field_framer::part_done(H& handler) {
  switch (phase_) {
    case part::header: header_done(handler); return;
    case part::body: frame_done(handler); return;
    case part::skip: {
      const bool report = late_pending_;
      const length_error e = late_;
      new_record();
      if (report) handler.on_error(e);  // fail_fast off: reported at the record's end
      return;
    }
  }
}

// The header's last byte was read: judge it before any byte of the body.
template <class H>
void length_field_framer::header_done(H& handler) {
  const std::uint64_t v = layout_.read(field_);
  field_value_ = v;  // for finish()
  const detail::header_verdict verdict = layout_.judge(v);
  if (verdict.code == errc::ok) {
    record_ = verdict.record;
    phase_ = part::body;
    frame_.set_limit(static_cast<std::size_t>(verdict.frame));  // the copy's bound
    if constexpr (length_piece_handler<H>) {
      handler.on_frame_begin(verdict.frame);
      if (at_ == record_) {
        frame_done(handler);  // nothing after the header: the record ends here
      } else if (!abandon_) {
        flush_header_piece(handler);
      }
      return;
    }
    if (at_ == record_) frame_done(handler);  // an empty body: deliver now, not with the next byte
    return;
  }
  const length_error e = error_at(verdict.code, v, verdict.frame);
  if (verdict.code != errc::length_too_large || on_oversized_ == oversized_action::stop) {
    halt(e, handler);
    return;
  }
  // Skip exactly the record's bytes; report now or at its end.
  frame_.clear();
  if (verdict.record == at_) {
    new_record();  // nothing left to skip: the end is here
    handler.on_error(e);
    return;
  }
  record_ = verdict.record;
  phase_ = part::skip;
  late_ = e;
  late_pending_ = !fail_fast_;
  if (fail_fast_) handler.on_error(e);
}

// The record's last byte was read. The record is over before the callback
// runs: whatever the callback does (or throws) applies to the next one.
template <length_field_framer::header_share Share, class H>
[[gnu::always_inline]] inline void length_field_framer::frame_done(H& handler) {
  if constexpr (length_piece_handler<H>) {
    if constexpr (Share == header_share::possible) {
      // If on_frame_begin() threw before it, or discarded the record: its
      // last byte was read, so it is completed, pieces and end.
      flush_header_piece(handler);
      new_record();
    } else {
      // new_record(), less what has nothing to undo: frame_ holds no byte
      // (no header byte is in a frame), no late report is due (that is a
      // skip's) and record_ is read only once a header sets it.
      phase_ = part::header;
      at_ = 0;
    }
    handler.on_frame_end();
  } else {
    phase_ = part::header;
    at_ = 0;
    // The frame is cleared after on_frame(), even if it throws.
    struct clear_frame {
      detail::frame_bytes& frame;
      ~clear_frame() { frame.clear(); }
    } guard{frame_};
    handler.on_frame(frame_.view());
  }
}

// A record whose frame lies whole in the chunk (engine::record_run()): the
// events the plain steps would give it, in one go. The engine has moved its
// cursor past the record; a piece handler whose callbacks may throw has it
// and the decoder's state set as the plain steps leave them at each event.
template <class H>
[[gnu::always_inline]] inline void length_field_framer::whole_frame(std::string_view frame,
                                                                    detail::length_events<H>& ev) {
  H& handler = ev.handler;
  if constexpr (!length_piece_handler<H>) {
    handler.on_frame(frame);
  } else if constexpr (!detail::length_handler_may_throw<H>()) {
    // Its header read, its last byte not yet: at_record_boundary() is false
    // in on_frame_begin() and on_frame_piece(), as in the steps; the rest of
    // the record's state is not seen by a callback. Over before on_frame_end().
    phase_ = part::body;
    handler.on_frame_begin(frame.size());
    if (abandon_) {
      // Dropped from on_frame_begin(): completed only if no body byte was
      // due (its last byte was read), with its piece of header bytes if any.
      // (A new record at the feed's end: settle(), or feed() after stream().)
      if (frame.size() + layout_.strip() == layout_.header()) {
        if (!frame.empty()) handler.on_frame_piece(frame);
        phase_ = part::header;
        handler.on_frame_end();
      }
      return;
    }
    // (Likely: laid out as the unlikely case, the piece cost short records
    // a jump each.)
    if (!frame.empty()) [[likely]]
      handler.on_frame_piece(frame);
    phase_ = part::header;
    handler.on_frame_end();
  } else {
    const char* const start = frame.data() - layout_.strip();
    const std::size_t h = layout_.header();
    const std::uint64_t record = layout_.strip() + frame.size();
    const char* const next = *ev.cursor;
    field_value_ = layout_.read_at(start + layout_.offset());  // for finish()
    phase_ = part::body;
    record_ = record;
    // The header is read, and the bytes before the frame are gone; the
    // frame's bytes stay the chunk's until its piece is delivered. Where
    // the frame holds header bytes (a strip inside the header), they are
    // its first bytes and not kept apart: as for a handler that cannot
    // throw, the frame is one piece, and a throw keeps it (from the
    // cursor) to be delivered again, whole, by the steps.
    at_ = std::min(layout_.strip(), h);
    *ev.cursor = start + at_;
    handler.on_frame_begin(frame.size());
    if (abandon_) {
      // Dropped from on_frame_begin(): completed only if no byte followed
      // the header (as the steps' header_done() has it), with its piece of
      // header bytes if any (if that throws, the record goes with the rest
      // of the chunk, which discard() dropped: as the steps have it).
      if (record == h) {
        if (!frame.empty()) handler.on_frame_piece(frame);
        at_ = record_;
        *ev.cursor = next;
        frame_done(handler);
      }
      return;
    }
    if (!frame.empty()) handler.on_frame_piece(frame);
    at_ = record_;
    *ev.cursor = next;
    frame_done(handler);
  }
}

// The record in progress is complete, and its end (and, where the frame
// holds header bytes, its first piece) is still due: its on_frame_begin() or
// that piece threw on its last byte — or, skipped, its frame_not_kept
// report: that feed ended without memory to copy its frame
// (frame_not_kept()). feed() delivers them even with no byte to frame, and
// finish() before it judges the stream. (Skipped bytes otherwise never
// leave a record read to its end: its report ends it at once.)
inline bool length_field_framer::end_due() const noexcept {
  return phase_ != part::header && at_ == record_ && !abandon_;
}

// The header's bytes that belong to the frame, as its first piece: kept
// until on_frame_begin() is called, and until a piece callback returns.
template <class H>
void length_field_framer::flush_header_piece(H& handler) {
  // (No header byte is in the frame unless the strip ends inside the header.)
  if (layout_.strip() >= layout_.header() || frame_.size() == 0) return;
  handler.on_frame_piece(frame_.view());
  frame_.clear();
}

template <class H>
void length_field_framer::halt(const length_error& e, H& handler) {
  refused_ = e.code;
  error_ = e;
  engine_.fail(e.code);
  engine_.discard();  // the rest of the chunk cannot be framed
  new_record();
  handler.on_error(e);
}

inline length_error length_field_framer::error_at(errc code, std::uint64_t field,
                                                  std::uint64_t frame_length) const noexcept {
  const bool declared = code == errc::length_too_large;
  return length_error{code, position_ - layout_.header(), field, declared ? frame_length : 0,
                      layout_.max_frame()};
}

template <length_handler H>
errc length_field_framer::finish(H& handler) {
  if (engine_.feeding()) return errc::reentrant_feed;
  if (refused_ != errc::ok) return refused_;
  if (!engine_.held().empty() || end_due()) (void)feed({}, handler);
  if (refused_ != errc::ok) return refused_;
  if (at_record_boundary()) return errc::ok;
  // Its reports' callbacks run as a feed's do: feed() and finish() from
  // them are refused (they recursed without end), discard() forgets the
  // record, options set apply at once; as they were when it returns or throws.
  struct callbacks {
    length_field_framer& f;
    explicit callbacks(length_field_framer& framer) : f(framer) { f.engine_.begin_callbacks(); }
    callbacks(const callbacks&) = delete;
    callbacks& operator=(const callbacks&) = delete;
    ~callbacks() {
      f.engine_.end_callbacks();
      f.settle();  // as after a feed: a record discarded there is forgotten
      if (f.pending_ && f.at_record_boundary()) f.apply_options();
    }
  } scope(*this);
  if (late_pending_) {
    // Delivered even if on_error() throws; the record is still the one in
    // progress then, and the next finish() reports it truncated.
    late_pending_ = false;
    const length_error too_large = late_;
    handler.on_error(too_large);
    if (abandon_) return errc::ok;  // discarded from the callback: nothing left to report
  }
  const length_error truncated{errc::truncated_frame, position_ - at_,
                               phase_ == part::header ? 0 : field_value_, at_, layout_.max_frame()};
  new_record();
  handler.on_error(truncated);
  return errc::truncated_frame;
}

}  // namespace chatframe
