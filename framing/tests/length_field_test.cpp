// length_field_test.cpp — the length-field decoder and encoder, rule by rule
// (length_field.hpp, length_field_framer.hpp, length_field_encoder.hpp), and
// the traps of Netty's and tokio-util's decoders, each shown not to be ours.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "chatframe/length_field_encoder.hpp"
#include "chatframe/length_field_framer.hpp"
#include "chatframe/outbox.hpp"

namespace {

using chatframe::byte_order;
using chatframe::errc;
using chatframe::length_error;
using chatframe::length_field_encoder;
using chatframe::length_field_framer;
using chatframe::length_field_options;
using chatframe::oversized_action;

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (const int c : b) s.push_back(static_cast<char>(c));
  return s;
}

// Whole frames and errors, as text; may call back into the decoder.
struct frames {
  std::vector<std::string> got;
  std::vector<length_error> errors;
  std::vector<const char*> where;  // data() of each frame
  length_field_framer* f = nullptr;
  std::function<void(std::string_view)> also;
  void on_frame(std::string_view frame) {
    got.emplace_back(frame);
    where.push_back(frame.data());
    if (also) also(frame);
  }
  void on_error(const length_error& e) { errors.push_back(e); }
};

// Pieces, joined per frame; every piece checked non-empty.
struct pieces {
  std::vector<std::uint64_t> lengths;
  std::vector<std::string> got;
  std::vector<std::size_t> piece_count;
  std::vector<length_error> errors;
  std::string current;
  std::size_t count = 0;
  bool empty_piece = false;
  void on_frame_begin(std::uint64_t n) {
    lengths.push_back(n);
    current.clear();
    count = 0;
  }
  void on_frame_piece(std::string_view p) {
    empty_piece = empty_piece || p.empty();
    current.append(p);
    ++count;
  }
  void on_frame_end() {
    got.push_back(current);
    piece_count.push_back(count);
  }
  void on_error(const length_error& e) { errors.push_back(e); }
};

template <class H>
void feed_bytewise(length_field_framer& f, std::string_view s, H& h) {
  for (const char c : s) ASSERT_EQ(f.feed(std::string_view(&c, 1), h).error, errc::ok);
}

// --- what the length counts ------------------------------------------------

TEST(LengthField, TheDefaultsAreAFourByteBigEndianFieldCountingTheBodyWhichIsTheFrame) {
  length_field_framer f;
  frames h;
  EXPECT_EQ(f.feed(bytes({0, 0, 0, 3}) + "abc" + bytes({0, 0, 0, 2}) + "hi", h).error, errc::ok);
  EXPECT_EQ(h.got, (std::vector<std::string>{"abc", "hi"}));
  EXPECT_TRUE(f.at_record_boundary());
}

TEST(LengthField, EveryWidthReadsItsLengthInEitherByteOrder) {
  for (const std::size_t w : {1, 2, 3, 4, 8}) {
    for (const byte_order order : {byte_order::big, byte_order::little}) {
      std::string header(w, '\0');
      header[order == byte_order::big ? w - 1 : 0] = 5;
      length_field_framer f({.length_width = w, .order = order});
      frames h;
      (void)f.feed(header + "hello" + header + "world", h);
      EXPECT_EQ(h.got, (std::vector<std::string>{"hello", "world"})) << w;
    }
  }
}

TEST(LengthField, AThreeByteFieldReadsItsBytesInTheOrderAsked) {
  // 0x000102 = 258 big-endian; the same bytes little-endian are 0x020100.
  length_field_framer big({.length_width = 3, .max_frame_length = 1 << 20});
  length_field_framer little(
      {.length_width = 3, .order = byte_order::little, .max_frame_length = 100});
  frames hb, hl;
  const std::string record = bytes({0, 1, 2}) + std::string(258, 'x');
  (void)big.feed(record, hb);
  (void)little.feed(record, hl);
  ASSERT_EQ(hb.got.size(), 1U);
  EXPECT_EQ(hb.got[0].size(), 258U);
  ASSERT_EQ(hl.errors.size(), 1U);
  EXPECT_EQ(hl.errors[0].field, 0x020100U);
}

TEST(LengthField, AnEmptyBodyIsAFrameDeliveredAsSoonAsItsHeaderIsRead) {
  // The count-0 trap of the count terminator (framer.hpp): count(0) means no
  // terminator, and the stream after it would be collected for ever.
  length_field_framer f({.length_width = 1});
  frames h;
  (void)f.feed(bytes({0}), h);
  EXPECT_EQ(h.got, (std::vector<std::string>{""}));  // not waiting for the next byte
  (void)f.feed(bytes({0, 2}) + "ok" + bytes({0}), h);
  EXPECT_EQ(h.got, (std::vector<std::string>{"", "", "ok", ""}));
  pieces p;
  length_field_framer g({.length_width = 1});
  (void)g.feed(bytes({0}), p);
  EXPECT_EQ(p.lengths, (std::vector<std::uint64_t>{0}));
  EXPECT_EQ(p.got, (std::vector<std::string>{""}));
  EXPECT_FALSE(p.empty_piece);
}

TEST(LengthField, AnAdjustmentOfMinusTheHeaderMakesTheFieldCountTheWholeRecord) {
  length_field_framer f({.length_width = 2, .length_adjustment = -2});
  frames h;
  (void)f.feed(bytes({0, 5}) + "abc" + bytes({0, 2}), h);
  EXPECT_EQ(h.got, (std::vector<std::string>{"abc", ""}));
}

TEST(LengthField, AnOffsetPutsBytesBeforeTheFieldAndStripZeroKeepsTheHeader) {
  // Netty's default initialBytesToStrip = 0: the frame is the whole record.
  length_field_framer f({.length_offset = 2, .length_width = 1, .strip = 0});
  frames h;
  (void)f.feed("T!" + bytes({3}) + "abc", h);
  EXPECT_EQ(h.got, (std::vector<std::string>{"T!" + bytes({3}) + "abc"}));
}

