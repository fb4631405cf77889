// chatframe/detail/byte_search.hpp — finding candidate bytes, the framers' first filter.
//
// Not part of the public API. A delimiter can only end a frame where one of
// its bytes is: the single delimiter's first byte (delimiter_search.hpp), or
// the last byte of some delimiter of a set (delimiter_set.hpp). This header
// finds those bytes, linearly and without reading past the caller's range:
//   * find_byte(): one byte, memchr-class (an inline 16-byte check, then
//     glibc's memchr);
//   * byte_set::find(): any of up to 16 bytes, 64 bytes per step;
//   * basic_byte_scanner: the candidates of a range in order, cut from 64-byte
//     bitmasks, for ranges where they are close together (short frames).
// What a matcher then reports about a candidate is found_at / verdict below.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "chatframe/detail/work_count.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace chatframe::detail {

// A 128-byte block's bitmask (GCC and Clang have the type).
__extension__ using uint128 = unsigned __int128;

// A delimiter found in a contiguous range: the frame's bytes end at `start`,
// the next frame begins at `stop`, and `which` names the delimiter (0 for a
// single one).
struct found_at {
  const char* start;
  const char* stop;
  std::size_t which;
};

// What a matcher says of a candidate byte.
enum class verdict : std::uint8_t {
  match,      // a delimiter is there (found_at filled in)
  no_match,   // none is: drop the candidate
  undecided,  // too close to the range's end to tell: what is left may begin one
};

// First occurrence of byte c in [p, end), or end. `near`: the caller expects
// the byte within a few bytes, so the first 16 are checked inline before
// calling memchr (an inline check beats the call for short frames; glibc's
// memchr beats inline blocks past that: bench/NOTES.md, "find_byte"); a
// caller that expects it far away goes straight to memchr.
inline const char* find_byte(const char* p, const char* end, char c, bool near = true) noexcept {
  const char* const from = p;
#if defined(__SSE2__)
  const __m128i needle = _mm_set1_epi8(c);
  for (int block = 0; near && block < 1 && end - p >= 16; ++block, p += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, needle)));
    if (mask != 0) {
      CHATFRAME_WORK(p - from + __builtin_ctz(mask) + 1);
      return p + __builtin_ctz(mask);
    }
  }
#endif
  if (p >= end) {
    CHATFRAME_WORK(p - from);
    return end;
  }
  const void* hit =
      std::memchr(p, static_cast<unsigned char>(c), static_cast<std::size_t>(end - p));
  const char* const at = hit != nullptr ? static_cast<const char*>(hit) : end;
  CHATFRAME_WORK(at - from + (at != end ? 1 : 0));
  return at;
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

// The byte a single delimiter's candidates begin with: a needle set of one,
// compared once per 16 bytes.
struct one_byte {
  using mask_type = std::uint64_t;
  static constexpr std::size_t block = 64;
  char c;
  [[nodiscard]] std::uint64_t mask(const char* p, std::size_t n) const noexcept {
    return byte_mask(p, n, c);
  }
};

// Up to 16 distinct needle bytes, found together. One needle is find_byte()
// and byte_mask(). More are classified with two 16-entry tables, one indexed
// by a byte's low half and one by its high half, whose entries AND to
// nonzero exactly for the needles (each needle owns one bit of a table entry,
// 8 per pair of tables): a constant few instructions per 32 bytes however
// many needles there are, with AVX2 (checked at run time; framing/src/
// byte_set.cpp). Without AVX2, each 16 bytes cost one SSE2 compare per needle.
class byte_set {
 public:
  static constexpr std::size_t capacity = 16;

  // Adds c unless it is there; false when the set is full.
  bool add(char c) noexcept {
    if (contains(c)) return true;
    if (count_ == capacity) return false;
    const auto b = static_cast<unsigned char>(c);
    bytes_[count_] = c;
    const auto bit = static_cast<std::uint8_t>(1u << (count_ % 8));
    nibbles_[count_ / 8].low[b & 0xF] |= bit;
    nibbles_[count_ / 8].high[b >> 4] |= bit;
    ++count_;
    member_[b] = true;
    return true;
  }
  [[nodiscard]] bool contains(char c) const noexcept {
    return member_[static_cast<unsigned char>(c)];
  }
  [[nodiscard]] std::size_t size() const noexcept { return count_; }

