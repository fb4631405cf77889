/// @file chatframe/length_field_framer.hpp
/// Length-prefixed records, decoded: the ready-made framer for binary
/// protocols whose records carry their length in a header.
///
/// @code
/// struct records {
///   void on_frame(std::string_view frame) { use(frame); }  // a record's frame, whole
///   void on_error(const chatframe::length_error& e) { log(e); }  // oversized, malformed
/// };
/// chatframe::length_field_framer f({.length_width = 2, .max_frame_length = 64 * 1024});
/// records h;
/// f.feed(chunk, h);  // any number of times, any chunk sizes
/// @endcode
///
/// What a record is, what its length counts, and which headers are refused
/// is length_field.hpp's: the options there map one to one onto Netty's
/// LengthFieldBasedFrameDecoder and tokio-util's LengthDelimitedCodec.
///
/// Two kinds of handler. The decoder looks at the handler's members:
///   - length_frame_handler: on_frame(frame) once per record with its whole
///     frame. A frame that lies inside one chunk is a view into the caller's
///     chunk (zero-copy); one that spans chunks is copied as its bytes
///     arrive into the decoder's buffer — which never holds more than
///     max_frame_length bytes and grows only with bytes received, never to a
///     length a header declared. Its storage grows by doubling, but never
///     past the frame's length (so never past max_frame_length); up to 64 KiB
///     of it is kept for the next frame, more is freed once the frame is
///     delivered. The view is valid until on_frame() returns.
///   - length_piece_handler: on_frame_begin(length), then on_frame_piece(p)
///     for each piece of the frame as it arrives (views into the chunk, or,
///     for the header's bytes kept in the frame and bytes held back after a
///     throw, into the decoder's own storage; each valid until the callback
///     returns — one into held bytes only until it calls discard(), as
///     collected.hpp says; never empty), then
///     on_frame_end(). Nothing of the body is buffered: for frames the user
///     streams elsewhere (a file, a socket). A frame inside one chunk is one
///     piece.
/// Both have on_error(error), called once per header that is refused (see
/// below) and by finish(). A handler must be exactly one of the two kinds.
///
/// An empty frame is delivered like any other (on_frame with an empty view,
/// or on_frame_begin(0) and on_frame_end()), as soon as its header is read.
///
/// Oversized records (frame over max_frame_length) are reported through
/// on_error() with errc::length_too_large, the stream position of the
/// record's first byte, the declared frame length and the limit — as soon as
/// the header is read (fail_fast) or once the record's last byte has gone by.
/// With oversized_action::skip exactly the record's bytes are skipped as they
/// arrive (however the chunks cut them, already buffered or not) and the next
/// record is framed; with oversized_action::stop the decoder stops. Headers
/// whose arithmetic overflows 64 bits (errc::length_overflow) or goes below
/// zero (errc::length_negative) always stop it: the stream cannot be followed
/// past them. A stopped decoder drops the rest of the chunk, feed() returns
/// the error, and every later feed() refuses its input ({0, the same errc});
/// stopped() and error() say why and where.
///
/// Sans-IO, as framer: no I/O, no clock, no thread; the caller's chunk is
/// never owned, and is not referenced after feed() returns. Cost: O(bytes
/// fed); records that lie whole in a chunk are framed by one run that reads
/// each header in place, allocates nothing and copies nothing.
///
/// Callbacks may call set_options(), discard() and the const members on the
/// same decoder:
///   - set_options() takes effect at the first byte of the next record; the
///     record in progress (whose header may be partly read) is finished
///     with the options it began with.
///   - discard() drops the rest of the chunk being fed, anything held back,
///     and the record in progress (with a late length_too_large it had still
///     to report): the next byte fed begins a new record. The record whose
///     last byte was already read when discard() was called is still
///     completed — its remaining pieces, then on_frame_end() — even from
///     its on_frame_begin() (an empty frame, or one of header bytes only);
///     a record with bytes still to read is dropped from there with no
///     further event.
///   - feed() and finish() from inside a callback, finish()'s own on_error()
///     calls included, are refused with errc::reentrant_feed (and change
///     nothing).
///   - position() read inside a callback is not the event's: it lies between
///     where the feed() began and the end of the event's bytes. Read it
///     between feeds; errors carry their own positions.
///
/// Exceptions thrown by a callback propagate out of feed() and lose no byte:
/// the unread rest of the chunk is kept (held(), a copy) and framed first by
/// the next feed() (for a record whole in the chunk whose frame holds header
/// bytes, the rest from the frame's first byte: its one piece is still to
/// come). An event whose callback threw counts as delivered —
/// on_frame(), on_frame_begin(), on_frame_end(), on_error() — except
/// on_frame_piece(): a piece whose callback threw is delivered again when
/// framing resumes, as framer delivers again the bytes of an on_collect()
/// that threw. A record whose last byte was read when on_frame_begin() (or
/// the piece of its header's bytes) threw needs no more bytes: the next
/// feed(), of an empty chunk too, delivers the rest of its events, and so
/// does finish() — it is not a truncated record.
///
/// Memory for a frame's copy that runs out (std::bad_alloc) while feed()
/// appends to it propagates like a callback's exception: no byte is lost —
/// unless the memory to keep the unread rest of the chunk runs out too: those
/// bytes are then gone, and the decoder stops (errc::frame_not_kept, with the
/// position of the record they cut; feed() lets the bad_alloc out).
/// When feed() is about to return and a frame begun in its chunk cannot be
/// copied, the frame is lost, not the stream: its record is skipped to its
/// end, where on_error() reports errc::frame_not_kept with the record's
/// position (and feed() goes on framing the records after it); a record
/// already read to its end (its on_frame_begin() threw on its last byte)
/// is reported by the next feed(), of an empty chunk too, or by finish().
/// Only a frame that holds header bytes (a strip inside a header of over 15 bytes) can
/// meet this before its header is read: the decoder then stops, as for a
/// header it cannot follow — feed() returns errc::frame_not_kept and error()
/// says where; on_error() is not called (the feed's callbacks are over).
///
/// The machinery is the one engine under every framer (detail/engine.hpp):
/// each part of a record — header, body, skipped bytes — is a count step, and
/// whole records are framed by the engine's record run. A handler takes a
/// shorter way in when every one of its callbacks is noexcept and the
/// frames hold no header byte (the strip covers at least the header, as by
/// default): feed() then hands over the rest of a record, the records whole
/// in the chunk and the start of the next itself, and leaves the steps only
/// what that cannot (a header cut by the chunk's end or to be reported, an
/// options change, held bytes, a whole frame's copy that must grow: only
/// the steps allocate). The events are the same either way; a record
/// streamed through reads (4 KiB records in 4 KiB reads) then costs about
/// half the instructions as pieces, and 8% fewer as whole frames
/// (whose copy is most of the cost).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "chatframe/collected.hpp"
#include "chatframe/detail/engine.hpp"
#include "chatframe/detail/frame_bytes.hpp"
#include "chatframe/detail/length_layout.hpp"
#include "chatframe/error.hpp"
#include "chatframe/feed_result.hpp"
#include "chatframe/length_field.hpp"

