// async_chat_test.cpp — the CPython-shaped facade over a fake transport.
//
// The fake transport records every send() call, accepts at most `cap` bytes
// per call, and logs handle_close(); expectations follow CPython 3.11's
// async_chat (asynchat.py:193-275).
#include <gtest/gtest.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "chatframe/async_chat.hpp"
#include "chatframe/error.hpp"
#include "chatframe/producer.hpp"
#include "chatframe/terminator.hpp"

namespace {

using chatframe::collected;
using chatframe::errc;
using chatframe::terminator;

class fake_chat : public chatframe::async_chat {
 public:
  explicit fake_chat(std::size_t out_buffer_size = default_buffer_size)
      : async_chat(default_buffer_size, out_buffer_size) {}

  void collect_incoming_data(const collected& data) override { log += "C(" + data.str() + ")"; }
  void found_terminator() override { log += "F"; }
  std::size_t send(std::string_view data) override {
    offered.emplace_back(data);
    const std::size_t n = data.size() < cap ? data.size() : cap;
    wire.append(data.substr(0, n));
    return n;
  }
  void handle_close() override {
    log += "<close>";
    async_chat::handle_close();
  }

  std::size_t cap = static_cast<std::size_t>(-1);  // bytes accepted per send()
  std::vector<std::string> offered;                // every send() argument
  std::string wire;                                // what the transport accepted
  std::string log;                                 // input events and closes
};

// ---------------------------------------------------------------------------
// initiate_send(): one send() per call (asynchat.py:231-269 returns after
// "we tried to send some actual data").

TEST(InitiateSend, PushSendsOnceAtOnce) {
  fake_chat c;
  EXPECT_EQ(c.push("hello"), errc::ok);
  EXPECT_EQ(c.offered, std::vector<std::string>{"hello"});
  EXPECT_EQ(c.wire, "hello");
  EXPECT_FALSE(c.writable());
}

TEST(InitiateSend, EachCallSendsAtMostOneBufferSizedItem) {
  fake_chat c(4);
  EXPECT_EQ(c.push("abcdefghij"), errc::ok);
  EXPECT_EQ(c.wire, "abcd");
  EXPECT_TRUE(c.writable());
  c.initiate_send();
  EXPECT_EQ(c.wire, "abcdefgh");
  c.initiate_send();
  EXPECT_EQ(c.wire, "abcdefghij");
  EXPECT_EQ(c.offered, (std::vector<std::string>{"abcd", "efgh", "ij"}));
  EXPECT_FALSE(c.writable());
}

TEST(InitiateSend, PartialSendKeepsTheRestForTheNextCall) {
  fake_chat c;
  c.cap = 2;
  EXPECT_EQ(c.push("abcde"), errc::ok);
  EXPECT_EQ(c.wire, "ab");
  c.initiate_send();
  c.initiate_send();
  EXPECT_EQ(c.offered, (std::vector<std::string>{"abcde", "cde", "e"}));
  EXPECT_EQ(c.wire, "abcde");
}

TEST(InitiateSend, WouldBlockSendsNothingAndRetriesTheSameBytes) {
  fake_chat c;
  c.cap = 0;
  EXPECT_EQ(c.push("abc"), errc::ok);
  c.initiate_send();
  EXPECT_EQ(c.offered, (std::vector<std::string>{"abc", "abc"}));
  EXPECT_EQ(c.wire, "");
  EXPECT_TRUE(c.writable());
  c.cap = 100;
  c.initiate_send();
  EXPECT_EQ(c.wire, "abc");
}

TEST(InitiateSend, NothingQueuedMeansNoSend) {
  fake_chat c;
  c.initiate_send();
  EXPECT_TRUE(c.offered.empty());
}

TEST(InitiateSend, ProducerPiecesGoOutOneSendPerCall) {
  fake_chat c;
  EXPECT_EQ(c.push_with_producer(std::make_unique<chatframe::simple_producer>("hello world", 4)),
            errc::ok);
  EXPECT_EQ(c.wire, "hell");
  c.initiate_send();
  c.initiate_send();
  EXPECT_EQ(c.offered, (std::vector<std::string>{"hell", "o wo", "rld"}));
  // The spent producer is dropped on the next attempt without a send.
  c.initiate_send();
  EXPECT_EQ(c.offered.size(), 3u);
  EXPECT_FALSE(c.writable());
}

TEST(InitiateSend, BytesPushedAsAProducerAreSlicedWhenSent) {
  fake_chat c(4);
  c.cap = 3;
  EXPECT_EQ(c.push_with_producer(std::string("abcdefgh")), errc::ok);
  c.initiate_send();
  c.initiate_send();
  EXPECT_EQ(c.offered, (std::vector<std::string>{"abcd", "defg", "gh"}));
}

TEST(InitiateSend, OutBufferSizeCanBeChangedButNotToZero) {
  fake_chat c(4);
  EXPECT_EQ(c.ac_out_buffer_size(), 4u);
  EXPECT_EQ(c.set_ac_out_buffer_size(0), errc::zero_buffer_size);
  EXPECT_EQ(c.set_ac_out_buffer_size(2), errc::ok);
  EXPECT_EQ(c.push_with_producer(std::string("abcd")), errc::ok);
  EXPECT_EQ(c.offered, std::vector<std::string>{"ab"});
}

// ---------------------------------------------------------------------------
// The close marker: reaching it calls handle_close() (asynchat.py:237-239).

TEST(CloseMarker, ReachingItCallsHandleCloseAfterEverythingBefore) {
  fake_chat c(4);
  EXPECT_EQ(c.push("abcdef"), errc::ok);  // sends "abcd"
  EXPECT_EQ(c.close_when_done(), errc::ok);
  EXPECT_EQ(c.log, "");
  c.initiate_send();  // "ef"
  EXPECT_EQ(c.log, "");
  c.initiate_send();  // the marker
  EXPECT_EQ(c.log, "<close>");
  EXPECT_EQ(c.wire, "abcdef");
  EXPECT_FALSE(c.connected());
}

TEST(CloseMarker, CloseWhenDoneDoesNotSendByItself) {
  fake_chat c;
  EXPECT_EQ(c.close_when_done(), errc::ok);
  EXPECT_EQ(c.log, "");
  EXPECT_TRUE(c.connected());
  EXPECT_TRUE(c.writable());
  c.initiate_send();
  EXPECT_EQ(c.log, "<close>");
}

TEST(CloseMarker, AfterClosingNothingIsSentAndPushesAreRefused) {
  fake_chat c;
  EXPECT_EQ(c.close_when_done(), errc::ok);
  c.initiate_send();
  EXPECT_EQ(c.push("late"), errc::closed);
  c.initiate_send();
  EXPECT_TRUE(c.offered.empty());
  EXPECT_EQ(c.log, "<close>");
  EXPECT_TRUE(c.writable());  // `not self.connected` (asynchat.py:225)
}

TEST(CloseMarker, ADisconnectedChannelDoesNotSend) {
  // asynchat.py:232 — `while self.producer_fifo and self.connected`.
  fake_chat c;
  c.close();
  EXPECT_EQ(c.push("abc"), errc::ok);
  EXPECT_TRUE(c.offered.empty());
}

// ---------------------------------------------------------------------------
// Input: handle_read() frames, handle_eof() closes then re-frames.

TEST(Input, HandleReadFramesWithTheTerminator) {
  fake_chat c;
  EXPECT_EQ(c.set_terminator(terminator::bytes("\r\n")), errc::ok);
  c.handle_read("ab\r");
  c.handle_read("\ncd");
  EXPECT_EQ(c.log, "C(ab)FC(cd)");
  EXPECT_EQ(c.get_terminator(), terminator::bytes("\r\n"));
}

TEST(Input, HandleReadReportsWhereCPythonRaisesTypeError) {
  // asynchat.py:153 — a running count replaced by a delimiter inside
  // collect_incoming_data: b"\n" - 3.
  struct replacer : fake_chat {
    void collect_incoming_data(const collected& data) override {
      fake_chat::collect_incoming_data(data);
      (void)set_terminator(terminator::bytes("\n"));
    }
  };
  replacer c;
  EXPECT_EQ(c.set_terminator(terminator::count(10)), errc::ok);
  EXPECT_EQ(c.handle_read("abc"), errc::count_replaced_by_non_count);
  EXPECT_EQ(c.log, "C(abc)");
  EXPECT_EQ(c.get_terminator(), terminator::bytes("\n"));
  EXPECT_EQ(c.handle_read("x\n"), errc::ok);
  EXPECT_EQ(c.log, "C(abc)C(x)F");
}

TEST(Input, NegativeTerminatorIsRefused) {
  fake_chat c;
  EXPECT_EQ(c.set_terminator(terminator::count(-1)), errc::negative_count);
  EXPECT_TRUE(c.get_terminator().is_none());
}

TEST(Input, HandleEofCallsHandleCloseThenReframesHeldBytes) {
  fake_chat c;
  EXPECT_EQ(c.set_terminator(terminator::bytes("abc")), errc::ok);
  c.handle_read("xab");
  EXPECT_EQ(c.set_terminator(terminator::bytes("b")), errc::ok);
  c.handle_eof();
  EXPECT_EQ(c.log, "C(x)<close>C(a)F");
  EXPECT_FALSE(c.connected());
}

TEST(Input, HandleEofWithNothingToReframeOnlyCloses) {
  fake_chat c;
  EXPECT_EQ(c.set_terminator(terminator::bytes("\r\n")), errc::ok);
  c.handle_read("ab\r");
  c.handle_eof();
  EXPECT_EQ(c.log, "C(ab)<close>");
  EXPECT_EQ(c.input().held(), "\r");  // CPython never delivers it
}

TEST(Input, DiscardBuffersDropsHeldInputAndQueuedOutput) {
  fake_chat c(2);
  c.cap = 0;
  EXPECT_EQ(c.set_terminator(terminator::bytes("\r\n")), errc::ok);
  c.handle_read("ab\r");
  EXPECT_EQ(c.push("queued"), errc::ok);
  EXPECT_EQ(c.close_when_done(), errc::ok);
  c.discard_buffers();
  EXPECT_EQ(c.input().held(), "");
  EXPECT_TRUE(c.output().empty());
  EXPECT_FALSE(c.writable());
  c.handle_read("\n");
  EXPECT_EQ(c.log, "C(ab)C(\n)");
}

TEST(Input, ReadableAlways) {
  fake_chat c;
  EXPECT_TRUE(c.readable());
}

TEST(Input, InBufferSizeIsKeptButNeverZero) {
  fake_chat c;
  EXPECT_EQ(c.ac_in_buffer_size(), 65536u);
  c.set_ac_in_buffer_size(0);
  EXPECT_EQ(c.ac_in_buffer_size(), 1u);
  c.set_ac_in_buffer_size(10);
  EXPECT_EQ(c.ac_in_buffer_size(), 10u);
}

// ---------------------------------------------------------------------------
// A producer whose first more() pushes to its own channel (async_chat.hpp:
// the push is queued behind it and never asks it again from inside more()).

class pushing_producer final : public chatframe::producer {
 public:
  pushing_producer(chatframe::async_chat& chat, std::vector<std::string> pieces)
      : chat_(chat), pieces_(std::move(pieces)) {}
  std::string_view more() override {
    ++calls;
    if (calls == 1) {
      const int depth_before = depth_++;
      EXPECT_EQ(chat_.push("X"), errc::ok);
      depth_ = depth_before;
    }
    EXPECT_EQ(depth_, 0) << "more() was called from inside more()";
    if (next_ == pieces_.size()) return {};
    return pieces_[next_++];
  }
  int calls = 0;