  // Bit i set iff p[i] is in the set, for i < n <= 64.
  [[nodiscard]] std::uint64_t mask(const char* p, std::size_t n) const noexcept {
    if (count_ == 1) return byte_mask(p, n, bytes_[0]);
#if defined(__SSE2__)
    if (n == 64) {
      if (count_ == 2) return mask64<2>(p);
      if (wide()) return mask64_avx2(p);
      switch (count_) {
        case 3: return mask64<3>(p);
        case 4: return mask64<4>(p);
        case 5: return mask64<5>(p);
        case 6: return mask64<6>(p);
        default: break;
      }
    }
#endif
    std::uint64_t mask = 0;
    for (std::size_t i = 0; i < n; ++i) mask |= static_cast<std::uint64_t>(contains(p[i])) << i;
    return mask;
  }

  // mask() of 128 bytes.
  [[nodiscard]] uint128 mask128(const char* p) const noexcept {
    if (count_ > 1 && wide()) return mask128_avx2(p);
    return static_cast<uint128>(mask(p, 64)) | static_cast<uint128>(mask(p + 64, 64)) << 64;
  }

  // The first byte of [p, end) in the set, or end.
  [[nodiscard]] const char* find(const char* p, const char* end) const noexcept {
    if (count_ == 1) return find_byte(p, end, bytes_[0], false);
    const char* const from = p;
    if (wide()) p = find_avx2(p, end);
    for (; p != end; p += 64) {
      const auto n = static_cast<std::size_t>(end - p) < 64 ? static_cast<std::size_t>(end - p)
                                                            : std::size_t{64};
      const std::uint64_t m = mask(p, n);
      if (m != 0) {
        p += __builtin_ctzll(m);
        break;
      }
      if (n < 64) {
        p = end;
        break;
      }
    }
    CHATFRAME_WORK(p - from + (p != end ? 1 : 0));
    return p;
  }

  // Two 16-entry tables: a byte is needle j (j % 8 here) iff
  // low[byte & 15] & high[byte >> 4] has bit j % 8.
  struct nibble_tables {
    std::array<std::uint8_t, 16> low{};
    std::array<std::uint8_t, 16> high{};
  };
  [[nodiscard]] const nibble_tables& tables(std::size_t half) const noexcept {
    return nibbles_[half];
  }

 private:
#if defined(__SSE2__)
  // K needles (K = size()), 64 bytes: one compare per needle and 16 bytes.
  template <std::size_t K>
  [[nodiscard]] std::uint64_t mask64(const char* p) const noexcept {
    __m128i needles[K];
    for (std::size_t j = 0; j < K; ++j) needles[j] = _mm_set1_epi8(bytes_[j]);
    std::uint64_t mask = 0;
    for (std::size_t i = 0; i < 64; i += 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
      __m128i hits = _mm_cmpeq_epi8(v, needles[0]);
      for (std::size_t j = 1; j < K; ++j) hits = _mm_or_si128(hits, _mm_cmpeq_epi8(v, needles[j]));
      mask |= static_cast<std::uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(hits))) << i;
    }
    return mask;
  }
#endif
  // Whether to use the AVX2 functions (framing/src/byte_set.cpp).
  [[nodiscard]] static bool wide() noexcept { return has_avx2; }
  static const bool has_avx2;
  [[nodiscard]] std::uint64_t mask64_avx2(const char* p) const noexcept;
  [[nodiscard]] uint128 mask128_avx2(const char* p) const noexcept;
  // Skips 64-byte blocks without a needle; returns the first block with one,
  // or where fewer than 64 bytes are left.
  [[nodiscard]] const char* find_avx2(const char* p, const char* end) const noexcept;

  std::array<nibble_tables, 2> nibbles_{};  // needles 0-7, then 8-15
  std::array<char, capacity> bytes_{};
  std::array<bool, 256> member_{};
  std::size_t count_ = 0;
};

