/// @file chatframe/multi_framer.hpp
/// Framing on several delimiters at once.
///
/// An opt-in extension beyond asynchat (which has one terminator at a time):
/// frames end at whichever of up to 16 delimiters comes first, and on_found()
/// says which one. Typical use: lines ended by `"\r\n"` or a bare `"\n"`.
///
/// @code
///   chatframe::multi_framer f;
///   const std::string_view ends[] = {"\r\n", "\n"};
///   (void)f.set_delimiters(ends);
///   // handler.on_collect(collected), handler.on_found(std::size_t which)
///   f.feed(chunk, handler);
/// @endcode
///
/// Which delimiter matches: the one whose occurrence ENDS earliest in the
/// stream; among occurrences ending at the same byte, the longest. So with
/// `{"\n", "\r\n"}`, `"a\r\n"` is the frame `"a"` ended by `"\r\n"` (both end at the
/// same byte; `"\r\n"` is longer), and with `{"abcd", "c"}`, `"abcd"` is the frame
/// `"ab"` ended by `"c"` (it ends first). With a single delimiter this is exactly
/// CPython's rule (the leftmost occurrence), and multi_framer gives exactly
/// framer's events — the same collect boundaries included.
///
/// Everything else follows framer.hpp: views and their lifetimes (see
/// collected.hpp), held-back bytes (the longest stream suffix that is a proper
/// prefix of any delimiter; at most the longest delimiter's length minus one),
/// callbacks may call set_delimiters() and discard(), feed() consumes the
/// whole chunk, no allocation per frame, exceptions leave no byte lost.
///
/// Cost: one pass over the stream. Bytes are skipped 16 at a time with SSE2
/// unless they equal the last byte of some delimiter; candidates are verified
/// with memcmp. Worst case O(n * total delimiter length), bounded by the
/// limits below (16 delimiters of at most 64 bytes).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "chatframe/collected.hpp"
#include "chatframe/error.hpp"
#include "chatframe/framer.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace chatframe {

/// Anything that can receive a multi_framer's events: on_collect() as for
/// framer, and on_found(which) with the index of the delimiter that ended the frame.
template <class H>
concept multi_framing_handler = requires(H& h, const collected& data, std::size_t which) {
  h.on_collect(data);
  h.on_found(which);
};

/// Frames a byte stream on whichever of several delimiters comes first (see
/// the file's description).
class multi_framer {
 public:
  /// The most delimiters set_delimiters() accepts.
  static constexpr std::size_t max_delimiters = 16;
  /// The longest delimiter set_delimiters() accepts, in bytes.
  static constexpr std::size_t max_delimiter_length = 64;

  /// No delimiters yet: feed() refuses with errc::invalid_delimiters until
  /// set_delimiters() succeeds.
  multi_framer() = default;
  /// Copies hold the same delimiters and held-back bytes. The multi_framer
  /// moved from is left as a new one: no delimiters, nothing held.
  multi_framer(const multi_framer&) = default;
  /// Copies delimiters and held-back bytes.
  multi_framer& operator=(const multi_framer&) = default;
  /// Takes the delimiters and held-back bytes; `other` is left as a new multi_framer.
  multi_framer(multi_framer&& other) noexcept { take(other); }
  /// As the move constructor.
  multi_framer& operator=(multi_framer&& other) noexcept {
    if (this != &other) take(other);
    return *this;
  }
  ~multi_framer() = default;