TEST(LengthField, AStripInsideTheHeaderKeepsItsLastBytesInTheFrame) {
  length_field_framer f({.length_offset = 1, .length_width = 2, .strip = 1});
  frames h;
  pieces p;
  const std::string record = "V" + bytes({0, 2}) + "ok";
  (void)f.feed(record, h);
  EXPECT_EQ(h.got, (std::vector<std::string>{bytes({0, 2}) + "ok"}));
  length_field_framer g({.length_offset = 1, .length_width = 2, .strip = 1});
  feed_bytewise(g, record, p);
  EXPECT_EQ(p.lengths, (std::vector<std::uint64_t>{4}));
  EXPECT_EQ(p.got, (std::vector<std::string>{bytes({0, 2}) + "ok"}));
}

TEST(LengthField, AStripBeyondTheHeaderDropsTheBodysFirstBytes) {
  length_field_framer f({.length_width = 1, .strip = 3});
  frames h;
  (void)f.feed(bytes({4}) + "xxok", h);
  EXPECT_EQ(h.got, (std::vector<std::string>{"ok"}));
}

// --- the maximum -------------------------------------------------------------

TEST(LengthField, TheMaximumIsCheckedOnTheAdjustedLengthNotTheField) {
  // tokio#4815: the field counts the whole record (adjustment -4); a frame of
  // exactly the maximum, whose field is 4 over it, must pass.
  length_field_framer f({.length_adjustment = -4, .max_frame_length = 10});
  frames h;
  (void)f.feed(bytes({0, 0, 0, 14}) + std::string(10, 'a'), h);
  (void)f.feed(bytes({0, 0, 0, 15}) + std::string(11, 'b'), h);
  EXPECT_EQ(h.got, (std::vector<std::string>{std::string(10, 'a')}));
  ASSERT_EQ(h.errors.size(), 1U);
  EXPECT_EQ(h.errors[0].code, errc::length_too_large);
  EXPECT_EQ(h.errors[0].frame_length, 11U);
  EXPECT_EQ(h.errors[0].field, 15U);
  EXPECT_EQ(h.errors[0].position, 14U);
  EXPECT_EQ(h.errors[0].limit, 10U);
}

TEST(LengthField, FailFastReportsAnOversizedRecordBeforeAnyByteOfItsBody) {
  length_field_framer f({.length_width = 1, .max_frame_length = 3});
  frames h;
  (void)f.feed(bytes({200}), h);
  ASSERT_EQ(h.errors.size(), 1U);
  EXPECT_EQ(h.errors[0].frame_length, 200U);
  EXPECT_EQ(f.frame_bytes(), 0U);
}

TEST(LengthField, WithoutFailFastTheReportComesOnceTheLastSkippedByteIsRead) {
  length_field_framer f({.length_width = 1, .max_frame_length = 3, .fail_fast = false});
  frames h;
  (void)f.feed(bytes({5}) + "1234", h);
  EXPECT_TRUE(h.errors.empty());
  (void)f.feed("5" + bytes({1}) + "k", h);
  ASSERT_EQ(h.errors.size(), 1U);
  EXPECT_EQ(h.errors[0].position, 0U);
  EXPECT_EQ(h.got, (std::vector<std::string>{"k"}));
}

TEST(LengthField, AnOversizedRecordIsSkippedExactlyHoweverTheChunksCutIt) {
  // netty#1798: the skip went negative when the record was already buffered.
  // Here the oversized record sits whole in one chunk, straddles every split
  // point, and arrives byte by byte: the records around it are always framed.
  const std::string stream =
      bytes({2}) + "ab" + bytes({9}) + "123456789" + bytes({0}) + bytes({1}) + "z";
  const std::vector<std::string> want{"ab", "", "z"};
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    length_field_framer f({.length_width = 1, .max_frame_length = 4});
    frames h;
    (void)f.feed(stream.substr(0, cut), h);
    (void)f.feed(stream.substr(cut), h);
    EXPECT_EQ(h.got, want) << cut;
    ASSERT_EQ(h.errors.size(), 1U);
    EXPECT_EQ(h.errors[0].position, 3U);
  }
  length_field_framer f({.length_width = 1, .max_frame_length = 4});
  frames h;
  feed_bytewise(f, stream, h);
  EXPECT_EQ(h.got, want);
}

TEST(LengthField, SkippingGoesOnAfterEveryOversizedRecordAndReportsEachOnce) {
  // netty#7775: Netty reports a too-long frame once and leaves the rest to
  // the caller. Here each oversized record is reported and skipped.
  length_field_framer f({.length_width = 1, .max_frame_length = 1});
  frames h;
  (void)f.feed(bytes({2}) + "aa" + bytes({2}) + "bb" + bytes({1}) + "c", h);
  EXPECT_EQ(h.errors.size(), 2U);
  EXPECT_EQ(h.got, (std::vector<std::string>{"c"}));
  EXPECT_FALSE(f.stopped());
}

TEST(LengthField, OversizedStopLeavesAClearStateAndRefusesFurtherInput) {
  length_field_framer f(
      {.length_width = 1, .max_frame_length = 1, .on_oversized = oversized_action::stop});
  frames h;
  const auto r = f.feed(bytes({1}) + "a" + bytes({2}) + "bb" + bytes({1}) + "c", h);
  EXPECT_EQ(r.error, errc::length_too_large);
  EXPECT_EQ(r.consumed, 7U);  // the whole chunk: its rest is dropped
  EXPECT_EQ(h.got, (std::vector<std::string>{"a"}));
  EXPECT_TRUE(f.stopped());
  EXPECT_EQ(f.error().code, errc::length_too_large);
  EXPECT_EQ(f.error().position, 2U);
  const auto again = f.feed(bytes({1}) + "d", h);
  EXPECT_EQ(again.consumed, 0U);
  EXPECT_EQ(again.error, errc::length_too_large);
  EXPECT_EQ(h.errors.size(), 1U);  // reported once; refused afterwards
  EXPECT_EQ(f.finish(h), errc::length_too_large);
}

// --- headers that cannot be followed ------------------------------------------

