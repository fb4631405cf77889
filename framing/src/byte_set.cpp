// The AVX2 half of detail::byte_set (byte_search.hpp): compiled for AVX2 by
// function attribute and called only where the CPU has it, so the library
// still runs on any x86-64 and elsewhere falls back to the header's code.
#include <cstdint>

#include "chatframe/detail/byte_search.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

namespace chatframe::detail {

// Vectors are passed only between these inline functions, all built for AVX2.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace {

[[gnu::target("avx2")]] inline __m256i both_lanes(const std::array<std::uint8_t, 16>& t) noexcept {
  return _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(t.data())));
}

// Bit i set iff byte i of the 32 at p is a needle of the set.
[[gnu::target("avx2")]] inline std::uint32_t classify32(const byte_set& set, bool two_halves,
                                                        const char* p) noexcept {
  const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  const __m256i nibble = _mm256_set1_epi8(0x0F);
  const __m256i low = _mm256_and_si256(v, nibble);
  const __m256i high = _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble);
  const byte_set::nibble_tables& first = set.tables(0);
  __m256i hits = _mm256_and_si256(_mm256_shuffle_epi8(both_lanes(first.low), low),
                                  _mm256_shuffle_epi8(both_lanes(first.high), high));
  if (two_halves) {
    const byte_set::nibble_tables& second = set.tables(1);
    hits =
        _mm256_or_si256(hits, _mm256_and_si256(_mm256_shuffle_epi8(both_lanes(second.low), low),
                                               _mm256_shuffle_epi8(both_lanes(second.high), high)));
  }
  const __m256i none = _mm256_cmpeq_epi8(hits, _mm256_setzero_si256());
  return ~static_cast<std::uint32_t>(_mm256_movemask_epi8(none));
}

}  // namespace

const bool byte_set::has_avx2 = __builtin_cpu_supports("avx2") != 0;

[[gnu::target("avx2")]] std::uint64_t byte_set::mask64_avx2(const char* p) const noexcept {
  const bool two = count_ > 8;
  return static_cast<std::uint64_t>(classify32(*this, two, p)) |
         static_cast<std::uint64_t>(classify32(*this, two, p + 32)) << 32;
}

[[gnu::target("avx2")]] uint128 byte_set::mask128_avx2(const char* p) const noexcept {
  const bool two = count_ > 8;
  const std::uint64_t low = static_cast<std::uint64_t>(classify32(*this, two, p)) |
                            static_cast<std::uint64_t>(classify32(*this, two, p + 32)) << 32;
  const std::uint64_t high = static_cast<std::uint64_t>(classify32(*this, two, p + 64)) |
                             static_cast<std::uint64_t>(classify32(*this, two, p + 96)) << 32;
  return static_cast<uint128>(low) | static_cast<uint128>(high) << 64;
}

[[gnu::target("avx2")]] const char* byte_set::find_avx2(const char* p,
                                                        const char* end) const noexcept {
  const bool two = count_ > 8;
  while (end - p >= 64) {
    if ((classify32(*this, two, p) | classify32(*this, two, p + 32)) != 0) return p;
    p += 64;
  }
  return p;
}

}  // namespace chatframe::detail

#else

namespace chatframe::detail {

const bool byte_set::has_avx2 = false;
std::uint64_t byte_set::mask64_avx2(const char* /*p*/) const noexcept { return 0; }
uint128 byte_set::mask128_avx2(const char* /*p*/) const noexcept { return 0; }
const char* byte_set::find_avx2(const char* p, const char* /*end*/) const noexcept { return p; }

}  // namespace chatframe::detail

#endif
