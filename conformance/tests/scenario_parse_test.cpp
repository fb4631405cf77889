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

TEST(ScenarioParsing, IntegersOfHundredsOfDigitsAreIntegersAndPythonsDigitLimitHolds) {
  // nlohmann alone would call 400 digits a number overflow; Python reads
  // up to 4300 digits (sys.get_int_max_str_digits()) and refuses more.
  const auto with_cap = [](const std::string& literal) {
    return cf::parse_scenario(R"({"send_caps":[)" + literal + "]}");
  };
  for (const std::size_t digits : {20U, 400U, 4300U}) {
    const cf::parse_result r = with_cap(std::string(digits, '7'));
    ASSERT_TRUE(r.value) << digits << ": " << r.error;
    EXPECT_EQ(r.value->send_caps.at(0), static_cast<std::uint64_t>(kMost));
  }
  EXPECT_FALSE(with_cap(std::string(4301, '7')).value);
  EXPECT_FALSE(with_cap("0" + std::string(30, '7')).value);   // a leading zero: invalid JSON
  EXPECT_FALSE(with_cap("1." + std::string(30, '7')).value);  // a float, however long
  EXPECT_TRUE(parsed(R"({"recv":[")" + std::string(30, '7') + R"("]})").recv.size() == 1);
}

TEST(ScenarioParsing, AFloatOrABooleanIsNotAnInteger) {
  for (const char* count : {"5.0", "1e3", "1E400", "true", "-0.0"}) {
    const cf::parse_result r =
        cf::parse_scenario(std::string(R"({"terminator":{"count":)") + count + "}}");
    EXPECT_FALSE(r.value) << count;
  }
}

TEST(ScenarioParsing, AByteOrderMarkIsRefusedAsPythonsJsonRefusesIt) {
  EXPECT_TRUE(cf::parse_scenario(R"({"recv":["61"]})").value);
  EXPECT_FALSE(cf::parse_scenario("\xEF\xBB\xBF"
                                  R"({"recv":["61"]})")
                   .value);
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

// True if s is well-formed UTF-8 (enough for these messages: lead bytes and
// the number of continuation bytes each announces).
bool whole_utf8(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    const std::size_t n = b < 0x80         ? 1
                          : (b >> 5) == 6  ? 2
                          : (b >> 4) == 14 ? 3
                          : (b >> 3) == 30 ? 4
                                           : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}

TEST(ScenarioParsing, AnErrorQuotesAShortWholeUtf8StartOfTheInput) {
  // "é" is two bytes: a cut at a fixed byte count would split one.
  std::string key;
  for (int i = 0; i < 100'000; ++i) key += "\xC3\xA9";
  for (const std::string& text : {R"({")" + key + R"(":1})", R"({"start":[[")" + key + R"("]]})",
                                  R"({"in_buffer_size":")" + key + R"("})"}) {
    const cf::parse_result r = cf::parse_scenario(text);
    ASSERT_FALSE(r.value);
    EXPECT_LT(r.error.size(), 120U);
    EXPECT_TRUE(whole_utf8(r.error)) << r.error;
  }
}

TEST(TraceParsing, AnErrorShowsAtMostTheStartOfALongLine) {
  std::vector<cf::event> events;
  std::string error;
  EXPECT_FALSE(cf::parse_trace(std::string(100'000, 'x') + "\n", events, error));
  EXPECT_LT(error.size(), 100U) << error.substr(0, 200);
}

TEST(TraceParsing, EveryFieldOfAnEventIsReadAndCompared) {
  std::vector<cf::event> one, two;
  std::string error;
  ASSERT_TRUE(cf::parse_trace("{\"found\":1}\n{\"close\":1}\n", one, error)) << error;
  ASSERT_TRUE(cf::parse_trace("{\"found\":2}\n{\"close\":1}\n", two, error)) << error;
  EXPECT_EQ(cf::format_trace(two), "{\"found\":2}\n{\"close\":1}\n");
  EXPECT_NE(one, two);
  ASSERT_TRUE(cf::parse_trace("{\"sent\":1,\"send\":\"6162\"}\n", two, error)) << error;
  EXPECT_EQ(two.at(0).type, cf::event::kind::send);  // whatever the key order
  EXPECT_EQ(two.at(0).sent, 1U);
}

TEST(TraceParsing, ALineWithAKeyItsKindDoesNotUseIsRefused) {
  std::vector<cf::event> events;
  std::string error;
  for (const char* line :
       {R"({"found":1,"extra":1})", R"({"recv":"00","sent":1})", R"({"found":1,"close":1})",
        R"({"send":"00"})", R"({"found":"1"})", R"({"close":-1})", R"({})"}) {
    EXPECT_FALSE(cf::parse_trace(std::string(line) + "\n", events, error)) << line;
    EXPECT_NE(error.find("line 1: not a trace event"), std::string::npos) << error;
  }
}

}  // namespace
