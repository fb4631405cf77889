// chatframe/detail/byte_search.hpp — delimiter search used by the framer.
//
// Not part of the public API. The framer needs three things from a delimiter T
// of length m >= 1, all linear in the bytes examined whatever the input:
//   * find(): the first occurrence of T in one contiguous range, at memchr
//     speed in the common case (SSE2 for short distances, glibc memchr for
//     long ones, memcmp to verify). Verification work is budgeted: when a
//     hostile input makes candidates fail too often (T = "aaab" against
//     "aaaa..."), the rest of the range is searched with the KMP automaton,
//     so the worst case stays O(n) rather than O(n*m).
//   * step(): the KMP automaton, for searches that straddle a held-back piece
//     and a new chunk.
//   * prefix_at_end(): the longest proper prefix of T that ends a range — CPython's
//     find_prefix_at_end (asynchat.py:310-314) — in O(m) rather than O(m^2).
// No allocation happens outside assign(), which reuses its capacity.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace chatframe::detail {

// First occurrence of byte c in [p, end), or end. `near`: the caller expects
// the byte within a few bytes, so the first 16 are checked inline before
// calling memchr; a caller that expects it far away goes straight to memchr.
inline const char* find_byte(const char* p, const char* end, char c, bool near = true) noexcept {
#if defined(__SSE2__)
  // Frames are often short: an inline check of the first 16 bytes beats the
  // cost of calling memchr; past that, glibc's memchr (AVX2/EVEX) is faster.
  // (Scanning 64 bytes inline before calling memchr measured 35-40% slower on
  // 128 B lines: the extra blocks cost more than the call they might save.)
  const __m128i needle = _mm_set1_epi8(c);
  for (int block = 0; near && block < 1 && end - p >= 16; ++block, p += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, needle)));
    if (mask != 0) return p + __builtin_ctz(mask);
  }
#endif
  if (p >= end) return end;
  const void* hit =
      std::memchr(p, static_cast<unsigned char>(c), static_cast<std::size_t>(end - p));
  return hit != nullptr ? static_cast<const char*>(hit) : end;
}

// Bit i of the result is set iff p[i] == c, for i < n <= 64. Reads only
// [p, p+n): a block scan never touches bytes past the caller's range.
inline std::uint64_t byte_mask(const char* p, std::size_t n, char c) noexcept {
  std::uint64_t mask = 0;
  std::size_t i = 0;
#if defined(__SSE2__)
  const __m128i needle = _mm_set1_epi8(c);
  for (; i + 16 <= n; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    mask |= static_cast<std::uint64_t>(
                static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, needle))))
            << i;
  }
#endif
  for (; i < n; ++i) mask |= static_cast<std::uint64_t>(p[i] == c) << i;
  return mask;
}

// Occurrences of one byte in a range, in order, compared 64 bytes at a time:
// the hits of a block are handed out from its bitmask, so a short frame costs
// a bit scan instead of a search. Meant for ranges where hits are close
// together; two blocks in a row without a hit are reported as a long gap, for
// the caller to cross with memchr (find_byte) instead. (Two, not one: lines
// of 65-128 bytes, common in line protocols, framed 1.5x faster from blocks
// than with a memchr call each; 16-byte and 4 KiB lines did not change.)
//
// The scanner holds positions into the caller's range and nothing else; it is
// valid as long as that range is.
class byte_scanner {
 public:
  byte_scanner(const char* from, const char* end, char c) noexcept
      : base_(from), next_(from), end_(end), c_(c) {}

  enum class gap : std::uint8_t { hit, long_gap, none_before_end };
  // Blocks in a row without a candidate that make a long gap.
  static constexpr std::size_t kBlocksBeforeLongGap = 2;
  static constexpr std::size_t kShortGap = std::size_t{64} * kBlocksBeforeLongGap;

  // The first candidate not yet dropped, in `hit`; or says that the next 64
  // bytes hold none, or that the rest of the range holds none.
  gap next(const char*& hit) noexcept {
    if (mask_ == 0) [[unlikely]] {
      const gap g = refill();
      if (g != gap::hit) return g;
    }
    hit = base_ + __builtin_ctzll(mask_);
    return gap::hit;
  }
  // Drops the candidate next() gave.
  void drop_first() noexcept { mask_ &= mask_ - 1; }
  // Drops every candidate before `from`, which never moves backwards.
  void drop_before(const char* from) noexcept {
    const auto shift = static_cast<std::size_t>(from > base_ ? from - base_ : 0);
    mask_ = shift >= 64 ? 0 : mask_ & (~std::uint64_t{0} << shift);
    if (next_ < from) next_ = from;
  }

