// asynchat_port_test.cpp — CPython 3.11's Lib/test/test_asynchat.py, sans-IO.
//
// The CPython suite connects an async_chat client to an echo server thread
// over a socket: the client pushes a few messages and "QUIT\n"; the server
// reads until it has seen "QUIT\n", removes it, and sends everything back in
// chunks of a fixed size; the client frames what comes back and records one
// entry per found_terminator(). Here the same conversation runs with no
// socket and no thread:
//   * the client is a chatframe::async_chat whose send() hands bytes to
//   * the echo peer, itself a chatframe::async_chat (terminator none, as the
//     server thread just accumulates), which, once "QUIT\n" has arrived,
//     pushes the rest back with its output buffer size set to the chunk size
//     so that each send() of the peer is one chunk into the client's
//     handle_read().
// Every case is run with echo chunks of 1, 2 and 3 bytes, as CPython does,
// and additionally with every chunk size from 1 to the length of the echo.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "chatframe/async_chat.hpp"
#include "chatframe/error.hpp"
#include "chatframe/framer.hpp"
#include "chatframe/producer.hpp"
#include "chatframe/terminator.hpp"
#include "framing_test_support.hpp"

namespace {

using chatframe::collected;
using chatframe::errc;
using chatframe::terminator;

constexpr std::string_view server_quit = "QUIT\n";

// The client side: collects into `buffer`, moves it to `contents` on found.
class echo_client final : public chatframe::async_chat {
 public:
  explicit echo_client(std::function<void(std::string_view)> to_peer)
      : to_peer_(std::move(to_peer)) {}

  void collect_incoming_data(const collected& data) override { data.append_to(buffer); }
  void found_terminator() override {
    contents.push_back(buffer);
    buffer.clear();
  }
  std::size_t send(std::string_view data) override {
    // The server thread reads one byte per recv(); accept one byte per send.
    to_peer_(data.substr(0, 1));
    return data.empty() ? 0 : 1;
  }

  std::vector<std::string> contents;
  std::string buffer;

 private:
  std::function<void(std::string_view)> to_peer_;
};

// The server side: accumulates until "QUIT\n", then echoes in chunks.
class echo_peer final : public chatframe::async_chat {
 public:
  explicit echo_peer(std::size_t chunk_size) : async_chat(default_buffer_size, chunk_size) {
    set_send_on_push(false);
  }

  void collect_incoming_data(const collected& data) override {
    if (!quit_seen_) data.append_to(received);
  }
  void found_terminator() override { ADD_FAILURE() << "the echo peer frames nothing"; }
  std::size_t send(std::string_view data) override {
    if (client_ != nullptr && client_->connected()) client_->handle_read(data);
    return data.size();
  }

  // After each arrival: once "QUIT\n" is in the buffer, strip every copy and
  // queue the rest for echoing.
  void check_quit() {
    if (quit_seen_ || received.find(server_quit) == std::string::npos) return;
    quit_seen_ = true;
    std::string echo;
    for (std::size_t from = 0;;) {
      const std::size_t at = received.find(server_quit, from);
      echo.append(received, from, at == std::string::npos ? std::string::npos : at - from);
      if (at == std::string::npos) break;
      from = at + server_quit.size();
    }
    echoed = echo;
    if (!echo.empty()) (void)push(std::move(echo));
  }

  void connect(echo_client* c) { client_ = c; }
  [[nodiscard]] bool quit_seen() const noexcept { return quit_seen_; }

  std::string received;  // everything the client sent
  std::string echoed;    // what was queued to go back

 private:
  echo_client* client_ = nullptr;
  bool quit_seen_ = false;
};

struct conversation {
  explicit conversation(std::size_t chunk_size)
      : peer(chunk_size), client([this](std::string_view d) {
          peer.handle_read(d);
          peer.check_quit();
        }) {
    peer.connect(&client);
  }

  // asyncore.loop(): lets the client send until it has nothing left (or is
  // closed), then lets the peer echo until it has nothing left.
  void run() {
    for (int guard = 0; guard < 100000 && client.connected() && !client.output().empty(); ++guard)
      client.initiate_send();
    for (int guard = 0; guard < 100000 && !peer.output().empty(); ++guard) peer.initiate_send();
  }

