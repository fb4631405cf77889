// length_field_properties_test.cpp — the length-field decoder against its
// reference model (reference_length_field.hpp) and the encoder against the
// decoder, for every combination of options, under random streams, chunkings
// and callback programs (length_field_harness.hpp says what is compared).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "length_field_harness.hpp"

namespace {

using chatframe::byte_order;
using chatframe::length_field_options;
using chatframe::oversized_action;
namespace t = chatframe::testing;

// Draws from rapidcheck, so that a failure shrinks. Over the whole range in
// every case: rapidcheck scales inRange() by the case's size (0 to 100 over a
// run), which kept the early cases' choices near `lo` — a stream's later
// kinds of record, for one, came up only in the last cases of a run.
std::uint64_t rc_draw(std::uint64_t lo, std::uint64_t hi) {
  return *rc::gen::resize(100, rc::gen::inRange<std::uint64_t>(lo, hi + 1));
}

// Every combination of the options that change how a header is read or what
// becomes of a record: width, byte order, where the strip ends, the sign of
// the adjustment, skip or stop, fail-fast — with each kind of handler.
struct combination {
  std::size_t width;
  byte_order order;
  int strip;       // 0: the header (unset), 1: 0, 2: inside the header, 3: beyond it
  int adjustment;  // 0: 0, 1: -H (the field counts the record), 2: +3, 3: -1
  oversized_action action;
  bool fail_fast;
};

std::vector<combination> every_combination() {
  std::vector<combination> all;
  for (const std::size_t w : {1, 2, 3, 4, 8})
    for (const byte_order order : {byte_order::big, byte_order::little})
      for (int strip = 0; strip < 4; ++strip)
        for (int adj = 0; adj < 4; ++adj)
          for (const oversized_action a : {oversized_action::skip, oversized_action::stop})
            for (const bool ff : {true, false}) all.push_back({w, order, strip, adj, a, ff});
  return all;
}

length_field_options options_of(const combination& c, std::size_t offset, std::size_t max) {
  length_field_options o{.length_offset = offset,
                         .length_width = c.width,
                         .order = c.order,
                         .max_frame_length = max,
                         .fail_fast = c.fail_fast,
                         .on_oversized = c.action};
  const auto h = static_cast<std::int64_t>(o.header_length());
  const std::int64_t adjustments[] = {0, -h, 3, -1};
  o.length_adjustment = adjustments[c.adjustment];
  if (c.strip == 1) o.strip = 0;
  if (c.strip == 2) o.strip = o.header_length() - 1;
  if (c.strip == 3) o.strip = o.header_length() + 2;
  return o;
}

// Every option combination, with each handler kind, three streams, programs
// and chunkings each; with long_records, streams with records over 1 KiB in
// chunks that hold them (t::for_long_records()).
void every_combination_frames_as_the_model(bool long_records) {
  std::mt19937_64 rng(long_records ? 20261206 : 20261204);
  auto draw = [&](std::uint64_t lo, std::uint64_t hi) {
    return std::uniform_int_distribution<std::uint64_t>(lo, hi)(rng);
  };
  std::size_t runs = 0;
  for (const combination& c : every_combination()) {
    for (int kind = 0; kind < 4; ++kind) {
      for (int rep = 0; rep < 3; ++rep) {
        length_field_options o = options_of(c, draw(0, 2), draw(0, 30));
        const t::callback_program p = t::draw_program(draw);
        std::vector<std::size_t> cuts = t::draw_cuts(draw);
        if (long_records) t::for_long_records(o, cuts);
        const std::vector<std::string> chunks =
            t::chunks_of(t::draw_stream(draw, o, long_records), cuts);
        const t::verdict v =
            t::compare_with_model(static_cast<t::handler_kind>(kind), o, chunks, p);
        ASSERT_TRUE(v.ok) << v.what << "\n  decoder: " << v.decoder << "\n  model:   " << v.model
                          << "\n  width " << c.width << " strip kind " << c.strip
                          << " adjustment kind " << c.adjustment << " handler " << kind;
        ++runs;
      }
    }
  }
  EXPECT_EQ(runs, 640U * 4 * 3);
}

TEST(LengthFieldModel, EveryOptionCombinationWithEveryHandlerFramesAsTheModel) {
  every_combination_frames_as_the_model(false);
}

// Records of over 1 KiB take a record run's other schedule, and short ones
// after them switch it back (engine::record_run()).
TEST(LengthFieldModel, EveryOptionCombinationFramesLongRecordsAndShortOnesAfterThemAsTheModel) {
  every_combination_frames_as_the_model(true);
}

TEST(LengthFieldRoundTrip, EveryOptionCombinationGivesItsRecordsBack) {
  std::mt19937_64 rng(7);
  auto draw = [&](std::uint64_t lo, std::uint64_t hi) {
    return std::uniform_int_distribution<std::uint64_t>(lo, hi)(rng);
  };
  for (const combination& c : every_combination()) {
    const length_field_options o = options_of(c, draw(0, 2), draw(0, 1) ? 300 : 20);
    std::vector<std::string> bodies(draw(0, 6));
    for (std::string& b : bodies) b = t::draw_bytes(draw, draw(0, 40));
    const t::verdict v = t::round_trip(o, bodies, t::draw_cuts(draw));
    ASSERT_TRUE(v.ok) << v.what << " width " << c.width << " strip kind " << c.strip
                      << " adjustment kind " << c.adjustment;
  }
}

RC_GTEST_PROP(LengthFieldModel, AnyOptionsStreamChunkingAndCallbackProgramAgreeWithTheModel, ()) {
  length_field_options o = t::draw_options(rc_draw);
  // Half the cases read a 3-byte field, in either byte order: its load is the
  // only one the fast path does not take from a machine word (field_reader<3>),
  // and one width in five left a swapped byte order to the exhaustive test
  // (framing/tests/MUTATIONS.md, 09). Any options are valid with any width.
  if (rc_draw(0, 1) == 0) o.length_width = 3;
  const auto kind = static_cast<t::handler_kind>(rc_draw(0, 3));
  const t::callback_program p = t::draw_program(rc_draw);
  const std::vector<std::string> chunks =
      t::chunks_of(t::draw_stream(rc_draw, o), t::draw_cuts(rc_draw));
  const t::verdict v = t::compare_with_model(kind, o, chunks, p);
  RC_ASSERT(v.ok);
}

// Records of over 1 KiB take a record run's other schedule, and short ones
// after them switch it back (engine::record_run()): both, with any options,
// handler and callback program, in chunks that hold several records whole.
RC_GTEST_PROP(LengthFieldModel, RunsOfLongRecordsAndShortOnesAfterThemAgreeWithTheModel, ()) {
  length_field_options o = t::draw_options(rc_draw);
  const auto kind = static_cast<t::handler_kind>(rc_draw(0, 3));
  const t::callback_program p = t::draw_program(rc_draw);
  std::vector<std::size_t> cuts = t::draw_cuts(rc_draw);
  t::for_long_records(o, cuts);
  const std::vector<std::string> chunks = t::chunks_of(t::draw_stream(rc_draw, o, true), cuts);
  const t::verdict v = t::compare_with_model(kind, o, chunks, p);
  RC_ASSERT(v.ok);
}

RC_GTEST_PROP(LengthFieldRoundTrip, EncodeThenDecodeGivesTheRecordsBackForAnyOptionsAndBodies, ()) {
  const length_field_options o = t::draw_options(rc_draw);
  std::vector<std::string> bodies(rc_draw(0, 8));
  for (std::string& b : bodies) b = t::draw_bytes(rc_draw, rc_draw(0, 300));
  const t::verdict v = t::round_trip(o, bodies, t::draw_cuts(rc_draw));
  RC_ASSERT(v.ok);
}

}  // namespace
