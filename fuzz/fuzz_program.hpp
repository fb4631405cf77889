// fuzz/fuzz_program.hpp — delimiters and callback programs decoded from fuzz
// input, for the targets that compare the engine with the reference model
// (multi_framer.cc, frame_assembler.cc).
#pragma once

#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "callback_program.hpp"
#include "starving_program.hpp"

namespace chatframe::fuzzing {

// Prints which oracle of `target` failed, and aborts (libFuzzer saves the input).
[[noreturn]] inline void fail(const char* target, const char* what) {
  std::fprintf(stderr, "%s oracle violated: %s\n", target, what);
  std::abort();
}

// 1..most bytes from `alphabet`.
inline std::string letters(FuzzedDataProvider& in, std::string_view alphabet, std::size_t most) {
  std::string s(in.ConsumeIntegralInRange<std::size_t>(1, most), ' ');
  for (char& c : s) c = alphabet[in.ConsumeIntegralInRange<std::size_t>(0, alphabet.size() - 1)];
  return s;
}

// Up to `most` actions, most of them nothing; a set action sets 1..3
// delimiters of up to `longest` bytes from `alphabet`.
inline std::vector<testing::action> actions(FuzzedDataProvider& in, std::string_view alphabet,
                                            std::size_t most, std::size_t longest) {
  std::vector<testing::action> out(in.ConsumeIntegralInRange<std::size_t>(0, most));
  for (testing::action& a : out) {
    const int pick = in.ConsumeIntegralInRange(0, 9);
    if (pick == 6 || pick == 7) {
      a.what = testing::action::kind::set;
      a.delimiters.resize(in.ConsumeIntegralInRange<std::size_t>(1, 3));
      for (std::string& d : a.delimiters) d = letters(in, alphabet, longest);
    } else if (pick == 8) {
      a.what = testing::action::kind::discard;
    } else if (pick == 9) {
      a.what = testing::action::kind::raise;
    }
  }
  return out;
}

// What on_collect() (on_frame()) and on_found() (on_limit()) do, each as actions().
inline testing::program program(FuzzedDataProvider& in, std::string_view alphabet, std::size_t most,
                                std::size_t longest) {
  testing::program p;
  p.in_first = actions(in, alphabet, most, longest);
  p.in_second = actions(in, alphabet, most, longest);
  return p;
}

// Where memory runs out (testing::starvation): up to `most` marks each for
// the throws of either callback, for the feeds, and for the discard()s.
inline testing::starvation starvation(FuzzedDataProvider& in, std::size_t most) {
  testing::starvation s;
  for (auto* marks : {&s.first, &s.second, &s.feeds, &s.discards}) {
    marks->resize(in.ConsumeIntegralInRange<std::size_t>(0, most));
    for (std::size_t i = 0; i < marks->size(); ++i) (*marks)[i] = in.ConsumeBool();
  }
  return s;
}

// True if some action of the program throws.
inline bool throws(const testing::program& p) {
  for (const auto* list : {&p.in_first, &p.in_second})
    for (const testing::action& a : *list)
      if (a.what == testing::action::kind::raise) return true;
  return false;
}

// True if memory may run out under `s` with program `p`: a feed is marked,
// or the program throws (a marked throw, or any throw in a marked feed).
inline bool starves(const testing::program& p, const testing::starvation& s) {
  for (const bool m : s.feeds)
    if (m) return true;
  return throws(p);
}

// Up to 16 chunk sizes of 0 to 40 bytes, for testing::chunks_of().
inline std::vector<std::size_t> chunk_sizes(FuzzedDataProvider& in) {
  std::vector<std::size_t> sizes(in.ConsumeIntegralInRange<std::size_t>(0, 16));
  for (std::size_t& n : sizes) n = in.ConsumeIntegralInRange<std::size_t>(0, 40);
  return sizes;
}

}  // namespace chatframe::fuzzing