namespace chatframe {

namespace detail {
template <class H>
struct length_events;  // impl/length_field_framer.hpp

}  // namespace detail

/// A handler that wants each frame whole (see the file's description).
template <class H>
concept length_frame_handler = requires(H& h, std::string_view frame, const length_error& e) {
  h.on_frame(frame);
  h.on_error(e);
};

/// A handler that takes each frame in pieces, as they arrive (see the file's
/// description); on_frame_begin() is given the frame's length F.
template <class H>
concept length_piece_handler = requires(H& h, std::uint64_t length, std::string_view piece,
                                        const length_error& e) {
  h.on_frame_begin(length);
  h.on_frame_piece(piece);
  h.on_frame_end();
  h.on_error(e);
};

/// Exactly one of the two.
template <class H>
concept length_handler = (length_frame_handler<H> != length_piece_handler<H>);

/// Decodes length-prefixed records (see the file's description above).
class length_field_framer {
 public:
  /// A decoder for records laid out as `options` says. Options that do not
  /// validate() leave it refusing every feed() with
  /// errc::invalid_length_options until set_options() succeeds.
  explicit length_field_framer(const length_field_options& options = {});
  /// Copies hold the same options, record in progress and held bytes. Copy
  /// outside feed().
  length_field_framer(const length_field_framer&) = default;
  /// As the copy constructor.
  length_field_framer& operator=(const length_field_framer&) = default;
  /// The decoder moved from is left as a new one with the same options.
  length_field_framer(length_field_framer&& other) noexcept;
  /// As the move constructor.
  length_field_framer& operator=(length_field_framer&& other) noexcept;
  ~length_field_framer() = default;

