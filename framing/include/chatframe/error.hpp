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