TEST(LengthField, AHeaderWhoseLengthOverflowsSixtyFourBitsStopsWithItsPosition) {
  length_field_framer f({.length_width = 8, .length_adjustment = 1});
  frames h;
  const auto r = f.feed(bytes({0, 0, 0, 0, 0, 0, 0, 0}) + "z" +
                            bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}) + "x",
                        h);
  EXPECT_EQ(h.got, (std::vector<std::string>{"z"}));  // 8 + 0 + 1 bytes
  ASSERT_EQ(h.errors.size(), 1U);
  EXPECT_EQ(h.errors[0].code, errc::length_overflow);
  EXPECT_EQ(h.errors[0].position, 9U);
  EXPECT_EQ(r.error, errc::length_overflow);
  EXPECT_TRUE(f.stopped());
}

TEST(LengthField, TheLargestFieldWithANegativeAdjustmentIsNoOverflow) {
  // 2^64 - 1 - 8 + 8: the record's length fits in 64 bits. It is oversized.
  length_field_framer f({.length_width = 8, .length_adjustment = -8});
  frames h;
  (void)f.feed(bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}), h);
  ASSERT_EQ(h.errors.size(), 1U);
  EXPECT_EQ(h.errors[0].code, errc::length_too_large);
  EXPECT_FALSE(f.stopped());
}

TEST(LengthField, AHeaderWhoseRecordWouldEndInsideItIsNegative) {
  length_field_framer f({.length_width = 2, .length_adjustment = -2});
  frames h;
  const auto r = f.feed(bytes({0, 1}) + "rest", h);
  EXPECT_EQ(r.error, errc::length_negative);
  ASSERT_EQ(h.errors.size(), 1U);
  EXPECT_EQ(h.errors[0].code, errc::length_negative);
  EXPECT_EQ(h.errors[0].field, 1U);
}

TEST(LengthField, ARecordShorterThanTheStripIsNegative) {
  length_field_framer f({.length_width = 1, .strip = 4});
  frames h;
  (void)f.feed(bytes({4}) + "abcd" + bytes({2}) + "xy", h);
  EXPECT_EQ(h.got, (std::vector<std::string>{"d"}));
  ASSERT_EQ(h.errors.size(), 1U);
  EXPECT_EQ(h.errors[0].code, errc::length_negative);
  EXPECT_EQ(h.errors[0].position, 5U);
}

// --- buffers -------------------------------------------------------------------

TEST(LengthField, AFrameInsideOneChunkIsAViewIntoThatChunk) {
  length_field_framer f({.length_width = 1});
  frames h;
  const std::string chunk = bytes({3}) + "abc" + bytes({2}) + "de";
  (void)f.feed(chunk, h);
  ASSERT_EQ(h.where.size(), 2U);
  EXPECT_EQ(h.where[0], chunk.data() + 1);
  EXPECT_EQ(h.where[1], chunk.data() + 5);
}

TEST(LengthField, AFrameAcrossChunksIsCopiedAsItsBytesArriveNeverAhead) {
  length_field_framer f({.length_width = 4, .max_frame_length = 1 << 30});
  frames h;
  (void)f.feed(bytes({0x10, 0, 0, 0}) + "abc", h);  // declares 256 MiB
  EXPECT_EQ(f.frame_bytes(), 3U);
  EXPECT_EQ(f.buffered(), 3U);
  (void)f.feed("defg", h);
  EXPECT_EQ(f.frame_bytes(), 7U);
}

TEST(LengthField, PiecesAreViewsIntoTheChunkAndNothingOfTheBodyIsKept) {
  length_field_framer f({.length_width = 1});
  pieces p;
  const std::string a = bytes({6}) + "abc", b = "def";
  (void)f.feed(a, p);
  EXPECT_EQ(f.frame_bytes(), 0U);
  (void)f.feed(b, p);
  EXPECT_EQ(p.got, (std::vector<std::string>{"abcdef"}));
  EXPECT_EQ(p.piece_count, (std::vector<std::size_t>{2}));
  EXPECT_EQ(p.lengths, (std::vector<std::uint64_t>{6}));
}

// --- callbacks ---------------------------------------------------------------------

TEST(LengthField, OptionsSetInsideACallbackApplyFromTheNextRecord) {
  length_field_framer f({.length_width = 1});
  frames h;
  h.also = [&](std::string_view) { EXPECT_EQ(f.set_options({.length_width = 2}), errc::ok); };
  (void)f.feed(bytes({1}) + "a" + bytes({0, 2}) + "bc" + bytes({0, 1}) + "d", h);
  EXPECT_EQ(h.got, (std::vector<std::string>{"a", "bc", "d"}));
}

TEST(LengthField, OptionsSetMidRecordWaitForTheRecordsEnd) {
  length_field_framer f({.length_width = 1});
  frames h;
  (void)f.feed(bytes({3}) + "a", h);
  EXPECT_EQ(f.set_options({.length_width = 2}), errc::ok);
  (void)f.feed("bc" + bytes({0, 1}) + "d", h);
  EXPECT_EQ(h.got, (std::vector<std::string>{"abc", "d"}));
}

TEST(LengthField, DiscardFromACallbackDropsTheRestOfTheChunkAndTheRecordInProgress) {
  length_field_framer f({.length_width = 1});
  frames h;
  h.also = [&](std::string_view frame) {
    if (frame == "a") f.discard();
  };
  (void)f.feed(bytes({1}) + "a" + bytes({1}) + "b", h);
  (void)f.feed(bytes({1}) + "c", h);
  EXPECT_EQ(h.got, (std::vector<std::string>{"a", "c"}));
}

TEST(LengthField, DiscardBetweenFeedsForgetsAHalfReadRecord) {
  length_field_framer f({.length_width = 1});
  frames h;
  (void)f.feed(bytes({5}) + "ab", h);
  f.discard();
  EXPECT_TRUE(f.at_record_boundary());
  EXPECT_EQ(f.frame_bytes(), 0U);
  (void)f.feed(bytes({1}) + "c", h);
  EXPECT_EQ(h.got, (std::vector<std::string>{"c"}));
}

TEST(LengthField, FeedFromInsideACallbackIsRefused) {
  length_field_framer f({.length_width = 1});
  frames h;
  errc inner = errc::ok;
  h.also = [&](std::string_view) { inner = f.feed("x", h).error; };
  (void)f.feed(bytes({1}) + "a", h);
  EXPECT_EQ(inner, errc::reentrant_feed);
}

