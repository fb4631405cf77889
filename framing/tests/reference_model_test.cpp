// reference_model_test.cpp — multi_framer and frame_assembler against their
// reference models (reference_model.hpp), under random streams, random
// chunkings and random callback programs: changes, discards and throws from
// inside every callback. Also multi_framer against framer with one
// delimiter, under the same programs.
//
// The event logs must be equal, held() must be equal after every feed, and
// the sink's calls must be equal.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "callback_program.hpp"
#include "chatframe/frame_assembler.hpp"
#include "chatframe/framer.hpp"
#include "chatframe/multi_framer.hpp"
#include "program_gen.hpp"
#include "reference_model.hpp"

namespace {

using chatframe::errc;
using namespace chatframe::testing;  // NOLINT(google-build-using-namespace): the helpers under test

// Sets delimiters that are valid.
template <class Framer>
void set(Framer& f, const std::vector<std::string>& delimiters) {
  RC_ASSERT(chatframe::testing::set_delimiters(f, delimiters) == errc::ok);
}

// Every feed takes the whole chunk without an error.
void whole(const chatframe::feed_result& r, std::size_t size) {
  RC_ASSERT(r.error == errc::ok);
  RC_ASSERT(r.consumed == size);
}

// The log of a framer's events, and of held() after every feed, under a program.
template <class Framer>
std::string framed(Framer& f, const std::vector<std::string>& chunks, const program& p) {
  programmed_handler<Framer> h{{f, p}};
  feed_all(
      f, chunks, h.log, [&](const std::string& c) { return f.feed(c, h); }, whole);
  return h.log;
}

RC_GTEST_PROP(ReferenceModel, MultiFramerGivesTheModelsEventsUnderAnyChunkingAndCallbackProgram,
              ()) {
  const std::vector<std::string> delimiters = *delimiters_gen(6);
  const std::string stream = stream_gen();
  const std::vector<std::string> chunks = chunks_of(stream, chunking_gen());
  const program p = program_gen(6);
  chatframe::multi_framer engine;
  reference_multi_framer model;
  set(engine, delimiters);
  set(model, delimiters);
  RC_ASSERT(framed(engine, chunks, p) == framed(model, chunks, p));
}

RC_GTEST_PROP(ReferenceModel, WithOneDelimiterMultiFramerGivesFramersEventsUnderAnyCallbackProgram,
              ()) {
  const std::vector<std::string> delimiter{*delimiter_gen()};
  const std::string stream = stream_gen();
  const std::vector<std::string> chunks = chunks_of(stream, chunking_gen());
  const program p = program_gen(1);
  chatframe::framer single;
  chatframe::multi_framer multi;
  reference_multi_framer model;
  set(single, delimiter);
  set(multi, delimiter);
  set(model, delimiter);
  const std::string expected = framed(single, chunks, p);
  RC_ASSERT(framed(multi, chunks, p) == expected);
  RC_ASSERT(framed(model, chunks, p) == expected);
}

RC_GTEST_PROP(ReferenceModel, MultiFramerCopiesAndMovesFrameTheRestAsTheOriginalWould, ()) {
  // Between chunks the engine is copied, moved out and back, or copy-assigned:
  // the events stay the model's, and a moved-from multi_framer is a new one.
  const std::vector<std::string> delimiters = *delimiters_gen(6);
  const std::vector<std::string> chunks = chunks_of(stream_gen(), chunking_gen());
  const auto moves = *rc::gen::container<std::vector<int>>(rc::gen::inRange(0, 3));
  const program none;
  chatframe::multi_framer engine;
  reference_multi_framer model;
  set(engine, delimiters);
  set(model, delimiters);
  programmed_handler<chatframe::multi_framer> a{{engine, none}};
  programmed_handler<reference_multi_framer> b{{model, none}};
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    (void)engine.feed(chunks[i], a);
    (void)model.feed(chunks[i], b);
    RC_ASSERT(engine.held() == model.held());
    switch (moves.empty() ? 0 : moves[i % moves.size()]) {
      case 0: {
        const chatframe::multi_framer copy = engine;
        engine = copy;
        break;
      }
      case 1: {
        chatframe::multi_framer moved(std::move(engine));
        // NOLINTNEXTLINE(bugprone-use-after-move): what a moved-from multi_framer is, is the point
        RC_ASSERT(engine.held().empty() && engine.delimiter_count() == 0u);
        engine = std::move(moved);
        break;
      }
      default: break;
    }
  }
  RC_ASSERT(a.log == b.log);
}

// --- frame_assembler -----------------------------------------------------------

struct assembler_case {
  chatframe::assembler_options options;
  chatframe::eof_policy policy;
};
assembler_case assembler_case_gen() {
  const std::size_t limit = *rc::gen::inRange<std::size_t>(1, 13);
  const bool close =
      *rc::gen::weightedOneOf<bool>({{4, rc::gen::just(false)}, {1, rc::gen::just(true)}});
  const auto policy = static_cast<chatframe::eof_policy>(*rc::gen::inRange(0, 4));
  return {{.max_frame_size = limit,
           .on_limit = close ? chatframe::limit_action::close : chatframe::limit_action::resync},
          policy};
}

RC_GTEST_PROP(ReferenceModel, FrameAssemblerGivesTheModelsFramesUnderAnyLimitChunkingAndProgram,
              ()) {
  const std::vector<std::string> delimiters = *delimiters_gen(4);
  const std::vector<std::string> chunks = chunks_of(stream_gen(), chunking_gen());
  const program p = program_gen(4);
  const assembler_case c = assembler_case_gen();

  chatframe::multi_framer engine;
  set(engine, delimiters);
  programmed_sink<chatframe::multi_framer> engine_sink{{engine, p}};
  chatframe::frame_assembler assembler(engine_sink, c.options);

  reference_multi_framer model;
  set(model, delimiters);
  programmed_sink<reference_multi_framer> model_sink{{model, p}};
  reference_frame_assembler model_assembler(model_sink, c.options);

  RC_ASSERT(assembled(engine, assembler, engine_sink.log, chunks, c.policy, whole) ==
            assembled(model, model_assembler, model_sink.log, chunks, c.policy, whole));
}

// Length-prefixed records (callback_program.hpp's record_sink): the sink sets
// the counts through its own assembler, over a framer on both sides. This
// checks the assembler on count frames, which only framer produces.
RC_GTEST_PROP(ReferenceModel, FrameAssemblerGivesTheModelsRecordsFromCounts, ()) {
  const std::string stream =
      *rc::gen::resize(200, rc::gen::container<std::string>(rc::gen::inRange<char>(0, 20)));
  const std::vector<std::string> chunks = chunks_of(stream, chunking_gen());
  const assembler_case c = assembler_case_gen();
  RC_ASSERT(records<false>(chunks, c.options, c.policy, whole) ==
            records<true>(chunks, c.options, c.policy, whole));
}

}  // namespace
