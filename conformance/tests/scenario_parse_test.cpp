// parse_scenario() accepts what conformance/cpython_replay.py accepts and
// refuses what it refuses, whatever the text: Python's json semantics where
// they differ from nlohmann's defaults, and no crash on hostile nesting.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "chatframe/conformance/replay.hpp"
#include "chatframe/conformance/scenario.hpp"

namespace cf = chatframe::conformance;

namespace {

cf::scenario parsed(const std::string& text) {
  const cf::parse_result r = cf::parse_scenario(text);
  EXPECT_TRUE(r.value) << r.error;
  return r.value.value_or(cf::scenario{});
}

constexpr std::int64_t kMost = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kLeast = std::numeric_limits<std::int64_t>::min();

TEST(ScenarioParsing, IntegersBeyondSixtyFourBitsSaturateSinceNoStreamComesNear) {
  // Python reads 2**70 exactly; a count or size that large is never reached.
  const cf::scenario s = parsed(
      R"({"terminator":{"count":1180591620717411303424},"in_buffer_size":18446744073709551615,)"
      R"("on_found":[[["set_terminator",{"count":-1180591620717411303424}]]],)"
      R"("send_caps":[99999999999999999999999]})");
  EXPECT_EQ(s.terminator.count, kMost);
  EXPECT_EQ(s.in_buffer_size, static_cast<std::uint64_t>(kMost));
  EXPECT_EQ(s.on_found.at(0).at(0).term.count, kLeast);  // negative: still CPython's ValueError
  EXPECT_EQ(s.send_caps.at(0), static_cast<std::uint64_t>(kMost));
}

TEST(ScenarioParsing, AFloatOrABooleanIsNotAnInteger) {
  for (const char* count : {"5.0", "1e3", "1E400", "true", "-0.0"}) {
    const cf::parse_result r =
        cf::parse_scenario(std::string(R"({"terminator":{"count":)") + count + "}}");
    EXPECT_FALSE(r.value) << count;
  }
}

TEST(ScenarioParsing, ARepeatedKeyKeepsItsLastValueAsPythonsJsonDoes) {
  EXPECT_EQ(parsed(R"({"in_buffer_size":3,"in_buffer_size":7})").in_buffer_size, 7U);
}

TEST(ScenarioParsing, NestingDeeperThanAnyScenarioIsRefusedWithoutRecursingThatDeep) {
  const std::size_t depth = 1'000'000;
  const std::string text =
      R"({"in_buffer_size":)" + std::string(depth, '[') + std::string(depth, ']') + "}";
  const cf::parse_result r = cf::parse_scenario(text);
  ASSERT_FALSE(r.value);
  EXPECT_EQ(r.error, "invalid JSON");
}

TEST(ScenarioParsing, ModerateNestingIsParsedAndThenRefusedByType) {
  const cf::parse_result r = cf::parse_scenario(R"({"in_buffer_size":[[[1]]]})");
  ASSERT_FALSE(r.value);
  EXPECT_EQ(r.error.rfind("in_buffer_size: expected an integer", 0), 0U) << r.error;
}

TEST(TraceParsing, AnErrorShowsAtMostTheStartOfALongLine) {
  std::vector<cf::event> events;
  std::string error;
  EXPECT_FALSE(cf::parse_trace(std::string(100'000, 'x') + "\n", events, error));
  EXPECT_LT(error.size(), 100U) << error.substr(0, 200);
}

}  // namespace
