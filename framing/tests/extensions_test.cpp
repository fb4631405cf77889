// The opt-in extensions beyond asynchat: several delimiters (multi_framer) and
// whole frames with a size limit and an end-of-stream policy (frame_assembler).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "chatframe/frame_assembler.hpp"
#include "chatframe/framer.hpp"
#include "chatframe/memory_budget.hpp"
#include "chatframe/multi_framer.hpp"
#include "chatframe/outbox.hpp"

namespace {

using chatframe::collected;
using chatframe::errc;

// Records events as text: C(bytes) for a collect, F<which> for a found.
struct recorder {
  std::string log;
  void on_collect(const collected& d) { log += "C(" + d.str() + ")"; }
  void on_found(std::size_t which) { log += "F" + std::to_string(which); }
  void on_found() { log += "F0"; }
};

// Frames as (bytes, which) with the unfinished tail last (which = -1).
struct frame {
  std::string bytes;
  long which;
  friend bool operator==(const frame&, const frame&) = default;
};
struct frame_collector {
  std::vector<frame> frames;
  std::string current;
  void on_collect(const collected& d) { d.append_to(current); }
  void on_found(std::size_t which) {
    frames.push_back({current, static_cast<long>(which)});
    current.clear();
  }
};

chatframe::multi_framer with(std::vector<std::string_view> delims) {
  chatframe::multi_framer f;
  EXPECT_EQ(f.set_delimiters(delims), errc::ok);
  return f;
}

std::vector<frame> frames_of(const std::vector<std::string>& delims,
                             const std::vector<std::string>& chunks) {
  std::vector<std::string_view> views(delims.begin(), delims.end());
  chatframe::multi_framer f;
  EXPECT_EQ(f.set_delimiters(views), errc::ok);
  frame_collector c;
  for (const std::string& chunk : chunks) (void)f.feed(chunk, c);
  std::vector<frame> out = c.frames;
  out.push_back({c.current + std::string(f.held()), -1});
  return out;
}

// Obviously correct: at each position, the earliest end, then the longest.
std::vector<frame> reference_split(const std::vector<std::string>& delims, const std::string& s) {
  std::vector<frame> out;
  std::size_t from = 0;
  for (std::size_t e = 0; e < s.size(); ++e) {
    long best = -1;
    for (std::size_t i = 0; i < delims.size(); ++i) {
      const std::string& d = delims[i];
      if (d.size() > e + 1 - from) continue;
      if (s.compare(e + 1 - d.size(), d.size(), d) != 0) continue;
      if (best < 0 || d.size() > delims[static_cast<std::size_t>(best)].size())
        best = static_cast<long>(i);
    }
    if (best >= 0) {
      const std::size_t len = delims[static_cast<std::size_t>(best)].size();
      out.push_back({s.substr(from, e + 1 - len - from), best});
      from = e + 1;
    }
  }
  out.push_back({s.substr(from), -1});
  return out;
}

std::vector<std::string> cut(const std::string& s, const std::vector<std::size_t>& sizes) {
  std::vector<std::string> chunks;
  std::size_t pos = 0;
  for (std::size_t i = 0; pos < s.size(); ++i) {
    const std::size_t n = sizes.empty() ? s.size() : 1 + sizes[i % sizes.size()] % 13;
    chunks.push_back(s.substr(pos, n));
    pos += n;
  }
  return chunks;
}

TEST(MultiFramer, ReportsWhichDelimiterEndedEachFrame) {
  auto f = with({"\r\n", "\n"});
  recorder r;
  (void)f.feed("a\r\nb\nc\r\n", r);
  EXPECT_EQ(r.log, "C(a)F0C(b)F1C(c)F0");
}

TEST(MultiFramer, EarliestEndWinsOverEarliestStart) {
  auto f = with({"abcd", "c"});
  recorder r;
  (void)f.feed("xabcdy", r);
  EXPECT_EQ(r.log, "C(xab)F1C(dy)");
}

TEST(MultiFramer, LongestWinsWhenTwoEndAtTheSameByte) {
  auto f = with({"\n", "\r\n"});
  recorder r;
  (void)f.feed("a\r\n", r);
  EXPECT_EQ(r.log, "C(a)F1");
}

TEST(MultiFramer, HoldsBackAPrefixOfAnyDelimiterAcrossChunks) {
  auto f = with({"\r\n", "END"});
  recorder r;
  (void)f.feed("abcE", r);
  EXPECT_EQ(f.held(), "E");
  (void)f.feed("N", r);
  EXPECT_EQ(f.held(), "EN");
  (void)f.feed("Dx\r", r);
  EXPECT_EQ(r.log, "C(abc)F1C(x)");
  EXPECT_EQ(f.held(), "\r");
}

TEST(MultiFramer, HeldBackBytesThatTurnOutNotToBeADelimiterAreJoinedWithTheNextChunk) {
  auto f = with({"\r\n", "END"});
  recorder r;
  (void)f.feed("abE", r);
  (void)f.feed("Nx\n", r);
  EXPECT_EQ(r.log, "C(ab)C(ENx\n)");
}

TEST(MultiFramer, FreshViewsPointIntoTheCallersChunk) {
  auto f = with({"\n", ";"});
  const std::string chunk = "abc;def\n";
  struct : recorder {
    std::vector<const char*> starts;
    void on_collect(const collected& d) { starts.push_back(d.fresh.data()); }
  } r;
  (void)f.feed(chunk, r);
  ASSERT_EQ(r.starts.size(), 2u);
  EXPECT_EQ(r.starts[0], chunk.data());
  EXPECT_EQ(r.starts[1], chunk.data() + 4);
}

TEST(MultiFramer, RefusesInvalidDelimiterSets) {
  chatframe::multi_framer f;
  EXPECT_EQ(f.set_delimiters({}), errc::invalid_delimiters);
  const std::vector<std::string_view> empty_one{"\n", ""};
  EXPECT_EQ(f.set_delimiters(empty_one), errc::invalid_delimiters);
  const std::string long_one(65, 'x');
  const std::vector<std::string_view> too_long{long_one};
  EXPECT_EQ(f.set_delimiters(too_long), errc::invalid_delimiters);
  const std::vector<std::string_view> seventeen(17, "x");
  EXPECT_EQ(f.set_delimiters(seventeen), errc::invalid_delimiters);
  recorder r;
  EXPECT_EQ(f.feed("abc", r).error, errc::invalid_delimiters);
}

TEST(MultiFramer, DiscardInsideFoundDropsTheRestOfTheChunk) {
  auto f = with({"\n"});
  struct : recorder {
    chatframe::multi_framer* self = nullptr;
    void on_found(std::size_t w) {
      recorder::on_found(w);
      self->discard();
    }
  } r;
  r.self = &f;
  (void)f.feed("a\nb\nc", r);
  EXPECT_EQ(r.log, "C(a)F0");
  EXPECT_EQ(f.held(), "");
}

TEST(MultiFramer, AThrowingCallbackLosesNoByte) {
  auto f = with({"\n"});
  struct thrower : frame_collector {
    int throw_at = 1;
    int seen = 0;
    void on_found(std::size_t which) {
      frame_collector::on_found(which);
      if (++seen == throw_at) throw std::runtime_error("boom");
    }
  } r;
  EXPECT_THROW((void)f.feed("a\nb\nc", r), std::runtime_error);
  (void)f.feed("d\n", r);
  ASSERT_EQ(r.frames.size(), 3u);
  EXPECT_EQ(r.frames[1].bytes, "b");
  EXPECT_EQ(r.frames[2].bytes, "cd");
}

TEST(MultiFramer, AdversarialInputCompletesCorrectly) {
  const std::string d(64, 'a');
  std::string s(1 << 18, 'a');
  const auto frames = frames_of({d, "b"}, {s});
  EXPECT_EQ(frames.size(), (s.size() / 64) + 1);
}

RC_GTEST_PROP(MultiFramerProperties, AnyTwoChunkingsGiveTheReferenceFrames,
              (std::vector<std::size_t> sizes_a, std::vector<std::size_t> sizes_b)) {
  const auto delim = [] {
    return *rc::gen::container<std::string>(*rc::gen::inRange<std::size_t>(1, 5),
                                            rc::gen::element('a', 'b', '\r', '\n'));
  };
  std::vector<std::string> delims{delim()};
  const auto more = *rc::gen::inRange<std::size_t>(0, 4);
  for (std::size_t i = 0; i < more; ++i) delims.push_back(delim());
  const std::string s =
      *rc::gen::container<std::string>(rc::gen::element('a', 'b', '\r', '\n', 'x'));
  const auto expected = reference_split(delims, s);
  // The reference keeps the unfinished tail and held bytes together, as frames_of does.
  RC_ASSERT(frames_of(delims, cut(s, sizes_a)) == expected);
  RC_ASSERT(frames_of(delims, cut(s, sizes_b)) == expected);
}

RC_GTEST_PROP(MultiFramerProperties, WithOneDelimiterEventsEqualFramersExactly,
              (std::vector<std::size_t> sizes)) {
  const std::string d = *rc::gen::container<std::string>(*rc::gen::inRange<std::size_t>(1, 5),
                                                         rc::gen::element('a', 'b'));
  const std::string s = *rc::gen::container<std::string>(rc::gen::element('a', 'b', 'c'));
  chatframe::framer single;
  RC_ASSERT(single.set_terminator(chatframe::terminator::bytes(d)) == errc::ok);
  chatframe::multi_framer multi;
  const std::vector<std::string_view> one{d};
  RC_ASSERT(multi.set_delimiters(one) == errc::ok);
  recorder a, b;
  for (const std::string& chunk : cut(s, sizes)) {
    (void)single.feed(chunk, a);
    (void)multi.feed(chunk, b);
    RC_ASSERT(single.held() == multi.held());
  }
  RC_ASSERT(a.log == b.log);
}

// --- frame_assembler --------------------------------------------------------

struct sink {
  std::vector<std::string> frames;
  std::vector<const char*> frame_data;
  std::vector<chatframe::frame_error> errors;
  std::vector<std::string> partials;
  void on_frame(std::string_view f, std::size_t) {
    frames.emplace_back(f);
    frame_data.push_back(f.data());
  }
  void on_limit(const chatframe::frame_error& e) { errors.push_back(e); }
  void on_partial(std::string_view f) { partials.emplace_back(f); }
};

chatframe::framer line_framer() {
  chatframe::framer f;
  EXPECT_EQ(f.set_terminator(chatframe::terminator::bytes("\r\n")), errc::ok);
  return f;
}

TEST(FrameAssembler, AFrameInsideOneChunkIsAViewIntoIt) {
  auto f = line_framer();
  sink s;
  chatframe::frame_assembler a(s);
  const std::string chunk = "hello\r\nworld\r\n";
  (void)a.feed(f, chunk);
  EXPECT_EQ(s.frames, (std::vector<std::string>{"hello", "world"}));
  EXPECT_EQ(s.frame_data[0], chunk.data());
  EXPECT_EQ(s.frame_data[1], chunk.data() + 7);
}

TEST(FrameAssembler, AFrameAcrossChunksIsCopiedOnceAndWhole) {
  auto f = line_framer();
  sink s;
  chatframe::frame_assembler a(s);
  std::string c1 = "hel", c2 = "lo\r", c3 = "\nx";
  (void)a.feed(f, c1);
  c1.assign("###");  // the caller reuses its buffer
  (void)a.feed(f, c2);
  (void)a.feed(f, c3);
  EXPECT_EQ(s.frames, (std::vector<std::string>{"hello"}));
}

TEST(FrameAssembler, AnOversizedFrameIsReportedWhileStreamingThenSkippedToTheNextDelimiter) {
  auto f = line_framer();
  sink s;
  chatframe::frame_assembler a(s, {.max_frame_size = 8});
  (void)a.feed(f, "ok\r\n0123");
  (void)a.feed(f, "456789");  // 10 bytes: over the limit before its end arrives
  ASSERT_EQ(s.errors.size(), 1u);
  EXPECT_EQ(s.errors[0].code, errc::frame_too_large);
  EXPECT_EQ(s.errors[0].bytes, 10u);
  EXPECT_EQ(s.errors[0].limit, 8u);
  (void)a.feed(f, "more\r\nnext\r\n");
  EXPECT_EQ(s.frames, (std::vector<std::string>{"ok", "next"}));
}

TEST(FrameAssembler, WithCloseActionEverythingAfterTheLimitIsDropped) {
  auto f = line_framer();
  sink s;
  chatframe::frame_assembler a(s,
                               {.max_frame_size = 4, .on_limit = chatframe::limit_action::close});
  (void)a.feed(f, "toolong\r\nok\r\n");
  EXPECT_TRUE(a.failed());
  EXPECT_TRUE(s.frames.empty());
  EXPECT_EQ(s.errors.size(), 1u);
}

TEST(FrameAssembler, ACountOverTheLimitIsRefusedBeforeAnyByteIsRead) {
  chatframe::framer f;
  sink s;
  chatframe::frame_assembler a(s, {.max_frame_size = 100});
  EXPECT_EQ(a.set_count(f, 101), errc::count_too_large);
  ASSERT_EQ(s.errors.size(), 1u);
  EXPECT_EQ(s.errors[0].code, errc::count_too_large);
  EXPECT_EQ(s.errors[0].bytes, 101u);
  EXPECT_TRUE(f.get_terminator().is_none());
  EXPECT_EQ(a.set_count(f, 100), errc::ok);
  EXPECT_EQ(a.set_count(f, -1), errc::negative_count);
}

TEST(FrameAssembler, EndOfStreamPolicies) {
  using chatframe::eof_policy;
  for (const eof_policy p :
       {eof_policy::drop, eof_policy::deliver, eof_policy::deliver_flagged, eof_policy::error}) {
    auto f = line_framer();
    sink s;
    chatframe::frame_assembler a(s);
    (void)a.feed(f, "done\r\ntail\r");  // "tail" unfinished, "\r" held back
    a.finish(f, p);
    EXPECT_EQ(f.held(), "");
    switch (p) {
      case eof_policy::drop:
        EXPECT_EQ(s.frames, std::vector<std::string>{"done"});
        EXPECT_TRUE(s.partials.empty() && s.errors.empty());
        break;
      case eof_policy::deliver:
        EXPECT_EQ(s.frames, (std::vector<std::string>{"done", "tail\r"}));
        break;
      case eof_policy::deliver_flagged:
        EXPECT_EQ(s.partials, std::vector<std::string>{"tail\r"});
        break;
      case eof_policy::error:
        ASSERT_EQ(s.errors.size(), 1u);
        EXPECT_EQ(s.errors[0].code, errc::truncated_frame);
        EXPECT_EQ(s.errors[0].bytes, 5u);
        break;
    }
  }
}

TEST(FrameAssembler, WorksOverSeveralDelimiters) {
  chatframe::multi_framer f = with({"\r\n", "\n"});
  sink s;
  chatframe::frame_assembler a(s);
  (void)a.feed(f, "a\r\nb\nc");
  (void)a.feed(f, "d\r\n");
  EXPECT_EQ(s.frames, (std::vector<std::string>{"a", "b", "cd"}));
}

RC_GTEST_PROP(FrameAssemblerProperties, FramesEqualTheReferenceUnderAnyChunkingAndLimit,
              (std::vector<std::size_t> sizes)) {
  const std::string s = *rc::gen::container<std::string>(rc::gen::element('a', 'b', '\n'));
  const std::size_t limit = *rc::gen::inRange<std::size_t>(1, 12);
  chatframe::framer f;
  RC_ASSERT(f.set_terminator(chatframe::terminator::bytes("\n")) == errc::ok);
  sink out;
  chatframe::frame_assembler a(out, {.max_frame_size = limit});
  for (const std::string& chunk : cut(s, sizes)) (void)a.feed(f, chunk);
  std::vector<std::string> expected;
  std::size_t too_large = 0;
  for (const frame& fr : reference_split({"\n"}, s)) {
    if (fr.which < 0) continue;
    if (fr.bytes.size() > limit) {
      ++too_large;
    } else {
      expected.push_back(fr.bytes);
    }
  }
  RC_ASSERT(out.frames == expected);
  RC_ASSERT(out.errors.size() >= too_large);  // the unfinished tail may be over the limit too
}

// --- memory_budget and paused producers --------------------------------------

TEST(MemoryBudget, PausesAtTheHighMarkAndResumesOnlyBelowTheLowMark) {
  chatframe::memory_budget b({.high_water = 100, .low_water = 40});
  EXPECT_EQ(b.update(10, 20, 30), chatframe::budget_change::none);
  EXPECT_TRUE(b.reading_allowed());
  EXPECT_EQ(b.update(0, 0, 100), chatframe::budget_change::paused);
  EXPECT_FALSE(b.reading_allowed());
  EXPECT_EQ(b.update(0, 0, 60), chatframe::budget_change::none);  // between the marks: still paused
  EXPECT_TRUE(b.paused());
  EXPECT_EQ(b.update(0, 0, 39), chatframe::budget_change::resumed);
  EXPECT_EQ(b.update(0, 0, 99), chatframe::budget_change::none);  // below high again: stays open
  EXPECT_EQ(b.peak(), 100u);
  EXPECT_EQ(b.pauses(), 1u);
}

TEST(MemoryBudget, CountsHeldBackInputAssembledBytesAndQueuedOutput) {
  chatframe::framer f;
  ASSERT_EQ(f.set_terminator(chatframe::terminator::bytes("\r\n")), errc::ok);
  recorder r;
  (void)f.feed("abc\r", r);  // one byte held back
  chatframe::outbox out;
  ASSERT_EQ(out.push(std::string(50, 'x')), errc::ok);
  chatframe::memory_budget b({.high_water = 58, .low_water = 10});
  EXPECT_EQ(b.update(f, out, 7), chatframe::budget_change::paused);  // 1 + 7 + 50
  EXPECT_EQ(b.in_use(), 58u);
}

TEST(MemoryBudget, LowMarkAboveHighMarkIsClamped) {
  chatframe::memory_budget b({.high_water = 10, .low_water = 50});
  EXPECT_EQ(b.options().low_water, 10u);
}

TEST(PausedProducers, QueuedBytesAreStillOfferedButProducersWait) {
  chatframe::outbox out(4);
  ASSERT_EQ(out.push("ab"), errc::ok);
  ASSERT_EQ(out.push_with_producer(std::make_unique<chatframe::simple_producer>("cdefgh", 3)),
            errc::ok);
  out.pause_producers(true);
  chatframe::send_offer o = out.offer();
  ASSERT_EQ(o.status, chatframe::send_status::data);
  EXPECT_EQ(o.data, "ab");
  ASSERT_EQ(out.consume(2), errc::ok);
  EXPECT_EQ(out.offer().status, chatframe::send_status::idle);  // the producer waits
  std::array<std::string_view, 4> views;
  EXPECT_EQ(out.gather(views), 0u);
  EXPECT_FALSE(out.empty());
  out.pause_producers(false);
  o = out.offer();
  EXPECT_EQ(o.data, "cde");
}

}  // namespace
