// reference_length_field.hpp — what length_field_framer must do, written to
// be obviously correct rather than fast: the one-engine reference model
// (reference_model.hpp's way) for length-prefixed records.
//
// The tests (length_field_test.cpp, length_field_properties_test.cpp) and the
// fuzzer (fuzz/length_field.cc) run the decoder and this model side by side
// over random options, streams, chunkings and callback programs, and require
// the same events.
//
// The model keeps none of the decoder's machinery: no engine, no record run,
// no frame that is a view, no 64-bit wrap-around tricks. Everything fed and
// not yet framed is one std::string (CPython's ac_in_buffer); each step takes
// ONE byte from its front and does what that byte means. Lengths are
// computed in 128-bit integers straight from length_field.hpp's formulas.
// Every rule of the contract is a line here, where it applies:
//   * a record's options are those in force when its first byte is read;
//   * a header is judged when its last byte is read, before any body byte;
//   * an empty frame is delivered when its header's last byte is read;
//   * an oversized record is skipped byte by byte (or stops the decoder);
//   * discard() empties the buffer and drops the record in progress; the
//     events due when a record's last byte has been read still come (its
//     piece of header bytes, its end);
//   * a callback that throws: on_frame_piece()'s byte stays in the buffer
//     (delivered again); every other event counts as delivered;
//   * memory running out (only the decoder knows when its copy must grow, so
//     the model is told where it ran out): a frame's copy that cannot grow
//     throws std::bad_alloc, and the bytes from where it was told stay
//     unread; a frame that cannot be copied when a feed ends is skipped to
//     its record's end, which reports errc::frame_not_kept (before its
//     header is read, the decoder stops); unread bytes that a throw leaves
//     and that cannot be kept are lost, and the decoder stops at the record
//     they cut.
// Pieces are one byte each (the header's bytes that belong to the frame
// come as one piece): compare pieces joined per frame, not their cuts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <string>
#include <string_view>
#include <utility>

#include "chatframe/error.hpp"
#include "chatframe/feed_result.hpp"
#include "chatframe/length_field.hpp"
#include "chatframe/length_field_framer.hpp"

namespace chatframe::testing {

class reference_length_framer {
 public:
  __extension__ using int128 = __int128;

  explicit reference_length_framer(const length_field_options& options = {})
      : next_(options), valid_(validate(options) == errc::ok) {
    if (valid_) now_ = next_;
  }

  errc set_options(const length_field_options& options) {
    if (validate(options) != errc::ok) return errc::invalid_length_options;
    next_ = options;
    valid_ = true;
    pending_ = true;
    if (!in_feed_ && phase_ == part::header && at_ == 0) apply();
    return errc::ok;
  }

  template <class Handler>
  feed_result feed(std::string_view chunk, Handler& h) {
    if (in_feed_) return {0, errc::reentrant_feed};
    if (stopped_) return {0, error_.code};
    if (!valid_) return {0, errc::invalid_length_options};
    in_feed_ = true;
    discarded_ = false;
    fed_ += chunk.size();
    buffer_.append(chunk);
    try {
      // A record whose end is due (its on_frame_begin() threw on its last
      // byte) needs no byte: an empty chunk ends it too.
      while ((!buffer_.empty() || end_due()) && !discarded_ && !stopped_) step(h);
    } catch (...) {
      const bool lose_now = lose_at_throw_;
      end_feed();
      if (lose_now) {
        lose();
        throw std::bad_alloc();  // keeping the unread bytes is what failed last
      }
      throw;
    }
    end_feed();
    return {chunk.size(), stopped_ ? error_.code : errc::ok};
  }

  // Where the decoder ran out of memory, for the next feed() only.
  // Its frame's copy could not grow to take the bytes from `at` of the stream
  // (the decoder takes a part's bytes together — a header whole, say, its
  // stripped bytes too — so only it knows where that is): the model throws
  // std::bad_alloc before taking byte `at`, which stays unread.
  void no_memory_at(std::uint64_t at) { no_memory_at_ = at; }
  // The open frame could not be copied when the feed ended.
  void not_kept_at_next_end() { not_kept_at_end_ = true; }
  // The unread bytes that a throw left could not be kept.
  void lose_at_next_throw() { lose_at_throw_ = true; }

  template <class Handler>
  errc finish(Handler& h) {
    if (in_feed_) return errc::reentrant_feed;
    if (stopped_) return error_.code;
    if (!valid_) return errc::invalid_length_options;
    if (!buffer_.empty() || end_due()) (void)feed({}, h);
    if (stopped_) return error_.code;
    if (phase_ == part::header && at_ == 0) return errc::ok;
    // The reports' callbacks run as a feed's: feed() and finish() refused,
    // discard() forgets the record when they return (or throw).
    in_feed_ = true;
    discarded_ = false;
    try {
      if (late_pending_) {
        late_pending_ = false;  // delivered even if it throws: the record stays
        const length_error too_large = late_;
        h.on_error(too_large);
        if (abandoned_) {
          end_feed();
          return errc::ok;
        }
      }
      const length_error truncated{errc::truncated_frame, position() - at_,
                                   phase_ == part::header ? 0 : field_value(), at_,
                                   now_.max_frame_length};
      new_record();
      h.on_error(truncated);
    } catch (...) {
      end_feed();
      throw;
    }
    end_feed();
    return errc::truncated_frame;
  }