  /// 1..16 non-empty delimiters of at most 64 bytes (copied); on_found()
  /// reports a delimiter by its index here. errc::invalid_delimiters otherwise,
  /// leaving the current set unchanged. Takes effect at the next byte examined.
  [[nodiscard]] errc set_delimiters(std::span<const std::string_view> delimiters) {
    if (delimiters.empty() || delimiters.size() > max_delimiters) return errc::invalid_delimiters;
    for (const std::string_view d : delimiters)
      if (d.empty() || d.size() > max_delimiter_length) return errc::invalid_delimiters;
    count_ = delimiters.size();
    longest_ = 0;
    last_bytes_count_ = 0;
    for (std::size_t i = 0; i < count_; ++i) {
      delims_[i].assign(delimiters[i]);
      longest_ = delims_[i].size() > longest_ ? delims_[i].size() : longest_;
      const char last = delims_[i].back();
      bool seen = false;
      for (std::size_t j = 0; j < last_bytes_count_; ++j) seen = seen || last_bytes_[j] == last;
      if (!seen) last_bytes_[last_bytes_count_++] = last;
    }
    // Candidates at one end byte are tried longest first.
    for (std::size_t i = 0; i < count_; ++i) by_length_[i] = static_cast<std::uint8_t>(i);
    for (std::size_t i = 1; i < count_; ++i)
      for (std::size_t j = i;
           j > 0 && delims_[by_length_[j]].size() > delims_[by_length_[j - 1]].size(); --j)
        std::swap(by_length_[j], by_length_[j - 1]);
    // Delimiters of one or two bytes that all end in the same byte ({"\r\n",
    // "\n"}, the usual set): which one ended a frame is one table lookup of
    // the byte before the end.
    by_byte_before_.fill(no_delimiter);
    alone_ = no_delimiter;
    short_pairs_ = last_bytes_count_ == 1 && longest_ <= 2;
    // A delimiter given twice: the first wins, as in the longest-first order.
    for (std::size_t i = 0; short_pairs_ && i < count_; ++i) {
      std::uint8_t& slot = delims_[i].size() == 1
                               ? alone_
                               : by_byte_before_[static_cast<unsigned char>(delims_[i][0])];
      if (slot == no_delimiter) slot = static_cast<std::uint8_t>(i);
    }
    return errc::ok;
  }
  /// How many delimiters are set (0 before set_delimiters()).
  [[nodiscard]] std::size_t delimiter_count() const noexcept { return count_; }
  /// Delimiter `i` (below delimiter_count()); valid until the next set_delimiters().
  [[nodiscard]] std::string_view delimiter(std::size_t i) const noexcept { return delims_[i]; }

  /// Frames `chunk` as framer::feed() does, with on_found(which) naming the
  /// delimiter. Refused, taking 0 bytes, from inside a callback
  /// (errc::reentrant_feed) and before any delimiter was set
  /// (errc::invalid_delimiters).
  template <multi_framing_handler H>
  feed_result feed(std::string_view chunk, H& handler);

  /// Drops held-back bytes and, when called from a callback, the rest of the
  /// chunk being fed.
  void discard() noexcept {
    carry_.clear();
    if (in_feed_) discarded_ = true;
  }
  /// Bytes held back because they may begin a delimiter; valid until the next
  /// non-const call.
  [[nodiscard]] std::string_view held() const noexcept { return carry_; }
  /// Returns the held-back bytes (owned) and forgets them.
  [[nodiscard]] std::string take_held() {
    std::string out;
    out.swap(carry_);
    return out;
  }

 private:
  // The stream still to frame: carry_ followed by chunk[k..].
  struct window {
    std::string_view carry;
    const char* chunk;
    std::size_t chunk_size;
    [[nodiscard]] std::size_t size() const noexcept { return carry.size() + chunk_size; }
    [[nodiscard]] char at(std::size_t i) const noexcept {
      return i < carry.size() ? carry[i] : chunk[i - carry.size()];
    }
  };
  struct match {
    std::size_t start;  // offset in the window
    std::size_t end;    // one past the delimiter
    std::size_t which;
  };
  static constexpr std::size_t none = static_cast<std::size_t>(-1);

