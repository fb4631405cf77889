/// @file chatframe/terminator.hpp
/// What ends a frame: a byte string, a byte count, or nothing.
///
/// Mirrors the three kinds CPython's async_chat.set_terminator() accepts
/// (asynchat.py:102-111). The value remembers exactly what was set, so
/// get_terminator() can give it back as CPython does: an empty byte string and a
/// count of zero both *behave* as "none" (asynchat.py:143, `if not terminator`),
/// yet they are reported as what they are.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace chatframe {

/// A terminator value: none, a delimiter, or a byte count (see the file's description).
class terminator {
 public:
  /// Which of the three a terminator is.
  enum class kind : std::uint8_t {
    none,   ///< collect everything (CPython's None)
    bytes,  ///< a delimiter (CPython's bytes)
    count   ///< a byte count (CPython's int)
  };

  /// None: collect everything, never report a frame end.
  terminator() = default;
  /// None, by name: the same as terminator().
  [[nodiscard]] static terminator none() { return {}; }
  /// A delimiter of any length (copied). An empty string behaves as none.
  [[nodiscard]] static terminator bytes(std::string_view delimiter) {
    terminator t;
    t.kind_ = kind::bytes;
    t.bytes_.assign(delimiter);
    return t;
  }
  /// A byte count. Zero behaves as none. A negative count is representable so
  /// that set_terminator() can reject it with errc::negative_count, as CPython
  /// rejects it with ValueError, and so that get_terminator() can report the
  /// negative count CPython's own arithmetic can reach (framer.hpp).
  [[nodiscard]] static terminator count(std::int64_t n) {
    terminator t;
    t.kind_ = kind::count;
    t.count_ = n;
    return t;
  }

  /// Which kind this is.
  [[nodiscard]] kind type() const noexcept { return kind_; }
  /// type() == kind::none.
  [[nodiscard]] bool is_none() const noexcept { return kind_ == kind::none; }
  /// type() == kind::bytes (possibly the empty delimiter).
  [[nodiscard]] bool is_bytes() const noexcept { return kind_ == kind::bytes; }
  /// type() == kind::count (possibly zero or negative).
  [[nodiscard]] bool is_count() const noexcept { return kind_ == kind::count; }
  /// The delimiter; empty unless is_bytes(). Valid while the terminator lives, unchanged.
  [[nodiscard]] std::string_view delimiter() const noexcept { return bytes_; }
  /// The count; zero unless is_count().
  [[nodiscard]] std::int64_t byte_count() const noexcept { return count_; }
  /// True when framing with this terminator never reports a frame end:
  /// none, an empty delimiter or a zero count (CPython's `not terminator`).
  [[nodiscard]] bool collects_everything() const noexcept {
    return kind_ == kind::none || (kind_ == kind::bytes && bytes_.empty()) ||
           (kind_ == kind::count && count_ == 0);
  }

  /// Same kind and same value: an empty delimiter is not none, nor is a zero count.
  friend bool operator==(const terminator&, const terminator&) = default;

 private:
  friend class framer;  // counts down the remaining bytes in place, as CPython does
  kind kind_ = kind::none;
  std::int64_t count_ = 0;
  std::string bytes_;
};

}  // namespace chatframe
