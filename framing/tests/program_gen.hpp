// program_gen.hpp — rapidcheck generators of the callback programs
// (callback_program.hpp), streams and chunkings that the reference-model
// properties draw: reference_model_test.cpp, framer_alloc_test.cpp.
#pragma once

#include <rapidcheck.h>

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "callback_program.hpp"

namespace chatframe::testing {

inline rc::Gen<std::string> delimiter_gen() {
  return rc::gen::mapcat(rc::gen::inRange<std::size_t>(1, 5), [](std::size_t len) {
    return rc::gen::container<std::string>(len, rc::gen::element('a', 'b', '\r', '\n'));
  });
}
inline rc::Gen<std::vector<std::string>> delimiters_gen(std::size_t most) {
  return rc::gen::mapcat(rc::gen::inRange<std::size_t>(1, most + 1), [](std::size_t n) {
    return rc::gen::container<std::vector<std::string>>(n, delimiter_gen());
  });
}
inline rc::Gen<action> action_gen(std::size_t most_delimiters) {
  using K = action::kind;
  return rc::gen::weightedOneOf<action>({
      {10, rc::gen::just(action{})},
      {3, rc::gen::map(delimiters_gen(most_delimiters),
                       [](std::vector<std::string> d) {
                         return action{K::set, std::move(d)};
                       })},
      {1, rc::gen::just(action{K::discard, {}})},
      {1, rc::gen::just(action{K::raise, {}})},
  });
}
inline program program_gen(std::size_t most_delimiters) {
  const auto actions = [&] {
    return *rc::gen::resize(20,
                            rc::gen::container<std::vector<action>>(action_gen(most_delimiters)));
  };
  program p;
  p.in_first = actions();
  p.in_second = actions();
  return p;
}
inline std::string stream_gen() {
  return *rc::gen::resize(
      200, rc::gen::container<std::string>(rc::gen::element('a', 'b', '\r', '\n', 'x')));
}
// Chunk sizes, up to `most`: the stream is cut into pieces of these sizes in turn.
inline std::vector<std::size_t> chunking_gen(std::size_t most = 16) {
  return *rc::gen::container<std::vector<std::size_t>>(rc::gen::inRange<std::size_t>(0, most + 1));
}

}  // namespace chatframe::testing