  // The delimiter's last byte is known to match; compares the others.
  [[nodiscard]] bool equal_at(const window& w, std::size_t start,
                              const std::string& d) const noexcept {
    if (d.size() == 1) return true;
    if (start >= w.carry.size()) {
      const char* p = w.chunk + (start - w.carry.size());
      if (d.size() == 2) return p[0] == d[0];
      return std::memcmp(p, d.data(), d.size() - 1) == 0;
    }
    for (std::size_t i = 0; i < d.size(); ++i)
      if (w.at(start + i) != d[i]) return false;
    return true;
  }
  // The longest delimiter ending at window offset e (inclusive) and starting at or after 0.
  [[nodiscard]] std::size_t ending_at(const window& w, std::size_t e) const noexcept {
    const char c = w.at(e);
    for (std::size_t r = 0; r < count_; ++r) {
      const std::string& d = delims_[by_length_[r]];
      if (d.back() != c || d.size() > e + 1) continue;
      if (equal_at(w, e + 1 - d.size(), d)) return by_length_[r];
    }
    return none;
  }
  [[nodiscard]] bool is_last_byte(char c) const noexcept {
    for (std::size_t j = 0; j < last_bytes_count_; ++j)
      if (last_bytes_[j] == c) return true;
    return false;
  }
  [[nodiscard]] match find(const window& w) const noexcept {
    const std::size_t n = w.size();
    // Ends near the held-back bytes may need them: checked byte by byte.
    // With nothing held back, every delimiter ending at e starts in the chunk.
    const std::size_t slow_until = w.carry.empty() ? 0 : std::min(n, w.carry.size() + longest_);
    for (std::size_t e = 0; e < slow_until; ++e) {
      if (!is_last_byte(w.at(e))) continue;
      const std::size_t which = ending_at(w, e);
      if (which != none) return {e + 1 - delims_[which].size(), e + 1, which};
    }
    std::size_t e = slow_until;
    if (last_bytes_count_ == 1) {
      // One end byte (e.g. {"\r\n", "\n"}): the single-delimiter search's
      // memchr path finds the candidates.
      const char* const chunk_end = w.chunk + w.chunk_size;
      const char* p = w.chunk + (e - w.carry.size());
      while (p < chunk_end) {
        p = detail::find_byte(p, chunk_end, last_bytes_[0]);
        if (p == chunk_end) break;
        const std::size_t at = w.carry.size() + static_cast<std::size_t>(p - w.chunk);
        const std::size_t which = ending_at(w, at);
        if (which != none) return {at + 1 - delims_[which].size(), at + 1, which};
        ++p;
      }
      return {none, none, none};
    }
#if defined(__SSE2__)
    {
      // One compare per distinct last byte and 16-byte block, however many
      // there are: with five, this measured 4x (16 B frames) to 24x (4 KiB
      // frames) the byte-at-a-time loop below, which only finishes the tail
      // (bench/extensions_bench.cpp, BM_multi_six_delimiters).
      __m128i needles[max_delimiters];
      for (std::size_t j = 0; j < last_bytes_count_; ++j)
        needles[j] = _mm_set1_epi8(last_bytes_[j]);
      while (e + 16 <= n) {
        // e >= carry size here, so window offset e is chunk byte e - carry size.
        const __m128i v =
            _mm_loadu_si128(reinterpret_cast<const __m128i*>(w.chunk + (e - w.carry.size())));
        __m128i hits = _mm_cmpeq_epi8(v, needles[0]);
        for (std::size_t j = 1; j < last_bytes_count_; ++j)
          hits = _mm_or_si128(hits, _mm_cmpeq_epi8(v, needles[j]));
        auto mask = static_cast<unsigned>(_mm_movemask_epi8(hits));
        while (mask != 0) {
          const std::size_t at = e + static_cast<std::size_t>(__builtin_ctz(mask));
          const std::size_t which = ending_at(w, at);
          if (which != none) return {at + 1 - delims_[which].size(), at + 1, which};
          mask &= mask - 1;
        }
        e += 16;
      }
    }
#endif
    for (; e < n; ++e) {
      if (!is_last_byte(w.at(e))) continue;
      const std::size_t which = ending_at(w, e);
      if (which != none) return {e + 1 - delims_[which].size(), e + 1, which};
    }
    return {none, none, none};
  }
  // find() for a window without held-back bytes when every delimiter ends in
  // the same byte, for short frames: candidates come from `candidates`, which
  // compares 64 bytes at a time and lives for the whole feed(), instead of a
  // search per frame. False, and find() (memchr) to be used instead until a
  // short frame is seen again, when two blocks in a row hold no candidate:
  // the frames are long.
  [[nodiscard]] bool find_short(const window& w, detail::byte_scanner& candidates,
                                match& m) noexcept {
    candidates.drop_before(w.chunk);
    const char* hit = nullptr;
    for (;;) {
      const auto found = candidates.next(hit);
      if (found == detail::byte_scanner::gap::long_gap) {
        short_frames_ = false;
        return false;
      }
      if (found == detail::byte_scanner::gap::none_before_end) {
        m = {none, none, none};
        return true;
      }
      const auto at = static_cast<std::size_t>(hit - w.chunk);
      const std::size_t which = ending_at(w, at);
      if (which != none) {
        m = {at + 1 - delims_[which].size(), at + 1, which};
        return true;
      }
      candidates.drop_first();
    }
  }
  // With nothing held back and every delimiter ending in one byte, frames
  // short frames of the chunk in one loop, as framer's short run does: the
  // same events as the general loop, without building a window and slicing
  // for each frame. Returns false when a callback called discard(); k is the
  // start of the next frame either way.
  template <multi_framing_handler H>
  bool short_run(const char*& k, detail::byte_scanner& shared, H& handler);
  // Longest suffix of the window that is a proper prefix of some delimiter.
  [[nodiscard]] std::size_t prefix_at_end(const window& w) const noexcept {
    const std::size_t n = w.size();
    const std::size_t most = std::min(n, longest_ - 1);
    for (std::size_t l = most; l > 0; --l) {
      for (std::size_t i = 0; i < count_; ++i) {
        const std::string& d = delims_[i];
        if (d.size() <= l || d[l - 1] != w.at(n - 1)) continue;
        bool ok = true;
        for (std::size_t j = 0; j < l && ok; ++j) ok = w.at(n - l + j) == d[j];
        if (ok) return l;
      }
    }
    return 0;
  }
  [[nodiscard]] collected slice(const window& w, std::size_t from, std::size_t to) const noexcept {
    const std::size_t c = w.carry.size();
    if (from >= c) return {{}, std::string_view(w.chunk + (from - c), to - from)};
    if (to <= c) return {w.carry.substr(from, to - from), {}};
    return {w.carry.substr(from), std::string_view(w.chunk, to - c)};
  }

