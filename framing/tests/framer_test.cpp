// framer_test.cpp — the input side, behaviour by behaviour.
//
// Each expectation is what CPython 3.11's async_chat.handle_read
// (asynchat.py:121-191) reports for the same bytes; the line numbers quoted
// are those of that file.
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "chatframe/error.hpp"
#include "chatframe/framer.hpp"
#include "chatframe/terminator.hpp"
#include "framing_test_support.hpp"

namespace {

using chatframe::collected;
using chatframe::errc;
using chatframe::framer;
using chatframe::terminator;
using chatframe::testing::event_log;

framer with(terminator t) {
  framer f;
  EXPECT_EQ(f.set_terminator(std::move(t)), errc::ok);
  return f;
}

// Feeds each chunk in turn and returns the event log.
std::string feed_all(framer& f, const std::vector<std::string>& chunks) {
  event_log h;
  for (const std::string& c : chunks) {
    const chatframe::feed_result r = f.feed(c, h);
    EXPECT_EQ(r.error, errc::ok);
    EXPECT_EQ(r.consumed, c.size());
  }
  return h.log;
}

std::string frame(terminator t, const std::vector<std::string>& chunks) {
  framer f = with(std::move(t));
  return feed_all(f, chunks);
}

// A handler whose callbacks run arbitrary code, for the reentrancy rules.
struct scripted {
  std::string log;
  std::vector<collected> seen;
  std::function<void(const collected&)> collect_hook;
  std::function<void()> found_hook;
  void on_collect(const collected& d) {
    log += "C(" + d.str() + ")";
    seen.push_back(d);
    if (collect_hook) collect_hook(d);
  }
  void on_found() {
    log += "F";
    if (found_hook) found_hook();
  }
};

// scripted with callbacks declared noexcept. The framer's runs then keep less
// bookkeeping for exceptions (a run writes its position back once, at its
// end), which must not change what they deliver.
struct quiet_scripted : scripted {
  void on_collect(const collected& d) noexcept { scripted::on_collect(d); }
  void on_found() noexcept { scripted::on_found(); }
};

// ---------------------------------------------------------------------------
// A delimiter ends a frame; the bytes before it are collected, then found.

TEST(DelimiterFraming, OneByteDelimiterSplitsLines) {
  EXPECT_EQ(frame(terminator::bytes("\n"), {"one\ntwo\nthree"}), "C(one)FC(two)FC(three)");
}

TEST(DelimiterFraming, TwoByteDelimiterSplitsLines) {
  EXPECT_EQ(frame(terminator::bytes("\r\n"), {"one\r\ntwo\r\n"}), "C(one)FC(two)F");
}

TEST(DelimiterFraming, ThreeByteDelimiterSplitsLines) {
  EXPECT_EQ(frame(terminator::bytes("qqq"), {"hello worldqqqI'm not dead yet!qqq"}),
            "C(hello world)FC(I'm not dead yet!)F");
}

TEST(DelimiterFraming, LongDelimiterSplitsFrames) {
  const std::string delim = "--boundary-0123456789abcdef--";
  EXPECT_EQ(frame(terminator::bytes(delim), {"part1" + delim + "part2" + delim}),
            "C(part1)FC(part2)F");
}

TEST(DelimiterFraming, LoneCarriageReturnIsPayloadForCrLf) {
  EXPECT_EQ(frame(terminator::bytes("\r\n"), {"a\rb\r\n"}), "C(a\rb)F");
}

TEST(DelimiterFraming, SelfOverlappingDelimiterAabMatchesAfterExtraA) {
  // "aaab".find("aab") == 1 (asynchat.py:168).
  EXPECT_EQ(frame(terminator::bytes("aab"), {"aaab"}), "C(a)F");
}

TEST(DelimiterFraming, SelfOverlappingDelimiterAabFedByteByByte) {
  // "aaa" holds back "aa" (find_prefix_at_end is 2) and collects one "a".
  EXPECT_EQ(frame(terminator::bytes("aab"), {"a", "a", "a", "b"}), "C(a)F");
}

TEST(DelimiterFraming, SelfOverlappingDelimiterAbabMatchesAtRestart) {
  EXPECT_EQ(frame(terminator::bytes("abab"), {"abaabab"}), "C(aba)F");
  EXPECT_EQ(frame(terminator::bytes("abab"), {"aba", "abab"}), "C(aba)F");
  EXPECT_EQ(frame(terminator::bytes("abab"), {"ababab"}), "F");  // "ab" is held back
}

TEST(DelimiterFraming, DelimiterAtIndexZeroReportsNoEmptyCollect) {
  // asynchat.py:171-174 — "don't bother reporting the empty string".
  EXPECT_EQ(frame(terminator::bytes("\n"), {"\n\nx\n"}), "FFC(x)F");
  EXPECT_EQ(frame(terminator::bytes("\r\n"), {"\r", "\n"}), "F");
}

TEST(DelimiterFraming, DataWithoutAnyDelimiterPrefixIsCollectedAtOnce) {
  framer f = with(terminator::bytes("\r\n"));
  EXPECT_EQ(feed_all(f, {"qwertydkjf"}), "C(qwertydkjf)");
  EXPECT_EQ(f.held(), "");
}

// ---------------------------------------------------------------------------
// A partial delimiter at the end of a chunk is held back, then joined with
// the next chunk (asynchat.py:133, 181-187).

TEST(HeldBackDelimiter, PartialDelimiterAtEndIsHeldBack) {
  framer f = with(terminator::bytes("\r\n"));
  EXPECT_EQ(feed_all(f, {"qwerty\r"}), "C(qwerty)");
  EXPECT_EQ(f.held(), "\r");
}

TEST(HeldBackDelimiter, WholeChunkThatIsAPrefixIsHeldWithoutCollect) {
  // asynchat.py:183 — index == lb: nothing collected.
  framer f = with(terminator::bytes("qqq"));
  EXPECT_EQ(feed_all(f, {"qq"}), "");
  EXPECT_EQ(f.held(), "qq");
}

TEST(HeldBackDelimiter, HeldBytesThatTurnOutToBePayloadArriveInOneCollectWithTheFreshBytes) {
  const std::string second = "x\r\n";
  framer f = with(terminator::bytes("\r\n"));
  scripted h;
  (void)f.feed("ab\r", h);
  (void)f.feed(second, h);
  EXPECT_EQ(h.log, "C(ab)C(\rx)F");
  ASSERT_EQ(h.seen.size(), 2u);
  // CPython's one argument `ac_in_buffer[:index]` is carried + fresh here.
  EXPECT_EQ(h.log.find("C(\r)"), std::string::npos);
  EXPECT_EQ(f.held(), "");
}

TEST(HeldBackDelimiter, CarriedPartIsTheHeldBytesAndFreshPartPointsIntoTheChunk) {
  const std::string second = "x\r\n";
  framer f = with(terminator::bytes("\r\n"));
  std::string carried, fresh;
  const char* fresh_ptr = nullptr;
  scripted h;
  h.collect_hook = [&](const collected& d) {
    carried = std::string(d.carried);
    fresh = std::string(d.fresh);
    fresh_ptr = d.fresh.data();
  };
  (void)f.feed("ab\r", h);
  (void)f.feed(second, h);
  EXPECT_EQ(carried, "\r");
  EXPECT_EQ(fresh, "x");
  EXPECT_EQ(fresh_ptr, second.data());
}

TEST(HeldBackDelimiter, HeldBytesCompletingTheDelimiterGiveFoundOnly) {
  framer f = with(terminator::bytes("abc"));
  EXPECT_EQ(feed_all(f, {"xa", "b", "cy"}), "C(x)FC(y)");
}

TEST(HeldBackDelimiter, HeldBytesGrowAcrossChunksUpToDelimiterLengthMinusOne) {
  framer f = with(terminator::bytes("abcd"));
  EXPECT_EQ(feed_all(f, {"a", "b", "c"}), "");
  EXPECT_EQ(f.held(), "abc");
  EXPECT_EQ(feed_all(f, {"x"}), "C(abcx)");
  EXPECT_EQ(f.held(), "");
}

TEST(HeldBackDelimiter, HeldBytesNeverExceedDelimiterLengthMinusOne) {
  const std::string delim = "aabaab";
  framer f = with(terminator::bytes(delim));
  event_log h;
  const std::string stream = "aabaaabaabaaabaabxaabaabaaabaaba";
  for (char c : stream) {
    (void)f.feed(std::string_view(&c, 1), h);
    EXPECT_LE(f.held().size(), delim.size() - 1);
  }
  for (std::size_t size = 2; size <= 7; ++size) {
    framer g = with(terminator::bytes(delim));
    for (std::size_t i = 0; i < stream.size(); i += size) {
      (void)g.feed(std::string_view(stream).substr(i, size), h);
      EXPECT_LE(g.held().size(), delim.size() - 1);
    }
  }
}

TEST(HeldBackDelimiter, OverlappingPrefixIsHeldLongest) {
  // find_prefix_at_end("xaba", "abab") == 3 (asynchat.py:310-314).
  framer f = with(terminator::bytes("abab"));
  EXPECT_EQ(feed_all(f, {"xaba"}), "C(x)");
  EXPECT_EQ(f.held(), "aba");
  EXPECT_EQ(feed_all(f, {"b"}), "F");
}

// ---------------------------------------------------------------------------
// Payload reaches the callbacks as views into the caller's chunk.

TEST(ZeroCopy, FreshViewsPointIntoTheCallersChunk) {
  const std::string chunk = "one\ntwo\nthr";
  framer f = with(terminator::bytes("\n"));
  std::vector<const char*> starts;
  scripted h;
  h.collect_hook = [&](const collected& d) {
    EXPECT_TRUE(d.carried.empty());
    EXPECT_GE(d.fresh.data(), chunk.data());
    EXPECT_LE(d.fresh.data() + d.fresh.size(), chunk.data() + chunk.size());
    starts.push_back(d.fresh.data());
  };
  (void)f.feed(chunk, h);
  EXPECT_EQ(starts, (std::vector<const char*>{chunk.data(), chunk.data() + 4, chunk.data() + 8}));
}

TEST(ZeroCopy, CountAndNoneTerminatorsAlsoHandOutViews) {
  const std::string chunk = "abcdefgh";
  framer f = with(terminator::count(3));
  std::vector<const char*> starts;
  scripted h;
  h.collect_hook = [&](const collected& d) { starts.push_back(d.fresh.data()); };
  (void)f.feed(chunk, h);
  EXPECT_EQ(starts, (std::vector<const char*>{chunk.data(), chunk.data() + 3}));
}

// ---------------------------------------------------------------------------
// A count collects exactly that many bytes, then reports found.

TEST(CountTerminator, CompletesAfterExactlyThatManyBytes) {
  EXPECT_EQ(frame(terminator::count(5), {"hello"}), "C(hello)F");
}

TEST(CountTerminator, GetTerminatorCountsDownTheBytesStillExpected) {
  // asynchat.py:150-153.
  framer f = with(terminator::count(10));
  EXPECT_EQ(feed_all(f, {"abc"}), "C(abc)");
  EXPECT_EQ(f.get_terminator(), terminator::count(7));
  EXPECT_EQ(feed_all(f, {"de"}), "C(de)");
  EXPECT_EQ(f.get_terminator(), terminator::count(5));
}

TEST(CountTerminator, IsZeroAfterCompletionAndLaterDataIsCollectedWithoutFound) {
  // asynchat.py:155-158, then `not terminator` (asynchat.py:143).
  framer f = with(terminator::count(10));
  EXPECT_EQ(feed_all(f, {"abc", "defghijk"}), "C(abc)C(defghij)FC(k)");
  EXPECT_EQ(f.get_terminator(), terminator::count(0));
  EXPECT_EQ(feed_all(f, {"more"}), "C(more)");
  EXPECT_EQ(f.get_terminator(), terminator::count(0));
}

TEST(CountTerminator, FedByteByByteCollectsEachByte) {
  EXPECT_EQ(frame(terminator::count(3), {"a", "b", "c", "d"}), "C(a)C(b)C(c)FC(d)");
}

TEST(CountTerminator, HoldsNothingBack) {
  framer f = with(terminator::count(4));
  EXPECT_EQ(feed_all(f, {"ab"}), "C(ab)");
  EXPECT_EQ(f.held(), "");
}

TEST(CountTerminator, CompletionSetsZeroEvenIfCollectChangedTheTerminator) {
  // asynchat.py:155-157: collect, then `self.terminator = 0` unconditionally.
  framer f = with(terminator::count(2));
  scripted h;
  h.collect_hook = [&](const collected&) {
    EXPECT_EQ(f.set_terminator(terminator::bytes("\n")), errc::ok);
  };
  (void)f.feed("ab", h);
  EXPECT_EQ(h.log, "C(ab)F");
  EXPECT_EQ(f.get_terminator(), terminator::count(0));
}

// ---------------------------------------------------------------------------
// set_terminator() inside on_collect(): the step under way keeps the
// terminator it started with; while a count runs short of the buffer, CPython
// then counts down whatever was set (asynchat.py:153). Each expectation was
// checked against CPython 3.11's handle_read.

// h's first on_collect() sets t on f; later ones set nothing.
void set_in_first_collect(scripted& h, framer& f, terminator t) {
  h.collect_hook = [&f, t = std::move(t), done = false](const collected&) mutable {
    if (done) return;
    done = true;
    EXPECT_EQ(f.set_terminator(t), errc::ok);
  };
}

TEST(TerminatorChangeInCollect, ADelimiterFoundIsConsumedWithTheOldDelimitersLength) {
  // asynchat.py:163-175 — terminator_len is taken before collect runs.
  framer f = with(terminator::bytes("\r\n"));
  scripted h;
  set_in_first_collect(h, f, terminator::bytes("X"));
  (void)f.feed("ab\r\ncdXef", h);
  EXPECT_EQ(h.log, "C(ab)FC(cd)FC(ef)");
}

TEST(TerminatorChangeInCollect, ARunningCountCountsDownTheNewCount) {
  framer f = with(terminator::count(10));
  scripted h;
  set_in_first_collect(h, f, terminator::count(5));
  EXPECT_EQ(f.feed("abc", h).error, errc::ok);
  EXPECT_EQ(f.get_terminator(), terminator::count(2));  // 5 - 3
  (void)f.feed("defg", h);
  EXPECT_EQ(h.log, "C(abc)C(de)FC(fg)");
}

TEST(TerminatorChangeInCollect, ANewCountOfExactlyTheBytesCollectedLeavesCountZero) {
  framer f = with(terminator::count(10));
  scripted h;
  set_in_first_collect(h, f, terminator::count(3));
  (void)f.feed("abc", h);
  EXPECT_EQ(f.get_terminator(), terminator::count(0));
  (void)f.feed("xyz", h);
  EXPECT_EQ(h.log, "C(abc)C(xyz)");  // count 0 collects everything
}

TEST(TerminatorChangeInCollect, ANewCountBelowTheBytesCollectedGoesNegative) {
  // 2 - 5 = -3: the next buffer is sliced from its end, buf[:-3] collected,
  // buf[-3:] kept, count 0, found (asynchat.py:155-158 with n = -3).
  framer f = with(terminator::count(10));
  scripted h;
  set_in_first_collect(h, f, terminator::count(2));
  (void)f.feed("abcde", h);
  EXPECT_EQ(f.get_terminator(), terminator::count(-3));
  EXPECT_EQ(f.feed("vwxyz", h).error, errc::ok);
  EXPECT_EQ(h.log, "C(abcde)C(vw)FC(xyz)");
  EXPECT_EQ(f.get_terminator(), terminator::count(0));
}

TEST(TerminatorChangeInCollect, ANegativeCountNoShorterThanTheBufferCollectsTheEmptyString) {
  // 0 - 2 = -2; then "x"[:-2] == b'' is still collected (the count branch
  // has no empty-string guard), and "x"[-2:] == "x" stays for count 0.
  framer f = with(terminator::count(10));
  scripted h;
  set_in_first_collect(h, f, terminator::count(0));
  (void)f.feed("ab", h);
  EXPECT_EQ(f.get_terminator(), terminator::count(-2));
  (void)f.feed("x", h);
  EXPECT_EQ(h.log, "C(ab)C()FC(x)");
}

TEST(TerminatorChangeInCollect, ANegativeCountIsFollowedByWhatFoundSets) {
  framer f = with(terminator::count(10));
  scripted h;
  set_in_first_collect(h, f, terminator::count(1));  // 1 - 4 = -3
  bool set = false;
  h.found_hook = [&] {
    if (!std::exchange(set, true)) {
      EXPECT_EQ(f.set_terminator(terminator::bytes("z")), errc::ok);
    }
  };
  (void)f.feed("abcd", h);
  (void)f.feed("uvwxzy", h);
  EXPECT_EQ(h.log, "C(abcd)C(uvw)FC(x)FC(y)");
}

TEST(TerminatorChangeInCollect, ADelimiterReplacingARunningCountIsCPythonsTypeError) {
  // asynchat.py:153 — b"\n" - 3 raises once the buffer is delivered; the new
  // terminator stands and frames the next chunk.
  framer f = with(terminator::count(10));
  scripted h;
  set_in_first_collect(h, f, terminator::bytes("\n"));
  const chatframe::feed_result r = f.feed("abc", h);
  EXPECT_EQ(r.error, errc::count_replaced_by_non_count);
  EXPECT_EQ(r.consumed, 3U);
  EXPECT_EQ(f.get_terminator(), terminator::bytes("\n"));
  EXPECT_EQ(f.held(), "");
  EXPECT_EQ(f.feed("x\ny", h).error, errc::ok);
  EXPECT_EQ(h.log, "C(abc)C(x)FC(y)");
}

TEST(TerminatorChangeInCollect, NoneOrTheEmptyDelimiterReplacingARunningCountIsATypeErrorToo) {
  for (const terminator& t : {terminator::none(), terminator::bytes("")}) {
    framer f = with(terminator::count(10));
    quiet_scripted h;
    set_in_first_collect(h, f, t);
    EXPECT_EQ(f.feed("abc", h).error, errc::count_replaced_by_non_count);
    EXPECT_EQ(f.get_terminator(), t);
    EXPECT_EQ(f.feed("x\ny", h).error, errc::ok);
    EXPECT_EQ(h.log, "C(abc)C(x\ny)");
  }
}

TEST(TerminatorChangeInCollect, ACompletedCountIgnoresWhatCollectSet) {
  // asynchat.py:155-157 — collect, then 0 whatever collect set.
  framer f = with(terminator::count(4));
  scripted h;
  int calls = 0;
  h.collect_hook = [&](const collected&) {
    if (++calls == 2) {
      EXPECT_EQ(f.set_count(1), errc::ok);
    }
  };
  (void)f.feed("ab", h);
  (void)f.feed("cdefg", h);
  EXPECT_EQ(h.log, "C(ab)C(cd)FC(efg)");
}

TEST(CountTerminator, LargeCountsAreKeptExactly) {
  const std::int64_t big = std::int64_t{1} << 40;
  framer f = with(terminator::count(big));
  EXPECT_EQ(feed_all(f, {"abc"}), "C(abc)");
  EXPECT_EQ(f.get_terminator(), terminator::count(big - 3));
}

// ---------------------------------------------------------------------------
// none, b'' and 0 all collect everything and never report found
// (asynchat.py:143-146), but are reported back as what was set.

TEST(CollectEverything, NoneTerminatorCollectsEachChunkWhole) {
  framer f;  // the default is none, as CPython's terminator starts as None
  EXPECT_TRUE(f.get_terminator().is_none());
  EXPECT_EQ(feed_all(f, {"a\r\nb", "\n"}), "C(a\r\nb)C(\n)");
}

TEST(CollectEverything, EmptyDelimiterCollectsEverythingAndIsStillBytes) {
  framer f = with(terminator::bytes(""));
  EXPECT_EQ(feed_all(f, {"a\nb"}), "C(a\nb)");
  EXPECT_TRUE(f.get_terminator().is_bytes());
  EXPECT_TRUE(f.get_terminator().collects_everything());
}

TEST(CollectEverything, ZeroCountCollectsEverythingAndIsStillACount) {
  framer f = with(terminator::count(0));
  EXPECT_EQ(feed_all(f, {"abc", "d"}), "C(abc)C(d)");
  EXPECT_EQ(f.get_terminator(), terminator::count(0));
}

TEST(CollectEverything, EmptyChunkReportsNothing) {
  framer f;
  EXPECT_EQ(feed_all(f, {""}), "");
}

// ---------------------------------------------------------------------------
// set_terminator() validation.

TEST(SetTerminator, NegativeCountIsRefusedAndTerminatorUnchanged) {
  // asynchat.py:109-110 raise ValueError before assigning.
  framer f = with(terminator::bytes("\n"));
  EXPECT_EQ(f.set_terminator(terminator::count(-1)), errc::negative_count);
  EXPECT_EQ(f.get_terminator(), terminator::bytes("\n"));
  EXPECT_EQ(feed_all(f, {"a\n"}), "C(a)F");
}

TEST(SetCount, LeavesTheSameTerminatorAsSetTerminatorWithACount) {
  framer f = with(terminator::bytes("\r\n"));
  EXPECT_EQ(f.set_count(7), errc::ok);
  EXPECT_EQ(f.get_terminator(), terminator::count(7));  // the delimiter is gone, not just unused
  EXPECT_EQ(f.set_count(0), errc::ok);
  EXPECT_EQ(f.get_terminator(), terminator::count(0));
}

TEST(SetCount, NegativeCountIsRefusedAndTerminatorUnchanged) {
  framer f = with(terminator::bytes("\n"));
  EXPECT_EQ(f.set_count(-1), errc::negative_count);
  EXPECT_EQ(f.get_terminator(), terminator::bytes("\n"));
  EXPECT_EQ(feed_all(f, {"a\n"}), "C(a)F");
}

TEST(SetCount, InsideFoundFramesTheRestOfTheChunkLikeSetTerminator) {
  // A one-byte length, then that many bytes, set from on_found() both ways.
  const std::vector<std::string> chunks = {
      "\x03"
      "abc\x02x",
      "y\x01z"};
  std::string logs[2];
  for (int way = 0; way < 2; ++way) {
    framer f = with(terminator::count(1));
    scripted h;
    bool header = true;
    char length = 0;
    h.collect_hook = [&](const collected& d) {
      if (header) length = d[0];
    };
    h.found_hook = [&] {
      const std::int64_t next = header ? length : 1;
      header = !header;
      EXPECT_EQ(way == 0 ? f.set_count(next) : f.set_terminator(terminator::count(next)), errc::ok);
    };
    for (const std::string& c : chunks) (void)f.feed(c, h);
    logs[way] = h.log;
  }
  EXPECT_EQ(logs[0], logs[1]);
  EXPECT_EQ(logs[0], "C(\x03)FC(abc)FC(\x02)FC(x)C(y)FC(\x01)FC(z)F");
}

// ---------------------------------------------------------------------------
// Many counts in one chunk, set again from each on_found() as length-prefixed
// protocols do: the framer frames them in one run, and a callback's choices
// (a new count, a delimiter, zero, discard(), an exception) take effect at the
// record where it made them.

// Each runs with callbacks that may throw and with noexcept ones.
template <class Handler>
class CountRun : public ::testing::Test {};
using handler_kinds = ::testing::Types<scripted, quiet_scripted>;
TYPED_TEST_SUITE(CountRun, handler_kinds);

TYPED_TEST(CountRun, RecordsThatEndMidChunkLeaveTheRestCounting) {
  framer f = with(terminator::count(2));
  TypeParam h;
  h.found_hook = [&] { EXPECT_EQ(f.set_count(2), errc::ok); };
  (void)f.feed("aabbc", h);
  EXPECT_EQ(h.log, "C(aa)FC(bb)FC(c)");
  EXPECT_EQ(f.get_terminator(), terminator::count(1));
}

TYPED_TEST(CountRun, ADelimiterSetInFoundFramesTheRestOfTheChunk) {
  framer f = with(terminator::count(2));
  TypeParam h;
  int founds = 0;
  h.found_hook = [&] {
    ++founds;
    if (founds == 1) {
      EXPECT_EQ(f.set_count(2), errc::ok);
    } else if (founds == 2) {
      EXPECT_EQ(f.set_terminator(terminator::bytes("\n")), errc::ok);
    }
  };
  (void)f.feed("aabbc\ndd\ne", h);
  EXPECT_EQ(h.log, "C(aa)FC(bb)FC(c)FC(dd)FC(e)");
}

TYPED_TEST(CountRun, ZeroSetInFoundCollectsTheRestWithoutFound) {
  framer f = with(terminator::count(2));
  TypeParam h;
  int founds = 0;
  h.found_hook = [&] { EXPECT_EQ(f.set_count(++founds == 2 ? 0 : 2), errc::ok); };
  (void)f.feed("aabbccdd", h);
  EXPECT_EQ(h.log, "C(aa)FC(bb)FC(ccdd)");
}

TYPED_TEST(CountRun, DiscardInFoundDropsTheRestOfTheChunkOnly) {
  framer f = with(terminator::count(2));
  TypeParam h;
  int founds = 0;
  h.found_hook = [&] {
    EXPECT_EQ(f.set_count(2), errc::ok);
    if (++founds == 2) f.discard();
  };
  (void)f.feed("aabbccdd", h);
  EXPECT_EQ(h.log, "C(aa)FC(bb)F");
  (void)f.feed("eef", h);
  EXPECT_EQ(h.log, "C(aa)FC(bb)FC(ee)FC(f)");
}

TEST(CountRunThrowing, AFoundThatThrowsInALaterRecordKeepsExactlyTheUnframedRest) {
  framer f = with(terminator::count(2));
  scripted h;
  int founds = 0;
  h.found_hook = [&] {
    if (++founds == 3) throw std::runtime_error("third record");
    EXPECT_EQ(f.set_count(2), errc::ok);
  };
  EXPECT_THROW((void)f.feed("aabbccddx", h), std::runtime_error);
  EXPECT_EQ(h.log, "C(aa)FC(bb)FC(cc)F");
  EXPECT_EQ(f.held(), "ddx");
  EXPECT_EQ(f.get_terminator(), terminator::count(0));  // asynchat.py:157 ran before 158 raised
  EXPECT_EQ(f.set_count(2), errc::ok);
  (void)f.feed("", h);
  EXPECT_EQ(h.log, "C(aa)FC(bb)FC(cc)FC(dd)FC(x)");
}

TEST(SetTerminator, DelimiterLongerThanTheLimitIsRefusedAndTerminatorUnchanged) {
  framer f(chatframe::framer_options{.max_terminator_length = 3});
  EXPECT_EQ(f.set_terminator(terminator::bytes("abc")), errc::ok);
  EXPECT_EQ(f.set_terminator(terminator::bytes("abcd")), errc::terminator_too_long);
  EXPECT_EQ(f.get_terminator(), terminator::bytes("abc"));
  EXPECT_EQ(feed_all(f, {"xabcy"}), "C(x)FC(y)");
}

TEST(SetTerminator, ErrorValuesHaveStableNamesAndNumbers) {
  EXPECT_EQ(static_cast<int>(errc::ok), 0);
  EXPECT_EQ(static_cast<int>(errc::negative_count), 1);
  EXPECT_EQ(static_cast<int>(errc::terminator_too_long), 2);
  EXPECT_EQ(static_cast<int>(errc::reentrant_feed), 3);
  EXPECT_EQ(static_cast<int>(errc::count_replaced_by_non_count), 12);
  EXPECT_EQ(chatframe::to_string(errc::count_replaced_by_non_count), "count_replaced_by_non_count");
  EXPECT_EQ(chatframe::to_string(errc::negative_count), "negative_count");
  EXPECT_EQ(chatframe::to_string(errc::reentrant_feed), "reentrant_feed");
  const std::error_code ec = errc::terminator_too_long;
  EXPECT_EQ(ec.value(), 2);
  EXPECT_EQ(&ec.category(), &chatframe::chatframe_category());
}

// ---------------------------------------------------------------------------
// set_terminator() inside on_found() frames the rest of the chunk with the
// new terminator (asynchat.py:176-178, "does the Right Thing").

TEST(TerminatorChangeInFound, DelimiterToCount) {
  framer f = with(terminator::bytes("\n"));
  scripted h;
  int founds = 0;
  h.found_hook = [&] {
    if (founds++ == 0) {
      EXPECT_EQ(f.set_terminator(terminator::count(5)), errc::ok);
    }
  };
  (void)f.feed("ab\n12345rest", h);
  EXPECT_EQ(h.log, "C(ab)FC(12345)FC(rest)");
}

TEST(TerminatorChangeInFound, CountToDelimiter) {
  framer f = with(terminator::count(3));
  scripted h;
  int founds = 0;
  h.found_hook = [&] {
    if (founds++ == 0) {
      EXPECT_EQ(f.set_terminator(terminator::bytes("\n")), errc::ok);
    }
  };
  (void)f.feed("abcde\nf", h);
  EXPECT_EQ(h.log, "C(abc)FC(de)FC(f)");
}

TEST(TerminatorChangeInFound, DelimiterToNone) {
  framer f = with(terminator::bytes("\n"));
  scripted h;
  h.found_hook = [&] { EXPECT_EQ(f.set_terminator(terminator::none()), errc::ok); };
  (void)f.feed("ab\nrest\nmore", h);
  EXPECT_EQ(h.log, "C(ab)FC(rest\nmore)");
}

TEST(TerminatorChangeInFound, DelimiterToAnotherDelimiter) {
  framer f = with(terminator::bytes("\r\n"));
  scripted h;
  h.found_hook = [&] { EXPECT_EQ(f.set_terminator(terminator::bytes("::")), errc::ok); };
  (void)f.feed("hdr\r\nbody\r\nx::y", h);
  EXPECT_EQ(h.log, "C(hdr)FC(body\r\nx)FC(y)");
}

// ---------------------------------------------------------------------------
// discard() inside a callback (asynchat.py:271-273).

TEST(DiscardInCallback, DiscardInFoundDropsTheRestOfTheChunk) {
  framer f = with(terminator::bytes("\n"));
  scripted h;
  h.found_hook = [&] { f.discard(); };
  const chatframe::feed_result r = f.feed("ab\ncd\nef", h);
  EXPECT_EQ(h.log, "C(ab)F");
  EXPECT_EQ(r.consumed, 8u);
  EXPECT_EQ(f.held(), "");
  // The framer goes on with the next chunk.
  h.found_hook = nullptr;
  (void)f.feed("gh\n", h);
  EXPECT_EQ(h.log, "C(ab)FC(gh)F");
}

TEST(DiscardInCallback, DiscardInCollectStillReportsThePendingFound) {
  // collect (174), discard empties the buffer, the slice (175) is empty, and
  // found_terminator (178) is still called.
  framer f = with(terminator::bytes("\n"));
  scripted h;
  h.collect_hook = [&](const collected&) { f.discard(); };
  (void)f.feed("ab\ncd\n", h);
  EXPECT_EQ(h.log, "C(ab)F");
  EXPECT_EQ(f.held(), "");
}

TEST(DiscardInCallback, DiscardInTheSecondCollectOfAChunkEndsItForEveryDelimiterAndFrameLength) {
  // Short and long frames, one-byte, short and long delimiters: each way a
  // chunk of many frames is framed stops at the discard the same way.
  for (const std::string delimiter : {"\n", "\r\n", "\r\n\r\n\r\n"}) {
    for (const std::size_t length : {std::size_t{3}, std::size_t{100}}) {
      framer f = with(terminator::bytes(delimiter));
      scripted h;
      int collects = 0;
      h.collect_hook = [&](const collected&) {
        if (++collects == 2) f.discard();
      };
      const std::string one(length, 'a'), two(length, 'b'), three(length, 'c');
      (void)f.feed(one + delimiter + two + delimiter + three + delimiter, h);
      EXPECT_EQ(h.log, "C(" + one + ")FC(" + two + ")F")
          << chatframe::testing::describe(terminator::bytes(delimiter));
      EXPECT_EQ(f.held(), "");
      h.collect_hook = nullptr;
      (void)f.feed("z" + delimiter, h);
      EXPECT_EQ(h.log, "C(" + one + ")FC(" + two + ")FC(z)F");
    }
  }
}

TEST(DiscardInCallback, DiscardInCollectOfACountStillReportsFound) {
  // asynchat.py:155-158: collect, then terminator = 0, then found.
  framer f = with(terminator::count(2));
  scripted h;
  h.collect_hook = [&](const collected&) { f.discard(); };
  (void)f.feed("abcdef", h);
  EXPECT_EQ(h.log, "C(ab)F");
  EXPECT_EQ(f.get_terminator(), terminator::count(0));
}

TEST(DiscardInCallback, DiscardInCollectBeforeAPartialDelimiterDropsTheHeldBytesToo) {
  // asynchat.py:185-186: the buffer is b'' after discard, so b''[-index:] is b''.
  framer f = with(terminator::bytes("\r\n"));
  scripted h;
  h.collect_hook = [&](const collected&) { f.discard(); };
  (void)f.feed("ab\r", h);
  EXPECT_EQ(h.log, "C(ab)");
  EXPECT_EQ(f.held(), "");
}

TEST(DiscardInCallback, DiscardOutsideACallbackDropsHeldBytes) {
  framer f = with(terminator::bytes("\r\n"));
  event_log h;
  (void)f.feed("ab\r", h);
  f.discard();
  EXPECT_EQ(f.held(), "");
  (void)f.feed("\nx", h);
  EXPECT_EQ(h.log, "C(ab)C(\nx)");
}

// ---------------------------------------------------------------------------
// Held bytes at end of stream: CPython never delivers them; these are the
// opt-in ways to get them.

TEST(EndOfStream, HeldShowsTheBytesWithoutForgettingThem) {
  framer f = with(terminator::bytes("\r\n"));
  event_log h;
  (void)f.feed("line\r", h);
  EXPECT_EQ(f.held(), "\r");
  EXPECT_EQ(f.held(), "\r");
}

TEST(EndOfStream, TakeHeldReturnsTheBytesAndForgetsThem) {
  framer f = with(terminator::bytes("qqq"));
  event_log h;
  (void)f.feed("lineqq", h);
  const std::string_view taken = f.take_held();
  EXPECT_EQ(taken, "qq");
  EXPECT_EQ(f.held(), "");
  (void)f.feed("q\n", h);  // the taken "qq" no longer joins this "q"
  EXPECT_EQ(h.log, "C(line)C(q\n)");
}

TEST(EndOfStream, FlushHeldDeliversThemAsOneCollectWithoutFound) {
  framer f = with(terminator::bytes("qqq"));
  scripted h;
  (void)f.feed("lineqq", h);
  f.flush_held(h);
  EXPECT_EQ(h.log, "C(line)C(qq)");
  EXPECT_EQ(f.held(), "");
  f.flush_held(h);  // nothing held: no event
  EXPECT_EQ(h.log, "C(line)C(qq)");
}

TEST(EndOfStream, EmptyFeedReframesHeldBytesAfterTheTerminatorChanged) {
  // Held "ab" of "abc"; with "b" the buffer "ab" holds a delimiter at 1.
  framer f = with(terminator::bytes("abc"));
  event_log h;
  (void)f.feed("xab", h);
  EXPECT_EQ(f.held(), "ab");
  EXPECT_EQ(f.set_terminator(terminator::bytes("b")), errc::ok);
  EXPECT_EQ(f.held(), "ab");  // set_terminator keeps them
  const chatframe::feed_result r = f.feed("", h);
  EXPECT_EQ(r.error, errc::ok);
  EXPECT_EQ(r.consumed, 0u);
  EXPECT_EQ(h.log, "C(x)C(a)F");
  EXPECT_EQ(f.held(), "");
}

TEST(EndOfStream, ANullEmptyViewReframesLikeAnEmptyString) {
  framer f = with(terminator::bytes("abc"));
  event_log h;
  (void)f.feed("xab", h);
  EXPECT_EQ(f.set_terminator(terminator::bytes("b")), errc::ok);
  EXPECT_EQ(f.feed(std::string_view{}, h).error, errc::ok);
  EXPECT_EQ(h.log, "C(x)C(a)F");
}

TEST(EndOfStream, EmptyFeedAfterSwitchingToAShorterDelimiterFindsItInsideTheHeldBytes) {
  framer f = with(terminator::bytes("aaaa"));
  event_log h;
  (void)f.feed("xaaa", h);
  EXPECT_EQ(f.held(), "aaa");
  EXPECT_EQ(f.set_terminator(terminator::bytes("a")), errc::ok);
  (void)f.feed("", h);
  EXPECT_EQ(h.log, "C(x)FFF");
}

TEST(EndOfStream, EmptyFeedWithUnchangedTerminatorReportsNothing) {
  framer f = with(terminator::bytes("abc"));
  event_log h;
  (void)f.feed("xab", h);
  (void)f.feed("", h);
  EXPECT_EQ(h.log, "C(x)");
  EXPECT_EQ(f.held(), "ab");
}

TEST(EndOfStream, EmptyFeedAfterSwitchingToACountCollectsTheHeldBytes) {
  framer f = with(terminator::bytes("\r\n"));
  event_log h;
  (void)f.feed("a\r", h);
  EXPECT_EQ(f.set_terminator(terminator::count(1)), errc::ok);
  (void)f.feed("", h);
  EXPECT_EQ(h.log, "C(a)C(\r)F");
}

// ---------------------------------------------------------------------------
// Reentrancy.

TEST(Reentrancy, FeedFromInsideACallbackIsRefused) {
  framer f = with(terminator::bytes("\n"));
  scripted h;
  chatframe::feed_result inner{};
  h.collect_hook = [&](const collected&) { inner = f.feed("zz\n", h); };
  const chatframe::feed_result outer = f.feed("ab\ncd\n", h);
  EXPECT_EQ(inner.error, errc::reentrant_feed);
  EXPECT_EQ(inner.consumed, 0u);
  EXPECT_EQ(outer.error, errc::ok);
  EXPECT_EQ(h.log, "C(ab)FC(cd)F");
}

TEST(Reentrancy, FeedFromInsideFoundIsRefused) {
  framer f = with(terminator::bytes("\n"));
  scripted h;
  std::vector<errc> inner;
  h.found_hook = [&] { inner.push_back(f.feed("x\n", h).error); };
  (void)f.feed("a\n", h);
  EXPECT_EQ(inner, std::vector<errc>{errc::reentrant_feed});
  EXPECT_EQ(h.log, "C(a)F");
  // Afterwards feeding works again.
  h.found_hook = nullptr;
  EXPECT_EQ(f.feed("b\n", h).error, errc::ok);
}

TEST(Reentrancy, GetTerminatorAndHeldAreUsableInsideCallbacks) {
  framer f = with(terminator::count(4));
  scripted h;
  std::int64_t seen = -1;
  h.collect_hook = [&](const collected&) { seen = f.get_terminator().byte_count(); };
  (void)f.feed("ab", h);
  EXPECT_EQ(seen, 4);  // decremented only after collect returns (asynchat.py:151-153)
  EXPECT_EQ(f.get_terminator().byte_count(), 2);
}

// ---------------------------------------------------------------------------
// Exceptions from callbacks propagate and lose no byte.

struct callback_failure : std::runtime_error {
  callback_failure() : std::runtime_error("callback failed") {}
};

// A hook that throws callback_failure the first time it runs, then does nothing.
template <class... Args>
auto throws_once() {
  return [armed = true](Args...) mutable {
    if (armed) {
      armed = false;
      throw callback_failure();
    }
  };
}

TEST(CallbackExceptions, ThrowingCollectUndoesItsStepAndTheBytesComeBack) {
  // collect_incoming_data raises at 174, before ac_in_buffer is sliced at 175.
  framer f = with(terminator::bytes("\n"));
  scripted h;
  h.collect_hook = throws_once<const collected&>();
  EXPECT_THROW((void)f.feed("ab\ncd\n", h), callback_failure);
  EXPECT_EQ(h.log, "C(ab)");
  EXPECT_EQ(f.held(), "ab\ncd\n");
  (void)f.feed("", h);
  EXPECT_EQ(h.log, "C(ab)C(ab)FC(cd)F");
  EXPECT_EQ(f.held(), "");
}

TEST(CallbackExceptions, ThrowingCollectOfARunningCountDoesNotCountDown) {
  // asynchat.py:151 raises before 153 subtracts.
  framer f = with(terminator::count(10));
  scripted h;
  h.collect_hook = throws_once<const collected&>();
  EXPECT_THROW((void)f.feed("abc", h), callback_failure);
  EXPECT_EQ(f.get_terminator(), terminator::count(10));
  (void)f.feed("defghijk", h);
  EXPECT_EQ(h.log, "C(abc)C(abcdefghij)FC(k)");
}

TEST(CallbackExceptions, ThrowingCollectBeforeAPartialDelimiterKeepsEverything) {
  framer f = with(terminator::bytes("\r\n"));
  scripted h;
  h.collect_hook = throws_once<const collected&>();
  EXPECT_THROW((void)f.feed("ab\r", h), callback_failure);
  EXPECT_EQ(f.held(), "ab\r");
  (void)f.feed("\n", h);
  EXPECT_EQ(h.log, "C(ab)C(ab)F");
}

TEST(CallbackExceptions, ThrowingCollectOfCarriedBytesKeepsThemInOrder) {
  framer f = with(terminator::bytes("\r\n"));
  scripted h;
  (void)f.feed("x\r", h);
  h.collect_hook = throws_once<const collected&>();
  EXPECT_THROW((void)f.feed("y\r\nz", h), callback_failure);
  EXPECT_EQ(f.held(), "\ry\r\nz");
  (void)f.feed("", h);
  EXPECT_EQ(h.log, "C(x)C(\ry)C(\ry)FC(z)");
}

TEST(CallbackExceptions, ThrowingFoundKeepsTheRestOfTheChunkForTheNextFeed) {
  // found_terminator raises at 178, after 175 consumed the delimiter.
  framer f = with(terminator::bytes("\n"));
  scripted h;
  h.found_hook = throws_once<>();
  EXPECT_THROW((void)f.feed("ab\ncd\nef", h), callback_failure);
  EXPECT_EQ(h.log, "C(ab)F");
  EXPECT_EQ(f.held(), "cd\nef");
  (void)f.feed("\n", h);
  EXPECT_EQ(h.log, "C(ab)FC(cd)FC(ef)F");
}

TEST(CallbackExceptions, ThrowingFoundOfACountLeavesTheCountAtZero) {
  framer f = with(terminator::count(2));
  scripted h;
  h.found_hook = throws_once<>();
  EXPECT_THROW((void)f.feed("abcd", h), callback_failure);
  EXPECT_EQ(f.get_terminator(), terminator::count(0));
  EXPECT_EQ(f.held(), "cd");
  (void)f.feed("", h);
  EXPECT_EQ(h.log, "C(ab)FC(cd)");
}

TEST(CallbackExceptions, TheFramerIsNotLeftInsideAFeed) {
  framer f = with(terminator::bytes("\n"));
  scripted h;
  h.found_hook = [] { throw callback_failure(); };
  EXPECT_THROW((void)f.feed("a\nb", h), callback_failure);
  h.found_hook = nullptr;
  EXPECT_EQ(f.feed("\n", h).error, errc::ok);
  EXPECT_EQ(h.log, "C(a)FC(b)F");
}

// ---------------------------------------------------------------------------
// The virtual handler interface frames the same way.

struct virtual_log final : chatframe::framer_handler {
  std::string log;
  void on_collect(const collected& d) override { log += "C(" + d.str() + ")"; }
  void on_found() override { log += "F"; }
};

TEST(VirtualHandler, FramesLikeTheTemplateHandler) {
  framer f = with(terminator::bytes("\r\n"));
  virtual_log h;
  chatframe::framer_handler& base = h;
  (void)f.feed("ab\r", base);
  (void)f.feed("\ncd\r", base);
  f.flush_held(base);
  EXPECT_EQ(h.log, "C(ab)FC(cd)C(\r)");
}

// ---------------------------------------------------------------------------
// Adversarial input: linear scanning must still give the right answer.

// ---------------------------------------------------------------------------
// Copying and moving: a copy goes on from the same state; the framer moved
// from is a new one, whatever it held.

TEST(CopyAndMove, ACopyGoesOnFromTheSameHeldBytesAndTerminator) {
  framer a = with(terminator::bytes("\r\n\r\n"));
  EXPECT_EQ(feed_all(a, {"ab\r\n\r"}), "C(ab)");
  framer b = a;
  EXPECT_EQ(feed_all(a, {"\ncd"}), "FC(cd)");
  EXPECT_EQ(feed_all(b, {"\ncd"}), "FC(cd)");
  EXPECT_EQ(a.held(), "");
  EXPECT_EQ(b.held(), "");
}

TEST(CopyAndMove, TheTerminatorAndHeldBytesGoWithTheMove) {
  framer a = with(terminator::bytes("\r\n\r\n"));
  EXPECT_EQ(feed_all(a, {"ab\r\n\r"}), "C(ab)");
  framer b(std::move(a));
  EXPECT_EQ(b.held(), "\r\n\r");
  EXPECT_EQ(feed_all(b, {"\ncd\r\n\r\n"}), "FC(cd)F");
  framer c;
  c = std::move(b);
  EXPECT_EQ(c.get_terminator(), terminator::bytes("\r\n\r\n"));
}

TEST(CopyAndMove, TheFramerMovedFromIsANewOneWhateverItHeld) {
  // take_held() leaves the held bytes' storage in place and only moves the
  // read position: a moved-from framer that kept that position beside an
  // emptied buffer read outside it.
  framer a = with(terminator::bytes("\r\n\r\n"));
  EXPECT_EQ(feed_all(a, {"ab\r\n\r"}), "C(ab)");
  EXPECT_EQ(a.take_held(), "\r\n\r");
  framer b(std::move(a));
  // NOLINTBEGIN(bugprone-use-after-move): what a moved-from framer does is the point
  EXPECT_EQ(a.get_terminator(), terminator());
  EXPECT_EQ(a.held(), "");
  EXPECT_EQ(feed_all(a, {"xy"}), "C(xy)");  // no terminator: everything is collected
  ASSERT_EQ(a.set_terminator(terminator::bytes("\n")), errc::ok);
  EXPECT_EQ(feed_all(a, {"hello\nwor", "ld\n"}), "C(hello)FC(wor)C(ld)F");
  framer c = with(terminator::count(3));
  EXPECT_EQ(feed_all(c, {"ab"}), "C(ab)");
  a = std::move(c);
  EXPECT_EQ(feed_all(a, {"cd"}), "C(c)FC(d)");  // then count 0: collect all
  EXPECT_EQ(c.get_terminator(), terminator());
  EXPECT_EQ(feed_all(c, {"ef"}), "C(ef)");
  // NOLINTEND(bugprone-use-after-move)
}

TEST(Adversarial, AlmostMatchingDelimiterOverOneMebibyteOfA) {
  const std::string delim = "aaaaaaaab";
  const std::string stream = std::string(std::size_t{1} << 20, 'a') + "b" + "tail";
  for (std::size_t chunk : {stream.size(), std::size_t{4096}, std::size_t{7}}) {
    framer f = with(terminator::bytes(delim));
    std::string frame_bytes;
    std::size_t founds = 0;
    struct acc {
      std::string* out;
      std::size_t* founds;
      void on_collect(const collected& d) { d.append_to(*out); }
      void on_found() {
        ++*founds;
        out->push_back('|');
      }
    } a{&frame_bytes, &founds};
    for (std::size_t i = 0; i < stream.size(); i += chunk)
      (void)f.feed(std::string_view(stream).substr(i, chunk), a);
    EXPECT_EQ(founds, 1u) << "chunk " << chunk;
    EXPECT_EQ(frame_bytes, std::string((std::size_t{1} << 20) - 8, 'a') + "|tail")
        << "chunk " << chunk;
    EXPECT_LE(f.held().size(), delim.size() - 1);
  }
}

TEST(Adversarial, NoMatchAtAllOverOneMebibyteHoldsBackTheLongestPrefix) {
  const std::string delim = "aaaab";
  const std::string stream(std::size_t{1} << 20, 'a');
  framer f = with(terminator::bytes(delim));
  std::size_t collected_bytes = 0;
  struct acc {
    std::size_t* n;
    void on_collect(const collected& d) { *n += d.size(); }
    void on_found() { ADD_FAILURE() << "no delimiter in the stream"; }
  } a{&collected_bytes};
  (void)f.feed(stream, a);
  EXPECT_EQ(f.held(), "aaaa");
  EXPECT_EQ(collected_bytes, stream.size() - 4);
}

}  // namespace