  void discard() {
    buffer_.clear();
    if (in_feed_) {
      discarded_ = true;
      abandoned_ = true;
    } else {
      new_record();
    }
  }

  [[nodiscard]] std::string_view held() const { return buffer_.view(); }
  [[nodiscard]] bool stopped() const { return stopped_; }
  [[nodiscard]] const length_error& error() const { return error_; }
  [[nodiscard]] std::uint64_t position() const { return fed_ - buffer_.size(); }
  [[nodiscard]] bool at_record_boundary() const { return phase_ == part::header && at_ == 0; }
  // Frame bytes kept: whole mode, the frame so far; pieces, the header's
  // share of the frame not yet delivered.
  [[nodiscard]] std::size_t frame_bytes() const { return frame_.size(); }

 private:
  enum class part : std::uint8_t { header, body, skip };

  void apply() {
    now_ = next_;
    pending_ = false;
  }
  // The record's bytes are all read and its end is still due: its
  // on_frame_begin() (or its header piece) threw; or, skipped, its
  // frame_not_kept report (the feed ended with no memory to copy its frame).
  [[nodiscard]] bool end_due() const { return phase_ != part::header && at_ == record_; }
  [[nodiscard]] std::uint64_t header_length() const { return now_.header_length(); }
  [[nodiscard]] std::uint64_t strip() const { return now_.strip_length(); }

  [[nodiscard]] std::uint64_t field_value() const {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < now_.length_width; ++i) {
      const std::size_t at = now_.order == byte_order::big ? i : now_.length_width - 1 - i;
      v = (v << 8) | static_cast<unsigned char>(field_[at]);
    }
    return v;
  }

  template <class Handler>
  void step(Handler& h) {
    if (phase_ == part::header && at_ == 0 && pending_) apply();
    if (end_due()) {
      if (phase_ == part::skip) {
        skip_end(h);
      } else {
        frame_end(h);
      }
      return;
    }
    if (position() == no_memory_at_) {  // the decoder's copy could not grow to take it
      no_memory_at_ = kNowhere;
      throw std::bad_alloc();
    }
    const char byte = buffer_.front();
    if (phase_ == part::body && at_ >= strip()) {
      if constexpr (length_piece_handler<Handler>) {
        flush_header_piece(h);
        if (!abandoned_) h.on_frame_piece(std::string_view(&byte, 1));  // may throw: not consumed
      } else {
        frame_ += byte;
      }
    }
    if (phase_ == part::header) {
      const std::uint64_t first = now_.length_offset;
      if (at_ >= first && at_ < first + now_.length_width) field_[at_ - first] = byte;
      if (at_ >= strip()) frame_ += byte;  // the header's share of the frame
    }
    buffer_.pop_front();  // (empty already if the piece's callback discarded)
    ++at_;
    if (phase_ == part::header && at_ == header_length()) {
      header_done(h);
    } else if (phase_ == part::body && at_ == record_) {
      frame_end(h);
    } else if (phase_ == part::skip && at_ == record_) {
      skip_end(h);
    }
  }

  // length_field.hpp's formulas, in 128 bits.
  template <class Handler>
  void header_done(Handler& h) {
    const std::uint64_t v = field_value();
    const int128 r = int128{header_length()} + v + now_.length_adjustment;
    const std::uint64_t start = position() - header_length();
    if (r < int128{header_length()} || r < int128{strip()}) {
      stop(length_error{errc::length_negative, start, v, 0, now_.max_frame_length}, h);
      return;
    }
    if (r > int128{UINT64_MAX}) {
      stop(length_error{errc::length_overflow, start, v, 0, now_.max_frame_length}, h);
      return;
    }
    const int128 f = r - strip();
    if (f > int128{now_.max_frame_length}) {
      const length_error e{errc::length_too_large, start, v, static_cast<std::uint64_t>(f),
                           now_.max_frame_length};
      if (now_.on_oversized == oversized_action::stop) {
        stop(e, h);
        return;
      }
      frame_.clear();
      if (static_cast<std::uint64_t>(r) == at_) {  // nothing to skip
        new_record();
        h.on_error(e);
        return;
      }
      phase_ = part::skip;
      record_ = static_cast<std::uint64_t>(r);
      late_ = e;
      late_pending_ = !now_.fail_fast;
      if (now_.fail_fast) h.on_error(e);
      return;
    }
    phase_ = part::body;
    record_ = static_cast<std::uint64_t>(r);
    if constexpr (length_piece_handler<Handler>) {
      h.on_frame_begin(static_cast<std::uint64_t>(f));
      if (at_ == record_) {
        frame_end(h);
      } else if (!abandoned_) {
        flush_header_piece(h);
      }
    } else {
      if (at_ == record_) frame_end(h);
    }
  }