 private:
  chatframe::async_chat& chat_;
  std::vector<std::string> pieces_;
  std::size_t next_ = 0;
  int depth_ = 0;
};

TEST(PushFromAProducer, IsSentAfterTheProducerAsCPythonSendsItWhenEverySendIsTaken) {
  // CPython 3.11 sends [a, b, X] here, having asked more() again from inside
  // the push; the same bytes in the same send() calls, one initiate_send() later.
  fake_chat c;
  auto p = std::make_unique<pushing_producer>(c, std::vector<std::string>{"a", "b"});
  EXPECT_EQ(c.push_with_producer(std::move(p)), errc::ok);
  EXPECT_EQ(c.offered, std::vector<std::string>{"a"});
  while (c.writable()) c.initiate_send();
  EXPECT_EQ(c.offered, (std::vector<std::string>{"a", "b", "X"}));
  EXPECT_EQ(c.wire, "abX");
}

TEST(PushFromAProducer, KeepsThePiecesInOrderWhenASendWouldBlock) {
  // Where CPython queues b ahead of a (its inner initiate_send() could not
  // send a), the pieces still leave in the order more() returned them.
  fake_chat c;
  c.cap = 0;
  auto p = std::make_unique<pushing_producer>(c, std::vector<std::string>{"a", "b"});
  pushing_producer& producer = *p;
  EXPECT_EQ(c.push_with_producer(std::move(p)), errc::ok);
  c.initiate_send();
  EXPECT_EQ(c.wire, "");
  EXPECT_EQ(producer.calls, 1);
  c.cap = static_cast<std::size_t>(-1);
  while (c.writable()) c.initiate_send();
  EXPECT_EQ(c.wire, "abX");
}

// ---------------------------------------------------------------------------
// send_on_push.

TEST(SendOnPush, OnByDefaultEveryPushTriesToSend) {
  fake_chat c;
  EXPECT_EQ(c.push("a"), errc::ok);
  EXPECT_EQ(c.push_with_producer(std::string("b")), errc::ok);
  EXPECT_EQ(c.push_with_producer(std::make_unique<chatframe::simple_producer>("c")), errc::ok);
  EXPECT_EQ(c.offered, (std::vector<std::string>{"a", "b", "c"}));
}

TEST(SendOnPush, OffPushesOnlyQueueAndTheOwnerDrains) {
  fake_chat c;
  c.set_send_on_push(false);
  EXPECT_EQ(c.push("a"), errc::ok);
  EXPECT_EQ(c.push_with_producer(std::string("b")), errc::ok);
  EXPECT_EQ(c.push_with_producer(std::make_unique<chatframe::simple_producer>("c")), errc::ok);
  EXPECT_TRUE(c.offered.empty());
  EXPECT_TRUE(c.writable());
  while (c.writable()) c.initiate_send();
  EXPECT_EQ(c.offered, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(c.wire, "abc");
}

TEST(SendOnPush, TurningItBackOnSendsAtTheNextPush) {
  fake_chat c;
  c.set_send_on_push(false);
  EXPECT_EQ(c.push("a"), errc::ok);
  c.set_send_on_push(true);
  EXPECT_EQ(c.push("b"), errc::ok);
  EXPECT_EQ(c.offered, std::vector<std::string>{"a"});  // one send per push
}

}  // namespace
