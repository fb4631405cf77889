// chatframe/detail/delimiter_search.hpp — the matcher for one delimiter (framer).
//
// Not part of the public API. A matcher is what the framing engine
// (detail/engine.hpp) asks where frames end; this one finds a single
// delimiter T of length m >= 1 (up to framer_options::max_terminator_length),
// with CPython's rule: the leftmost occurrence. All of it is linear in the
// bytes examined, whatever the input:
//   * find(): the first occurrence in one contiguous range, at memchr speed in
//     the common case (find_byte() for the first byte, a compare for the
//     rest). Verification work is budgeted: when a hostile input makes
//     candidates fail too often (T = "aaab" against "aaaa..."), the rest of
//     the range is searched with the KMP automaton, so the worst case stays
//     O(n) rather than O(n*m).
//   * step(): the KMP automaton, one byte at a time, for a search that starts
//     in the held-back bytes. Its state — the length of the longest suffix
//     of the stream that is a proper prefix of T — is exactly the number of
//     bytes held back, so a search resumes there and never reads the held
//     bytes again.
//   * state_at_end(): that state after a range known to hold no T, i.e.
//     CPython's find_prefix_at_end (asynchat.py:310-314) in O(m), not O(m^2).
//   * candidates() / at_candidate(): T's first byte found 64 bytes at a time
//     and the rest compared, for runs of short frames.
// No allocation happens outside assign(), which reuses its capacity.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "chatframe/detail/byte_search.hpp"
#include "chatframe/detail/work_count.hpp"

namespace chatframe::detail {

class delimiter_search {
 public:
  // The KMP state: how many bytes of T the stream's end matches.
  using partial = std::uint32_t;
  using scanner = byte_scanner;
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
  // Delimiters up to this long use the short-frame run: a failed candidate
  // costs at most three compares there.
  static constexpr std::size_t kShortDelimiter = 4;

  void assign(std::string_view delimiter) {
    pattern_.assign(delimiter);
    const std::size_t m = pattern_.size();
    border_.resize(m);
    if (m == 0) return;
    border_[0] = 0;
    partial k = 0;
    for (std::size_t i = 1; i < m; ++i) {
      while (k > 0 && pattern_[i] != pattern_[k]) k = border_[k - 1];
      if (pattern_[i] == pattern_[k]) ++k;
      border_[i] = k;
    }
  }

  [[nodiscard]] std::string_view pattern() const noexcept { return pattern_; }
  [[nodiscard]] std::size_t size() const noexcept { return pattern_.size(); }

  // --- the plain search, one byte at a time -------------------------------

  [[nodiscard]] static constexpr partial start() noexcept { return 0; }
  // The state after the held-back bytes, kept between feeds (engine.hpp).
  [[nodiscard]] partial& resume() noexcept { return resume_; }
  // Feeds one byte to the automaton; true when T ends at it (which = 0).
  bool step(partial& q, char c, std::size_t& which) const noexcept {
    q = next(q, c);
    which = 0;
    return q == pattern_.size();
  }
  // How many bytes before the next one a match in progress began.
  [[nodiscard]] static std::size_t reach(partial q) noexcept { return q; }
  // The length of the delimiter `which` names.
  [[nodiscard]] std::size_t length(std::size_t /*which*/) const noexcept { return size(); }
  // The state after [p, p+n), which holds no T: the longest proper prefix of
  // T that ends the range. 0 for one-byte delimiters.
  [[nodiscard]] partial state_at_end(const char* p, std::size_t n) const noexcept {
    const std::size_t m = pattern_.size();
    if (m <= 1 || n == 0) return 0;
    const std::size_t window = n < m - 1 ? n : m - 1;
    // Cheap rejection: the last byte must occur somewhere in the prefix.
    CHATFRAME_WORK(m - 1);
    if (std::memchr(pattern_.data(), static_cast<unsigned char>(p[n - 1]), m - 1) == nullptr)
      return 0;
    partial q = 0;
    for (std::size_t i = n - window; i < n; ++i) q = next(q, p[i]);
    return q;
  }

  // --- the fast searches ---------------------------------------------------

