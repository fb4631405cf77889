// outbox_test.cpp — the output side, behaviour by behaviour.
//
// Each expectation is what CPython 3.11's async_chat.push / push_with_producer
// / initiate_send (asynchat.py:199-269) would hand to send() for the same
// queue; the line numbers quoted are those of that file.
#include <gtest/gtest.h>

#include <array>
#include <functional>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "chatframe/error.hpp"
#include "chatframe/outbox.hpp"
#include "chatframe/producer.hpp"

namespace {

using chatframe::errc;
using chatframe::outbox;
using chatframe::send_offer;
using chatframe::send_status;
using chatframe::simple_producer;

// Offers, sends the whole offer, and returns what was offered ("" when idle
// or closed).
std::string send_one(outbox& out) {
  const send_offer o = out.offer();
  if (o.status != send_status::data) return {};
  std::string bytes(o.data);
  EXPECT_EQ(out.consume(bytes.size()), errc::ok);
  return bytes;
}

// Every offer until idle or closed, each sent whole.
std::vector<std::string> drain(outbox& out) {
  std::vector<std::string> sends;
  for (;;) {
    const std::string s = send_one(out);
    if (s.empty()) break;
    sends.push_back(s);
  }
  return sends;
}

using sends = std::vector<std::string>;

// A producer that hands out scripted pieces and counts calls to more().
class scripted_producer final : public chatframe::producer {
 public:
  explicit scripted_producer(std::vector<std::string> pieces, int* calls = nullptr)
      : pieces_(std::move(pieces)), calls_(calls) {}
  std::string_view more() override {
    if (calls_ != nullptr) ++*calls_;
    if (next_ == pieces_.size()) return {};
    return pieces_[next_++];
  }

