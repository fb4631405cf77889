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
  /// has to re-offer a tail — except when feed() was refused
  /// (errc::reentrant_feed, or errc::invalid_delimiters for a multi_framer
  /// without delimiters), which takes 0.
  std::size_t consumed = 0;
  /// errc::ok; errc::reentrant_feed; errc::invalid_delimiters; or
  /// errc::count_replaced_by_non_count where CPython's handle_read raises
  /// TypeError (error.hpp), after every byte was delivered.
  errc error = errc::ok;
};

}  // namespace chatframe