 private:
  // Compares the next blocks until one holds a candidate (gap::hit).
  gap refill() noexcept {
    for (std::size_t empty_blocks = 0;;) {
      const auto left = static_cast<std::size_t>(end_ - next_);
      base_ = next_;
      if (left < 64) {
        mask_ = left == 0 ? 0 : byte_mask(next_, left, c_);
        next_ = end_;
        return mask_ == 0 ? gap::none_before_end : gap::hit;
      }
      mask_ = byte_mask(next_, 64, c_);
      next_ += 64;
      if (mask_ != 0) return gap::hit;
      if (++empty_blocks == kBlocksBeforeLongGap) return gap::long_gap;
    }
  }

  const char* base_;  // bit i of mask_ stands for base_[i]
  const char* next_;  // the first byte not yet compared
  const char* end_;
  std::uint64_t mask_ = 0;
  char c_;
};

class delimiter_search {
 public:
  using state = std::uint32_t;

  void assign(std::string_view delimiter) {
    pattern_.assign(delimiter);
    const std::size_t m = pattern_.size();
    border_.resize(m);
    if (m == 0) return;
    border_[0] = 0;
    state k = 0;
    for (std::size_t i = 1; i < m; ++i) {
      while (k > 0 && pattern_[i] != pattern_[k]) k = border_[k - 1];
      if (pattern_[i] == pattern_[k]) ++k;
      border_[i] = k;
    }
  }

  [[nodiscard]] std::string_view pattern() const noexcept { return pattern_; }
  [[nodiscard]] std::size_t size() const noexcept { return pattern_.size(); }

  // KMP transition: q = length of the delimiter prefix matched so far.
  // Returns the new length; equal to size() on a full match.
  [[nodiscard]] state step(state q, char c) const noexcept {
    if (q == pattern_.size()) q = border_[q - 1];
    while (q > 0 && pattern_[q] != c) q = border_[q - 1];
    if (pattern_[q] == c) ++q;
    return q;
  }

  // Offset of the first occurrence of the delimiter in [p, p+n), or npos.
  // `near` as for find_byte(): whether an occurrence is expected close to p.
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

  // Longest proper prefix of the delimiter that is a suffix of [p, p+n),
  // assuming the delimiter does not occur in it. 0 for one-byte delimiters.
  [[nodiscard]] std::size_t prefix_at_end(const char* p, std::size_t n) const noexcept {
    const std::size_t m = pattern_.size();
    if (m <= 1 || n == 0) return 0;
    const std::size_t window = n < m - 1 ? n : m - 1;
    // Cheap rejection: the last byte must occur somewhere in the prefix.
    if (std::memchr(pattern_.data(), static_cast<unsigned char>(p[n - 1]), m - 1) == nullptr)
      return 0;
    state q = 0;
    for (std::size_t i = n - window; i < n; ++i) q = step(q, p[i]);
    return q;
  }

  // Compares the delimiter's bytes after the first with those after `hit`
  // (which must have size() - 1 readable bytes after it). Short delimiters
  // ("\r\n", "\r\n\r\n") are compared inline: a call to memcmp for one to
  // three bytes costs more than the comparison.
  [[nodiscard]] bool rest_matches(const char* hit) const noexcept {
    const std::size_t m = pattern_.size();
    if (m <= 4) {
      for (std::size_t i = 1; i < m; ++i)
        if (hit[i] != pattern_[i]) return false;
      return true;
    }
    return std::memcmp(hit + 1, pattern_.data() + 1, m - 1) == 0;
  }

  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

 private:
  // KMP over [begin+from, begin+n); used only when find()'s budget runs out.
  [[nodiscard]] std::size_t kmp_find(const char* begin, std::size_t n,
                                     std::size_t from) const noexcept {
    const std::size_t m = pattern_.size();
    state q = 0;
    for (std::size_t i = from; i < n; ++i) {
      q = step(q, begin[i]);
      if (q == m) return i + 1 - m;
    }
    return npos;
  }

  std::string pattern_;
  std::vector<state> border_;  // border_[i]: longest proper border of pattern_[0..i]
};

}  // namespace chatframe::detail