  // Moves other's state here and leaves other as a new multi_framer: a
  // moved-from string may be left with anything, and count_ and the tables
  // beside the delimiters must agree with them.
  void take(multi_framer& other) noexcept {
    for (std::size_t i = 0; i < max_delimiters; ++i) {
      delims_[i] = std::move(other.delims_[i]);
      other.delims_[i].clear();
    }
    by_length_ = std::exchange(other.by_length_, {});
    last_bytes_ = std::exchange(other.last_bytes_, {});
    count_ = std::exchange(other.count_, 0);
    longest_ = std::exchange(other.longest_, 0);
    last_bytes_count_ = std::exchange(other.last_bytes_count_, 0);
    short_pairs_ = std::exchange(other.short_pairs_, false);
    by_byte_before_ = std::exchange(other.by_byte_before_, {});
    alone_ = std::exchange(other.alone_, no_delimiter);
    carry_ = std::move(other.carry_);
    other.carry_.clear();
    in_feed_ = std::exchange(other.in_feed_, false);
    discarded_ = std::exchange(other.discarded_, false);
    short_frames_ = std::exchange(other.short_frames_, true);
  }

  std::array<std::string, max_delimiters> delims_;
  std::array<std::uint8_t, max_delimiters> by_length_{};
  std::array<char, max_delimiters> last_bytes_{};
  std::size_t count_ = 0;
  std::size_t longest_ = 0;
  std::size_t last_bytes_count_ = 0;
  static constexpr std::uint8_t no_delimiter = 0xFF;
  bool short_pairs_ = false;                        // see set_delimiters()
  std::array<std::uint8_t, 256> by_byte_before_{};  // two-byte delimiter by its first byte
  std::uint8_t alone_ = no_delimiter;               // the one-byte delimiter, if any
  std::string carry_;
  bool in_feed_ = false;
  bool discarded_ = false;
  bool short_frames_ = true;  // the frames seen last were short: use find_short()
};