TEST(LengthField, AThrowingOnFrameLeavesItDeliveredAndLosesNoByte) {
  length_field_framer f({.length_width = 1});
  frames h;
  bool thrown = false;
  h.also = [&](std::string_view) {
    if (!thrown) {
      thrown = true;
      throw std::runtime_error("once");
    }
  };
  EXPECT_THROW((void)f.feed(bytes({1}) + "a" + bytes({1}) + "b", h), std::runtime_error);
  EXPECT_EQ(f.held(), bytes({1}) + "b");
  (void)f.feed(bytes({1}) + "c", h);
  EXPECT_EQ(h.got, (std::vector<std::string>{"a", "b", "c"}));
}

// A piece handler whose chosen callback throws once.
struct throws_once : pieces {
  enum class at { begin, piece } where = at::begin;
  bool armed = true;
  void fire(at here) {
    if (armed && here == where) {
      armed = false;
      throw std::runtime_error("once");
    }
  }
  void on_frame_begin(std::uint64_t n) {
    pieces::on_frame_begin(n);
    fire(at::begin);
  }
  void on_frame_piece(std::string_view p) {
    fire(at::piece);
    pieces::on_frame_piece(p);
  }
};

TEST(LengthField, ARecordWhoseBeginThrewOnItsLastByteIsEndedByTheNextFeedEvenAnEmptyOne) {
  // An empty frame, and (strip 0) one that is its header's byte only:
  // nothing of the record is left to read, only its events.
  for (const length_field_options& o : {length_field_options{.length_width = 1},
                                        length_field_options{.length_width = 1, .strip = 0}}) {
    length_field_framer f(o);
    throws_once h;
    EXPECT_THROW((void)f.feed(bytes({0}), h), std::runtime_error);
    EXPECT_EQ(f.feed({}, h).error, errc::ok);
    EXPECT_EQ(h.got, (std::vector<std::string>{o.strip.has_value() ? bytes({0}) : ""}));
    EXPECT_TRUE(f.at_record_boundary());
    EXPECT_EQ(f.finish(h), errc::ok);
    EXPECT_TRUE(h.errors.empty());
  }
}

TEST(LengthField, FinishEndsARecordWhoseBeginOrHeaderPieceThrewOnItsLastByte) {
  // Whole in the chunk (the run), and with its header cut by the chunks
  // (the steps, whose header piece comes apart from the rest).
  for (const auto where : {throws_once::at::begin, throws_once::at::piece}) {
    for (const bool bytewise : {false, true}) {
      SCOPED_TRACE(std::to_string(static_cast<int>(where)) + (bytewise ? " bytewise" : " whole"));
      length_field_framer f({.length_width = 2, .strip = 0});
      throws_once h;
      h.where = where;
      const std::string record = bytes({0, 0});
      EXPECT_THROW(
          {
            if (bytewise) {
              (void)f.feed(record.substr(0, 1), h);
              (void)f.feed(record.substr(1), h);
            } else {
              (void)f.feed(record, h);
            }
          },
          std::runtime_error);
      EXPECT_EQ(f.finish(h), errc::ok);
      EXPECT_EQ(h.got, (std::vector<std::string>{record}));
      EXPECT_TRUE(h.errors.empty());
    }
  }
}

TEST(LengthField, FinishFromACallbackIsRefusedAndChangesNothing) {
  struct finishes : pieces {
    length_field_framer* f = nullptr;
    errc inner = errc::ok;
    void on_frame_begin(std::uint64_t n) {
      pieces::on_frame_begin(n);
      inner = f->finish(*this);
    }
  } h;
  length_field_framer f({.length_width = 1});
  h.f = &f;
  const std::string s = bytes({3}) + "abc" + bytes({1}) + "d";
  for (const char c : s) ASSERT_EQ(f.feed(std::string_view(&c, 1), h).error, errc::ok);
  EXPECT_EQ(h.inner, errc::reentrant_feed);
  EXPECT_EQ(h.got, (std::vector<std::string>{"abc", "d"}));
  EXPECT_TRUE(h.errors.empty());
  EXPECT_EQ(f.finish(h), errc::ok);
}

TEST(LengthField, FeedAndFinishFromTheReportsOfFinishAreRefused) {
  // finish()'s own on_error() calls are callbacks too: a feed() or finish()
  // from them is refused (they recursed without end), and the stray bytes
  // are not framed.
  struct reenters {
    length_field_framer* f = nullptr;
    std::vector<errc> fed, finished;
    std::vector<std::string> got;
    void on_frame(std::string_view frame) { got.emplace_back(frame); }
    void on_error(const length_error& /*e*/) {
      fed.push_back(f->feed(bytes({2}) + "XY", *this).error);
      finished.push_back(f->finish(*this));
    }
  } h;
  length_field_framer f({.length_width = 1, .max_frame_length = 4, .fail_fast = false});
  h.f = &f;
  // An oversized record cut short: its late length_too_large, then truncated_frame.
  ASSERT_EQ(f.feed(bytes({9}) + "abc", h).error, errc::ok);
  EXPECT_EQ(f.finish(h), errc::truncated_frame);
  EXPECT_EQ(h.fed, (std::vector<errc>{errc::reentrant_feed, errc::reentrant_feed}));
  EXPECT_EQ(h.finished, (std::vector<errc>{errc::reentrant_feed, errc::reentrant_feed}));
  EXPECT_TRUE(h.got.empty());
  EXPECT_EQ(f.position(), 4U);
  EXPECT_TRUE(f.at_record_boundary());
}

TEST(LengthField, FinishStillReportsTheTruncationAfterTheLateReportBeforeItThrew) {
  struct throws_first {
    std::vector<errc> errors;
    void on_frame(std::string_view /*frame*/) {}
    void on_error(const length_error& e) {
      errors.push_back(e.code);
      if (errors.size() == 1) throw std::runtime_error("once");
    }
  } h;
  length_field_framer f({.length_width = 1, .max_frame_length = 4, .fail_fast = false});
  ASSERT_EQ(f.feed(bytes({9}) + "abc", h).error, errc::ok);
  EXPECT_THROW((void)f.finish(h), std::runtime_error);
  EXPECT_FALSE(f.at_record_boundary());  // the record is still the one in progress
  EXPECT_EQ(f.finish(h), errc::truncated_frame);
  EXPECT_EQ(h.errors, (std::vector<errc>{errc::length_too_large, errc::truncated_frame}));
  EXPECT_EQ(f.finish(h), errc::ok);
}

