/// @file chatframe/multi_framer.hpp
/// Framing on several delimiters at once: an opt-in extension beyond asynchat.
///
/// CPython's asynchat has one terminator at a time. A multi_framer ends frames
/// at whichever of up to 16 delimiters comes first, and on_found() says which
/// one. Typical use: lines ended by "\r\n" or a bare "\n".
///
/// @code
/// chatframe::multi_framer f;
/// const std::string_view ends[] = {"\r\n", "\n"};
/// (void)f.set_delimiters(ends);
/// f.feed(chunk, handler);  // handler.on_collect(collected), handler.on_found(std::size_t which)
/// @endcode
///
/// Which delimiter matches: the one whose occurrence ENDS earliest in the
/// stream; among occurrences ending at the same byte, the longest (the first
/// given, if two are equal). So with {"\n", "\r\n"}, "a\r\n" is the frame "a"
/// ended by "\r\n" (both end at the same byte; "\r\n" is longer), and with
/// {"abcd", "c"}, "abcd" is the frame "ab" ended by "c" (it ends first). With
/// a single delimiter this is exactly CPython's rule (the leftmost
/// occurrence).
///
/// Everything else is framer's contract (framer.hpp), with set_delimiters()
/// in place of set_terminator():
///   - views and their lifetimes are collected.hpp's; feed() consumes the
///     whole chunk; no allocation per frame;
///   - held-back bytes are the longest end of the stream that is a proper
///     prefix of any delimiter (at most the longest delimiter's length minus
///     one), framed first by the next feed();
///   - set_delimiters() inside on_found() frames the rest of the chunk with
///     the new set; inside on_collect() it does not change the step being
///     taken (the delimiter found is consumed, and reported by the index it
///     had when it was found);
///   - discard() inside a callback drops the rest of the chunk and anything
///     held back; inside on_collect() the pending on_found() still happens;
///   - feed() from inside a callback is refused with errc::reentrant_feed;
///   - an exception from on_collect() undoes the step, one from on_found()
///     leaves the delimiter consumed; either way no byte is lost or skipped,
///     and the unread rest of the chunk is framed by the next feed() — unless
///     no memory is left to keep it: then, as with framer, that feed() throws
///     std::bad_alloc, and later ones return errc::input_lost until discard().
///
/// So with one delimiter, a multi_framer gives exactly framer's events — the
/// same collect boundaries, under any chunking and any program of changes and
/// discards from inside the callbacks (a property test and a fuzz oracle
/// check it, and both compare every set with a one-byte-at-a-time reference
/// model). The two share one engine: detail/engine.hpp.
///
/// Cost: one pass over the stream, linear in its bytes. Bytes are compared 16
/// at a time with each distinct last byte of the delimiters; a candidate costs
/// at most the lengths of the delimiters that end in its byte.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "chatframe/collected.hpp"
#include "chatframe/detail/delimiter_set.hpp"
#include "chatframe/detail/engine.hpp"
#include "chatframe/error.hpp"
#include "chatframe/feed_result.hpp"

namespace chatframe {

/// Anything with these two members can receive a multi_framer's events;
/// `which` is the index, in set_delimiters()'s list, of the delimiter that
/// ended the frame.
template <class H>
concept multi_framing_handler = requires(H& h, const collected& data, std::size_t which) {
  h.on_collect(data);
  h.on_found(which);
};

/// Splits a byte stream into frames ended by any of several delimiters (see
/// the file's description above).
class multi_framer {
 public:
  /// Most delimiters set_delimiters() accepts.
  static constexpr std::size_t max_delimiters = detail::delimiter_set::max_delimiters;
  /// Longest delimiter set_delimiters() accepts.
  static constexpr std::size_t max_delimiter_length = detail::delimiter_set::max_length;

  /// A multi_framer with no delimiters: feed() refuses to frame until
  /// set_delimiters() succeeds.
  multi_framer() = default;
  /// Copies hold the same delimiters and held-back bytes.
  multi_framer(const multi_framer&) = default;
  /// Copies the delimiters and held-back bytes of another multi_framer.
  multi_framer& operator=(const multi_framer&) = default;
  /// The multi_framer moved from is left as a new one: no delimiters,
  /// nothing held.
  multi_framer(multi_framer&& other) noexcept;
  /// As the move constructor.
  multi_framer& operator=(multi_framer&& other) noexcept;
  ~multi_framer() = default;

  /// 1..16 non-empty delimiters of at most 64 bytes (copied); on_found()
  /// reports a delimiter by its index here. errc::invalid_delimiters
  /// otherwise, leaving the current set unchanged. Takes effect at the next
  /// byte examined (also from inside a callback: see above).
  [[nodiscard]] errc set_delimiters(std::span<const std::string_view> delimiters);
  /// How many delimiters are set (0 before the first set_delimiters()).
  [[nodiscard]] std::size_t delimiter_count() const noexcept { return set_.size(); }
  /// Delimiter i (i < delimiter_count()); the view lives as long as the set.
  [[nodiscard]] std::string_view delimiter(std::size_t i) const noexcept {
    return set_.delimiter(i);
  }

  /// Frames `chunk` (which may be empty: that re-frames the held-back bytes).
  /// Callbacks run before feed() returns; `chunk` is not referenced
  /// afterwards. Refused with errc::invalid_delimiters (0 bytes consumed)
  /// while no delimiters are set.
  template <multi_framing_handler H>
  feed_result feed(std::string_view chunk, H& handler);

  /// Drops held-back bytes and, when called from a callback, the rest of the
  /// chunk being fed. After bytes were lost (errc::input_lost), it also
  /// accepts the gap: the next byte fed is framed as if the stream began there.
  void discard() noexcept {
    engine_.discard();
    engine_.accept_loss();
  }
  /// The bytes not yet framed (held back, then the rest of the chunk) that a
  /// throwing callback left and that no memory could keep (the feed() threw
  /// std::bad_alloc); while not 0, feed() returns errc::input_lost. 0 again
  /// after discard().
  [[nodiscard]] std::size_t bytes_lost() const noexcept { return engine_.lost(); }
  /// Bytes held back because they may begin a delimiter (or, after a callback
  /// threw, the unread rest of the chunk). Valid until the next non-const call.
  [[nodiscard]] std::string_view held() const noexcept { return engine_.held(); }
  /// Returns a copy of the held-back bytes and forgets them.
  [[nodiscard]] std::string take_held() { return std::string(engine_.take_held()); }
  /// Delivers the held-back bytes, if any, through on_collect() (never
  /// on_found()) and forgets them. For a stream that ended mid-delimiter.
  template <multi_framing_handler H>
  void flush_held(H& handler);

 private:
  detail::delimiter_set set_;
  detail::engine engine_;
};

}  // namespace chatframe

#include "chatframe/impl/multi_framer.hpp"