  /// New options, from the first byte of the next record (also from inside a
  /// callback). errc::invalid_length_options, and nothing changes, unless
  /// validate(options) is errc::ok. They do not restart a stopped decoder
  /// (the stream cannot be followed past the header that stopped it):
  /// assign a new decoder for a new stream.
  [[nodiscard]] errc set_options(const length_field_options& options);
  /// The options set last (in force from the next record on).
  [[nodiscard]] const length_field_options& options() const noexcept { return next_; }

  /// Frames `chunk` (which may be empty: that frames the held-back bytes, if
  /// any). Callbacks run before feed() returns; `chunk` is not referenced
  /// afterwards. Returns {chunk.size(), errc::ok}; {chunk.size(), the error}
  /// when this chunk stopped the decoder; {0, ...} when refused: from a
  /// callback (errc::reentrant_feed), with invalid options
  /// (errc::invalid_length_options), or once stopped (the error that stopped it).
  template <length_handler H>
  feed_result feed(std::string_view chunk, H& handler);

  /// End of stream. Frames what is held back, then, if a record was begun and
  /// not finished (its header only partly read, its frame or its skip not
  /// complete), reports errc::truncated_frame through on_error() — after
  /// the record's length_too_large, if that was still to be reported — and
  /// forgets the record: the decoder starts a new one, as after discard().
  /// Its on_error() calls are callbacks as feed()'s are (a discard() from
  /// them forgets the record: nothing more is reported). If the late
  /// length_too_large's on_error() throws, the record stays in progress and
  /// the next finish() reports it truncated.
  /// Returns errc::truncated_frame then, error().code if stopped,
  /// errc::invalid_length_options if no valid options were ever set, else
  /// errc::ok.
  template <length_handler H>
  errc finish(H& handler);

  /// Drops held-back bytes, the record in progress and, from a callback, the
  /// rest of the chunk being fed (see the file's description).
  void discard() noexcept;

  /// Bytes held back after a callback threw: the unread rest of its chunk,
  /// framed first by the next feed(). Valid until the next non-const call.
  [[nodiscard]] std::string_view held() const noexcept { return engine_.held(); }
  /// Bytes of the record in progress that the decoder keeps: the frame so far
  /// (length_frame_handler) or the header's bytes that belong to the frame.
  /// At most max_frame_length — or, while a header is read, the header's
  /// bytes after the strip (a bound the options set, not the peer).
  [[nodiscard]] std::size_t frame_bytes() const noexcept { return frame_.size(); }
  /// All the input the decoder keeps: held() and frame_bytes() — what a
  /// memory_budget should count for it. (The copy's storage may be larger:
  /// up to the frame's length while it grows, up to 64 KiB between frames.)
  [[nodiscard]] std::size_t buffered() const noexcept {
    return engine_.held().size() + frame_.size();
  }
  /// True at a record boundary: no header byte of a next record read yet.
  [[nodiscard]] bool at_record_boundary() const noexcept {
    return phase_ == part::header && at_ == 0;
  }
  /// Offset in the stream of the next byte to be framed: every byte fed so
  /// far, less those held back. Between feeds (inside a callback, see the
  /// file's description).
  [[nodiscard]] std::uint64_t position() const noexcept { return position_; }
  /// True once a header stopped the decoder.
  [[nodiscard]] bool stopped() const noexcept {
    return refused_ != errc::ok && refused_ != errc::invalid_length_options;
  }
  /// What stopped it (code errc::ok while running).
  [[nodiscard]] const length_error& error() const noexcept { return error_; }
  /// Bytes of the stream that a throw left unread and no memory could keep
  /// (the file's description, on memory running out): the decoder stopped at
  /// them (errc::frame_not_kept), and the first of them is
  /// position() - bytes_lost(). 0 otherwise. The decoder does not go on
  /// after them: the stream's next header cannot be found.
  [[nodiscard]] std::size_t bytes_lost() const noexcept { return engine_.lost(); }