 private:
  std::vector<std::string> pieces_;
  std::size_t next_ = 0;
  int* calls_;
};

// ---------------------------------------------------------------------------
// push() cuts long data into out_buffer_size items at push time
// (asynchat.py:203-208).

TEST(PushCutting, ShortDataIsOneItem) {
  outbox out(8);
  ASSERT_EQ(out.push("hello"), errc::ok);
  EXPECT_EQ(drain(out), (sends{"hello"}));
}

TEST(PushCutting, LongDataIsCutIntoBufferSizedItems) {
  outbox out(4);
  ASSERT_EQ(out.push("abcdefghij"), errc::ok);
  EXPECT_EQ(drain(out), (sends{"abcd", "efgh", "ij"}));
}

TEST(PushCutting, AGrowingBufferSizeDoesNotJoinItemsCutEarlier) {
  outbox out(4);
  ASSERT_EQ(out.push("abcdefghij"), errc::ok);
  ASSERT_EQ(out.set_out_buffer_size(100), errc::ok);
  EXPECT_EQ(drain(out), (sends{"abcd", "efgh", "ij"}));
}

TEST(PushCutting, AShrinkingBufferSizeSlicesEachItemWhenSent) {
  // asynchat.py:242-244, 264-265: first[:obs] is sent, first[num_sent:] stays.
  outbox out(4);
  ASSERT_EQ(out.push("abcdefghij"), errc::ok);
  ASSERT_EQ(out.set_out_buffer_size(3), errc::ok);
  EXPECT_EQ(drain(out), (sends{"abc", "d", "efg", "h", "ij"}));
}

TEST(PushCutting, DataOfExactlyTheBufferSizeIsNotCut) {
  outbox out(4);
  ASSERT_EQ(out.push("abcd"), errc::ok);
  ASSERT_EQ(out.push("ef"), errc::ok);
  EXPECT_EQ(drain(out), (sends{"abcd", "ef"}));
}

TEST(PushCutting, SeparatePushesAreNeverJoinedInOneOffer) {
  outbox out(100);
  ASSERT_EQ(out.push("ab"), errc::ok);
  ASSERT_EQ(out.push("cd"), errc::ok);
  EXPECT_EQ(drain(out), (sends{"ab", "cd"}));
}

TEST(PushCutting, EmptyPushIsSkippedWhenReached) {
  // asynchat.py:235-236 — an empty item is dropped.
  outbox out;
  ASSERT_EQ(out.push(""), errc::ok);
  EXPECT_FALSE(out.empty());
  ASSERT_EQ(out.push("x"), errc::ok);
  EXPECT_EQ(drain(out), (sends{"x"}));
  EXPECT_TRUE(out.empty());
}

TEST(PushCutting, OnlyAnEmptyPushLeavesTheOutboxIdleAndEmpty) {
  outbox out;
  ASSERT_EQ(out.push(std::string_view{}), errc::ok);
  EXPECT_EQ(out.offer().status, send_status::idle);
  EXPECT_TRUE(out.empty());
}

TEST(PushCutting, ZeroBufferSizeIsRefused) {
  outbox out(4);
  EXPECT_EQ(out.set_out_buffer_size(0), errc::zero_buffer_size);
  EXPECT_EQ(out.out_buffer_size(), 4u);
}

TEST(PushCutting, DefaultBufferSizeIsCPythons) {
  EXPECT_EQ(outbox().out_buffer_size(), 65536u);
  EXPECT_EQ(outbox::default_buffer_size, 65536u);
}

// ---------------------------------------------------------------------------
// offer() and consume(): what one send() call gets, and how much it took.

TEST(OfferAndConsume, OfferIsAtMostTheBufferSizeOfTheHeadItem) {
  outbox out(4);
  ASSERT_EQ(out.push_with_producer(std::string("abcdefghij")), errc::ok);
  const send_offer o = out.offer();
  EXPECT_EQ(o.status, send_status::data);
  EXPECT_EQ(o.data, "abcd");
}

TEST(OfferAndConsume, OfferingTwiceWithoutConsumeOffersTheSameBytes) {
  outbox out(4);
  ASSERT_EQ(out.push("abcdef"), errc::ok);
  EXPECT_EQ(out.offer().data, "abcd");
  EXPECT_EQ(out.offer().data, "abcd");
}

TEST(OfferAndConsume, PartialSendOfAPreCutItemOffersTheRestOfThatItem) {
  // first = b"abcd"; num_sent = 1 < len(data): fifo[0] = first[1:] (265).
  outbox out(4);
  ASSERT_EQ(out.push("abcdefgh"), errc::ok);
  EXPECT_EQ(out.offer().data, "abcd");
  EXPECT_EQ(out.consume(1), errc::ok);
  EXPECT_EQ(drain(out), (sends{"bcd", "efgh"}));
}

TEST(OfferAndConsume, PartialSendOfALongItemOffersTheNextBufferSizedSlice) {
  // Bytes given to push_with_producer are not cut: first[2:] is 8 bytes long
  // and the next send gets first[:4] of it.
  outbox out(4);
  ASSERT_EQ(out.push_with_producer(std::string("abcdefghij")), errc::ok);
  EXPECT_EQ(out.offer().data, "abcd");
  EXPECT_EQ(out.consume(2), errc::ok);
  EXPECT_EQ(drain(out), (sends{"cdef", "ghij"}));
}

TEST(OfferAndConsume, ConsumeZeroIsWouldBlockAndChangesNothing) {
  outbox out(4);
  ASSERT_EQ(out.push("abcdef"), errc::ok);
  EXPECT_EQ(out.offer().data, "abcd");
  EXPECT_EQ(out.consume(0), errc::ok);
  EXPECT_EQ(out.queued_bytes(), 6u);
  EXPECT_EQ(drain(out), (sends{"abcd", "ef"}));
}

TEST(OfferAndConsume, ConsumingMoreThanOfferedIsRefusedAndChangesNothing) {
  outbox out(4);
  ASSERT_EQ(out.push("abcdef"), errc::ok);
  EXPECT_EQ(out.offer().data, "abcd");
  EXPECT_EQ(out.consume(5), errc::consume_exceeds_offer);
  EXPECT_EQ(out.queued_bytes(), 6u);
  EXPECT_EQ(out.consume(4), errc::ok);  // the offer still stands
  EXPECT_EQ(drain(out), (sends{"ef"}));
}

TEST(OfferAndConsume, ConsumeWithoutAnOfferIsRefused) {
  outbox out;
  ASSERT_EQ(out.push("abc"), errc::ok);
  EXPECT_EQ(out.consume(1), errc::consume_exceeds_offer);
  EXPECT_EQ(out.consume(0), errc::ok);
  EXPECT_EQ(drain(out), (sends{"abc"}));
}

TEST(OfferAndConsume, AnOfferIsUsedUpByConsume) {
  outbox out;
  ASSERT_EQ(out.push("abc"), errc::ok);
  (void)out.offer();
  EXPECT_EQ(out.consume(1), errc::ok);
  EXPECT_EQ(out.consume(1), errc::consume_exceeds_offer);
}

TEST(OfferAndConsume, IdleWhenNothingIsQueued) {
  outbox out;
  const send_offer o = out.offer();
  EXPECT_EQ(o.status, send_status::idle);
  EXPECT_TRUE(o.data.empty());
  EXPECT_TRUE(out.empty());
}

TEST(OfferAndConsume, OneByteSendsDeliverEverythingInOrder) {
  outbox out(3);
  ASSERT_EQ(out.push("hello "), errc::ok);
  ASSERT_EQ(out.push("world"), errc::ok);
  std::string wire;
  for (send_offer o = out.offer(); o.status == send_status::data; o = out.offer()) {
    EXPECT_LE(o.data.size(), 3u);
    wire += o.data[0];
    ASSERT_EQ(out.consume(1), errc::ok);
  }
  EXPECT_EQ(wire, "hello world");
}

// ---------------------------------------------------------------------------
// Producers (asynchat.py:241-251, 278-292).

TEST(Producers, SimpleProducerHandsOutPiecesOf512ByDefault) {
  simple_producer p(std::string(1300, 'x'));
  EXPECT_EQ(p.more().size(), 512u);
  EXPECT_EQ(p.more().size(), 512u);
  EXPECT_EQ(p.more().size(), 276u);
  EXPECT_TRUE(p.more().empty());
  EXPECT_TRUE(p.more().empty());
}

TEST(Producers, SimpleProducerWithBufferSizeEight) {
  simple_producer p("hello world\nI'm", 8);
  EXPECT_EQ(p.more(), "hello wo");
  EXPECT_EQ(p.more(), "rld\nI'm");
  EXPECT_EQ(p.more(), "");
}

TEST(Producers, SimpleProducerOfExactlyTheBufferSizeIsOnePiece) {
  simple_producer p("abcd", 4);
  EXPECT_EQ(p.more(), "abcd");
  EXPECT_EQ(p.more(), "");
}

TEST(Producers, SimpleProducerWithBufferSizeZeroYieldsNothing) {
  // data[:0] is b'' (asynchat.py:286), which ends the producer at once.
  simple_producer p("abc", 0);
  EXPECT_TRUE(p.more().empty());
  outbox out;
  ASSERT_EQ(out.push_with_producer(std::make_unique<simple_producer>("abc", 0)), errc::ok);
  ASSERT_EQ(out.push("after"), errc::ok);
  EXPECT_EQ(drain(out), (sends{"after"}));
}

TEST(Producers, PiecesAreSentInTurnBeforeLaterItems) {
  outbox out;
  ASSERT_EQ(out.push("first "), errc::ok);
  ASSERT_EQ(out.push_with_producer(std::make_unique<simple_producer>("produced", 3)), errc::ok);
  ASSERT_EQ(out.push(" last"), errc::ok);
  EXPECT_EQ(drain(out), (sends{"first ", "pro", "duc", "ed", " last"}));
}

TEST(Producers, APieceLongerThanTheBufferSizeIsRequeuedAtTheHeadAndSliced) {
  // asynchat.py:246-248: the piece goes back as bytes, then first[:obs].
  outbox out(4);
  ASSERT_EQ(out.push_with_producer(
                std::make_unique<scripted_producer>(std::vector<std::string>{"abcdefghij", "XY"})),
            errc::ok);
  EXPECT_EQ(drain(out), (sends{"abcd", "efgh", "ij", "XY"}));
}

TEST(Producers, PartialSendOfAPieceOffersTheNextBufferSizedSliceOfItsRest) {
  outbox out(4);
  ASSERT_EQ(out.push_with_producer(
                std::make_unique<scripted_producer>(std::vector<std::string>{"abcdefghij"})),
            errc::ok);
  EXPECT_EQ(out.offer().data, "abcd");
  EXPECT_EQ(out.consume(1), errc::ok);
  EXPECT_EQ(drain(out), (sends{"bcde", "fghi", "j"}));
}

TEST(Producers, MoreIsNotAskedAgainUntilThePieceIsSent) {
  int calls = 0;
  outbox out(2);
  ASSERT_EQ(out.push_with_producer(std::make_unique<scripted_producer>(
                std::vector<std::string>{"abcd", "ef"}, &calls)),
            errc::ok);
  EXPECT_EQ(calls, 0);  // queuing asks nothing
  EXPECT_EQ(out.offer().data, "ab");
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(out.offer().data, "ab");
  EXPECT_EQ(calls, 1);
  ASSERT_EQ(out.consume(2), errc::ok);
  EXPECT_EQ(out.offer().data, "cd");
  EXPECT_EQ(calls, 1);
  ASSERT_EQ(out.consume(2), errc::ok);
  EXPECT_EQ(out.offer().data, "ef");
  EXPECT_EQ(calls, 2);
}

TEST(Producers, ProducerPieceViewsAreNotCopied) {
  // A producer's piece is offered as its own view.
  struct fixed final : chatframe::producer {
    std::string data = "payload";
    bool done = false;
    std::string_view more() override {
      if (done) return {};
      done = true;
      return data;
    }
  };
  auto p = std::make_unique<fixed>();
  const char* const where = p->data.data();
  outbox out;
  ASSERT_EQ(out.push_with_producer(std::move(p)), errc::ok);
  EXPECT_EQ(out.offer().data.data(), where);
}

TEST(Producers, NullProducerIsRefused) {
  outbox out;
  EXPECT_EQ(out.push_with_producer(std::unique_ptr<chatframe::producer>{}), errc::null_producer);
  EXPECT_TRUE(out.empty());
}

TEST(Producers, BytesGivenAsAProducerAreOneItemNotCutAtPushTime) {
  outbox out(4);
  ASSERT_EQ(out.push_with_producer(std::string("abcdefghij")), errc::ok);
  ASSERT_EQ(out.set_out_buffer_size(6), errc::ok);
  // Had it been cut at push time, the first offer would be "abcd".
  EXPECT_EQ(drain(out), (sends{"abcdef", "ghij"}));
}

// ---------------------------------------------------------------------------
// close_when_done() (asynchat.py:227-229, 235-239).

TEST(CloseWhenDone, ClosedComesAfterEverythingQueuedBeforeIt) {
  outbox out(4);
  ASSERT_EQ(out.push("abcdef"), errc::ok);
  ASSERT_EQ(out.push_with_producer(std::make_unique<simple_producer>("xyz", 2)), errc::ok);
  ASSERT_EQ(out.close_when_done(), errc::ok);
  EXPECT_FALSE(out.closed());
  EXPECT_EQ(drain(out), (sends{"abcd", "ef", "xy", "z"}));
  EXPECT_EQ(out.offer().status, send_status::closed);
  EXPECT_TRUE(out.closed());
  EXPECT_EQ(out.offer().status, send_status::closed);  // it stays closed
}

TEST(CloseWhenDone, OnlyTheMarkerMeansClosedAtOnce) {
  outbox out;
  ASSERT_EQ(out.close_when_done(), errc::ok);
  EXPECT_FALSE(out.empty());
  EXPECT_EQ(out.offer().status, send_status::closed);
  EXPECT_TRUE(out.empty());
}

TEST(CloseWhenDone, BytesQueuedAfterTheMarkerAreNeverOffered) {
  // None sits in the fifo before them; reaching it closes the channel.
  outbox out;
  ASSERT_EQ(out.push("before"), errc::ok);
  ASSERT_EQ(out.close_when_done(), errc::ok);
  EXPECT_EQ(out.push("after"), errc::ok);  // the marker is not reached yet
  EXPECT_EQ(drain(out), (sends{"before"}));
  EXPECT_EQ(out.offer().status, send_status::closed);
}

TEST(CloseWhenDone, PushesAfterTheMarkerWasReachedAreRefused) {
  outbox out;
  ASSERT_EQ(out.close_when_done(), errc::ok);
  ASSERT_EQ(out.offer().status, send_status::closed);
  EXPECT_EQ(out.push("x"), errc::closed);
  EXPECT_EQ(out.push_view("x"), errc::closed);
  EXPECT_EQ(out.push_with_producer(std::string("x")), errc::closed);
  EXPECT_EQ(out.push_with_producer(std::make_unique<simple_producer>("x")), errc::closed);
  EXPECT_EQ(out.close_when_done(), errc::closed);
  EXPECT_EQ(out.queued_bytes(), 0u);
  EXPECT_EQ(out.offer().status, send_status::closed);
}

// ---------------------------------------------------------------------------
// discard() (asynchat.py:275).

TEST(Discard, DropsEverythingIncludingTheCloseMarker) {
  outbox out;
  ASSERT_EQ(out.push("abc"), errc::ok);
  ASSERT_EQ(out.push_with_producer(std::make_unique<simple_producer>("def")), errc::ok);
  ASSERT_EQ(out.close_when_done(), errc::ok);
  out.discard();
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(out.queued_bytes(), 0u);
  EXPECT_EQ(out.offer().status, send_status::idle);
  EXPECT_FALSE(out.closed());
  ASSERT_EQ(out.push("new"), errc::ok);
  EXPECT_EQ(drain(out), (sends{"new"}));
}

TEST(Discard, CancelsAnOutstandingOffer) {
  outbox out;
  ASSERT_EQ(out.push("abc"), errc::ok);
  (void)out.offer();
  out.discard();
  EXPECT_EQ(out.consume(1), errc::consume_exceeds_offer);
}

// ---------------------------------------------------------------------------
// push_view() borrows.

TEST(PushView, OfferedBytesAreTheCallersOwn) {
  const std::string data = "borrowed bytes";
  outbox out;
  ASSERT_EQ(out.push_view(data), errc::ok);
  const send_offer o = out.offer();
  EXPECT_EQ(o.data, data);
  EXPECT_EQ(o.data.data(), data.data());
}

TEST(PushView, LongViewsAreCutLikePush) {
  const std::string data = "abcdefghij";
  outbox out(4);
  ASSERT_EQ(out.push_view(data), errc::ok);
  const send_offer o = out.offer();
  EXPECT_EQ(o.data.data(), data.data());
  EXPECT_EQ(drain(out), (sends{"abcd", "efgh", "ij"}));
}

TEST(PushView, PartialSendsKeepPointingIntoTheCallersBytes) {
  const std::string data = "abcdef";
  outbox out;
  ASSERT_EQ(out.push_view(data), errc::ok);
  (void)out.offer();
  ASSERT_EQ(out.consume(2), errc::ok);
  EXPECT_EQ(out.offer().data.data(), data.data() + 2);
}

TEST(PushView, EmptyViewIsSkipped) {
  outbox out;
  ASSERT_EQ(out.push_view(std::string_view{}), errc::ok);
  ASSERT_EQ(out.push("x"), errc::ok);
  EXPECT_EQ(drain(out), (sends{"x"}));
}

// ---------------------------------------------------------------------------
// push_view_joined(): bytes that continue the last borrowed item join it.

TEST(PushViewJoined, BytesThatContinueTheLastItemJoinIt) {
  const std::string buffer = "line1\nline2\n";
  const std::string_view all(buffer);
  outbox out;
  ASSERT_EQ(out.push_view_joined(all.substr(0, 6)), errc::ok);
  ASSERT_EQ(out.push_view_joined(all.substr(6)), errc::ok);
  EXPECT_EQ(out.queued_bytes(), 12u);
  const send_offer o = out.offer();
  EXPECT_EQ(o.data, all);
  EXPECT_EQ(o.data.data(), buffer.data());
  EXPECT_EQ(drain(out), (sends{"line1\nline2\n"}));
}

TEST(PushViewJoined, BytesElsewhereAreAnItemOfTheirOwn) {
  const std::string a = "one", b = "two";
  outbox out;
  ASSERT_EQ(out.push_view_joined(a), errc::ok);
  ASSERT_EQ(out.push_view_joined(b), errc::ok);
  EXPECT_EQ(drain(out), (sends{"one", "two"}));
}

TEST(PushViewJoined, AJoinedItemIsCutAsOnePushOfBothWouldBe) {
  const std::string buffer = "abcdefgh";
  const std::string_view all(buffer);
  outbox joined(4), whole(4);
  ASSERT_EQ(joined.push_view_joined(all.substr(0, 3)), errc::ok);
  ASSERT_EQ(joined.push_view_joined(all.substr(3)), errc::ok);
  ASSERT_EQ(whole.push(all), errc::ok);
  // A partial send shows where the items were cut: the rest of the first
  // item is offered alone.
  for (outbox* out : {&joined, &whole}) {
    ASSERT_EQ(out->offer().data, "abcd");
    ASSERT_EQ(out->consume(2), errc::ok);
  }
  EXPECT_EQ(drain(joined), (sends{"cd", "efgh"}));
  EXPECT_EQ(drain(whole), (sends{"cd", "efgh"}));
}

TEST(PushViewJoined, JoiningKeepsAnOutstandingOfferValid) {
  const std::string buffer = "abcdef";
  const std::string_view all(buffer);
  outbox out;
  ASSERT_EQ(out.push_view_joined(all.substr(0, 3)), errc::ok);
  const send_offer o = out.offer();
  ASSERT_EQ(o.data, "abc");
  ASSERT_EQ(out.push_view_joined(all.substr(3)), errc::ok);
  EXPECT_EQ(out.consume(4), errc::consume_exceeds_offer);
  ASSERT_EQ(out.consume(2), errc::ok);
  EXPECT_EQ(drain(out), (sends{"cdef"}));
}

TEST(PushViewJoined, NeverJoinsAProducersPieceNorBytesBehindTheCloseMarker) {
  struct fixed final : chatframe::producer {
    explicit fixed(std::string_view piece) : piece_(piece) {}
    std::string_view more() override { return std::exchange(piece_, {}); }
    std::string_view piece_;
  };
  const std::string buffer = "PPPPbbbbXXXX";
  const std::string_view all(buffer);
  outbox out;
  ASSERT_EQ(out.push_with_producer(std::make_unique<fixed>(all.substr(0, 4))), errc::ok);
  ASSERT_EQ(out.offer().data, "PPPP");  // the piece is queued, borrowed from `buffer`
  ASSERT_EQ(out.push_view_joined(all.substr(4, 4)), errc::ok);
  ASSERT_EQ(out.close_when_done(), errc::ok);
  ASSERT_EQ(out.push_view_joined(all.substr(8)), errc::ok);  // behind the marker: never sent
  EXPECT_EQ(drain(out), (sends{"PPPP", "bbbb"}));
  EXPECT_TRUE(out.closed());
  EXPECT_EQ(out.push_view_joined(all.substr(8)), errc::closed);
}

TEST(PushViewJoined, GatherSendsWhatPushViewWouldHaveSent) {
  std::string buffer;
  buffer.reserve(4096);
  outbox joined(8), separate(8);
  for (int i = 0; i < 100; ++i) {
    const std::size_t at = buffer.size();
    buffer += "line " + std::to_string(i) + "\n";
    const std::string_view line = std::string_view(buffer).substr(at);
    ASSERT_EQ(joined.push_view_joined(line), errc::ok);
    ASSERT_EQ(separate.push_view(line), errc::ok);
  }
  EXPECT_EQ(joined.queued_bytes(), separate.queued_bytes());
  std::vector<std::string_view> a(4), b(4);
  ASSERT_EQ(joined.gather(a), 1u);
  ASSERT_EQ(separate.gather(b), 1u);  // back to back: one view either way
  EXPECT_EQ(a[0], buffer);
  EXPECT_EQ(b[0], buffer);
}

// ---------------------------------------------------------------------------
// gather(): the same bytes as repeated offer(), as a list of views.

std::string gather_all(outbox& out, std::size_t views = 8,
                       std::size_t max_bytes = static_cast<std::size_t>(-1)) {
  std::string wire;
  std::vector<std::string_view> buf(views);
  for (;;) {
    const std::size_t n = out.gather(buf, max_bytes);
    if (n == 0) break;
    std::size_t total = 0;
    for (std::size_t i = 0; i < n; ++i) {
      wire.append(buf[i]);
      total += buf[i].size();
    }
    EXPECT_LE(total, max_bytes);
    EXPECT_EQ(out.consume(total), errc::ok);
  }
  return wire;
}

TEST(Gather, GivesTheSameBytesAsRepeatedOffer) {
  auto fill = [](outbox& out) {
    ASSERT_EQ(out.push("abcdefghij"), errc::ok);
    ASSERT_EQ(out.push(""), errc::ok);
    ASSERT_EQ(out.push_with_producer(std::make_unique<simple_producer>("0123456789", 3)), errc::ok);
    ASSERT_EQ(out.push_with_producer(std::string("KLMNOP")), errc::ok);
    ASSERT_EQ(out.push("tail"), errc::ok);
  };
  outbox a(4), b(4);
  fill(a);
  fill(b);
  std::string by_offer;
  for (const std::string& s : drain(a)) by_offer += s;
  EXPECT_EQ(gather_all(b), by_offer);
  EXPECT_EQ(by_offer, "abcdefghij0123456789KLMNOPtail");
  EXPECT_TRUE(b.empty());
}

TEST(Gather, StopsAfterAProducersPiece) {
  outbox out;
  ASSERT_EQ(out.push("ab"), errc::ok);
  ASSERT_EQ(out.push_with_producer(std::make_unique<simple_producer>("cdef", 2)), errc::ok);
  ASSERT_EQ(out.push("gh"), errc::ok);
  std::array<std::string_view, 8> views{};
  const std::size_t n = out.gather(views);
  ASSERT_EQ(n, 2u);
  EXPECT_EQ(views[0], "ab");
  EXPECT_EQ(views[1], "cd");
}

TEST(Gather, StopsAtTheCloseMarker) {
  outbox out;
  ASSERT_EQ(out.push("ab"), errc::ok);
  ASSERT_EQ(out.close_when_done(), errc::ok);
  ASSERT_EQ(out.push("never"), errc::ok);
  std::array<std::string_view, 8> views{};
  ASSERT_EQ(out.gather(views), 1u);
  EXPECT_EQ(views[0], "ab");
  EXPECT_FALSE(out.closed());  // "ab" is not sent yet
  ASSERT_EQ(out.consume(2), errc::ok);
  EXPECT_EQ(out.gather(views), 0u);
  EXPECT_TRUE(out.closed());  // reached by gather(), as offer() reaches it
  EXPECT_EQ(out.offer().status, send_status::closed);
  EXPECT_EQ(out.gather(views), 0u);
  EXPECT_TRUE(out.closed());
}

TEST(Gather, ALoopOfGatherAndConsumeAloneSeesTheCloseMarker) {
  // Spent items before the marker (an empty push, a producer with nothing
  // more) leave the queue as offer() drops them, so the loop ends.
  outbox out;
  ASSERT_EQ(out.push("ab"), errc::ok);
  ASSERT_EQ(out.push(""), errc::ok);
  ASSERT_EQ(out.push_with_producer(std::make_unique<simple_producer>("cd", 1)), errc::ok);
  ASSERT_EQ(out.push(""), errc::ok);
  ASSERT_EQ(out.close_when_done(), errc::ok);
  std::array<std::string_view, 8> views{};
  std::string wire;
  for (int guard = 0; guard < 100 && !out.closed(); ++guard) {
    const std::size_t n = out.gather(views);
    std::size_t sent = 0;
    for (std::size_t i = 0; i < n; ++i) {
      wire.append(views[i]);
      sent += views[i].size();
    }
    ASSERT_EQ(out.consume(sent), errc::ok);
  }
  EXPECT_EQ(wire, "abcd");
  EXPECT_TRUE(out.closed());
  EXPECT_TRUE(out.empty());
}

TEST(Gather, SpentItemsAloneLeaveTheQueueEmpty) {
  outbox out;
  ASSERT_EQ(out.push(""), errc::ok);
  ASSERT_EQ(out.push_with_producer(std::make_unique<simple_producer>("")), errc::ok);
  std::array<std::string_view, 4> views{};
  EXPECT_EQ(out.gather(views), 0u);
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(out.closed());
}

TEST(Gather, RespectsTheNumberOfViewsAndTheByteLimit) {
  outbox out(3);
  ASSERT_EQ(out.push("ab"), errc::ok);
  ASSERT_EQ(out.push("cd"), errc::ok);
  ASSERT_EQ(out.push("efgh"), errc::ok);
  std::array<std::string_view, 2> two{};
  ASSERT_EQ(out.gather(two), 2u);
  EXPECT_EQ(two[0], "ab");
  EXPECT_EQ(two[1], "cd");
  ASSERT_EQ(out.consume(0), errc::ok);
  EXPECT_EQ(gather_all(out, 8, 3), "abcdefgh");
}

TEST(Gather, PartialConsumeAcrossViews) {
  outbox out;
  ASSERT_EQ(out.push("ab"), errc::ok);
  ASSERT_EQ(out.push("cd"), errc::ok);
  std::array<std::string_view, 4> views{};
  ASSERT_EQ(out.gather(views), 2u);
  ASSERT_EQ(out.consume(3), errc::ok);
  EXPECT_EQ(drain(out), (sends{"d"}));
}

TEST(Gather, ConsumingMoreThanGatheredIsRefused) {
  outbox out;
  ASSERT_EQ(out.push("ab"), errc::ok);
  std::array<std::string_view, 4> views{};
  ASSERT_EQ(out.gather(views), 1u);
  EXPECT_EQ(out.consume(3), errc::consume_exceeds_offer);
  EXPECT_EQ(out.queued_bytes(), 2u);
}

TEST(Gather, BorrowedBytesAreGatheredInPlace) {
  const std::string data = "in place";
  outbox out;
  ASSERT_EQ(out.push_view(data), errc::ok);
  std::array<std::string_view, 1> views{};
  ASSERT_EQ(out.gather(views), 1u);
  EXPECT_EQ(views[0].data(), data.data());
}

TEST(Gather, ItemsBackToBackInMemoryShareOneView) {
  // An echo server pushes each line as a view into one buffer: the lines are
  // separate items, yet one range of memory, so one iovec.
  const std::string buffer = "one\ntwo\nthree\n";
  const std::string_view all(buffer);
  outbox out(4);
  ASSERT_EQ(out.push_view(all.substr(0, 4)), errc::ok);
  ASSERT_EQ(out.push_view(all.substr(4, 4)), errc::ok);
  ASSERT_EQ(out.push("owned\n"), errc::ok);  // elsewhere in memory: a view of its own
  ASSERT_EQ(out.push_view(all.substr(8)), errc::ok);
  std::array<std::string_view, 4> views{};
  ASSERT_EQ(out.gather(views), 3u);
  EXPECT_EQ(views[0].data(), buffer.data());
  EXPECT_EQ(views[0], "one\ntwo\n");
  EXPECT_EQ(views[1], "owned\n");
  EXPECT_EQ(views[2], "three\n");
  // Consuming part of the joined view leaves the rest of both items.
  ASSERT_EQ(out.consume(5), errc::ok);
  ASSERT_EQ(out.gather(views), 3u);
  EXPECT_EQ(views[0], "wo\n");
  EXPECT_EQ(drain(out), (sends{"wo\n", "owne", "d\n", "thre", "e\n"}));
}

TEST(Gather, ABackToBackItemJoinsTheLastViewEvenWhenEveryViewIsTaken) {
  const std::string buffer = "abcdef";
  const std::string_view all(buffer);
  outbox out;
  ASSERT_EQ(out.push("x"), errc::ok);
  ASSERT_EQ(out.push_view(all.substr(0, 3)), errc::ok);
  ASSERT_EQ(out.push_view(all.substr(3)), errc::ok);
  ASSERT_EQ(out.push("y"), errc::ok);  // needs a third view: left for the next gather
  std::array<std::string_view, 2> two{};
  ASSERT_EQ(out.gather(two), 2u);
  EXPECT_EQ(two[0], "x");
  EXPECT_EQ(two[1], "abcdef");
  EXPECT_EQ(out.consume(8), errc::consume_exceeds_offer);
  ASSERT_EQ(out.consume(7), errc::ok);
  EXPECT_EQ(drain(out), (sends{"y"}));
}

TEST(Gather, OneViewIsEnoughForAProducerAtTheHead) {
  outbox out;
  ASSERT_EQ(out.push_with_producer(std::make_unique<simple_producer>("abcd", 2)), errc::ok);
  std::array<std::string_view, 1> one{};
  ASSERT_EQ(out.gather(one), 1u);
  EXPECT_EQ(one[0], "ab");
  ASSERT_EQ(out.consume(2), errc::ok);
  ASSERT_EQ(out.gather(one), 1u);
  EXPECT_EQ(one[0], "cd");
}

TEST(Gather, AProducerIsNotAskedForMoreWhenEveryViewIsTaken) {
  int asked = 0;
  outbox out;
  ASSERT_EQ(out.push("head"), errc::ok);
  ASSERT_EQ(out.push_with_producer(std::make_unique<scripted_producer>(sends{"piece"}, &asked)),
            errc::ok);
  std::array<std::string_view, 1> one{};
  ASSERT_EQ(out.gather(one), 1u);
  EXPECT_EQ(one[0], "head");
  EXPECT_EQ(asked, 0);
  ASSERT_EQ(out.consume(4), errc::ok);
  ASSERT_EQ(out.gather(one), 1u);
  EXPECT_EQ(one[0], "piece");
  EXPECT_EQ(asked, 1);
}

TEST(Queue, KeepsOrderWhenItGrowsWhileWrappedAround) {
  // The queue reuses its slots in a ring of 8: sending 5 items moves its head
  // to the middle, and 20 more make it grow while the items wrap around.
  outbox out;
  std::string expected;
  for (int i = 0; i < 6; ++i) ASSERT_EQ(out.push(std::to_string(i) + ","), errc::ok);
  for (int i = 0; i < 5; ++i) {
    const send_offer o = out.offer();
    ASSERT_EQ(o.data, std::to_string(i) + ",");
    ASSERT_EQ(out.consume(o.data.size()), errc::ok);
  }
  expected = "5,";
  for (int i = 6; i < 26; ++i) {
    ASSERT_EQ(out.push(std::to_string(i) + ","), errc::ok);
    expected += std::to_string(i) + ",";
  }
  std::string sent;
  for (const std::string& s : drain(out)) sent += s;
  EXPECT_EQ(sent, expected);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(out.queued_bytes(), 0u);
}

// ---------------------------------------------------------------------------
// Moving: the queue goes with the move; the outbox moved from is empty, open
// and usable, not a copy of stale counts over an emptied queue.

TEST(Move, TheQueueAnOfferAndTheCloseMarkerGoWithTheMove) {
  outbox from(3);
  ASSERT_EQ(from.push("abcd"), errc::ok);
  ASSERT_EQ(from.close_when_done(), errc::ok);
  EXPECT_EQ(from.offer().data, "abc");
  outbox to(std::move(from));
  EXPECT_EQ(to.queued_bytes(), 4u);
  EXPECT_EQ(to.out_buffer_size(), 3u);
  ASSERT_EQ(to.consume(3), errc::ok);  // the offer made before the move
  EXPECT_EQ(drain(to), (sends{"d"}));
  EXPECT_TRUE(to.closed());
}

TEST(Move, TheOutboxMovedFromIsEmptyOpenAndUsable) {
  outbox from;
  for (int i = 0; i < 20; ++i) ASSERT_EQ(from.push("item"), errc::ok);
  ASSERT_EQ(from.close_when_done(), errc::ok);
  (void)from.offer();
  outbox to;
  to = std::move(from);
  // NOLINTBEGIN(bugprone-use-after-move): what a moved-from outbox does is the point
  EXPECT_TRUE(from.empty());
  EXPECT_EQ(from.queued_bytes(), 0u);
  EXPECT_FALSE(from.closed());
  EXPECT_EQ(from.consume(1), errc::consume_exceeds_offer);  // no offer survives the move
  for (int i = 0; i < 20; ++i) ASSERT_EQ(from.push(std::to_string(i)), errc::ok);
  std::string sent;
  for (const std::string& s : drain(from)) sent += s;
  EXPECT_EQ(sent, "012345678910111213141516171819");
  // NOLINTEND(bugprone-use-after-move)
  EXPECT_EQ(drain(to).size(), 20u);
  EXPECT_TRUE(to.closed());
}

// ---------------------------------------------------------------------------
// queued_bytes(): bytes queued or produced and not yet sent.

TEST(QueuedBytes, CountsPushesAndProducedPiecesUntilSent) {
  const std::string borrowed = "de";
  outbox out(4);
  EXPECT_EQ(out.queued_bytes(), 0u);
  ASSERT_EQ(out.push("abc"), errc::ok);
  EXPECT_EQ(out.queued_bytes(), 3u);
  ASSERT_EQ(out.push_view(borrowed), errc::ok);
  EXPECT_EQ(out.queued_bytes(), 5u);
  ASSERT_EQ(out.push_with_producer(std::string("fghij")), errc::ok);
  EXPECT_EQ(out.queued_bytes(), 10u);
  ASSERT_EQ(out.push_with_producer(std::make_unique<simple_producer>("klmnop", 4)), errc::ok);
  EXPECT_EQ(out.queued_bytes(), 10u);  // a producer's future output is not counted
  (void)out.offer();
  ASSERT_EQ(out.consume(2), errc::ok);
  EXPECT_EQ(out.queued_bytes(), 8u);
  (void)drain(out);  // everything, producer pieces included, is sent
  EXPECT_EQ(out.queued_bytes(), 0u);
  EXPECT_TRUE(out.empty());
}

TEST(QueuedBytes, AProducersPieceIsCountedOnceProduced) {
  outbox out(2);
  ASSERT_EQ(out.push_with_producer(std::make_unique<simple_producer>("klmnop", 4)), errc::ok);
  EXPECT_EQ(out.offer().data, "kl");
  EXPECT_EQ(out.queued_bytes(), 4u);
  ASSERT_EQ(out.consume(1), errc::ok);
  EXPECT_EQ(out.queued_bytes(), 3u);
}

}  // namespace

