// chatframe/detail/delimiter_set.hpp — the matcher for a set of delimiters (multi_framer).
//
// Not part of the public API. Up to 16 delimiters of 1 to 64 bytes; a frame
// ends at the delimiter occurrence that ENDS first in the stream, the longest
// of those ending at the same byte, the first given of equal ones. So every
// candidate is the last byte of some delimiter, and the search looks for
// those bytes (byte_set: one compare per distinct last byte and 16 bytes),
// then checks the delimiters that end in the byte found, longest first.
//
// The plain, byte-at-a-time search is Shift-And: per delimiter, a 64-bit
// word whose bit l says "the stream's last l+1 bytes are the delimiter's
// first l+1" (a delimiter ends where its top bit comes up). That state after
// the held-back bytes is kept, so a search never reads them again, and the
// highest live bit gives the held-back length — the longest suffix of the
// stream that is a proper prefix of some delimiter.
//
// Cost: linear in the bytes examined. A candidate costs at most the lengths
// of the delimiters that end in its byte (at most 16 x 64 compares); a
// Shift-And step one compare of each delimiter's bytes with the new byte.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "chatframe/detail/byte_search.hpp"
#include "chatframe/detail/work_count.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace chatframe::detail {

class delimiter_set {
 public:
  static constexpr std::size_t max_delimiters = 16;
  static constexpr std::size_t max_length = 64;

  // Shift-And: bit l of live[i] is set when the stream ends with the first
  // l+1 bytes of delimiter i.
  struct partial {
    std::array<std::uint64_t, max_delimiters> live{};
  };
  using scanner = basic_byte_scanner<set_needles>;

  // 1..16 non-empty delimiters of at most 64 bytes; false (and nothing
  // changed) otherwise.
  bool assign(std::span<const std::string_view> delimiters) noexcept {
    if (delimiters.empty() || delimiters.size() > max_delimiters) return false;
    for (const std::string_view d : delimiters)
      if (d.empty() || d.size() > max_length) return false;
    *this = delimiter_set();
    count_ = delimiters.size();
    for (std::size_t i = 0; i < count_; ++i) {
      const std::string_view d = delimiters[i];
      std::memcpy(pattern_[i].data(), d.data(), d.size());
      length_[i] = static_cast<std::uint8_t>(d.size());
      longest_ = d.size() > longest_ ? d.size() : longest_;
      (void)ends_.add(d.back());  // at most 16 distinct bytes: never full
      for (std::size_t l = 0; l + 1 < d.size(); ++l)
        in_prefix_[static_cast<unsigned char>(d[l])] = true;
      for (const char c : d) in_any_[static_cast<unsigned char>(c)] = true;
    }
    // Grouped by last byte; in a group, longest first, then in given order.
    std::size_t placed = 0;
    for (std::size_t b = 0; b < 256; ++b) {
      const auto c = static_cast<char>(b);
      if (!ends_.contains(c)) continue;
      group_[b].first = static_cast<std::uint8_t>(placed);
      bool simple = true;
      ending& e = by_last_[b];
      for (std::size_t len = longest_; len > 0; --len) {
        for (std::size_t i = 0; i < count_; ++i) {
          if (length_[i] != len || pattern_[i][len - 1] != c) continue;
          const auto index = static_cast<std::uint8_t>(i);
          order_[placed++] = index;
          if (len == 1 && e.single == none) e.single = index;
          if (len == 2 && e.pair == none) {
            e.pair = index;
            e.pair_head = static_cast<unsigned char>(pattern_[i][0]);
          }
          // Simple: one- and two-byte delimiters, the two-byte ones alike.
          if (len > 2 || (len == 2 && static_cast<unsigned char>(pattern_[i][0]) != e.pair_head))
            simple = false;
        }
      }
      group_[b].count = static_cast<std::uint8_t>(placed - group_[b].first);
      if (!simple) e = ending{no_head, none, general};
    }
    return true;
  }