  echo_peer peer;
  echo_client client;
};

using contents = std::vector<std::string>;

// The chunk sizes every case is run with: CPython's 1, 2, 3, then every size
// up to the length of what is echoed.
std::vector<std::size_t> chunk_sizes(std::size_t echo_length) {
  std::vector<std::size_t> sizes{1, 2, 3};
  for (std::size_t n = 4; n <= echo_length; ++n) sizes.push_back(n);
  return sizes;
}

// ---------------------------------------------------------------------------
// line_terminator_check: "hello " "world"+term "I'm not dead yet!"+term QUIT.

void line_terminator_check(std::string_view term) {
  const std::size_t echo_length = 6 + 5 + 17 + 2 * term.size();
  for (std::size_t chunk : chunk_sizes(echo_length)) {
    SCOPED_TRACE("terminator of " + std::to_string(term.size()) + " bytes, chunks of " +
                 std::to_string(chunk));
    conversation c(chunk);
    ASSERT_EQ(c.client.set_terminator(terminator::bytes(term)), errc::ok);
    EXPECT_EQ(c.client.push("hello "), errc::ok);
    EXPECT_EQ(c.client.push("world" + std::string(term)), errc::ok);
    EXPECT_EQ(c.client.push("I'm not dead yet!" + std::string(term)), errc::ok);
    EXPECT_EQ(c.client.push(std::string(server_quit)), errc::ok);
    c.run();
    EXPECT_EQ(c.peer.echoed.size(), echo_length);
    EXPECT_EQ(c.client.contents, (contents{"hello world", "I'm not dead yet!"}));
  }
}

TEST(AsynchatPort, LineTerminatorOfOneByte) { line_terminator_check("\n"); }
TEST(AsynchatPort, LineTerminatorOfTwoBytes) { line_terminator_check("\r\n"); }
TEST(AsynchatPort, LineTerminatorOfThreeBytes) { line_terminator_check("qqq"); }

// ---------------------------------------------------------------------------
// numeric_terminator_check: the first termlen bytes are one frame; the rest
// is collected with the count at 0 and never reported.

constexpr std::string_view numeric_data = "hello world, I'm not dead yet!\n";

void numeric_terminator_check(std::int64_t termlen) {
  for (std::size_t chunk : chunk_sizes(numeric_data.size())) {
    SCOPED_TRACE("count " + std::to_string(termlen) + ", chunks of " + std::to_string(chunk));
    conversation c(chunk);
    ASSERT_EQ(c.client.set_terminator(terminator::count(termlen)), errc::ok);
    EXPECT_EQ(c.client.push(std::string(numeric_data)), errc::ok);
    EXPECT_EQ(c.client.push(std::string(server_quit)), errc::ok);
    c.run();
    EXPECT_EQ(c.client.contents,
              contents{std::string(numeric_data.substr(0, static_cast<std::size_t>(termlen)))});
    EXPECT_EQ(c.client.buffer, numeric_data.substr(static_cast<std::size_t>(termlen)));
    EXPECT_EQ(c.client.get_terminator(), terminator::count(0));
  }
}

TEST(AsynchatPort, NumericTerminatorOfOne) { numeric_terminator_check(1); }
TEST(AsynchatPort, NumericTerminatorOfSix) { numeric_terminator_check(6); }

// ---------------------------------------------------------------------------

TEST(AsynchatPort, NoneTerminatorCollectsEverythingAndFindsNothing) {
  for (std::size_t chunk : chunk_sizes(numeric_data.size())) {
    SCOPED_TRACE("chunks of " + std::to_string(chunk));
    conversation c(chunk);
    ASSERT_EQ(c.client.set_terminator(terminator::none()), errc::ok);
    EXPECT_EQ(c.client.push(std::string(numeric_data)), errc::ok);
    EXPECT_EQ(c.client.push(std::string(server_quit)), errc::ok);
    c.run();
    EXPECT_EQ(c.client.contents, contents{});
    EXPECT_EQ(c.client.buffer, numeric_data);
  }
}

constexpr std::string_view producer_data = "hello world\nI'm not dead yet!\n";

TEST(AsynchatPort, SimpleProducerWithBufferSizeEight) {
  for (std::size_t chunk : chunk_sizes(producer_data.size())) {
    SCOPED_TRACE("chunks of " + std::to_string(chunk));
    conversation c(chunk);
    ASSERT_EQ(c.client.set_terminator(terminator::bytes("\n")), errc::ok);
    EXPECT_EQ(c.client.push_with_producer(std::make_unique<chatframe::simple_producer>(
                  std::string(producer_data) + std::string(server_quit), 8)),
              errc::ok);
    c.run();
    EXPECT_EQ(c.client.contents, (contents{"hello world", "I'm not dead yet!"}));
  }
}

TEST(AsynchatPort, BytesUsedAsAProducer) {
  for (std::size_t chunk : chunk_sizes(producer_data.size())) {
    SCOPED_TRACE("chunks of " + std::to_string(chunk));
    conversation c(chunk);
    ASSERT_EQ(c.client.set_terminator(terminator::bytes("\n")), errc::ok);
    EXPECT_EQ(c.client.push_with_producer(std::string(producer_data) + std::string(server_quit)),
              errc::ok);
    c.run();
    EXPECT_EQ(c.client.contents, (contents{"hello world", "I'm not dead yet!"}));
  }
}

TEST(AsynchatPort, EmptyLineIsAnEmptyFrame) {
  const std::string data = "hello world\n\nI'm not dead yet!\n";
  for (std::size_t chunk : chunk_sizes(data.size())) {
    SCOPED_TRACE("chunks of " + std::to_string(chunk));
    conversation c(chunk);
    ASSERT_EQ(c.client.set_terminator(terminator::bytes("\n")), errc::ok);
    EXPECT_EQ(c.client.push(data), errc::ok);
    EXPECT_EQ(c.client.push(std::string(server_quit)), errc::ok);
    c.run();
    EXPECT_EQ(c.client.contents, (contents{"hello world", "", "I'm not dead yet!"}));
  }
}

TEST(AsynchatPort, CloseWhenDoneReceivesNothingBack) {
  const std::string data = "hello world\nI'm not dead yet!\n";
  for (std::size_t chunk : chunk_sizes(data.size())) {
    SCOPED_TRACE("chunks of " + std::to_string(chunk));
    conversation c(chunk);
    ASSERT_EQ(c.client.set_terminator(terminator::bytes("\n")), errc::ok);
    EXPECT_EQ(c.client.push(data), errc::ok);
    EXPECT_EQ(c.client.push(std::string(server_quit)), errc::ok);
    EXPECT_EQ(c.client.close_when_done(), errc::ok);
    c.run();
    EXPECT_FALSE(c.client.connected());
    EXPECT_EQ(c.client.contents, contents{});
    EXPECT_EQ(c.client.buffer, "");
    // The peer did receive the whole message before the close.
    EXPECT_GT(c.peer.received.size(), 0u);
    EXPECT_EQ(c.peer.received, data + std::string(server_quit));
  }
}

TEST(AsynchatPort, PushOfTheSameBytesThreeTimes) {
  // test_push: bytes, bytearray and memoryview all push the same bytes;
  // pushing a non-bytes object is a compile error here, not a TypeError.
  const std::string data = "bytes\n";
  for (std::size_t chunk : chunk_sizes(3 * data.size())) {
    SCOPED_TRACE("chunks of " + std::to_string(chunk));
    conversation c(chunk);
    ASSERT_EQ(c.client.set_terminator(terminator::bytes("\n")), errc::ok);
    EXPECT_EQ(c.client.push(data), errc::ok);
    EXPECT_EQ(c.client.push(std::string(data.begin(), data.end())), errc::ok);
    EXPECT_EQ(c.client.push(std::string(data.c_str())), errc::ok);
    EXPECT_EQ(c.client.push(std::string(server_quit)), errc::ok);
    c.run();
    EXPECT_EQ(c.client.contents, (contents{"bytes", "bytes", "bytes"}));
  }
}

// ---------------------------------------------------------------------------
// TestHelperFunctions.test_find_prefix_at_end, observed through the framer:
// the bytes held back are find_prefix_at_end's result.

TEST(AsynchatPort, FindPrefixAtEndHoldsBackOneByteOfCrLf) {
  chatframe::framer f;
  ASSERT_EQ(f.set_terminator(terminator::bytes("\r\n")), errc::ok);
  chatframe::testing::event_log h;
  (void)f.feed("qwerty\r", h);
  EXPECT_EQ(f.held().size(), 1u);
  EXPECT_EQ(h.log, "C(qwerty)");
}

TEST(AsynchatPort, FindPrefixAtEndHoldsBackNothingWithoutAPrefix) {
  chatframe::framer f;
  ASSERT_EQ(f.set_terminator(terminator::bytes("\r\n")), errc::ok);
  chatframe::testing::event_log h;
  (void)f.feed("qwertydkjf", h);
  EXPECT_EQ(f.held().size(), 0u);
  EXPECT_EQ(h.log, "C(qwertydkjf)");
}

// TestNotConnected.test_disallow_negative_terminator.
TEST(AsynchatPort, NegativeTerminatorIsDisallowed) {
  conversation c(1);
  EXPECT_EQ(c.client.set_terminator(terminator::count(-1)), errc::negative_count);
  EXPECT_TRUE(c.client.get_terminator().is_none());
}

}  // namespace