// ---------------------------------------------------------------------------
// A producer's more() is user code: it may push to, discard or read the very
// outbox that is asking it. CPython's deque allows all of it
// (asynchat.py:241-251); here it must at least be defined.

// A producer that runs `action` on its outbox before handing out its piece.
class reentrant_producer final : public chatframe::producer {
 public:
  reentrant_producer(outbox& out, std::function<void(outbox&)> action, std::string piece)
      : out_(out), action_(std::move(action)), piece_(std::move(piece)) {}
  std::string_view more() override {
    if (done_) return {};
    done_ = true;
    action_(out_);
    return piece_;
  }

 private:
  outbox& out_;
  std::function<void(outbox&)> action_;
  std::string piece_;
  bool done_ = false;
};

// Everything offer() offers, each offer sent whole, as one string.
std::string offer_all(outbox& out) {
  std::string wire;
  for (const std::string& s : drain(out)) wire += s;
  return wire;
}

TEST(Reentrancy, PushesFromMoreAreSentAfterThePieceEvenWhenTheQueueGrows) {
  // Eight items fill the first ring of 8; the pushes from more() make it grow
  // while offer() and gather() hold their place in it, and gather() has
  // already taken views of the short items before the producer, whose bytes
  // a std::string keeps inside the entry that moves.
  for (const bool gathered : {false, true}) {
    outbox out;
    for (const char* item : {"a", "b", "c"}) ASSERT_EQ(out.push(item), errc::ok);
    ASSERT_EQ(out.push_with_producer(std::make_unique<reentrant_producer>(
                  out,
                  [](outbox& o) {
                    for (int i = 0; i < 20; ++i)
                      ASSERT_EQ(o.push(std::to_string(i % 10)), errc::ok);
                  },
                  "piece,")),
              errc::ok);
    for (int i = 0; i < 4; ++i) ASSERT_EQ(out.push("-"), errc::ok);
    const std::string wire = gathered ? gather_all(out) : offer_all(out);
    EXPECT_EQ(wire, "abcpiece,----01234567890123456789") << (gathered ? "gather" : "offer");
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(out.queued_bytes(), 0u);
  }
}

