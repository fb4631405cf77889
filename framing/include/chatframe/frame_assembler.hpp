/// @file chatframe/frame_assembler.hpp
/// Whole frames as one contiguous buffer, with a size limit.
///
/// An opt-in layer over framer or multi_framer for users who want each frame
/// whole rather than streamed in collect events:
///
/// @code
///   struct sink {
///     // which: the delimiter's index (0 for framer)
///     void on_frame(std::string_view frame, std::size_t which) { ... }
///     // a frame outgrew the limit
///     void on_limit(const chatframe::frame_error& e) { ... }
///   };
///   chatframe::frame_assembler<sink> a(my_sink, {.max_frame_size = 64 * 1024});
///   a.feed(framer, chunk);          // instead of framer.feed(chunk, handler)
///   ...
///   a.finish(framer, chatframe::eof_policy::deliver);   // at end of stream
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
/// End of stream (finish): eof_policy::drop is CPython's behaviour — an
/// unfinished frame and held-back partial delimiter vanish; deliver hands them
/// over as a frame (which = none_matched); deliver_flagged hands them over
/// through on_partial(frame) if the sink has it (else as deliver); error
/// reports errc::truncated_frame through on_limit() with the byte count.
#pragma once

#include <concepts>
#include <cstddef>
#include <string>
#include <string_view>

#include "chatframe/collected.hpp"
#include "chatframe/error.hpp"
#include "chatframe/framer.hpp"
#include "chatframe/multi_framer.hpp"
#include "chatframe/terminator.hpp"

namespace chatframe {

/// What on_limit() reports.
struct frame_error {
  errc code = errc::ok;   ///< frame_too_large, count_too_large or truncated_frame
  std::size_t bytes = 0;  ///< bytes in the frame when it was cut (or the refused count)
  std::size_t limit = 0;  ///< the max_frame_size in force
};

/// What a frame over the limit does to the frames after it.
enum class limit_action : unsigned char {
  resync,  ///< skip to the end of the oversized frame and go on with the next
  close    ///< drop everything from then on; failed() turns true
};
/// What finish() does with an unfinished frame and held-back bytes.
enum class eof_policy : unsigned char {
  drop,             ///< CPython's behaviour: they vanish
  deliver,          ///< on_frame() with which = none_matched
  deliver_flagged,  ///< on_partial() if the sink has it, else as deliver
  error             ///< on_limit() with errc::truncated_frame
};

/// A frame_assembler's limit and what hitting it does.
struct assembler_options {
  std::size_t max_frame_size = std::size_t{1} << 20;  ///< the most bytes one frame may have
  limit_action on_limit = limit_action::resync;       ///< what a frame over it does
};

/// What a frame_assembler delivers to: on_frame(frame, which) for each whole
/// frame, on_limit(error) when a limit is hit; on_partial(frame) is optional
/// (eof_policy::deliver_flagged).
template <class Sink>
concept frame_sink = requires(Sink& s, std::string_view frame, std::size_t which,
                              const frame_error& e) {
  s.on_frame(frame, which);
  s.on_limit(e);
};

/// Whole frames from a framer or multi_framer, as one contiguous view each,
/// with a size limit (see the file's description).
template <frame_sink Sink>
class frame_assembler {
 public:
  /// The `which` of a frame no delimiter ended (finish() with eof_policy::deliver).
  static constexpr std::size_t none_matched = static_cast<std::size_t>(-1);

  /// Delivers to `sink`, which must outlive the assembler.
  explicit frame_assembler(Sink& sink, assembler_options options = {})
      : sink_(sink), options_(options) {}

  /// Feeds one chunk through the framer; frames come out of the sink.
  template <class Framer>
  feed_result feed(Framer& f, std::string_view chunk) {
    const feed_result r = f.feed(chunk, *this);
    // A frame still open at the end of the chunk must not keep a view into it.
    if (!pending_.empty()) {
      buffer_.assign(pending_);
      pending_ = {};
      copied_ = true;
    }
    return r;
  }

