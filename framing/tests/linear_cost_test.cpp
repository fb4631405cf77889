// linear_cost_test.cpp — the cost of framing is linear in the bytes fed,
// whatever the input and however it is cut: counted, not timed.
//
// This executable builds its own copy of the framing library with
// CHATFRAME_COUNT_WORK defined (framing/tests/CMakeLists.txt), so that
// detail::work_done counts every byte the engine examines or moves:
// searched by memchr or a block scan, stepped through an automaton,
// compared while verifying a candidate, or copied into and moved within the
// held-back bytes. A count does not depend on the machine or its load, so
// the test cannot be flaky; bench/worst_case_bench.cpp shows the times.
//
// The worst case the issue measured: a 1 MiB delimiter, near misses of it,
// fed in 1-byte and 16-byte chunks. Every chunk then ends with up to 1 MiB
// of held-back bytes that may begin the delimiter; searching them again on
// every chunk made the cost grow with the square of the input (0.36 s for
// 16 Ki one-byte chunks, 1.09 s for 32 Ki, 3.6 s for 64 Ki). Here, doubling
// the input may at most double the work (2.3x allowed), and the work per
// byte stays a small constant.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "chatframe/detail/work_count.hpp"
#include "chatframe/framer.hpp"
#include "chatframe/multi_framer.hpp"

#if !defined(CHATFRAME_COUNT_WORK)
#error "linear_cost_test counts work: build it with CHATFRAME_COUNT_WORK"
#endif