TEST(Reentrancy, DiscardFromMoreDropsTheQueueButNotThePieceMoreReturns) {
  for (const bool gathered : {false, true}) {
    outbox out;
    ASSERT_EQ(out.push("before,"), errc::ok);
    ASSERT_EQ(out.push_with_producer(std::make_unique<reentrant_producer>(
                  out, [](outbox& o) { o.discard(); }, "piece,")),
              errc::ok);
    ASSERT_EQ(out.push("after,"), errc::ok);
    // The first item goes alone, so the producer is asked with it sent.
    const send_offer first = out.offer();
    ASSERT_EQ(first.data, "before,");
    ASSERT_EQ(out.consume(first.data.size()), errc::ok);
    const std::string wire = gathered ? gather_all(out) : offer_all(out);
    // CPython: discard_buffers() empties the deque, then initiate_send puts
    // the piece more() returned back at its head (asynchat.py:246-248).
    EXPECT_EQ(wire, "piece,") << (gathered ? "gather" : "offer");
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(out.queued_bytes(), 0u);
  }
}

TEST(Reentrancy, PushesAfterADiscardInMoreFollowThePiece) {
  outbox out;
  ASSERT_EQ(out.push_with_producer(std::make_unique<reentrant_producer>(
                out,
                [](outbox& o) {
                  o.discard();
                  ASSERT_EQ(o.push("pushed"), errc::ok);
                },
                "piece,")),
            errc::ok);
  ASSERT_EQ(out.push("dropped"), errc::ok);
  EXPECT_EQ(drain(out), (sends{"piece,", "pushed"}));
}

