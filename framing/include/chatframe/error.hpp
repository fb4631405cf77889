/// @file chatframe/error.hpp
/// The error values every chatframe call can return.
///
/// Errors are values, never exceptions: every fallible call returns an `errc`
/// (or a struct holding one). The numeric values are stable: they are never
/// renumbered, only appended to, so they can be logged and compared across
/// versions. `errc::ok` is zero so `if (ec != errc::ok)` reads naturally.
#pragma once

#include <cstdint>
#include <string_view>
#include <system_error>

/// chatframe: the sans-IO framing core (framer, outbox, async_chat) and its extensions.
namespace chatframe {

/// What a chatframe call reports. Stable values: appended to, never renumbered.
enum class errc : std::uint8_t {
  /// Success.
  ok = 0,
  /// set_terminator() was given a negative byte count. CPython raises
  /// ValueError here (asynchat.py:109-110); the terminator is left unchanged.
  negative_count = 1,
  /// set_terminator() was given a byte string longer than the framer's
  /// max_terminator_length option; the terminator is left unchanged.
  terminator_too_long = 2,
  /// feed() was called from inside one of the framer's own callbacks.
  reentrant_feed = 3,
  /// outbox::consume() was told that more bytes were sent than were offered.
  consume_exceeds_offer = 4,
  /// The outbox already reached its close marker; the data was not queued.
  closed = 5,
  /// An output buffer size of zero was requested (CPython would spin forever).
  zero_buffer_size = 6,
  /// A producer was null.
  null_producer = 7,
  /// multi_framer::set_delimiters(): none, more than 16, an empty one or one over 64 bytes.
  invalid_delimiters = 8,
  /// frame_assembler: a frame grew past the maximum frame size.
  frame_too_large = 9,
  /// frame_assembler: a count terminator over the maximum frame size was refused.
  count_too_large = 10,
  /// frame_assembler::finish() with eof_policy::error: the stream ended inside a frame.
  truncated_frame = 11,
  /// framer::feed(): while a count was running short of the buffer, on_collect()
  /// replaced it with a terminator that is not a count. CPython raises TypeError
  /// there (asynchat.py:153, `self.terminator - lb`). Every byte of the chunk
  /// was delivered and the new terminator stands; async_chat's transport treats
  /// it as asyncore treats the exception (handle_error(), which closes).
  count_replaced_by_non_count = 12,
  /// length_field_framer: a header declared a frame longer than the options'
  /// max_frame_length (the record is skipped or stops the decoder, by the
  /// options); length_field_encoder: a body whose frame would be that long.
  length_too_large = 13,
  /// length_field_framer: a header's length, adjusted, does not fit in 64 bits
  /// (a record of 2^64 bytes or more). The decoder stops.
  length_overflow = 14,
  /// length_field_framer: a header's length, adjusted, is below zero — the
  /// record would end inside its own header, or before the bytes to strip.
  /// The decoder stops.
  length_negative = 15,
  /// length_field_options that cannot describe a header: a width other than
  /// 1, 2, 3, 4 or 8, an offset, strip or maximum over its documented
  /// limit, or an order or on_oversized value that names no enumerator; or
  /// an encoder's prefix that is not length_offset bytes.
  invalid_length_options = 16,
  /// length_field_encoder: the body's length, adjusted, cannot be written in
  /// the length field (over 2^(8 * width) - 1, or below zero): sent, it would
  /// be truncated and the peer would lose its place in the stream.
  length_does_not_fit = 17,
  /// length_field_framer: no memory (std::bad_alloc) for the copy of a frame
  /// begun in a chunk that feed() was about to return: the frame cannot be
  /// delivered. Its record is skipped to its end, where this is reported,
  /// and the decoder goes on with the next; if the record's header was not
  /// yet read (the frame then held header bytes only), the stream cannot be
  /// followed and the decoder stops. Also, stopping it: a callback (or a
  /// copy's growth) threw and the unread rest of the chunk could not be kept
  /// for the next feed() either. frame_assembler: no memory to copy a frame
  /// still open when a chunk ended; it is skipped, and this is reported
  /// through on_limit() where it ends.
  frame_not_kept = 18,
  /// framer, multi_framer (and what is built on them): a callback threw, and
  /// the unread rest of the chunk could not be kept for the next feed() (no
  /// memory; that feed() threw std::bad_alloc). Those bytes are gone, and
  /// framing on would join the bytes after them to a frame they do not
  /// continue, so every later feed() frames nothing and returns this, until
  /// discard() accepts the gap: framing then resumes with the next byte fed,
  /// as if it began a frame. CPython has no such state: its channel is
  /// closed by the MemoryError's handle_error() — what a caller who does not
  /// resume should do too.
  input_lost = 19,
};

/// A short, stable, lowercase name for the error ("negative_count", ...).
[[nodiscard]] std::string_view to_string(errc e) noexcept;

/// The std::error_category of chatframe::errc (name "chatframe"), for callers
/// that already speak std::error_code.
[[nodiscard]] const std::error_category& chatframe_category() noexcept;
/// `e` as a std::error_code in chatframe_category().
[[nodiscard]] inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), chatframe_category()};
}

}  // namespace chatframe

/// Lets chatframe::errc convert to std::error_code implicitly.
template <>
struct std::is_error_code_enum<chatframe::errc> : std::true_type {};
