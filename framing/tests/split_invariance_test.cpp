// split_invariance_test.cpp — how a stream is cut into chunks never changes
// its frames.
//
// Each vector pairs a stream with a terminator program (see
// framing_test_support.hpp) and the frames CPython's handle_read produces
// for it (asynchat.py:140-191). Each is fed whole, split at every offset,
// split at every pair of offsets, and byte by byte; all must give exactly
// the expected frames: the completed frames, the data collected after the
// last found, and the bytes still held back.
#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <vector>

#include "chatframe/terminator.hpp"
#include "framing_test_support.hpp"

namespace {

using chatframe::terminator;
using chatframe::testing::frames;
using chatframe::testing::terminator_program;

struct split_vector {
  const char* name;
  std::string stream;
  terminator_program program;
  frames expected;
};

terminator B(std::string_view d) { return terminator::bytes(d); }
terminator N(std::int64_t n) { return terminator::count(n); }

const std::vector<split_vector>& vectors() {
  static const std::vector<split_vector> v = {
      {"crlf_lines_with_empty_line_and_partial_delimiter",
       "hello\r\nworld\r\n\r\npartial\r",
       {B("\r\n")},
       {{"hello", "world", ""}, "partial", "\r"}},
      {"lf_lines", "a\nbb\n\nccc", {B("\n")}, {{"a", "bb", ""}, "ccc", ""}},
      {"self_overlapping_aab", "aaab aab aaaab", {B("aab")}, {{"a", " ", " aa"}, "", ""}},
      {"self_overlapping_abab", "abababxabab", {B("abab")}, {{"", "abx"}, "", ""}},
      {"runs_of_the_delimiter_byte", "qqqqqqq", {B("qqq")}, {{"", ""}, "", "q"}},
      {"lone_cr_before_crlf", "ab\r\r\n", {B("\r\n")}, {{"ab\r"}, "", ""}},
      {"long_delimiter_held_at_end",
       "data--bound--more--bou",
       {B("--bound--")},
       {{"data"}, "more", "--bou"}},
      {"length_prefixed_records",
       "5\nhello3\nabc\nrest",
       {B("\n"), N(5), B("\n"), N(3), B("\n")},
       {{"5", "hello", "3", "abc", ""}, "rest", ""}},
      {"header_then_counted_body_then_delimiter",
       "HEADER\r\n\r\nbody-of-10XYZ",
       {B("\r\n\r\n"), N(10), B("Z")},
       {{"HEADER", "body-of-10", "XY"}, "", ""}},
      {"none_collects_everything", "anything\r\n", {terminator::none()}, {{}, "anything\r\n", ""}},
      {"empty_delimiter_collects_everything", "xy\nz", {B("")}, {{}, "xy\nz", ""}},
      {"count_then_none", "abcdefg", {N(3), terminator::none()}, {{"abc"}, "defg", ""}},
      {"count_completes_then_zero", "abcdefg", {N(3)}, {{"abc"}, "defg", ""}},
      {"repeated_counts", "abcdef", {N(2), N(2), N(2)}, {{"ab", "cd", "ef"}, "", ""}},
      {"delimiter_then_count_zero", "x\nrest\nmore", {B("\n"), N(0)}, {{"x"}, "rest\nmore", ""}},
      {"switching_delimiters",
       "a\r\nb::c\r\n",
       {B("\r\n"), B("::"), B("\r\n")},
       {{"a", "b", "c"}, "", ""}},
      {"count_spanning_a_delimiter_lookalike",
       "ab\r\n\r\ncd\r\n",
       {N(4), B("\r\n")},
       {{"ab\r\n", "", "cd"}, "", ""}},
      {"delimiter_inside_prefix_run", "aabaabaaab", {B("aaab")}, {{"aabaab"}, "", ""}},
      {"count_of_one", "xyz", {N(1), N(1), N(1)}, {{"x", "y", "z"}, "", ""}},
      {"held_prefix_then_mismatch", "ab\rc\r\n", {B("\r\n")}, {{"ab\rc"}, "", ""}},
  };
  return v;
}

class SplitInvariance : public ::testing::TestWithParam<split_vector> {};

TEST_P(SplitInvariance, WholeStreamGivesTheExpectedFrames) {
  const split_vector& v = GetParam();
  EXPECT_EQ(chatframe::testing::frame_at_once(v.stream, v.program), v.expected);
}

TEST_P(SplitInvariance, SplitAtEveryOffsetGivesTheSameFrames) {
  const split_vector& v = GetParam();
  for (std::size_t i = 0; i <= v.stream.size(); ++i)
    EXPECT_EQ(chatframe::testing::frame_with_cuts(v.stream, v.program, {i}), v.expected)
        << "split at " << i;
}

TEST_P(SplitInvariance, SplitAtEveryPairOfOffsetsGivesTheSameFrames) {
  const split_vector& v = GetParam();
  for (std::size_t i = 0; i <= v.stream.size(); ++i)
    for (std::size_t j = i; j <= v.stream.size(); ++j)
      EXPECT_EQ(chatframe::testing::frame_with_cuts(v.stream, v.program, {i, j}), v.expected)
          << "split at " << i << " and " << j;
}

TEST_P(SplitInvariance, ByteByByteGivesTheSameFrames) {
  const split_vector& v = GetParam();
  EXPECT_EQ(chatframe::testing::frame_byte_by_byte(v.stream, v.program), v.expected);
}

TEST_P(SplitInvariance, EmptyChunksBetweenBytesChangeNothing) {
  const split_vector& v = GetParam();
  std::vector<std::size_t> cuts;
  for (std::size_t i = 0; i <= v.stream.size(); ++i) {
    cuts.push_back(i);
    cuts.push_back(i);
  }
  EXPECT_EQ(chatframe::testing::frame_with_cuts(v.stream, v.program, cuts), v.expected);
}

INSTANTIATE_TEST_SUITE_P(Vectors, SplitInvariance, ::testing::ValuesIn(vectors()),
                         [](const ::testing::TestParamInfo<split_vector>& param_info) {
                           return std::string(param_info.param.name);
                         });

}  // namespace