TEST(LengthField, DiscardFromTheBeginOfARecordWhoseLastByteWasReadStillCompletesIt) {
  // The rule: a record whose last byte was read is completed, pieces and
  // end, whatever its callbacks discard. A frame of header bytes only (a
  // strip inside the header, an empty body) has them all read at its begin.
  struct discards_at_begin : pieces {
    length_field_framer* f = nullptr;
    void on_frame_begin(std::uint64_t n) {
      pieces::on_frame_begin(n);
      f->discard();
    }
  };
  struct noexcept_discards : discards_at_begin {
    void on_frame_begin(std::uint64_t n) noexcept { discards_at_begin::on_frame_begin(n); }
    void on_frame_piece(std::string_view p) noexcept { pieces::on_frame_piece(p); }
    void on_frame_end() noexcept { pieces::on_frame_end(); }
  };
  const std::string record = bytes({0, 0}) + bytes({0, 3}) + "abc";  // the second is discarded
  const auto check = [&](auto h, bool bytewise) {
    length_field_framer f({.length_width = 2, .strip = 1});
    h.f = &f;
    if (bytewise) {
      feed_bytewise(f, record.substr(0, 2), h);
    } else {
      (void)f.feed(record, h);
    }
    EXPECT_EQ(h.lengths, (std::vector<std::uint64_t>{1}));
    EXPECT_EQ(h.got, (std::vector<std::string>{bytes({0})}));
    EXPECT_TRUE(f.at_record_boundary());
  };
  for (const bool bytewise : {false, true}) {
    SCOPED_TRACE(bytewise ? "bytewise" : "whole");
    check(discards_at_begin{}, bytewise);
    check(noexcept_discards{}, bytewise);
  }
}

TEST(LengthField, AFrameThatHoldsHeaderBytesIsOnePieceWhenWholeInTheChunkWhateverTheHandler) {
  struct noexcept_pieces : pieces {
    void on_frame_begin(std::uint64_t n) noexcept { pieces::on_frame_begin(n); }
    void on_frame_piece(std::string_view p) noexcept { pieces::on_frame_piece(p); }
    void on_frame_end() noexcept { pieces::on_frame_end(); }
  };
  const std::string chunk = bytes({0, 3}) + "abc";
  length_field_framer f({.length_width = 2, .strip = 0});
  pieces may_throw;
  noexcept_pieces cannot;
  (void)f.feed(chunk, may_throw);
  (void)f.feed(chunk, cannot);
  EXPECT_EQ(may_throw.got, (std::vector<std::string>{chunk}));
  EXPECT_EQ(may_throw.piece_count, (std::vector<std::size_t>{1}));
  EXPECT_EQ(cannot.got, may_throw.got);
  EXPECT_EQ(cannot.piece_count, may_throw.piece_count);
}

TEST(LengthField, AThrowingPieceIsDeliveredAgainWhenFramingResumes) {
  struct thrower : pieces {
    bool once = true;
    void on_frame_piece(std::string_view p) {
      if (once) {
        once = false;
        throw std::runtime_error("once");
      }
      pieces::on_frame_piece(p);
    }
  } p;
  length_field_framer f({.length_width = 1});
  EXPECT_THROW((void)f.feed(bytes({3}) + "abc", p), std::runtime_error);
  (void)f.feed({}, p);
  EXPECT_EQ(p.got, (std::vector<std::string>{"abc"}));
}

// --- streamed pieces: feed()'s shorter way in ------------------------------
//
// With noexcept callbacks and no header byte in the frames, feed() streams
// pieces itself (length_field_framer.hpp, the machinery); with callbacks
// that may throw, the engine's steps frame them. Both must give the same
// events, with the decoder in the same state at each, whatever the chunks
// and whatever the callbacks do to the decoder.

// Logs every event with the decoder's state, and acts on the decoder from
// chosen events (by their index: the n-th begin, piece or end).
template <bool Noexcept>
struct logged_pieces {
  static constexpr std::size_t never = ~std::size_t{0};
  length_field_framer* f = nullptr;
  std::string log;
  std::size_t begins = 0, pieces_seen = 0, ends = 0;
  std::size_t discard_at_begin = never, discard_at_piece = never, discard_at_end = never;
  std::size_t options_at_end = never, options_at_piece = never;
  length_field_options next;
  void on_frame_begin(std::uint64_t n) noexcept(Noexcept) {
    log += "B" + std::to_string(n) + (f->at_record_boundary() ? "@" : "") + "|";
    if (begins++ == discard_at_begin) f->discard();
  }
  void on_frame_piece(std::string_view p) noexcept(Noexcept) {
    log += "P" + std::string(p) + "|";
    if (pieces_seen == options_at_piece) (void)f->set_options(next);
    if (pieces_seen++ == discard_at_piece) f->discard();
  }
  void on_frame_end() noexcept(Noexcept) {
    log += f->at_record_boundary() ? "Z@|" : "Z|";
    if (ends == options_at_end) (void)f->set_options(next);
    if (ends++ == discard_at_end) f->discard();
  }
  void on_error(const length_error& e) noexcept(Noexcept) {
    log += "E" + std::to_string(static_cast<int>(e.code)) + "@" + std::to_string(e.position) + "|";
  }
};

// Records with a 4-byte little-endian length field counting the body, each
// header written by the encoder.
std::string le32_records(const std::vector<std::size_t>& bodies) {
  const length_field_encoder enc({.length_width = 4, .order = byte_order::little});
  std::string s;
  char fill = 'a';
  for (const std::size_t n : bodies) {
    char header[4];
    EXPECT_EQ(enc.write_header(n, {}, header), errc::ok);
    s.append(header, sizeof header);
    for (std::size_t i = 0; i < n; ++i) s.push_back(static_cast<char>(fill + (i % 7)));
    fill = fill == 'p' ? 'a' : static_cast<char>(fill + 1);
  }
  return s;
}

