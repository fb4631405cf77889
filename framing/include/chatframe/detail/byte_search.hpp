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

// x86-64 with GCC or Clang: code built for AVX2 by function attribute runs
// where the CPU has it (checked at run time), though the build is not -mavx2.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CHATFRAME_AVX2_RUNS 1
#include <immintrin.h>
#else
#define CHATFRAME_AVX2_RUNS 0
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

  // mask() of 128 bytes. Inside code built for AVX2 (engine.hpp's
  // short_delimiter_run_avx2()) the classifier is inlined; elsewhere it is a call.
  [[nodiscard]] uint128 mask128(const char* p) const noexcept {
#if CHATFRAME_AVX2_RUNS
    if (count_ > 1 && wide()) return mask128_avx2(p);
#endif
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
  // Whether the AVX2 classifier runs (the CPU has AVX2).
  [[nodiscard]] static bool wide() noexcept { return has_avx2; }

 private:
  static const bool has_avx2;
  [[nodiscard]] std::uint64_t mask64_avx2(const char* p) const noexcept;
#if CHATFRAME_AVX2_RUNS
  [[gnu::target("avx2")]] [[nodiscard]] uint128 mask128_avx2(const char* p) const noexcept;
#endif
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
  // Skips 64-byte blocks without a needle; returns the first block with one,
  // or where fewer than 64 bytes are left.
  [[nodiscard]] const char* find_avx2(const char* p, const char* end) const noexcept;

  std::array<nibble_tables, 2> nibbles_{};  // needles 0-7, then 8-15
  std::array<char, capacity> bytes_{};
  std::array<bool, 256> member_{};
  std::size_t count_ = 0;
};

#if CHATFRAME_AVX2_RUNS
// Bit i set iff byte i of the 32 at p is a needle of `set` (AVX2: both
// nibble tables of each half of the set in both lanes, two shuffles, an AND).
// `two_halves`: the set has more than 8 needles. No vector crosses a function
// boundary (no helper returns one), so no ABI depends on how callers were built.
[[gnu::target("avx2")]] inline std::uint32_t classify32(const byte_set& set, bool two_halves,
                                                        const char* p) noexcept {
  const byte_set::nibble_tables& first = set.tables(0);
  const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  const __m256i nibble = _mm256_set1_epi8(0x0F);
  const __m256i low = _mm256_and_si256(v, nibble);
  const __m256i high = _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble);
  __m256i hits = _mm256_and_si256(
      _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(
                              _mm_loadu_si128(reinterpret_cast<const __m128i*>(first.low.data()))),
                          low),
      _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(
                              _mm_loadu_si128(reinterpret_cast<const __m128i*>(first.high.data()))),
                          high));
  if (two_halves) {
    const byte_set::nibble_tables& second = set.tables(1);
    hits = _mm256_or_si256(
        hits, _mm256_and_si256(
                  _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(_mm_loadu_si128(
                                          reinterpret_cast<const __m128i*>(second.low.data()))),
                                      low),
                  _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(_mm_loadu_si128(
                                          reinterpret_cast<const __m128i*>(second.high.data()))),
                                      high)));
  }
  const __m256i none = _mm256_cmpeq_epi8(hits, _mm256_setzero_si256());
  return ~static_cast<std::uint32_t>(_mm256_movemask_epi8(none));
}

// Bit i set iff byte i of the 64 at p is a needle of `set`.
[[gnu::target("avx2")]] inline std::uint64_t classify64(const byte_set& set,
                                                        const char* p) noexcept {
  const bool two_halves = set.size() > 8;
  return static_cast<std::uint64_t>(classify32(set, two_halves, p)) |
         static_cast<std::uint64_t>(classify32(set, two_halves, p + 32)) << 32;
}

[[gnu::target("avx2")]] inline uint128 byte_set::mask128_avx2(const char* p) const noexcept {
  return static_cast<uint128>(classify64(*this, p)) |
         static_cast<uint128>(classify64(*this, p + 64)) << 64;
}
#endif

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
  // A 128-byte block's mask is handed out 64 bits at a time: the bit scan
  // and the drop of a candidate stay single 64-bit instructions.
  static constexpr bool halves = block == 128;

 public:
  basic_byte_scanner(const char* from, const char* end, Needles needles) noexcept
      : base_(from), next_(from), end_(end), needles_(needles) {}

  enum class gap : std::uint8_t { hit, long_gap, none_before_end };
  // Bytes without a candidate that make a long gap.
  static constexpr std::size_t kShortGap = 128;

  // The first candidate not yet dropped, in `hit`; or says that the next
  // kShortGap bytes hold none, or that the rest of the range holds none.
  // `kInlineRefill`: the block compares are inlined into the caller's loop
  // (the caller's choice: see engine.hpp, short_run()).
  template <bool kInlineRefill = true>
  gap next(const char*& hit) noexcept {
    if (mask_ == 0) [[unlikely]] {
      const gap g = kInlineRefill ? refill() : refill_out_of_line();
      if (g != gap::hit) return g;
    }
    hit = base_ + static_cast<unsigned>(__builtin_ctzll(mask_));
    return gap::hit;
  }
  // Drops the candidate next() gave.
  void drop_first() noexcept { mask_ &= mask_ - 1; }
  // Drops every candidate before `from`, which never moves backwards.
  void drop_before(const char* from) noexcept {
    const auto shift = static_cast<std::size_t>(from > base_ ? from - base_ : 0);
    mask_ = shift >= 64 ? 0 : mask_ & (~std::uint64_t{0} << shift);
    if constexpr (halves) {
      if (shift > 64) high_ = shift >= 128 ? 0 : high_ & (~std::uint64_t{0} << (shift - 64));
    }
    if (next_ < from) next_ = from;
  }

 private:
  // The low half of mask_ is this one's; for halves, the high half goes to high_.
  void take(mask_type m) noexcept {
    mask_ = static_cast<std::uint64_t>(m);
    if constexpr (halves) high_ = static_cast<std::uint64_t>(m >> 64);
  }
  // refill() as a call.
  [[gnu::noinline]] gap refill_out_of_line() noexcept { return refill(); }
  // Compares the next blocks until one holds a candidate (gap::hit).
  gap refill() noexcept {
    if (hand_over_high()) return gap::hit;  // the second half of the last block
    for (std::size_t empty_blocks = 0;;) {
      const auto left = static_cast<std::size_t>(end_ - next_);
      base_ = next_;
      if (left < block) {
        CHATFRAME_WORK(left);
        take(left == 0 ? mask_type{0} : needles_.mask(next_, left));
        next_ = end_;
        if (mask_ == 0 && !hand_over_high()) return gap::none_before_end;
        return gap::hit;
      }
      CHATFRAME_WORK(block);
      take(needles_.mask(next_, block));
      next_ += block;
      if (mask_ != 0 || hand_over_high()) return gap::hit;
      if (++empty_blocks == kShortGap / block) return gap::long_gap;
    }
  }
  // An empty low half: moves to the high half if it holds a candidate.
  // (Without halves, high_ is always 0.)
  bool hand_over_high() noexcept {
    if constexpr (halves) {
      if (high_ != 0) {
        base_ += 64;
        mask_ = high_;
        high_ = 0;
        return true;
      }
    }
    return false;
  }

  const char* base_;  // bit i of mask_ stands for base_[i]
  const char* next_;  // the first byte not yet compared
  const char* end_;
  std::uint64_t mask_ = 0;
  std::uint64_t high_ = 0;  // halves: the candidates of base_[64, 128), not yet handed out
  Needles needles_;
};

using byte_scanner = basic_byte_scanner<one_byte>;

}  // namespace chatframe::detail
