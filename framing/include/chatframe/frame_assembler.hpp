/// @file chatframe/frame_assembler.hpp
/// Whole frames as one contiguous buffer, with a size limit: an opt-in layer
/// over framer or multi_framer for users who want each frame whole rather
/// than streamed in collect events.
///
/// @code
/// struct sink {
///   void on_frame(std::string_view frame, std::size_t which) { ... }  // which: delimiter index
///                                                                     // (0 for framer)
///   void on_limit(const chatframe::frame_error& e) { ... }  // a frame outgrew the limit
/// };
/// chatframe::frame_assembler<sink> a(my_sink, {.max_frame_size = 64 * 1024});
/// a.feed(framer, chunk);                               // instead of framer.feed(chunk, handler)
/// a.finish(framer, chatframe::eof_policy::deliver);    // at end of stream
/// @endcode
///
/// Zero-copy when a frame lies inside one chunk: on_frame() then gets a view
/// into the caller's chunk. A frame spanning chunks is copied once into the
/// assembler's buffer (never more than max_frame_size bytes). The view given
/// to on_frame() is valid until on_frame() returns.
///
/// The limit holds while the frame is still arriving: as soon as the bytes
/// collected for one frame exceed max_frame_size, on_limit() reports
/// errc::frame_too_large with the byte count, and the frame's bytes are
/// dropped. With limit_action::resync (default) the assembler then skips to
/// the end of that frame — the next delimiter — and goes on with the next one;
/// with limit_action::close it drops everything from then on and failed()
/// stays true (the owner should close the connection). set_count() refuses a
/// count terminator over the limit the same way, before any byte is read.
///
/// End of stream (finish()): eof_policy::drop is CPython's behaviour — an
/// unfinished frame and the held-back bytes vanish; deliver hands them over
/// as a frame (which = none_matched); deliver_flagged hands them over through
/// on_partial(frame) if the sink has it (else as deliver); error reports
/// errc::truncated_frame through on_limit() with the byte count. A frame
/// being skipped after the limit is not delivered. Afterwards the assembler
/// starts a new frame (failed() stays as it is).
///
/// The sink may call back into the framer (set_terminator(), set_delimiters(),
/// discard()) and into the assembler (set_count()) from its callbacks, under
/// the framer's rules; it may hold a `frame_assembler<its own type>&` to do
/// so — the sink's type is only required to be a frame_sink where the
/// assembler is constructed, when it is complete:
///
/// @code
/// struct records {  // length-prefixed: a 1-byte header, then that many bytes
///   chatframe::framer* f = nullptr;
///   chatframe::frame_assembler<records>* a = nullptr;
///   bool header = true;
///   void on_frame(std::string_view frame, std::size_t) {
///     if (!header) use(frame);
///     const auto next = header ? static_cast<unsigned char>(frame[0]) : 1;
///     header = !header;
///     (void)a->set_count(*f, next);
///   }
///   void on_limit(const chatframe::frame_error&) {}
/// };
/// @endcode
///
/// Exceptions from the sink propagate out of feed() under the framer's rules:
/// one from on_frame() leaves that frame delivered (its delimiter or count is
/// consumed); one from on_limit() leaves the assembler as it was, and the
/// framer delivers the same bytes again on the next feed(). When the framer
/// could not keep the rest of that chunk (no memory: errc::input_lost), the
/// open frame is dropped with it.
///
/// A frame still open when a chunk ends is copied out of the chunk (the one
/// allocation); when no memory is left for that copy, the frame is skipped to
/// its end and reported there through on_limit() with errc::frame_not_kept,
/// and the frames after it come as usual.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "chatframe/collected.hpp"
#include "chatframe/error.hpp"
#include "chatframe/feed_result.hpp"
#include "chatframe/framer.hpp"
#include "chatframe/multi_framer.hpp"
#include "chatframe/terminator.hpp"