// The events of a logging handler (logged_pieces, logged_frames) over the
// stream in chunks of `chunk` bytes, with what feed() returned and the
// decoder's state after each.
template <class Handler, class Setup>
std::string events_log(const length_field_options& o, std::string_view stream, std::size_t chunk,
                       Setup&& setup) {
  length_field_framer f(o);
  Handler h;
  h.f = &f;
  setup(h);
  for (std::size_t at = 0; at < stream.size(); at += chunk) {
    // An empty chunk first (a null view): it frames nothing, wherever it comes.
    const chatframe::feed_result none = f.feed(std::string_view{}, h);
    if (none.consumed != 0 || none.error != errc::ok) h.log += "N|";
    const chatframe::feed_result r = f.feed(stream.substr(at, chunk), h);
    h.log += "R" + std::to_string(r.consumed) + "," + std::to_string(static_cast<int>(r.error)) +
             "@" + std::to_string(f.position()) + "k" + std::to_string(f.frame_bytes()) +
             (f.at_record_boundary() ? "b" : "") + "|";
  }
  h.log += "F" + std::to_string(static_cast<int>(f.finish(h))) + "|";
  return h.log;
}

// The log of the streamed way in (noexcept callbacks) and of the steps
// (callbacks that may throw) must be the same under every chunking;
// log(noexcept, chunk) gives either.
template <class Log>
void expect_same_logs(Log&& log) {
  for (const std::size_t chunk : {4096, 4097, 4095, 1000, 33, 7, 1}) {
    const std::string streamed = log(std::true_type{}, chunk);
    const std::string stepped = log(std::false_type{}, chunk);
    // The logs hold whole records: show where they part, not all of them.
    const auto [a, b] =
        std::mismatch(streamed.begin(), streamed.end(), stepped.begin(), stepped.end());
    const auto at = static_cast<std::size_t>(a - streamed.begin());
    const std::size_t from = at < 60 ? 0 : at - 60;
    EXPECT_TRUE(a == streamed.end() && b == stepped.end())
        << "chunks of " << chunk << ", logs part at " << at << ":\n  streamed ..."
        << streamed.substr(from, 120) << "\n  stepped  ..." << stepped.substr(from, 120);
  }
}

template <class Setup>
void expect_same_pieces(const length_field_options& o, std::string_view stream, Setup&& setup) {
  expect_same_logs([&](auto noexcept_callbacks, std::size_t chunk) {
    return events_log<logged_pieces<decltype(noexcept_callbacks)::value>>(o, stream, chunk, setup);
  });
}

const std::vector<std::size_t> kMixedBodies = {4096, 0, 1, 5000, 3, 4092, 10000, 7, 0, 2048, 4096};

TEST(LengthFieldStreamed, PiecesAreTheEventsOfPiecesThatMayThrowUnderAnyChunking) {
  const std::string s = le32_records(kMixedBodies);
  const auto nothing = [](auto&) {};
  expect_same_pieces({.length_width = 4, .order = byte_order::little}, s, nothing);
  // A strip that reaches 2 bytes into the body (no body is shorter).
  const std::string t = le32_records({4096, 2, 5000, 3, 4092, 2, 10000});
  expect_same_pieces({.length_width = 4, .order = byte_order::little, .strip = 6}, t, nothing);
  // Strips that end inside the header: frames that hold header bytes.
  expect_same_pieces({.length_width = 4, .order = byte_order::little, .strip = 0}, s, nothing);
  expect_same_pieces({.length_width = 4, .order = byte_order::little, .strip = 3}, s, nothing);
  // A length adjustment: the field counts the whole record.
  std::string u;
  for (const std::size_t n : {4100, 4, 4101, 9000, 5})
    u += bytes({static_cast<int>(n >> 8), static_cast<int>(n & 0xFF)}) + std::string(n - 2, 'x');
  expect_same_pieces({.length_width = 2, .length_adjustment = -2}, u, nothing);
}

TEST(LengthFieldStreamed, AnEmptyOrShortChunkBeforeAnyHeaderFramesNothingAndLosesNothing) {
  // A new decoder, and one whose record was discarded between feeds, have
  // no record behind them: a null view, or fewer bytes than a header, is
  // taken and framed by nothing, and the records after it are whole.
  const std::string s = le32_records({3, 0, 5000});
  const length_field_options o{.length_width = 4, .order = byte_order::little};
  for (const bool discard_first : {false, true}) {
    SCOPED_TRACE(discard_first ? "after a discard" : "new");
    length_field_framer f(o);
    logged_pieces<true> h;
    h.f = &f;
    if (discard_first) {
      ASSERT_EQ(f.feed(std::string_view(s).substr(0, 6), h).error, errc::ok);
      f.discard();
      h.log.clear();
    }
    EXPECT_EQ(f.feed(std::string_view{}, h).consumed, 0U);
    EXPECT_EQ(f.feed(std::string_view(s).substr(0, 3), h).consumed, 3U);
    EXPECT_EQ(h.log, "");
    EXPECT_EQ(f.feed(std::string_view{}, h).consumed, 0U);
    EXPECT_EQ(f.feed(std::string_view(s).substr(3), h).consumed, s.size() - 3);
    EXPECT_EQ(h.log, "B3|Pabc|Z@|B0|Z@|B5000|P" + s.substr(15) + "|Z@|");
    EXPECT_EQ(f.finish(h), errc::ok);
  }
}

TEST(LengthFieldStreamed, OversizedRecordsInTheStreamAreSkippedAsTheStepsSkipThem) {
  const std::string s = le32_records(kMixedBodies);
  const auto nothing = [](auto&) {};
  expect_same_pieces({.length_width = 4, .order = byte_order::little, .max_frame_length = 4096}, s,
                     nothing);
  expect_same_pieces({.length_width = 4,
                      .order = byte_order::little,
                      .max_frame_length = 4096,
                      .fail_fast = false},
                     s, nothing);
  expect_same_pieces({.length_width = 4,
                      .order = byte_order::little,
                      .max_frame_length = 4096,
                      .on_oversized = oversized_action::stop},
                     s, nothing);
}

