/// @file chatframe/length_field_encoder.hpp
/// Length-prefixed records, encoded: the header a length_field_framer with
/// the same options reads, written in front of a body.
///
/// @code
/// chatframe::length_field_encoder enc({.length_width = 2});
/// chatframe::outbox out;
/// if (enc.push(out, body) != chatframe::errc::ok) { ... }  // refused: nothing queued
/// // out.gather() now offers two views: the 2-byte header, then `body` itself
/// @endcode
///
/// A record is its header — length_offset bytes of prefix, then the length
/// field — followed by the body; the field's value is what makes the
/// decoder's R equal the record's length (length_field.hpp): v = body size -
/// length_adjustment. A length_field_framer with the same options delivers
/// the record without its first `strip` bytes: the body itself with the
/// default strip.
///
/// Refused, with nothing written or queued:
///   - a body whose v does not fit the field (over 2^(8 * width) - 1, or below
///     zero): errc::length_does_not_fit — it would be truncated on the wire and
///     the peer would lose its place (tokio#5080);
///   - a body whose frame would be over max_frame_length: errc::length_too_large,
///     one shorter than the strip: errc::length_negative, and one whose
///     record would be over 2^64 - 1 bytes (H + body size, with an 8-byte
///     field): errc::length_overflow — the decoder would refuse it;
///   - invalid options, or a prefix neither empty (zero bytes are written)
///     nor length_offset bytes long: errc::invalid_length_options.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "chatframe/detail/length_layout.hpp"
#include "chatframe/error.hpp"
#include "chatframe/length_field.hpp"
#include "chatframe/outbox.hpp"

namespace chatframe {

/// Writes length-prefixed records (see the file's description above).
class length_field_encoder {
 public:
  /// An encoder for records laid out as `options` says. Options that do not
  /// validate() make every call return errc::invalid_length_options until
  /// set_options() succeeds.
  explicit length_field_encoder(const length_field_options& options = {});

  /// New options; errc::invalid_length_options, and nothing changes, unless
  /// validate(options) is errc::ok.
  [[nodiscard]] errc set_options(const length_field_options& options);
  /// The options in force.
  [[nodiscard]] const length_field_options& options() const noexcept { return options_; }
  /// H: the bytes write_header() writes.
  [[nodiscard]] std::size_t header_length() const noexcept { return options_.header_length(); }

  /// Writes the header of a record whose body is `body_size` bytes into
  /// out[0, header_length()): `prefix` (or zeros when it is empty), then the
  /// length field. Writes nothing when it refuses (see the file's description).
  [[nodiscard]] errc write_header(std::uint64_t body_size, std::string_view prefix,
                                  char* out) const;

  /// Queues one record on `out`: the header as bytes the outbox owns (a
  /// std::string small enough, for headers of up to 15 bytes, to need no
  /// allocation), then the body borrowed with outbox::push_view() — not
  /// copied: the caller keeps `body` alive until it is sent or the outbox is
  /// discarded. gather() offers them as two views. Refused as write_header()
  /// refuses, or with errc::closed once the outbox reached its close marker;
  /// nothing is queued then.
  [[nodiscard]] errc push(outbox& out, std::string_view body, std::string_view prefix = {}) const;

 private:
  length_field_options options_;
  detail::length_layout layout_;
  bool valid_ = false;
};

}  // namespace chatframe