TEST(Reentrancy, WhatAnEndingProducerPushesIsGatheredAtOnce) {
  // more() pushes and says it is done: gather() must not come back empty
  // with those bytes queued (a loop would take the channel for idle).
  outbox out;
  ASSERT_EQ(out.push_with_producer(std::make_unique<reentrant_producer>(
                out, [](outbox& o) { ASSERT_EQ(o.push("late"), errc::ok); }, "")),
            errc::ok);
  std::array<std::string_view, 4> views{};
  ASSERT_EQ(out.gather(views), 1u);
  EXPECT_EQ(views[0], "late");
}

TEST(Reentrancy, AMoreThatThrowsLeavesItsProducerQueued) {
  struct throws_once final : chatframe::producer {
    int calls = 0;
    std::string_view more() override {
      if (++calls == 1) throw std::runtime_error("more");
      return calls == 2 ? "piece" : "";
    }
  };
  outbox out;
  ASSERT_EQ(out.push_with_producer(std::make_unique<throws_once>()), errc::ok);
  EXPECT_THROW((void)out.offer(), std::runtime_error);
  EXPECT_FALSE(out.empty());
  EXPECT_EQ(drain(out), (sends{"piece"}));
  EXPECT_TRUE(out.empty());
}

TEST(Reentrancy, OfferAndGatherFromMoreOfferNothing) {
  std::size_t views = 99;
  send_status status = send_status::data;
  outbox out;
  ASSERT_EQ(out.push_with_producer(std::make_unique<reentrant_producer>(
                out,
                [&](outbox& o) {
                  status = o.offer().status;
                  std::array<std::string_view, 4> v{};
                  views = o.gather(v);
                  EXPECT_EQ(o.consume(1), errc::consume_exceeds_offer);
                },
                "piece")),
            errc::ok);
  const send_offer o = out.offer();
  EXPECT_EQ(o.data, "piece");
  EXPECT_EQ(status, send_status::idle);
  EXPECT_EQ(views, 0u);
  ASSERT_EQ(out.consume(5), errc::ok);
  EXPECT_EQ(out.offer().status, send_status::idle);
}