template <multi_framing_handler H>
feed_result multi_framer::feed(std::string_view chunk, H& handler) {
  if (in_feed_) return {0, errc::reentrant_feed};
  if (count_ == 0) return {0, errc::invalid_delimiters};
  in_feed_ = true;
  discarded_ = false;
  // The window is re-based after every frame: the carry (short) is consumed
  // by the first frame that passes it; from then on the window is the chunk.
  std::string_view carry = carry_;
  const char* k = chunk.data();
  const char* const end = k + chunk.size();
  struct reset_guard {
    bool& flag;
    ~reset_guard() { flag = false; }
  } guard{in_feed_};
  detail::byte_scanner candidates(k, end, last_bytes_[0]);
  try {
    for (;;) {
      if (carry.empty() && last_bytes_count_ == 1 && short_frames_ &&
          !short_run(k, candidates, handler))
        break;
      const window w{carry, k, static_cast<std::size_t>(end - k)};
      if (w.size() == 0) break;
      match m{};
      if (!(carry.empty() && last_bytes_count_ == 1 && short_frames_ &&
            find_short(w, candidates, m))) {
        m = find(w);
        if (m.start < detail::byte_scanner::kShortGap && m.which != none) short_frames_ = true;
      }
      if (m.which != none) {
        if (m.start > 0) handler.on_collect(slice(w, 0, m.start));
        if (discarded_) break;
        // Consume through the delimiter before on_found(), as framer does.
        if (m.end <= carry.size()) {
          carry.remove_prefix(m.end);
        } else {
          k += m.end - carry.size();
          carry = {};
        }
        handler.on_found(m.which);
        if (discarded_) break;
        continue;
      }
      const std::size_t p = prefix_at_end(w);
      if (p != w.size()) {
        handler.on_collect(slice(w, 0, w.size() - p));
        if (discarded_) break;
      }
      // Hold back the last p bytes: a suffix of the held-back bytes (which
      // are themselves a suffix of carry_) followed by the rest of the chunk.
      const collected tail = slice(w, w.size() - p, w.size());
      if (tail.carried.empty()) {
        carry_.assign(tail.fresh);
      } else {
        carry_.erase(0, carry_.size() - tail.carried.size());
        carry_.append(tail.fresh);
      }
      return {chunk.size(), errc::ok};
    }
  } catch (...) {
    // Keep what was not framed yet for the next feed(), as framer does.
    const std::size_t keep_at = static_cast<std::size_t>(carry.data() - carry_.data());
    if (!carry.empty())
      carry_.erase(0, keep_at);
    else
      carry_.clear();
    carry_.append(k, static_cast<std::size_t>(end - k));
    throw;
  }
  if (!discarded_) carry_.assign(carry);  // nothing held back: carry is empty here
  return {chunk.size(), errc::ok};
}

template <multi_framing_handler H>
[[gnu::noinline]] bool multi_framer::short_run(const char*& k, detail::byte_scanner& shared,
                                               H& handler) {
  // A local copy keeps the scanner in registers; it is handed back on the way
  // out (a throwing callback ends the feed, and the scanner with it).
  detail::byte_scanner candidates = shared;
  const char* frame = k;
  const char* hit = nullptr;
  candidates.drop_before(frame);
  for (;;) {
    const auto found = candidates.next(hit);
    if (found != detail::byte_scanner::gap::hit) {
      if (found == detail::byte_scanner::gap::long_gap) short_frames_ = false;
      shared = candidates;
      return true;  // the general loop goes on from k
    }
    // The longest delimiter that ends at hit and starts at or after frame
    // (ending_at() for a window without held-back bytes).
    std::size_t which = none;
    if (short_pairs_) {
      std::uint8_t w =
          hit != frame ? by_byte_before_[static_cast<unsigned char>(hit[-1])] : no_delimiter;
      if (w == no_delimiter) w = alone_;
      if (w != no_delimiter) which = w;
    }
    for (std::size_t r = 0; !short_pairs_ && r < count_; ++r) {
      const std::string& d = delims_[by_length_[r]];
      const std::size_t len = d.size();
      if (len > static_cast<std::size_t>(hit - frame) + 1) continue;
      const char* const at = hit + 1 - len;
      std::size_t i = 0;
      while (i + 1 < len && at[i] == d[i]) ++i;
      if (i + 1 >= len) {
        which = by_length_[r];
        break;
      }
    }
    if (which == none) {
      candidates.drop_first();
      continue;
    }
    const char* const start = hit + 1 - delims_[which].size();
    if (start != frame)
      handler.on_collect(
          collected{{}, std::string_view(frame, static_cast<std::size_t>(start - frame))});
    if (discarded_) return false;
    // Consume through the delimiter before on_found(), as framer does.
    frame = hit + 1;
    k = frame;
    handler.on_found(which);
    if (discarded_) return false;
    candidates.drop_first();
  }
}

}  // namespace chatframe