TEST(LengthFieldStreamed, DiscardFromAnyCallbackActsAsItDoesInTheSteps) {
  const std::string s = le32_records(kMixedBodies);
  const length_field_options o{.length_width = 4, .order = byte_order::little};
  for (std::size_t i = 0; i < kMixedBodies.size(); ++i) {
    SCOPED_TRACE("event " + std::to_string(i));
    expect_same_pieces(o, s, [i](auto& h) { h.discard_at_begin = i; });
    expect_same_pieces(o, s, [i](auto& h) { h.discard_at_end = i; });
    expect_same_pieces(o, s, [i](auto& h) { h.discard_at_piece = i; });
  }
}

TEST(LengthFieldStreamed, OptionsSetFromAnyCallbackApplyFromTheNextRecord) {
  // From the record after the change on, a 2-byte big-endian field: the
  // rest of the stream reads as other records (or as headers to refuse).
  const std::string s = le32_records(kMixedBodies);
  const length_field_options o{.length_width = 4, .order = byte_order::little};
  for (std::size_t i = 0; i < kMixedBodies.size(); ++i) {
    SCOPED_TRACE("event " + std::to_string(i));
    expect_same_pieces(o, s, [i](auto& h) {
      h.options_at_end = i;
      h.next = {.length_width = 2, .max_frame_length = 3000};
    });
    expect_same_pieces(o, s, [i](auto& h) {
      h.options_at_piece = i;
      h.next = {.length_width = 2, .max_frame_length = 3000};
    });
  }
}

TEST(LengthFieldStreamed, FeedFromAStreamedPieceIsRefused) {
  struct refeeds {
    length_field_framer* f = nullptr;
    errc inner = errc::ok;
    void on_frame_begin(std::uint64_t /*n*/) noexcept {}
    void on_frame_piece(std::string_view /*p*/) noexcept { inner = f->feed("x", *this).error; }
    void on_frame_end() noexcept {}
    void on_error(const length_error& /*e*/) noexcept {}
  } h;
  length_field_framer f({.length_width = 4, .order = byte_order::little});
  h.f = &f;
  const std::string s = le32_records({5000});
  EXPECT_EQ(f.feed(std::string_view(s).substr(0, 4096), h).error, errc::ok);
  EXPECT_EQ(h.inner, errc::reentrant_feed);
  h.inner = errc::ok;
  EXPECT_EQ(f.feed(std::string_view(s).substr(4096), h).error, errc::ok);
  EXPECT_EQ(h.inner, errc::reentrant_feed);
  EXPECT_TRUE(f.at_record_boundary());
  EXPECT_EQ(f.position(), s.size());
}

// Whole frames take the same shorter way in with noexcept callbacks: the
// frame's copy (one that crosses a chunk) is appended to there only within
// its capacity, and grown by the steps — so the records here grow past
// every earlier one's length (4096, 5000, 10000) in the middle of a feed.
template <bool Noexcept>
struct logged_frames {
  static constexpr std::size_t never = ~std::size_t{0};
  length_field_framer* f = nullptr;
  std::string log;
  std::size_t seen = 0;
  std::size_t discard_at = never, options_at = never;
  length_field_options next;
  void on_frame(std::string_view frame) noexcept(Noexcept) {
    log += "W" + std::string(frame) + (f->at_record_boundary() ? "@|" : "|");
    if (seen == options_at) (void)f->set_options(next);
    if (seen++ == discard_at) f->discard();
  }
  void on_error(const length_error& e) noexcept(Noexcept) {
    log += "E" + std::to_string(static_cast<int>(e.code)) + "@" + std::to_string(e.position) + "|";
  }
};

template <class Setup>
void expect_same_frames(const length_field_options& o, std::string_view stream, Setup&& setup) {
  expect_same_logs([&](auto noexcept_callbacks, std::size_t chunk) {
    return events_log<logged_frames<decltype(noexcept_callbacks)::value>>(o, stream, chunk, setup);
  });
}

TEST(LengthFieldStreamed, WholeFramesAreTheFramesOfHandlersThatMayThrowAsTheirCopiesGrow) {
  const std::string s = le32_records(kMixedBodies);
  const length_field_options o{.length_width = 4, .order = byte_order::little};
  expect_same_frames(o, s, [](auto&) {});
  expect_same_frames({.length_width = 4, .order = byte_order::little, .max_frame_length = 4096}, s,
                     [](auto&) {});
  for (std::size_t i = 0; i < kMixedBodies.size(); ++i) {
    SCOPED_TRACE("frame " + std::to_string(i));
    expect_same_frames(o, s, [i](auto& h) { h.discard_at = i; });
    expect_same_frames(o, s, [i](auto& h) {
      h.options_at = i;
      h.next = {.length_width = 2, .max_frame_length = 3000};
    });
  }
  // The frames themselves, not only the same ones both ways.
  const std::string streamed = events_log<logged_frames<true>>(o, s, 4096, [](auto&) {});
  std::string expected;
  std::size_t at = 0;
  for (const std::size_t n : kMixedBodies) {
    expected += "W" + s.substr(at + 4, n) + "@|";
    at += 4 + n;
  }
  std::string got;
  for (std::size_t p = 0; (p = streamed.find('W', p)) != std::string::npos;) {
    const std::size_t q = streamed.find('|', p);
    got += streamed.substr(p, q + 1 - p);
    p = q;
  }
  EXPECT_EQ(got, expected);
}

TEST(LengthField, FinishReportsARecordCutShortByTheEndOfTheStream) {
  length_field_framer f({.length_width = 2});
  frames h;
  (void)f.feed(bytes({0, 1}) + "a" + bytes({0, 9}) + "abc", h);
  EXPECT_EQ(f.finish(h), errc::truncated_frame);
  ASSERT_EQ(h.errors.size(), 1U);
  EXPECT_EQ(h.errors[0].code, errc::truncated_frame);
  EXPECT_EQ(h.errors[0].position, 3U);
  EXPECT_EQ(h.errors[0].frame_length, 5U);
  EXPECT_TRUE(f.at_record_boundary());
  EXPECT_EQ(f.finish(h), errc::ok);
}

