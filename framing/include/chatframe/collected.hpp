/// @file chatframe/collected.hpp
/// The bytes handed to a collect callback.
///
/// CPython calls collect_incoming_data() with one bytes object which, when a
/// partial terminator was held back from the previous recv, is that held-back
/// piece joined with the new data (asynchat.py:133, the `ac_in_buffer + data`
/// concatenation). chatframe hands out the same bytes without joining them:
/// `carried` is the held-back piece and `fresh` is a slice of the chunk being
/// fed. Either may be empty; together they are exactly CPython's argument.
///
/// Lifetime: `carried` points into the framer's own storage and is valid only
/// until the callback returns (or until the callback calls discard()).
/// `fresh` points into the caller's chunk and is valid as long as the caller
/// keeps that chunk alive. Copy what you need to keep.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace chatframe {

/// The bytes of one collect callback: `carried` followed by `fresh` (see the
/// file's description for how long each view lives).
struct collected {
  std::string_view carried;  ///< bytes held back from an earlier feed() (framer storage)
  std::string_view fresh;    ///< bytes of the chunk currently being fed (caller storage)

  /// carried.size() + fresh.size().
  [[nodiscard]] std::size_t size() const noexcept { return carried.size() + fresh.size(); }
  /// size() == 0.
  [[nodiscard]] bool empty() const noexcept { return size() == 0; }
  /// True when the bytes are one contiguous view (no held-back part, or no fresh part).
  [[nodiscard]] bool contiguous() const noexcept { return carried.empty() || fresh.empty(); }
  /// The single view when contiguous(); otherwise meaningless — check first.
  [[nodiscard]] std::string_view contiguous_view() const noexcept {
    return carried.empty() ? fresh : carried;
  }
  /// Appends the bytes (carried, then fresh) to `out`: the one copy to keep them.
  void append_to(std::string& out) const {
    out.append(carried);
    out.append(fresh);
  }
  /// The bytes as one owned string.
  [[nodiscard]] std::string str() const {
    std::string out;
    out.reserve(size());
    append_to(out);
    return out;
  }
  /// The i-th byte of carried followed by fresh; `i` must be below size().
  [[nodiscard]] char operator[](std::size_t i) const noexcept {
    return i < carried.size() ? carried[i] : fresh[i - carried.size()];
  }
};

}  // namespace chatframe