  /// Sets a count terminator, refusing one over the limit (count_too_large,
  /// also reported through on_limit()).
  [[nodiscard]] errc set_count(framer& f, std::int64_t n) {
    if (n > 0 && static_cast<std::uint64_t>(n) > options_.max_frame_size) {
      sink_.on_limit(
          frame_error{errc::count_too_large, static_cast<std::size_t>(n), options_.max_frame_size});
      return errc::count_too_large;
    }
    return f.set_terminator(terminator::count(n));
  }

  /// End of stream: what happens to an unfinished frame and held-back bytes.
  template <class Framer>
  void finish(Framer& f, eof_policy policy = eof_policy::drop) {
    std::string rest = current_frame();
    rest.append(f.held());
    (void)f.take_held();
    reset_frame();
    if (rest.empty() || skipping_ || failed_) return;
    switch (policy) {
      case eof_policy::drop: return;
      case eof_policy::deliver: sink_.on_frame(rest, none_matched); return;
      case eof_policy::deliver_flagged:
        if constexpr (requires { sink_.on_partial(std::string_view(rest)); }) {
          sink_.on_partial(std::string_view(rest));
        } else {
          sink_.on_frame(rest, none_matched);
        }
        return;
      case eof_policy::error:
        sink_.on_limit(frame_error{errc::truncated_frame, rest.size(), options_.max_frame_size});
        return;
    }
  }

  /// True once a limit was hit with limit_action::close.
  [[nodiscard]] bool failed() const noexcept { return failed_; }
  /// Bytes of the frame being assembled.
  [[nodiscard]] std::size_t frame_bytes() const noexcept {
    return copied_ ? buffer_.size() : pending_.size();
  }

  // --- framer callbacks (public so framers can call them) --------------------
  /// framing_handler's callback: adds bytes to the frame being assembled.
  void on_collect(const collected& data) {
    if (failed_ || skipping_) return;
    const std::size_t total = frame_bytes() + data.size();
    if (total > options_.max_frame_size) {
      sink_.on_limit(frame_error{errc::frame_too_large, total, options_.max_frame_size});
      reset_frame();
      if (options_.on_limit == limit_action::close) {
        failed_ = true;
      } else {
        skipping_ = true;
      }
      return;
    }
    if (!copied_ && pending_.empty() && data.contiguous()) {
      pending_ = data.contiguous_view();     // zero-copy while inside one chunk
      if (!data.carried.empty()) promote();  // carried bytes die with the callback
      return;
    }
    promote();
    data.append_to(buffer_);
  }
  /// framing_handler's callback: the frame is whole (which = 0).
  void on_found() { on_found(0); }
  /// multi_framing_handler's callback: the frame is whole, ended by delimiter `which`.
  void on_found(std::size_t which) {
    if (failed_) return;
    if (skipping_) {
      skipping_ = false;  // resynchronised: the oversized frame ended here
      reset_frame();
      return;
    }
    const std::string_view frame = copied_ ? std::string_view(buffer_) : pending_;
    sink_.on_frame(frame, which);
    reset_frame();
  }

 private:
  void promote() {
    if (!copied_) {
      buffer_.assign(pending_);
      pending_ = {};
      copied_ = true;
    }
  }
  [[nodiscard]] std::string current_frame() const {
    return copied_ ? buffer_ : std::string(pending_);
  }
  void reset_frame() noexcept {
    buffer_.clear();
    pending_ = {};
    copied_ = false;
  }

  Sink& sink_;
  assembler_options options_;
  std::string buffer_;        // the frame so far, once it had to be copied
  std::string_view pending_;  // the frame so far, while it is one view into the chunk
  bool copied_ = false;
  bool skipping_ = false;
  bool failed_ = false;
};

}  // namespace chatframe
