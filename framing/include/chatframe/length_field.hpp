/// @file chatframe/length_field.hpp
/// Length-prefixed records: what a header says and how its length is counted.
///
/// Shared by the decoder (length_field_framer.hpp) and the encoder
/// (length_field_encoder.hpp): the same options describe the records both
/// read and write.
///
/// What the length counts. A record is a header of H bytes followed by a
/// body:
///
/// @code
///   record:  [ length_offset bytes ][ length_width bytes: v ][ body ... ]
///            |<-------------------- H -------------------->|
///   R = H + v + length_adjustment       (the record's length on the wire)
///   frame = the record without its first `strip` bytes: F = R - strip
/// @endcode
///
/// where H = length_offset + length_width and v is the length field read as
/// an unsigned integer of length_width bytes in `order`. So v counts the
/// bytes after the header, plus length_adjustment: with adjustment 0 the
/// field counts the body; with adjustment -H it counts the whole record;
/// with adjustment -length_width, the field and everything after it. This is
/// Netty's LengthFieldBasedFrameDecoder's rule (its frameLength is R). The
/// frame handed to the handler is F bytes; by default `strip` is H, so the
/// frame is the body.
///
/// Every header is checked, in 128-bit arithmetic, before any byte of its
/// body is read:
///   - v + length_adjustment < 0 (the record would end inside its header) or
///     R < strip (it would end before the bytes to strip): errc::length_negative;
///   - R >= 2^64: errc::length_overflow;
///   - F > max_frame_length: errc::length_too_large — after the adjustment
///     and the strip, on the frame the handler would get (tokio#4815 checked
///     the raw field). The record is then skipped, exactly its R bytes, or
///     stops the decoder (`on_oversized`).
///
/// An empty frame (F = 0) is a frame like any other: delivered, never taken
/// for "no length" (the trap of CPython's count 0; see framer.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "chatframe/error.hpp"

namespace chatframe {

/// The byte order of the length field.
enum class byte_order : std::uint8_t {
  big,     ///< most significant byte first (network order; Netty's and tokio's default)
  little,  ///< least significant byte first
};

/// What the decoder does with a record whose frame is over max_frame_length.
enum class oversized_action : std::uint8_t {
  /// Reports it (errc::length_too_large through on_error()), skips exactly
  /// its R bytes as they arrive, and frames the next record.
  skip,
  /// Reports it and stops: feed() returns errc::length_too_large and refuses
  /// all further input with it (the owner should close the connection).
  stop,
};

/// How records are laid out (see the file's description for what the length
/// counts). Every member has a default; the defaults are a 4-byte big-endian
/// field at the start of the record that counts the body, the header
/// stripped, frames of at most 1 MiB, oversized records skipped and reported
/// as soon as their header is read.
struct length_field_options {
  /// Bytes of the header before the length field (at most max_length_offset).
  /// Netty: lengthFieldOffset; tokio: length_field_offset.
  std::size_t length_offset = 0;
  /// Bytes of the length field: 1, 2, 3, 4 or 8. Netty: lengthFieldLength;
  /// tokio: length_field_length / length_field_type.
  std::size_t length_width = 4;
  /// Byte order of the length field. Netty: the ByteOrder argument; tokio:
  /// big_endian() / little_endian().
  byte_order order = byte_order::big;
  /// Added to the field's value to give the bytes after the header; may be
  /// negative. Netty: lengthAdjustment (the same meaning); tokio:
  /// length_adjustment + num_skip - H (tokio counts from num_skip, not from
  /// the header's end).
  std::int64_t length_adjustment = 0;
  /// Bytes removed from the start of each record before it is handed over;
  /// unset means the whole header (H). At most max_strip. Netty:
  /// initialBytesToStrip (default 0); tokio: num_skip (default H).
  std::optional<std::size_t> strip = std::nullopt;
  /// The longest frame delivered, counted after the strip (F). At most
  /// max_frame_limit. Netty: maxFrameLength - initialBytesToStrip (Netty
  /// bounds the record before its strip); tokio: max_frame_length.
  std::size_t max_frame_length = std::size_t{1} << 20;
  /// Reports an oversized record as soon as its header is read (true), or
  /// once its last byte has been skipped (false). Only `skip` has a skip to
  /// wait for: `stop` always reports at the header. Netty: failFast.
  bool fail_fast = true;
  /// What an oversized record does to the decoder.
  oversized_action on_oversized = oversized_action::skip;

  /// The largest length_offset accepted.
  static constexpr std::size_t max_length_offset = (std::size_t{1} << 32) - 1;
  /// The largest strip accepted.
  static constexpr std::size_t max_strip = std::size_t{1} << 62;
  /// The largest max_frame_length accepted.
  static constexpr std::size_t max_frame_limit = std::size_t{1} << 62;

  /// H: the bytes read before a record's length is known.
  [[nodiscard]] constexpr std::size_t header_length() const noexcept {
    return length_offset + length_width;
  }
  /// The bytes stripped from each record: `strip`, or H when unset.
  [[nodiscard]] constexpr std::size_t strip_length() const noexcept {
    return strip ? *strip : header_length();
  }
};

/// errc::ok when the options describe a header (the limits above, and `order`
/// and `on_oversized` each one of their enumerators), else
/// errc::invalid_length_options.
[[nodiscard]] errc validate(const length_field_options& options) noexcept;

/// What on_error() reports about a header.
struct length_error {
  /// errc::length_too_large, errc::length_overflow, errc::length_negative,
  /// errc::frame_not_kept (no memory for a frame's copy), or
  /// errc::truncated_frame (finish(): the stream ended inside a record).
  errc code = errc::ok;
  /// Offset in the stream (every byte ever fed, counted from 0) of the
  /// record's first byte.
  std::uint64_t position = 0;
  /// The length field's value as read (truncated_frame: 0 if the header was
  /// not complete).
  std::uint64_t field = 0;
  /// The frame length F the header declared (length_too_large, and
  /// frame_not_kept once the header was read), or the bytes of the record
  /// read so far (truncated_frame); 0 otherwise.
  std::uint64_t frame_length = 0;
  /// The max_frame_length in force for that record.
  std::size_t limit = 0;
};

}  // namespace chatframe