namespace {

constexpr std::size_t kDelimiter = std::size_t{1} << 20;

// 'a' x (1 MiB - 1), then 'b': a stream of 'a's keeps all but one byte of
// it held back and shifts them by one byte per byte fed; 'c' instead of the
// 'b' is a near miss that drops them all.
std::string delimiter() { return std::string(kDelimiter - 1, 'a') + 'b'; }

std::string near_misses(std::size_t n) {
  std::string miss = delimiter();
  miss.back() = 'c';
  std::string s;
  while (s.size() < n) s += miss;
  s.resize(n);
  return s;
}
std::string all_a(std::size_t n) { return std::string(n, 'a'); }

struct counter {
  std::uint64_t frames = 0;
  std::uint64_t bytes = 0;
  void on_collect(const chatframe::collected& d) noexcept { bytes += d.size(); }
  void on_found() noexcept { ++frames; }
  void on_found(std::size_t) noexcept { ++frames; }
};

struct cost {
  std::uint64_t work;
  counter events;
  std::size_t held;
};

// The bound on the work of a run at any point: `per_byte` per byte fed so far,
// plus `once` bytes' worth: work done once whatever the input's length (the
// first byte against a 1 MiB delimiter costs about its length) and bursts
// paid for later (a KMP failure chain).
struct work_bound {
  double per_byte;
  std::size_t once;
};

// Frames `stream` in chunks of `chunk` bytes; the work counted from byte
// `from` on. After every chunk the work so far must stay within `bound`: a
// cost that grows faster than the input fails here, with the figures, as
// soon as it overtakes the bound — not after doing the quadratic work of a
// whole run (minutes, at 1 MiB) to be compared at the end.
template <class Framer>
cost frame(Framer& f, const std::string& stream, std::size_t chunk, work_bound bound,
           std::size_t from = 0) {
  counter c;
  chatframe::detail::work_done = 0;
  for (std::size_t pos = 0; pos < stream.size(); pos += chunk) {
    if (pos == from) chatframe::detail::work_done = 0;
    (void)f.feed(std::string_view(stream).substr(pos, chunk), c);
    const std::size_t fed = pos + chunk - (pos >= from ? from : 0);
    const double allowed = bound.per_byte * static_cast<double>(fed + bound.once);
    if (static_cast<double>(chatframe::detail::work_done) > allowed) {
      ADD_FAILURE() << "work " << chatframe::detail::work_done << " after " << fed
                    << " bytes counted (" << pos + chunk << " of " << stream.size() << " fed in "
                    << chunk << "-byte chunks): over the bound of " << bound.per_byte
                    << " per byte plus " << bound.once
                    << " bytes' worth; the work grows faster than the input (are the held "
                       "bytes searched again on every chunk?)";
      break;
    }
  }
  return {chatframe::detail::work_done, c, f.held().size()};
}

// The 1 MiB delimiter's runs: 8 per byte, and twice its length once.
constexpr work_bound kOneMiBBound{8, 2 * kDelimiter};

cost single(const std::string& stream, std::size_t chunk, std::size_t from = 0) {
  chatframe::framer f;
  EXPECT_EQ(f.set_terminator(chatframe::terminator::bytes(delimiter())), chatframe::errc::ok);
  return frame(f, stream, chunk, kOneMiBBound, from);
}

// At n and 2n bytes: the work at most 2.3x, and at most `per_byte` per byte.
void expect_linear(const cost& at_n, const cost& at_2n, std::size_t n, double per_byte) {
  const double growth = static_cast<double>(at_2n.work) / static_cast<double>(at_n.work);
  std::printf("work: %llu at %zu bytes, %llu at %zu (%.2fx), %.2f per byte\n",
              static_cast<unsigned long long>(at_n.work), n,
              static_cast<unsigned long long>(at_2n.work), 2 * n, growth,
              static_cast<double>(at_2n.work) / static_cast<double>(2 * n));
  EXPECT_LE(growth, 2.3) << "work " << at_n.work << " at " << n << " bytes, " << at_2n.work
                         << " at " << 2 * n;
  EXPECT_LE(static_cast<double>(at_2n.work), per_byte * static_cast<double>(2 * n))
      << "work per byte " << static_cast<double>(at_2n.work) / static_cast<double>(2 * n);
}

// Near misses at 2 MiB (two of them) and 4 MiB (four), in `chunk`-byte chunks.
void near_misses_in_chunks_of(std::size_t chunk) {
  const std::size_t n = std::size_t{2} << 20;
  const cost at_n = single(near_misses(n), chunk);
  if (::testing::Test::HasFailure()) return;
  const cost at_2n = single(near_misses(2 * n), chunk);
  EXPECT_EQ(at_2n.events.frames, 0u);
  EXPECT_EQ(at_2n.events.bytes + at_2n.held, 2 * n);  // every byte collected or held
  expect_linear(at_n, at_2n, n, 8);
}

TEST(LinearCost, NearMissesOfA1MiBDelimiterInOneByteChunks) { near_misses_in_chunks_of(1); }
TEST(LinearCost, NearMissesOfA1MiBDelimiterIn16ByteChunks) { near_misses_in_chunks_of(16); }

// After the first MiB of 'a's, every byte keeps 1 MiB - 1 bytes held, one
// further on: each byte fed then costs the same (counted from there, as the
// first MiB, which only grows the held bytes, costs less per byte).
void shifting_held_bytes_in_chunks_of(std::size_t chunk) {
  const std::size_t n = std::size_t{1} << 20;
  const cost at_n = single(all_a(kDelimiter + n), chunk, kDelimiter);
  if (::testing::Test::HasFailure()) return;
  const cost at_2n = single(all_a(kDelimiter + 2 * n), chunk, kDelimiter);
  EXPECT_EQ(at_2n.held, kDelimiter - 1);
  expect_linear(at_n, at_2n, n, 8);
}

TEST(LinearCost, HeldBytesShiftingByOneByteInOneByteChunks) { shifting_held_bytes_in_chunks_of(1); }
TEST(LinearCost, HeldBytesShiftingByOneByteIn16ByteChunks) { shifting_held_bytes_in_chunks_of(16); }

// 64 KiB and 128 KiB of 'a's in 1-byte chunks through a Framer that
// `configure` gives 64-byte delimiters of 'a' x 63 and a byte of their own:
// 63 bytes stay held, a prefix of every delimiter, and searching them again
// would cost 63 steps per byte and more.
template <class Framer, class Configure>
void expect_63_held_bytes_linear(Configure configure, double per_byte) {
  const auto run = [&](std::size_t n) {
    Framer f;
    configure(f);
    return frame(f, all_a(n), 1, work_bound{per_byte, 4096});
  };
  const std::size_t n = std::size_t{1} << 16;
  const cost at_n = run(n);
  const cost at_2n = run(2 * n);
  EXPECT_EQ(at_2n.held, 63u);
  expect_linear(at_n, at_2n, n, per_byte);
}

TEST(LinearCost, ADelimiterSetsHeldBytesAreNotSearchedAgain) {
  // Sixteen delimiters, ending in 'b' to 'q'.
  std::string ends = "bcdefghijklmnopq";
  std::string storage[16];
  std::string_view set[16];
  for (std::size_t i = 0; i < 16; ++i) {
    storage[i] = std::string(63, 'a') + ends[i];
    set[i] = storage[i];
  }
  // A byte steps sixteen Shift-And words: the constant is the set's size.
  expect_63_held_bytes_linear<chatframe::multi_framer>(
      [&](chatframe::multi_framer& f) { EXPECT_EQ(f.set_delimiters(set), chatframe::errc::ok); },
      64);
}

TEST(LinearCost, ASingleDelimitersHeldBytesAreNotSearchedAgain) {
  // framer's matcher (KMP) as the set's above: small enough that searching
  // the held bytes again fails here at once, where the 1 MiB cases would
  // first do the quadratic work they count.
  const std::string delim = std::string(63, 'a') + 'b';
  expect_63_held_bytes_linear<chatframe::framer>(
      [&](chatframe::framer& f) {
        EXPECT_EQ(f.set_terminator(chatframe::terminator::bytes(delim)), chatframe::errc::ok);
      },
      8);
}

TEST(LinearCost, TheCountIsNotZero) {
  // The instrumentation itself: a search counts what it examines.
  const cost c = single(near_misses(4096), 4096);
  EXPECT_GE(c.work, 4096u);
}

}  // namespace
