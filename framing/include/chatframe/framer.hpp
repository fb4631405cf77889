/// @file chatframe/framer.hpp
/// The input side: splits a byte stream into frames, as CPython's asynchat does.
///
/// A framer is fed chunks of any size and reports, through two callbacks, what
/// CPython's async_chat.handle_read reports through collect_incoming_data() and
/// found_terminator() (asynchat.py:121-191): the same calls, in the same order,
/// with the same bytes, for every input and every chunking.
///
/// @code
/// struct lines {
///   void on_collect(const chatframe::collected& data) { data.append_to(line); }
///   void on_found() { use(line); line.clear(); }
///   std::string line;
/// };
/// chatframe::framer f;
/// (void)f.set_terminator(chatframe::terminator::bytes("\r\n"));
/// lines h;
/// f.feed(chunk, h);  // any number of times, any chunk sizes
/// @endcode
///
/// Sans-IO: the framer reads nothing, writes nothing, keeps no clock and starts
/// no thread. It never owns or copies the caller's chunk; payload reaches the
/// callbacks as views (see collected.hpp for how long each view lives). The
/// only bytes it stores are the held-back bytes — at most the delimiter's
/// length minus one — and a copy of the delimiter itself. Neither feed() nor
/// the callbacks allocate once those buffers have grown to the delimiter's size.
///
/// Cost: O(bytes fed) however many frames a chunk holds and however the stream
/// is cut, whatever the input: held-back bytes are never searched twice, and a
/// hostile delimiter hands the search over to the KMP automaton.
///
/// Callbacks may call set_terminator(), set_count(), get_terminator(), held()
/// and discard() on the same framer; the rules are those of CPython:
///   - set_terminator() inside on_found() frames the rest of the current chunk
///     with the new terminator (asynchat.py:176-178).
///   - set_terminator() inside on_collect() does not change the step being
///     taken: a delimiter found is consumed with its old length and a count
///     that completes still leaves count 0 (asynchat.py:157, 175). While a
///     count is running short of the buffer, CPython then counts down whatever
///     was set (asynchat.py:153), and so does the framer: a new count is
///     reduced by the bytes just collected, possibly below zero, and any other
///     terminator makes feed() return errc::count_replaced_by_non_count where
///     CPython raises TypeError.
///   - discard() inside a callback drops the rest of the current chunk and
///     anything held back (asynchat.py:271-273). Inside on_collect() the
///     pending on_found() of that step still happens, as in CPython.
///   - feed() from inside a callback is refused with errc::reentrant_feed.
///
/// Exceptions thrown by a callback propagate out of feed() and leave the framer
/// in CPython's state at that point: if on_collect() throws, the step that
/// called it is undone and its bytes, with the rest of the chunk, are kept and
/// framed again at the start of the next feed(); if on_found() throws, the
/// delimiter (or count) is consumed and the rest of the chunk is kept for the
/// next feed(). No byte is lost or skipped either way. Keeping the rest of the
/// chunk is the one place the framer copies payload (asynchat.py:133, 175);
/// until the next feed() those bytes are what held() shows. If no memory is
/// left to keep them, they are gone: that feed() throws std::bad_alloc
/// instead, bytes_lost() says how many, and every later feed() frames nothing
/// and returns errc::input_lost, rather than join the bytes after the gap to
/// a frame they do not continue — until discard() accepts the gap.
///
/// The machinery is shared with multi_framer: see detail/engine.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "chatframe/collected.hpp"
#include "chatframe/detail/delimiter_search.hpp"
#include "chatframe/detail/engine.hpp"
#include "chatframe/error.hpp"
#include "chatframe/feed_result.hpp"
#include "chatframe/terminator.hpp"

namespace chatframe {

/// Limits a framer enforces.
struct framer_options {
  /// Longest delimiter set_terminator() accepts. The delimiter is copied and a
  /// table of 4 bytes per delimiter byte is built, so this bounds what a
  /// hostile terminator program can make the framer allocate.
  std::size_t max_terminator_length = std::size_t{1} << 20;
};

/// Anything with these two members can receive a framer's events. The framer
/// calls them directly, so they inline; framer_handler is the virtual version
/// for code that wants the framer compiled separately from its handler.
/// Declaring both noexcept, where they cannot throw, spares the framer the
/// bookkeeping that keeps a throwing callback from losing bytes.
template <class H>
concept framing_handler = requires(H& h, const collected& data) {
  h.on_collect(data);
  h.on_found();
};

/// A framer's events as virtual calls: feed(chunk, handler) with a
/// framer_handler& is compiled once, in the library.
class framer_handler {
 public:
  virtual ~framer_handler() = default;
  /// CPython's collect_incoming_data(): bytes of the frame being framed.
  virtual void on_collect(const collected& data) = 0;
  /// CPython's found_terminator(): the frame ended.
  virtual void on_found() = 0;
};

/// Splits a byte stream into frames with CPython's rules (see the file's
/// description above).
class framer {
 public:
  /// A framer with no terminator (every byte is collected) and nothing held.
  explicit framer(framer_options options = {});
  /// Copies hold the same terminator and held-back bytes.
  framer(const framer&) = default;
  /// Copies the terminator and held-back bytes of another framer.
  framer& operator=(const framer&) = default;
  /// The framer moved from is left as a new one with the same options: no
  /// terminator, nothing held.
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
  /// chunk being fed. CPython's discard_buffers(), input half. After bytes
  /// were lost (errc::input_lost), it also accepts the gap: the next byte fed
  /// is framed as if the stream began there.
  void discard() noexcept {
    engine_.discard();
    engine_.accept_loss();
  }
  /// The bytes not yet framed (held back, then the rest of the chunk) that a
  /// throwing callback left and that no memory could keep (the feed() threw
  /// std::bad_alloc); while not 0, feed() returns errc::input_lost. 0 again
  /// after discard().
  [[nodiscard]] std::size_t bytes_lost() const noexcept { return engine_.lost(); }

  /// Bytes held back because they may begin the delimiter (or, after a
  /// callback threw, the unread rest of the chunk). CPython never delivers
  /// them at end of stream; these three calls are the opt-in way to get them.
  /// The view is valid until the next non-const call.
  [[nodiscard]] std::string_view held() const noexcept { return engine_.held(); }
  /// Returns the held-back bytes and forgets them. The view is valid until the
  /// next non-const call.
  [[nodiscard]] std::string_view take_held() noexcept { return engine_.take_held(); }
  /// Delivers the held-back bytes, if any, through on_collect() (never
  /// on_found()) and forgets them. For a stream that ended mid-delimiter.
  template <framing_handler H>
  void flush_held(H& handler);

  /// The options the framer was made with.
  [[nodiscard]] const framer_options& options() const noexcept { return options_; }

 private:
  friend class detail::engine;  // count_run() reads and completes the running count

  template <class H>
  using events = detail::handler_events<H, false>;
  template <class H>
  detail::step_outcome step(const char*& k, const char* end, events<H> ev);
  template <class H>
  detail::step_outcome count_step(const char*& k, const char* end, events<H> ev);
  [[nodiscard]] errc set_terminator_slow(terminator t);
  // For detail::engine::count_run(): the count still expected, and what a
  // completed one leaves (asynchat.py:157).
  [[nodiscard]] std::int64_t running_count() const noexcept { return term_.count_; }
  void count_done() noexcept;
  void become_count() noexcept;
  void become_new() noexcept;  // the state framer(options_) starts in

  framer_options options_;
  terminator term_;
  detail::delimiter_search search_;
  detail::engine engine_;
};

}  // namespace chatframe

#include "chatframe/impl/framer.hpp"
