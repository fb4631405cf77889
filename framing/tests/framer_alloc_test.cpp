// framer_alloc_test.cpp — framer, multi_framer and frame_assembler when
// memory runs out, with a replaced global operator new (this executable only).
//
// The framers copy payload in one place: after a callback threw, the unread
// rest of the chunk is kept for the next feed(). frame_assembler copies a
// frame still open when a chunk ends. When either copy cannot be made, bytes
// are gone; these tests pin down that it is said, and that no frame is made
// of bytes that do not belong together. A property runs framer and
// multi_framer against the reference model (reference_model.hpp) under
// random streams, chunkings and callback programs whose throws may find no
// memory, with the gap accepted (discard()) at random points between feeds;
// another runs frame_assembler over both against the model assembler.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cstddef>
#include <cstdint>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "chatframe/frame_assembler.hpp"
#include "chatframe/framer.hpp"
#include "chatframe/multi_framer.hpp"
#include "limited_allocator.hpp"
#include "limited_allocator_operators.hpp"
#include "program_gen.hpp"
#include "starving_program.hpp"

using limited_allocator::memory_runs_out;

namespace {

using chatframe::errc;

// Frames as strings; room reserved up front, so that recording them needs no
// memory while it runs out. on_found() throws once when told to.
struct lines {
  std::vector<std::string> got;
  std::string line;
  bool throw_on_found = false;
  lines() {
    got.reserve(16);
    line.reserve(256);
  }
  void on_collect(const chatframe::collected& data) { data.append_to(line); }
  void on_found() {
    got.push_back(line);
    line.clear();
    if (throw_on_found) {
      throw_on_found = false;
      throw std::runtime_error("handler failed");
    }
  }
  void on_found(std::size_t /*which*/) { on_found(); }
};

// "one\n", then a rest of 40 bytes: keeping it takes more than 16 bytes.
const std::string kChunk = "one\n" + std::string(36, 'r') + "\nend";

template <class Framer>
void bytes_that_cannot_be_kept_stop_framing_until_discard(Framer& f) {
  lines h;
  h.throw_on_found = true;
  {
    const memory_runs_out no_memory(16);
    // The callback's exception cannot leave the framer as it promises (the
    // rest of the chunk kept): what comes out is the lack of memory.
    EXPECT_THROW((void)f.feed(kChunk, h), std::bad_alloc);
  }
  EXPECT_EQ(f.bytes_lost(), kChunk.size() - 4);
  EXPECT_TRUE(f.held().empty());
  // Framing on would make "rrr...r" + "\n" + "end" + "next" one stream,
  // and "endnext" a line that was never sent.
  const chatframe::feed_result refused = f.feed("next\n", h);
  EXPECT_EQ(refused.consumed, 0U);
  EXPECT_EQ(refused.error, errc::input_lost);
  EXPECT_EQ(f.bytes_lost(), kChunk.size() - 4);  // still refused, still said
  EXPECT_EQ(f.feed("next\n", h).error, errc::input_lost);
  EXPECT_EQ(h.got, (std::vector<std::string>{"one"}));
  // discard() accepts the gap: the next byte starts the stream afresh.
  f.discard();
  EXPECT_EQ(f.bytes_lost(), 0U);
  const chatframe::feed_result resumed = f.feed("next\n", h);
  EXPECT_EQ(resumed.consumed, 5U);
  EXPECT_EQ(resumed.error, errc::ok);
  EXPECT_EQ(h.got, (std::vector<std::string>{"one", "next"}));
}

TEST(FramerAllocation, BytesAThrowLeftThatCannotBeKeptStopFramingUntilDiscard) {
  chatframe::framer f;
  ASSERT_EQ(f.set_terminator(chatframe::terminator::bytes("\n")), errc::ok);
  bytes_that_cannot_be_kept_stop_framing_until_discard(f);
}

TEST(FramerAllocation, MultiFramerBytesThatCannotBeKeptStopFramingUntilDiscard) {
  chatframe::multi_framer f;
  const std::string_view delimiters[] = {"\n", "\r\n"};
  ASSERT_EQ(f.set_delimiters(delimiters), errc::ok);
  bytes_that_cannot_be_kept_stop_framing_until_discard(f);
}

TEST(FramerAllocation, TheBytesLostCountHeldBytesNotYetFramedToo) {
  chatframe::framer f;
  ASSERT_EQ(f.set_terminator(chatframe::terminator::bytes("\n")), errc::ok);
  struct counted {  // allocates nothing: memory runs out in the middle
    std::size_t found = 0;
    std::size_t throw_at = 0;
    void on_collect(const chatframe::collected& /*data*/) {}
    void on_found() {
      if (++found == throw_at) throw std::runtime_error("handler failed");
    }
  } h;
  h.throw_at = 1;
  EXPECT_THROW((void)f.feed(kChunk, h), std::runtime_error);  // with memory: the rest is held
  ASSERT_EQ(f.held().size(), 40U);                            // 36 r, "\n", "end"
  const std::string next(60, 'n');  // more than the held bytes' storage has room for
  h.throw_at = 2;                   // at the held line of r
  {
    const memory_runs_out no_memory(16);
    EXPECT_THROW((void)f.feed(next, h), std::bad_alloc);
  }
  EXPECT_EQ(h.found, 2U);
  EXPECT_EQ(f.bytes_lost(), 3 + next.size());  // "end", held and not yet framed, and the chunk
}

// A chunk that ends in the first 18 bytes of a 20-byte delimiter: "abc" is
// collected, and the 18 bytes are held back, which takes memory.
template <class Framer>
void a_partial_delimiter_that_cannot_be_held_is_all_that_is_lost(Framer& f) {
  lines h;
  const std::string chunk = "abc" + std::string(18, '#');
  {
    const memory_runs_out no_memory(16);
    EXPECT_THROW((void)f.feed(chunk, h), std::bad_alloc);
  }
  EXPECT_EQ(h.line, "abc");        // collected before the holding back failed
  EXPECT_EQ(f.bytes_lost(), 18U);  // not "abc", which was framed
  EXPECT_TRUE(f.held().empty());
  EXPECT_EQ(f.feed("##x", h).error, errc::input_lost);
  f.discard();
  h.line.clear();
  EXPECT_EQ(f.feed("x" + std::string(20, '#'), h).error, errc::ok);
  EXPECT_EQ(h.got, (std::vector<std::string>{"x"}));
}

TEST(FramerAllocation, APartialDelimiterNoMemoryCouldHoldBackIsAllThatIsLost) {
  chatframe::framer f;
  ASSERT_EQ(f.set_terminator(chatframe::terminator::bytes(std::string(20, '#'))), errc::ok);
  a_partial_delimiter_that_cannot_be_held_is_all_that_is_lost(f);
}

TEST(FramerAllocation, MultiFramerAPartialDelimiterNoMemoryCouldHoldBackIsAllThatIsLost) {
  chatframe::multi_framer f;
  const std::string long_one(20, '#');
  const std::string_view delimiters[] = {long_one, "\n"};
  ASSERT_EQ(f.set_delimiters(delimiters), errc::ok);
  a_partial_delimiter_that_cannot_be_held_is_all_that_is_lost(f);
}

TEST(FramerAllocation, WithMemoryTheRestOfTheChunkIsKeptAndNothingIsLost) {
  // The same throw with memory to spare: the rest is framed by the next feed().
  chatframe::framer f;
  ASSERT_EQ(f.set_terminator(chatframe::terminator::bytes("\n")), errc::ok);
  lines h;
  h.throw_on_found = true;
  EXPECT_THROW((void)f.feed(kChunk, h), std::runtime_error);
  EXPECT_EQ(f.bytes_lost(), 0U);
  EXPECT_EQ(f.held(), std::string_view(kChunk).substr(4));
  EXPECT_EQ(f.feed("next\n", h).error, errc::ok);
  EXPECT_EQ(h.got, (std::vector<std::string>{"one", std::string(36, 'r'), "endnext"}));
}

struct frames {
  std::vector<std::string> got;
  std::vector<chatframe::frame_error> limits;
  bool throw_on_limit = false;
  frames() {
    got.reserve(16);
    limits.reserve(16);
  }
  void on_frame(std::string_view frame, std::size_t /*which*/) { got.emplace_back(frame); }
  void on_limit(const chatframe::frame_error& e) {
    limits.push_back(e);
    if (throw_on_limit) {
      throw_on_limit = false;
      throw std::runtime_error("sink failed");
    }
  }
};

TEST(FrameAssemblerAllocation, TheOpenFrameIsDroppedWithTheBytesTheFramerLost) {
  chatframe::framer f;
  ASSERT_EQ(f.set_terminator(chatframe::terminator::bytes("\n")), errc::ok);
  frames s;
  chatframe::frame_assembler<frames> a(s, {.max_frame_size = 10});
  ASSERT_EQ(a.feed(f, "ab").error, errc::ok);  // open, copied out of the chunk
  EXPECT_EQ(a.frame_bytes(), 2U);
  s.throw_on_limit = true;
  const std::string chunk = std::string(33, 'c') + "\n";
  {
    const memory_runs_out no_memory(16);
    // "ab" + 33 bytes outgrows the maximum; on_limit() throws; the framer
    // cannot keep the chunk to deliver it again.
    EXPECT_THROW((void)a.feed(f, chunk), std::bad_alloc);
  }
  EXPECT_EQ(f.bytes_lost(), 34U);
  EXPECT_EQ(a.frame_bytes(), 0U);  // "ab" went with the rest of its frame
  EXPECT_EQ(a.feed(f, "xy\n").error, errc::input_lost);
  f.discard();
  EXPECT_EQ(a.feed(f, "xy\n").error, errc::ok);
  EXPECT_EQ(s.got, (std::vector<std::string>{"xy"}));  // never "abxy"
}

TEST(FrameAssemblerAllocation, AnOpenFrameThatCannotBeCopiedIsSkippedAndReportedWhereItEnds) {
  chatframe::framer f;
  ASSERT_EQ(f.set_terminator(chatframe::terminator::bytes("\n")), errc::ok);
  frames s;
  chatframe::frame_assembler<frames> a(s);
  const std::string open(30, 'o');  // longer than a string holds without memory
  const std::string chunk = "one\n" + open;
  {
    const memory_runs_out no_memory(16);
    const chatframe::feed_result r = a.feed(f, chunk);
    EXPECT_EQ(r.consumed, 4 + open.size());
    EXPECT_EQ(r.error, errc::ok);
  }
  EXPECT_EQ(a.frame_bytes(), 0U);  // no view into the chunk that is gone
  EXPECT_EQ(a.feed(f, "-tail\ntwo\n").error, errc::ok);
  EXPECT_EQ(s.got, (std::vector<std::string>{"one", "two"}));
  ASSERT_EQ(s.limits.size(), 1U);
  EXPECT_EQ(s.limits[0].code, errc::frame_not_kept);
  EXPECT_EQ(s.limits[0].bytes, open.size());
}

TEST(FrameAssemblerAllocation, AFrameThatCannotBeCopiedAndEndsWithTheStreamIsReportedByFinish) {
  chatframe::framer f;
  ASSERT_EQ(f.set_terminator(chatframe::terminator::bytes("\n")), errc::ok);
  frames s;
  chatframe::frame_assembler<frames> a(s);
  const std::string open(30, 'o');
  {
    const memory_runs_out no_memory(16);
    EXPECT_EQ(a.feed(f, open).error, errc::ok);
  }
  a.finish(f, chatframe::eof_policy::deliver);
  EXPECT_TRUE(s.got.empty());
  ASSERT_EQ(s.limits.size(), 1U);
  EXPECT_EQ(s.limits[0].code, errc::frame_not_kept);
  EXPECT_EQ(s.limits[0].bytes, 30U);
  // The next stream starts clean.
  EXPECT_EQ(a.feed(f, "new\n").error, errc::ok);
  EXPECT_EQ(s.got, (std::vector<std::string>{"new"}));
}

// --- against the reference model ---------------------------------------------

using chatframe::testing::program;

// The engine's log and the model's (starving_program.hpp) must be equal.
template <class Framer>
void agree_with_the_model(const std::vector<std::string>& delimiters,
                          const std::vector<std::string>& chunks, const program& p,
                          const chatframe::testing::starvation& s, const char* name) {
  const chatframe::testing::starved_logs logs =
      chatframe::testing::run_starved<Framer>(delimiters, chunks, p, s);
  RC_ASSERT(logs.engine == logs.model);
  RC_CLASSIFY(logs.any_lost, std::string(name) + " lost bytes");
  RC_CLASSIFY(logs.any_lost_at_end, std::string(name) + " lost bytes held back at the end");
}

// The oracle's own rule: a throw that the starvation marks leaves memory
// out until its feed ends, although the feed had it. (Without it, the marks
// on throws would starve nothing, and the properties below still pass.)
TEST(FramerAllocation, InTheOracleAMarkedThrowLeavesNoMemoryToKeepTheRestOfItsFeed) {
  using chatframe::testing::action;
  program p;
  p.in_second = {action{action::kind::raise, {}}};  // on_found() throws
  chatframe::testing::starvation s;
  const std::vector<std::string> chunks = {"a\n" + std::string(32, 'x')};  // a rest of 32 bytes
  s.second = {true};
  const chatframe::testing::starved_logs marked =
      chatframe::testing::run_starved<chatframe::multi_framer>({"\n"}, chunks, p, s);
  EXPECT_TRUE(marked.any_lost);
  EXPECT_EQ(marked.engine, marked.model);
  s.second = {false};
  const chatframe::testing::starved_logs not_marked =
      chatframe::testing::run_starved<chatframe::multi_framer>({"\n"}, chunks, p, s);
  EXPECT_FALSE(not_marked.any_lost);
  EXPECT_EQ(not_marked.engine, not_marked.model);
}

// Which throws find no memory (of the first 20 calls of each callback),
// which feeds run out of it (half of them), and after which feeds the
// gap is accepted (a quarter of them).
chatframe::testing::starvation starvation_gen() {
  const auto marks = [] {
    return *rc::gen::resize(20, rc::gen::container<std::vector<bool>>(rc::gen::arbitrary<bool>()));
  };
  chatframe::testing::starvation st;
  st.first = marks();
  st.second = marks();
  st.feeds = *rc::gen::container<std::vector<bool>>(rc::gen::arbitrary<bool>());
  st.discards = *rc::gen::container<std::vector<bool>>(
      rc::gen::weightedElement<bool>({{3, false}, {1, true}}));
  return st;
}

// Half the time, delimiters over 16 bytes (lengthened()) and a stream of
// runs of up to 24 bytes, mostly of their first bytes: a chunk then often
// ends in 16 or more bytes of a delimiter, and holding them back takes
// memory.
struct delimited_stream {
  std::vector<std::string> delimiters;
  std::string stream;
};
delimited_stream delimited_stream_gen() {
  delimited_stream out{*chatframe::testing::delimiters_gen(3), chatframe::testing::stream_gen()};
  if (*rc::gen::arbitrary<bool>()) return out;
  out.delimiters = chatframe::testing::lengthened(out.delimiters);
  std::string firsts;
  for (const std::string& d : out.delimiters) firsts += d.front();
  // Runs mostly of a delimiter's first byte.
  const auto letter = rc::gen::weightedOneOf<char>(
      {{3, rc::gen::elementOf(firsts)}, {1, rc::gen::element('a', 'b', '\r', '\n', 'x')}});
  const auto runs =
      *rc::gen::resize(20, rc::gen::container<std::vector<std::pair<char, std::size_t>>>(
                               rc::gen::pair(letter, rc::gen::inRange<std::size_t>(1, 25))));
  out.stream.clear();
  for (const auto& [c, n] : runs) out.stream.append(n, c);
  return out;
}

RC_GTEST_PROP(FramerAllocation, MemoryRunningOutAtAnyThrowGivesTheModelsEventsUnderAnyProgram, ()) {
  const auto [delimiters, stream] = delimited_stream_gen();
  // Chunks of up to 64 bytes: a rest over 15 bytes needs memory to be kept.
  const std::vector<std::string> chunks =
      chatframe::testing::chunks_of(stream, chatframe::testing::chunking_gen(64));
  const program p = chatframe::testing::program_gen(3);
  const chatframe::testing::starvation st = starvation_gen();
  agree_with_the_model<chatframe::multi_framer>(delimiters, chunks, p, st, "multi_framer");
  // framer: the first delimiter of every set.
  agree_with_the_model<chatframe::framer>({delimiters.front()}, chunks,
                                          chatframe::testing::first_delimiters(p), st, "framer");
}

// frame_assembler over the framer, and the model assembler over the model
// (starving_program.hpp), must log the same.
template <class Framer>
void assemble_like_the_model(const std::vector<std::string>& delimiters,
                             const std::vector<std::string>& chunks, const program& p,
                             const chatframe::testing::starvation& s,
                             const chatframe::assembler_options& options,
                             chatframe::eof_policy policy, const std::string& name) {
  const chatframe::testing::starved_logs logs =
      chatframe::testing::run_starved_assembled<Framer>(delimiters, chunks, p, s, options, policy);
  RC_ASSERT(logs.engine == logs.model);
  RC_CLASSIFY(logs.any_lost, name + ": the framer lost bytes");
  RC_CLASSIFY(logs.any_not_kept, name + ": a frame was not kept");
}

// The same starving programs as sink programs (what the i-th on_frame() and
// on_limit() do), through frame_assembler with a random limit, limit action
// and end-of-stream policy, against the model assembler.
RC_GTEST_PROP(FrameAssemblerAllocation,
              MemoryRunningOutAtAnyThrowGivesTheModelsFramesUnderAnyProgram, ()) {
  const std::vector<std::string> delimiters = *chatframe::testing::delimiters_gen(3);
  const std::string stream = chatframe::testing::stream_gen();
  const std::vector<std::string> chunks =
      chatframe::testing::chunks_of(stream, chatframe::testing::chunking_gen(64));
  const program p = chatframe::testing::program_gen(3);
  const chatframe::testing::starvation st = starvation_gen();
  chatframe::assembler_options options;
  options.max_frame_size = *rc::gen::inRange<std::size_t>(1, 48);
  options.on_limit =
      *rc::gen::element(chatframe::limit_action::resync, chatframe::limit_action::close);
  const auto policy =
      *rc::gen::element(chatframe::eof_policy::drop, chatframe::eof_policy::deliver,
                        chatframe::eof_policy::deliver_flagged, chatframe::eof_policy::error);
  assemble_like_the_model<chatframe::multi_framer>(delimiters, chunks, p, st, options, policy,
                                                   "over multi_framer");
  assemble_like_the_model<chatframe::framer>({delimiters.front()}, chunks,
                                             chatframe::testing::first_delimiters(p), st, options,
                                             policy, "over framer");
}

}  // namespace