  [[nodiscard]] std::size_t size() const noexcept { return count_; }
  [[nodiscard]] std::string_view delimiter(std::size_t i) const noexcept {
    return {pattern_[i].data(), length_[i]};
  }
  [[nodiscard]] std::size_t length(std::size_t which) const noexcept { return length_[which]; }

  // --- the plain search, one byte at a time -------------------------------

  [[nodiscard]] static partial start() noexcept { return {}; }
  // The state after the held-back bytes, kept between feeds (engine.hpp).
  [[nodiscard]] partial& resume() noexcept { return resume_; }
  // Feeds one byte; true when a delimiter ends at it (`which`: the longest).
  bool step(partial& s, char c, std::size_t& which) const noexcept {
    CHATFRAME_WORK(count_);
    if (!in_any_[static_cast<unsigned char>(c)]) {
      s.live = {};
      return false;
    }
    std::size_t best = 0;
    for (std::size_t i = 0; i < count_; ++i) {
      const std::uint64_t live = ((s.live[i] << 1) | 1) & positions_of(i, c);
      s.live[i] = live;
      if ((live >> (length_[i] - 1) & 1) != 0 && length_[i] > best) {
        best = length_[i];
        which = i;
      }
    }
    return best != 0;
  }
  // How many bytes before the next one the longest match in progress began.
  [[nodiscard]] std::size_t reach(const partial& s) const noexcept {
    std::size_t most = 0;
    for (std::size_t i = 0; i < count_; ++i) {
      const std::size_t r =
          s.live[i] == 0 ? 0 : 64 - static_cast<std::size_t>(__builtin_clzll(s.live[i]));
      most = r > most ? r : most;
    }
    return most;
  }
  // The state after [p, p+n), which holds no delimiter's end.
  [[nodiscard]] partial state_at_end(const char* p, std::size_t n) const noexcept {
    partial s;
    if (longest_ <= 1 || n == 0 || !in_prefix_[static_cast<unsigned char>(p[n - 1])]) return s;
    const std::size_t window = n < longest_ - 1 ? n : longest_ - 1;
    std::size_t ignored = 0;
    for (std::size_t i = n - window; i < n; ++i) (void)step(s, p[i], ignored);
    return s;
  }

  // --- the fast searches ---------------------------------------------------

  // The first delimiter to end in [from, end), starting at or after `from`.
  bool find(const char* from, const char* end, bool /*near*/, found_at& at) const noexcept {
    for (const char* p = from;; ++p) {
      p = ends_.find(p, end);
      if (p == end) return false;
      if (at_candidate(p, from, end, at) == verdict::match) return true;
    }
  }
  // Candidates are verified by at most a few compares each.
  [[nodiscard]] static bool short_run_ok() noexcept { return true; }
  [[nodiscard]] bool all_one_byte() const noexcept { return longest_ == 1; }
  // The short run built for AVX2 (engine.hpp) finds this set's candidates
  // faster: several last bytes, classified by AVX2.
  static constexpr bool avx2_classified = true;
  [[nodiscard]] bool avx2_run() const noexcept { return ends_.size() > 1 && byte_set::wide(); }
  [[nodiscard]] scanner candidates(const char* from, const char* end) const noexcept {
    return scanner(from, end, set_needles{&ends_});
  }
  // Every delimiter is one byte: the candidate is the one that byte is.
  [[nodiscard]] found_at one_byte_match(const char* hit) const noexcept {
    return {hit, hit + 1, by_last_[static_cast<unsigned char>(*hit)].single};
  }
  // The longest delimiter that ends at `hit` and starts at or after `frame`.
  verdict at_candidate(const char* hit, const char* frame, const char* /*end*/,
                       found_at& at) const noexcept {
    const ending e = by_last_[static_cast<unsigned char>(*hit)];
    // One- and two-byte delimiters ({"\r\n", "\n"}): a compare or two decide
    // (pair_head is no byte when there is no two-byte one).
    // One exit for both, so that the usual frame end falls through.
    const bool pair = hit != frame && static_cast<unsigned char>(hit[-1]) == e.pair_head;
    if (pair || e.single < general) [[likely]] {
      at = {hit - (pair ? 1 : 0), hit + 1, pair ? e.pair : e.single};
      return verdict::match;
    }
    if (e.single == none) return verdict::no_match;
    const found_at longest = longest_at(hit, frame);
    if (longest.start == nullptr) return verdict::no_match;
    at = longest;
    return verdict::match;
  }
  // Candidates after a frame's end are still candidates.
  static void after_match(scanner& s, const char* /*frame*/) noexcept { s.drop_first(); }