namespace chatframe {

/// What on_limit() reports.
struct frame_error {
  /// errc::frame_too_large, errc::count_too_large, errc::truncated_frame, or
  /// errc::frame_not_kept (a frame open at the end of a chunk that no memory
  /// could copy: it was skipped, and this is reported where it ended).
  errc code = errc::ok;
  /// Bytes in the frame when it was cut (or the refused count).
  std::size_t bytes = 0;
  /// The max_frame_size in force.
  std::size_t limit = 0;
};

/// What the assembler does once a frame outgrows the limit.
enum class limit_action : unsigned char {
  resync,  ///< skip to the end of that frame and go on with the next
  close,   ///< drop everything from then on; failed() is true
};

/// What finish() does with an unfinished frame and the held-back bytes.
enum class eof_policy : unsigned char {
  drop,             ///< CPython's behaviour: they vanish
  deliver,          ///< on_frame(rest, none_matched)
  deliver_flagged,  ///< on_partial(rest) if the sink has it, else as deliver
  error,            ///< on_limit(frame_error{errc::truncated_frame, ...})
};

/// The assembler's limits.
struct assembler_options {
  /// The largest frame delivered; larger ones are reported and dropped.
  std::size_t max_frame_size = std::size_t{1} << 20;
  /// What happens after a frame outgrew max_frame_size.
  limit_action on_limit = limit_action::resync;
};

/// What a frame_assembler delivers to.
template <class Sink>
concept frame_sink = requires(Sink& s, std::string_view frame, std::size_t which,
                              const frame_error& e) {
  s.on_frame(frame, which);
  s.on_limit(e);
};

/// Assembles whole frames from a framer's or multi_framer's events (see the
/// file's description above). Sink must satisfy frame_sink where the
/// assembler is constructed.
template <class Sink>
class frame_assembler {
 public:
  /// `which` of a frame finish() delivers: no delimiter ended it.
  static constexpr std::size_t none_matched = static_cast<std::size_t>(-1);

  /// Delivers to `sink`, which must outlive the assembler.
  explicit frame_assembler(Sink& sink, assembler_options options = {}) requires frame_sink<Sink>
      : sink_(sink), options_(options) {}

  /// Feeds one chunk through the framer (`f.feed(chunk, *this)`); frames come
  /// out of the sink. Returns what the framer's feed() returns.
  template <class Framer>
  feed_result feed(Framer& f, std::string_view chunk);

  /// Sets a count terminator, refusing one over the limit (count_too_large,
  /// also reported through on_limit()); otherwise what framer::set_count()
  /// returns. May be called from the sink's callbacks.
  [[nodiscard]] errc set_count(framer& f, std::int64_t n);

  /// End of stream: what happens to an unfinished frame and the framer's
  /// held-back bytes (which are taken).
  template <class Framer>
  void finish(Framer& f, eof_policy policy = eof_policy::drop);

  /// True once a limit was hit with limit_action::close.
  [[nodiscard]] bool failed() const noexcept { return failed_; }
  /// Bytes of the frame being assembled.
  [[nodiscard]] std::size_t frame_bytes() const noexcept {
    return copied_ ? buffer_.size() : pending_.size();
  }

  /// The framers' collect event (public so that framers can call it).
  void on_collect(const collected& data);
  /// framer's found event: which is 0.
  void on_found() { on_found(0); }
  /// multi_framer's found event.
  void on_found(std::size_t which);

 private:
  void promote();
  void keep_open_frame() noexcept;
  bool report_unkept();
  void reset_frame() noexcept;

  Sink& sink_;
  assembler_options options_;
  std::string buffer_;        // the frame so far, once it had to be copied
  std::string_view pending_;  // the frame so far, while it is one view into the chunk
  bool copied_ = false;
  bool skipping_ = false;
  std::size_t unkept_ = 0;  // bytes of the frame being skipped that no memory could keep
  bool failed_ = false;
};

}  // namespace chatframe

#include "chatframe/impl/frame_assembler.hpp"