 private:
  template <class H>
  friend struct detail::length_events;

  enum class part : std::uint8_t { header, body, skip };

  template <class H>
  detail::step_outcome step(const char*& k, const char* end, detail::length_events<H>& ev);
  template <class H>
  bool fast(const char*& k, const char* end, detail::length_events<H>& ev);
  template <class H>
  bool fast_at(const char*& k, const char* end, detail::length_events<H>& ev);
  template <class H>
  feed_result steps(std::string_view chunk, H& handler);
  template <class H>
  static constexpr bool streams() noexcept;
  template <class H>
  const char* stream(const char* k, const char* end, H& handler);
  template <class Reader, class H>
  const char* stream_records(const char* k, const char* end, H& handler, bool after_long);
  // Whether a record run is the engine's out-of-line one or inlined into its caller.
  enum class run_call : bool { out_of_line, inlined };
  template <class Reader, run_call Call, class H>
  void run_records(const char*& k, const char* end, detail::length_events<H>& ev, bool after_long);
  template <class Reader>
  bool header_at(const Reader& reader, const char* k, const char* end, std::uint64_t& v,
                 std::uint64_t& record) const;
  // Whether a frame may hold header bytes (a strip that ends inside the
  // header): the edges of a record then keep them in frame_ (and hand them
  // to a piece handler as its first piece). stream() runs only when no
  // frame can, and its edges drop that bookkeeping at compile time.
  enum class header_share : bool { possible, none };
  template <header_share Share = header_share::possible, class H>
  bool rest_of_record(const char*& k, const char* end, H& handler);
  template <header_share Share = header_share::possible, class H>
  void start_of_record(const char*& k, const char* end, std::uint64_t v, std::uint64_t record,
                       H& handler);
  template <class H>
  void take(const collected& data, H& handler);
  template <class H>
  void part_done(H& handler);
  template <class H>
  void header_done(H& handler);
  template <header_share Share = header_share::possible, class H>
  void frame_done(H& handler);
  template <class H>
  void whole_frame(std::string_view frame, detail::length_events<H>& ev);
  template <class H>
  void flush_header_piece(H& handler);
  [[nodiscard]] bool end_due() const noexcept;
  template <class H>
  void halt(const length_error& e, H& handler);
  [[nodiscard]] length_error error_at(errc code, std::uint64_t field,
                                      std::uint64_t frame_length) const noexcept;
  void keep_frame_part(std::string_view bytes, bool lasting);
  void new_record() noexcept;
  void settle() noexcept;
  void frame_not_kept() noexcept;
  void bytes_not_kept() noexcept;
  void apply_options() noexcept;
  void become_new() noexcept;

  length_field_options next_;     // set last
  bool pending_ = false;          // next_ is not in force yet
  errc refused_ = errc::ok;       // what feed() refuses with: invalid options, or what stopped it
  detail::length_layout layout_;  // in force for the record in progress
  bool fail_fast_ = true;
  oversized_action on_oversized_ = oversized_action::skip;

  // The record in progress.
  part phase_ = part::header;
  std::uint64_t at_ = 0;           // its bytes read so far
  std::uint64_t record_ = 0;       // its length R, once its header is read
  unsigned char field_[8] = {};    // its length field's bytes, while its header is read
  std::uint64_t field_value_ = 0;  // its length field, once read
  detail::frame_bytes frame_;      // its frame so far (or the header's share of it)
  length_error late_;              // an oversized record's report, for its end (!fail_fast)
  bool late_pending_ = false;

  std::uint64_t fed_ = 0;       // every byte fed
  std::uint64_t position_ = 0;  // the next byte to frame
  bool abandon_ = false;        // discard() from a callback: a new record at the feed's end
  length_error error_;
  detail::engine engine_;
};

}  // namespace chatframe

#include "chatframe/impl/length_field_framer.hpp"