// A byte_set's needles for a basic_byte_scanner, by reference, 128 bytes a
// block: one AVX2 call classifies them.
struct set_needles {
  using mask_type = uint128;
  static constexpr std::size_t block = 128;
  const byte_set* set;
  [[nodiscard]] mask_type mask(const char* p, std::size_t n) const noexcept {
    if (n == block) return set->mask128(p);
    const std::size_t low = n < 64 ? n : 64;
    mask_type m = set->mask(p, low);
    if (n > 64) m |= static_cast<mask_type>(set->mask(p + 64, n - 64)) << 64;
    return m;
  }
};

// Occurrences of any needle byte in a range, in order, compared a block at a
// time (64 bytes; 128 for a byte_set of several needles, whose compare costs
// more to start): the hits of a block are handed out from its bitmask, so a
// short frame costs a bit scan instead of a search. Meant for ranges where
// hits are close together; 128 bytes without a hit are reported as a long
// gap, for the caller to cross with a search (find_byte(), byte_set::find())
// instead (bench/NOTES.md, "byte_scanner", says why 128 and why 128-byte
// blocks for sets). `Needles` is one_byte or set_needles: a `mask_type` (an
// unsigned integer of `block` bits) and mask(p, n) -> the bitmask of
// [p, p+n), n <= block.
//
// The scanner holds positions into the caller's range and nothing else; it is
// valid as long as that range is (and, for a byte_set, as long as the set).
template <class Needles>
class basic_byte_scanner {
  using mask_type = typename Needles::mask_type;
  static constexpr std::size_t block = Needles::block;

 public:
  basic_byte_scanner(const char* from, const char* end, Needles needles) noexcept
      : base_(from), next_(from), end_(end), needles_(needles) {}

  enum class gap : std::uint8_t { hit, long_gap, none_before_end };
  // Bytes without a candidate that make a long gap.
  static constexpr std::size_t kShortGap = 128;

  // The first candidate not yet dropped, in `hit`; or says that the next
  // kShortGap bytes hold none, or that the rest of the range holds none.
  gap next(const char*& hit) noexcept {
    if (mask_ == 0) [[unlikely]] {
      const gap g = refill();
      if (g != gap::hit) return g;
    }
    hit = base_ + lowest_bit(mask_);
    return gap::hit;
  }
  // Drops the candidate next() gave.
  void drop_first() noexcept { mask_ &= mask_ - 1; }
  // Drops every candidate before `from`, which never moves backwards.
  void drop_before(const char* from) noexcept {
    const auto shift = static_cast<std::size_t>(from > base_ ? from - base_ : 0);
    mask_ = shift >= block ? 0 : mask_ & (~mask_type{0} << shift);
    if (next_ < from) next_ = from;
  }

 private:
  static std::size_t lowest_bit(mask_type m) noexcept {
    if constexpr (block == 64) {
      return static_cast<std::size_t>(__builtin_ctzll(m));
    } else {
      const auto low = static_cast<std::uint64_t>(m);
      return low != 0 ? static_cast<std::size_t>(__builtin_ctzll(low))
                      : 64 + static_cast<std::size_t>(
                                 __builtin_ctzll(static_cast<std::uint64_t>(m >> 64)));
    }
  }
  // Compares the next blocks until one holds a candidate (gap::hit).
  gap refill() noexcept {
    for (std::size_t empty_blocks = 0;;) {
      const auto left = static_cast<std::size_t>(end_ - next_);
      base_ = next_;
      if (left < block) {
        CHATFRAME_WORK(left);
        mask_ = left == 0 ? 0 : needles_.mask(next_, left);
        next_ = end_;
        return mask_ == 0 ? gap::none_before_end : gap::hit;
      }
      CHATFRAME_WORK(block);
      mask_ = needles_.mask(next_, block);
      next_ += block;
      if (mask_ != 0) return gap::hit;
      if (++empty_blocks == kShortGap / block) return gap::long_gap;
    }
  }

  const char* base_;  // bit i of mask_ stands for base_[i]
  const char* next_;  // the first byte not yet compared
  const char* end_;
  mask_type mask_ = 0;
  Needles needles_;
};

using byte_scanner = basic_byte_scanner<one_byte>;

}  // namespace chatframe::detail