  // The late report of a skipped record, at its end.
  template <class Handler>
  void skip_end(Handler& h) {
    const bool report = late_pending_;
    const length_error e = late_;
    new_record();
    if (report) h.on_error(e);
  }

  template <class Handler>
  void frame_end(Handler& h) {
    if constexpr (length_piece_handler<Handler>) {
      flush_header_piece(h);  // its last byte is read: completed, even if discarded
      new_record();
      h.on_frame_end();
    } else {
      const std::string frame = frame_;
      new_record();
      h.on_frame(frame);
    }
  }

  // The frame could not be copied out of the chunk: a record whose header
  // was read is skipped to its end (reported there, as a late
  // length_too_large is); before that, its length is not known and the
  // decoder stops, without on_error() (the feed's callbacks are over).
  void frame_not_kept() {
    const std::uint64_t start = position() - at_;
    frame_.clear();
    if (phase_ == part::body) {
      late_ = length_error{errc::frame_not_kept, start, field_value(), record_ - strip(),
                           now_.max_frame_length};
      late_pending_ = true;
      phase_ = part::skip;
      return;
    }
    stopped_ = true;
    error_ = length_error{errc::frame_not_kept, start, 0, 0, now_.max_frame_length};
    buffer_.clear();
    new_record();
  }

  // The unread bytes are gone: the record they cut cannot be followed, nor
  // anything after it. Stops without on_error(), as above.
  void lose() {
    stopped_ = true;
    error_ = length_error{errc::frame_not_kept, position() - at_, 0, 0, now_.max_frame_length};
    buffer_.clear();
    new_record();
  }

  template <class Handler>
  void flush_header_piece(Handler& h) {
    if (frame_.empty()) return;
    h.on_frame_piece(frame_);  // may throw: kept for the next try
    frame_.clear();
  }

  template <class Handler>
  void stop(const length_error& e, Handler& h) {
    stopped_ = true;
    error_ = e;
    buffer_.clear();
    new_record();
    h.on_error(e);
  }

  void new_record() {
    phase_ = part::header;
    at_ = 0;
    record_ = 0;
    frame_.clear();
    late_pending_ = false;
  }

  void end_feed() {
    in_feed_ = false;
    // What the model is told of the decoder's memory holds for one feed.
    no_memory_at_ = kNowhere;
    lose_at_throw_ = false;
    // (A record discarded from a callback has no frame left to copy.)
    if (std::exchange(not_kept_at_end_, false) && !abandoned_) frame_not_kept();
    if (abandoned_) {
      abandoned_ = false;
      new_record();
    }
  }

  length_field_options next_;
  length_field_options now_;
  bool valid_ = false;
  bool pending_ = false;

  part phase_ = part::header;
  std::uint64_t at_ = 0;
  std::uint64_t record_ = 0;
  char field_[8] = {};
  std::string frame_;
  length_error late_;
  bool late_pending_ = false;

  // The bytes fed and not yet framed, taken from the front one at a time:
  // an offset past those taken (erased byte by byte, the model was
  // quadratic in a chunk's length, and the fuzzer spent its time moving
  // 8 KiB streams' bytes).
  struct unread_bytes {
    std::string bytes;
    std::size_t taken = 0;
    [[nodiscard]] bool empty() const { return taken == bytes.size(); }
    [[nodiscard]] std::size_t size() const { return bytes.size() - taken; }
    [[nodiscard]] char front() const { return bytes[taken]; }
    [[nodiscard]] std::string_view view() const { return std::string_view(bytes).substr(taken); }
    void pop_front() {
      if (taken < bytes.size()) ++taken;
    }
    void append(std::string_view more) {
      bytes.erase(0, taken);
      taken = 0;
      bytes.append(more);
    }
    void clear() {
      bytes.clear();
      taken = 0;
    }
  };
  unread_bytes buffer_;
  std::uint64_t fed_ = 0;  // every byte fed: the next to frame is fed_ - buffer_.size()
  bool in_feed_ = false;
  bool discarded_ = false;
  bool abandoned_ = false;
  bool stopped_ = false;
  length_error error_;

  static constexpr std::uint64_t kNowhere = ~std::uint64_t{0};
  std::uint64_t no_memory_at_ = kNowhere;
  bool not_kept_at_end_ = false;
  bool lose_at_throw_ = false;
};

}  // namespace chatframe::testing
