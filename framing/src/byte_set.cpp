// The AVX2 half of detail::byte_set (byte_search.hpp) that stays out of line:
// compiled for AVX2 by function attribute and called only where the CPU has
// it, so the library still runs on any x86-64 and elsewhere falls back to the
// header's code. The classifier itself (classify32(), mask128_avx2()) is in
// the header, to be inlined into the engine's AVX2 run.
#include <cstdint>

#include "chatframe/detail/byte_search.hpp"

#if CHATFRAME_AVX2_RUNS

namespace chatframe::detail {

const bool byte_set::has_avx2 = __builtin_cpu_supports("avx2") != 0;

[[gnu::target("avx2")]] std::uint64_t byte_set::mask64_avx2(const char* p) const noexcept {
  return classify64(*this, p);
}

[[gnu::target("avx2")]] const char* byte_set::find_avx2(const char* p,
                                                        const char* end) const noexcept {
  while (end - p >= 64) {
    if (classify64(*this, p) != 0) return p;
    p += 64;
  }
  return p;
}

}  // namespace chatframe::detail

#else

namespace chatframe::detail {

const bool byte_set::has_avx2 = false;
std::uint64_t byte_set::mask64_avx2(const char* /*p*/) const noexcept { return 0; }
const char* byte_set::find_avx2(const char* p, const char* /*end*/) const noexcept { return p; }

}  // namespace chatframe::detail

#endif