  // The first T in [from, end). `near`: whether one is expected close to
  // `from` (find_byte()).
  bool find(const char* from, const char* end, bool near, found_at& at) const noexcept {
    const std::size_t index = find(from, static_cast<std::size_t>(end - from), near);
    if (index == npos) return false;
    at = {from + index, from + index + pattern_.size(), 0};
    return true;
  }
  // Frames are short enough for the run of bitmask candidates to pay.
  [[nodiscard]] bool short_run_ok() const noexcept { return size() <= kShortDelimiter; }
  [[nodiscard]] bool all_one_byte() const noexcept { return size() == 1; }
  // One candidate byte, found with SSE2: the short run built for AVX2 gains nothing.
  static constexpr bool avx2_classified = false;
  [[nodiscard]] scanner candidates(const char* from, const char* end) const noexcept {
    return scanner(from, end, one_byte{pattern_[0]});
  }
  // For a one-byte T every candidate is a match.
  [[nodiscard]] static found_at one_byte_match(const char* hit) noexcept {
    return {hit, hit + 1, 0};
  }
  // Is the candidate at `hit` (T's first byte) the start of T? Undecided when
  // fewer than m bytes are left: the rest may begin T.
  verdict at_candidate(const char* hit, const char* /*frame*/, const char* end,
                       found_at& at) const noexcept {
    const std::size_t m = pattern_.size();
    if (static_cast<std::size_t>(end - hit) < m) return verdict::undecided;
    if (!rest_matches(hit)) return verdict::no_match;
    at = {hit, hit + m, 0};
    return verdict::match;
  }
  // After a frame that ends at `frame`: candidates inside T are not T's start.
  static void after_match(scanner& s, const char* frame) noexcept { s.drop_before(frame); }

  // Offset of the first occurrence of the delimiter in [p, p+n), or npos.
  [[nodiscard]] std::size_t find(const char* p, std::size_t n, bool near = true) const noexcept {
    const std::size_t m = pattern_.size();
    if (n < m) return npos;
    const char* const begin = p;
    const char first = pattern_[0];
    if (m == 1) {
      const char* hit = find_byte(p, p + n, first, near);
      return hit == p + n ? npos : static_cast<std::size_t>(hit - begin);
    }
    // Candidates are positions of the first byte, found with find_byte; each is
    // verified with memcmp. `budget` bounds the verification work by the bytes
    // scanned, so a pathological input hands over to KMP instead of going
    // quadratic.
    const char* const last_start = p + (n - m);
    std::size_t verified = 0;
    while (p <= last_start) {
      const char* hit = find_byte(p, last_start + 1, first, near);
      if (hit > last_start) return npos;
      if (rest_matches(hit)) return static_cast<std::size_t>(hit - begin);
      verified += m;
      p = hit + 1;
      if (verified > 2 * static_cast<std::size_t>(p - begin) + 4 * m + 64)
        return kmp_find(begin, n, static_cast<std::size_t>(p - begin));
    }
    return npos;
  }

  // Compares the delimiter's bytes after the first with those after `hit`
  // (which must have size() - 1 readable bytes after it). Short delimiters
  // ("\r\n", "\r\n\r\n") are compared inline: a call to memcmp for one to
  // three bytes costs more than the comparison.
  [[nodiscard]] bool rest_matches(const char* hit) const noexcept {
    const std::size_t m = pattern_.size();
    CHATFRAME_WORK(m - 1);
    if (m <= 4) {
      for (std::size_t i = 1; i < m; ++i)
        if (hit[i] != pattern_[i]) return false;
      return true;
    }
    return std::memcmp(hit + 1, pattern_.data() + 1, m - 1) == 0;
  }

 private:
  // KMP transition: q = length of the delimiter prefix matched so far.
  // Returns the new length; equal to size() on a full match.
  [[nodiscard]] partial next(partial q, char c) const noexcept {
    CHATFRAME_WORK(1);
    if (q == pattern_.size()) q = border_[q - 1];
    while (q > 0 && pattern_[q] != c) {
      CHATFRAME_WORK(1);
      q = border_[q - 1];
    }
    if (pattern_[q] == c) ++q;
    return q;
  }

  // KMP over [begin+from, begin+n); used only when find()'s budget runs out.
  [[nodiscard]] std::size_t kmp_find(const char* begin, std::size_t n,
                                     std::size_t from) const noexcept {
    const std::size_t m = pattern_.size();
    partial q = 0;
    for (std::size_t i = from; i < n; ++i) {
      q = next(q, begin[i]);
      if (q == m) return i + 1 - m;
    }
    return npos;
  }

  std::string pattern_;
  std::vector<partial> border_;  // border_[i]: longest proper border of pattern_[0..i]
  partial resume_ = 0;
};

}  // namespace chatframe::detail