 private:
  // at_candidate() for a byte some delimiter longer than two bytes ends in:
  // the delimiters that end in it, longest first; start nullptr if none
  // does. Out of line and returning its result: inlined into the short run
  // (which the AVX2 run flattens), it kept the run's candidate mask in memory.
  [[gnu::noinline]] found_at longest_at(const char* hit, const char* frame) const noexcept {
    const group g = group_[static_cast<unsigned char>(*hit)];
    const auto room = static_cast<std::size_t>(hit - frame) + 1;
    for (std::size_t r = g.first; r < std::size_t{g.first} + g.count; ++r) {
      const std::size_t i = order_[r];
      const std::size_t len = length_[i];
      if (len > room) continue;
      if (len == 1 || head_matches(hit + 1 - len, i)) return {hit + 1 - len, hit + 1, i};
    }
    return {nullptr, nullptr, 0};
  }
  // Bytes 0..len-2 of delimiter i are those at p (its last byte is known).
  [[nodiscard]] bool head_matches(const char* p, std::size_t i) const noexcept {
    const std::size_t n = length_[i] - 1u;
    CHATFRAME_WORK(n);
    if (n == 1) return p[0] == pattern_[i][0];
    return std::memcmp(p, pattern_[i].data(), n) == 0;
  }
  // Bit l set iff byte l of delimiter i is c.
  [[nodiscard]] std::uint64_t positions_of(std::size_t i, char c) const noexcept {
    std::uint64_t bits = 0;
#if defined(__SSE2__)
    const __m128i needle = _mm_set1_epi8(c);
    for (std::size_t j = 0; j < 4; ++j) {
      const __m128i v =
          _mm_load_si128(reinterpret_cast<const __m128i*>(pattern_[i].data() + 16 * j));
      bits |= static_cast<std::uint64_t>(
                  static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, needle))))
              << (16 * j);
    }
#else
    for (std::size_t l = 0; l < max_length; ++l)
      bits |= static_cast<std::uint64_t>(pattern_[i][l] == c) << l;
#endif
    const std::size_t len = length_[i];
    return len == 64 ? bits : bits & ((std::uint64_t{1} << len) - 1);
  }

  static constexpr std::uint8_t none = 0xFF;
  static constexpr std::uint8_t general = 0xFE;
  // What ends in one byte, for at_candidate(). When every delimiter that does
  // is one or two bytes long (the two-byte ones alike): the first one-byte
  // one and the first two-byte one, or none. Otherwise single is general and
  // the group is searched.
  static constexpr std::uint16_t no_head = 0x100;
  struct ending {
    std::uint16_t pair_head = no_head;  // the two-byte one's first byte, or no byte
    std::uint8_t pair = none;
    std::uint8_t single = none;
  };
  // The delimiters that end in one byte: order_[first, first + count).
  struct group {
    std::uint8_t first = 0;
    std::uint8_t count = 0;
  };
  struct alignas(16) padded : std::array<char, max_length> {};

  std::array<padded, max_delimiters> pattern_{};  // zero past each delimiter's length
  std::array<std::uint8_t, max_delimiters> length_{};
  std::array<std::uint8_t, max_delimiters> order_{};
  std::array<ending, 256> by_last_{};
  std::array<group, 256> group_{};
  std::array<bool, 256> in_prefix_{};  // bytes of some delimiter other than its last
  std::array<bool, 256> in_any_{};
  byte_set ends_;  // every delimiter's last byte
  std::size_t count_ = 0;
  std::size_t longest_ = 0;
  partial resume_;
};

}  // namespace chatframe::detail