TEST(LengthField, InvalidOptionsAreRefusedAndLeaveTheDecoderRefusingInput) {
  EXPECT_EQ(chatframe::validate({.length_width = 5}), errc::invalid_length_options);
  EXPECT_EQ(chatframe::validate({.length_width = 0}), errc::invalid_length_options);
  EXPECT_EQ(chatframe::validate({.length_offset = std::size_t{1} << 40}),
            errc::invalid_length_options);
  EXPECT_EQ(chatframe::validate({.max_frame_length = ~std::size_t{0}}),
            errc::invalid_length_options);
  // Enums cast from integers that name none of their values.
  EXPECT_EQ(chatframe::validate({.order = static_cast<byte_order>(7)}),
            errc::invalid_length_options);
  EXPECT_EQ(chatframe::validate({.on_oversized = static_cast<oversized_action>(2)}),
            errc::invalid_length_options);
  char header[4] = {};
  EXPECT_EQ(length_field_encoder({.order = static_cast<byte_order>(7)}).write_header(1, {}, header),
            errc::invalid_length_options);
  length_field_framer f({.length_width = 7});
  frames h;
  EXPECT_EQ(f.feed("abc", h).error, errc::invalid_length_options);
  EXPECT_EQ(f.set_options({.length_width = 6}), errc::invalid_length_options);
  EXPECT_EQ(f.set_options({.length_width = 1}), errc::ok);
  EXPECT_EQ(f.feed(bytes({1}) + "a", h).error, errc::ok);
  EXPECT_EQ(h.got, (std::vector<std::string>{"a"}));
}

TEST(LengthField, AMovedFromDecoderIsANewOneWithTheSameOptions) {
  length_field_framer f({.length_width = 1});
  frames h;
  (void)f.feed(bytes({3}) + "a", h);
  length_field_framer g(std::move(f));
  (void)g.feed("bc", h);
  EXPECT_EQ(h.got, (std::vector<std::string>{"abc"}));
  EXPECT_TRUE(f.at_record_boundary());  // NOLINT(bugprone-use-after-move): the contract
  (void)f.feed(bytes({1}) + "z", h);
  EXPECT_EQ(h.got, (std::vector<std::string>{"abc", "z"}));
}

TEST(LengthField, ErrorValuesAreStable) {
  EXPECT_EQ(static_cast<int>(errc::length_too_large), 13);
  EXPECT_EQ(static_cast<int>(errc::length_overflow), 14);
  EXPECT_EQ(static_cast<int>(errc::length_negative), 15);
  EXPECT_EQ(static_cast<int>(errc::invalid_length_options), 16);
  EXPECT_EQ(static_cast<int>(errc::length_does_not_fit), 17);
  EXPECT_EQ(chatframe::to_string(errc::length_does_not_fit), "length_does_not_fit");
  EXPECT_EQ(static_cast<int>(errc::frame_not_kept), 18);
  EXPECT_EQ(chatframe::to_string(errc::frame_not_kept), "frame_not_kept");
}

// --- the encoder ----------------------------------------------------------------------

TEST(LengthFieldEncoder, QueuesTheHeaderOwnedAndTheBodyBorrowedAsTwoGatheredViews) {
  length_field_encoder enc({.length_width = 2});
  chatframe::outbox out;
  const std::string body = "payload";
  ASSERT_EQ(enc.push(out, body), errc::ok);
  std::array<std::string_view, 4> views{};
  ASSERT_EQ(out.gather(views), 2U);
  EXPECT_EQ(views[0], bytes({0, 7}));
  EXPECT_EQ(views[1].data(), body.data());  // not copied
  EXPECT_EQ(views[1].size(), body.size());
}

TEST(LengthFieldEncoder, RefusesABodyWhoseLengthDoesNotFitTheField) {
  // tokio#5080: a 2-byte field and a larger maximum truncated the length.
  length_field_encoder enc({.length_width = 2, .max_frame_length = 1 << 20});
  chatframe::outbox out;
  EXPECT_EQ(enc.push(out, std::string(65535, 'a')), errc::ok);
  EXPECT_EQ(enc.push(out, std::string(65536, 'a')), errc::length_does_not_fit);
  EXPECT_EQ(out.queued_bytes(), 65537U);  // the refused record queued nothing
}

TEST(LengthFieldEncoder, RefusesWhatTheDecoderWouldRefuse) {
  length_field_encoder over({.length_width = 1, .max_frame_length = 3});
  char header[1];
  EXPECT_EQ(over.write_header(4, {}, header), errc::length_too_large);
  length_field_encoder negative({.length_width = 1, .length_adjustment = 2});
  EXPECT_EQ(negative.write_header(1, {}, header), errc::length_does_not_fit);
  length_field_encoder stripped({.length_width = 1, .strip = 5});
  EXPECT_EQ(stripped.write_header(3, {}, header), errc::length_negative);
  length_field_encoder prefix({.length_offset = 2, .length_width = 1});
  char three[3];
  EXPECT_EQ(prefix.write_header(1, "abc", three), errc::invalid_length_options);
  EXPECT_EQ(prefix.write_header(1, "ab", three), errc::ok);
  EXPECT_EQ(std::string(three, 3), "ab" + bytes({1}));
}

TEST(LengthFieldEncoder, WhatItWritesTheDecoderWithTheSameOptionsReadsBack) {
  const length_field_options o{.length_offset = 1,
                               .length_width = 3,
                               .order = byte_order::little,
                               .length_adjustment = -4,
                               .strip = 2};
  length_field_encoder enc(o);
  chatframe::outbox out;
  const std::vector<std::string> bodies{"", "x", std::string(300, 'y')};
  for (const std::string& b : bodies) ASSERT_EQ(enc.push(out, b, "P"), errc::ok);
  std::string wire;
  for (auto s = out.offer(); s.status == chatframe::send_status::data; s = out.offer()) {
    wire.append(s.data);
    ASSERT_EQ(out.consume(s.data.size()), errc::ok);
  }
  length_field_framer f(o);
  frames h;
  feed_bytewise(f, wire, h);
  ASSERT_EQ(h.got.size(), bodies.size());
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    std::string header(4, '\0');
    ASSERT_EQ(enc.write_header(bodies[i].size(), "P", header.data()), errc::ok);
    EXPECT_EQ(h.got[i], (header + bodies[i]).substr(2));
  }
}

}  // namespace
