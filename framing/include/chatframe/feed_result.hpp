/// @file chatframe/feed_result.hpp
/// What a framer's feed() reports.
#pragma once

#include <cstddef>

#include "chatframe/error.hpp"

namespace chatframe {

/// What feed() did with a chunk.
struct feed_result {
  /// Bytes of the chunk the framer took responsibility for: the whole chunk
  /// (delivered, held back, or dropped by discard()), so an event loop never
  /// has to re-offer a tail — except when feed() was refused, which takes 0:
  /// errc::reentrant_feed; errc::invalid_delimiters for a multi_framer
  /// without delimiters; for a length_field_framer,
  /// errc::invalid_length_options, or once a header stopped it, the error
  /// that did. A refusal is not a request to offer the bytes again: with
  /// consumed 0, check `error` (offering them again is refused again).
  std::size_t consumed = 0;
  /// errc::ok; one of the refusals above; errc::count_replaced_by_non_count
  /// where CPython's handle_read raises TypeError (error.hpp), after every
  /// byte was delivered; or, from a length_field_framer whose chunk held a
  /// header that stopped it, that header's error (every byte taken).
  errc error = errc::ok;
};

}  // namespace chatframe
