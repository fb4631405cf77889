// A port, written anew, of the socket cases of CPython's
// Lib/test/test_asynchat.py: a blocking echo server thread that collects
// until "QUIT\n" and sends everything back in 1-, 2- or 3-byte chunks; an
// async_chat client on the loop under test collects frames.
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

#include "reactor_test_support.hpp"

namespace {

using namespace rt;

const std::string quit = "QUIT\n";

// test_asynchat's echo_server: collect until QUIT, send back in chunks, close.
class echo_server_thread {
 public:
  explicit echo_server_thread(std::size_t chunk) : chunk_(chunk) {
    lfd_ = blocking_listen(port_);
    th_ = std::thread([this] { serve(); });
  }
  ~echo_server_thread() {
    th_.join();
    ::close(lfd_);
  }
  std::uint16_t port() const { return port_; }
  std::string received() {
    th_.join();
    th_ = std::thread([] {});
    return buffer_;
  }

 private:
  void serve() {
    timeval tv{5, 0};
    ::setsockopt(lfd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    const int c = ::accept(lfd_, nullptr, nullptr);
    if (c < 0) return;
    ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[10];
    std::string all;
    for (;;) {
      const ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      all.append(buf, static_cast<std::size_t>(n));
      if (all.find(quit) != std::string::npos) break;
    }
    const std::size_t q = all.find(quit);
    buffer_ = q == std::string::npos ? all : all.substr(0, q) + all.substr(q + quit.size());
    for (std::size_t i = 0; i < buffer_.size(); i += chunk_) {
      if (::send(c, buffer_.data() + i, std::min(chunk_, buffer_.size() - i), MSG_NOSIGNAL) <= 0)
        break;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    ::close(c);
  }
  std::size_t chunk_;
  std::uint16_t port_ = 0;
  int lfd_ = -1;
  std::string buffer_;
  std::thread th_;
};

// test_asynchat's echo_client: frames go to contents, the rest stays in buffer.
class echo_client : public cr::chat_channel {
 public:
  echo_client(cr::loop& l, std::string_view term, std::uint16_t port) : chat_channel(l) {
    (void)set_terminator(chatframe::terminator::bytes(term));
    EXPECT_FALSE(create_socket());
    EXPECT_FALSE(connect("127.0.0.1", port));
  }
  void collect_incoming_data(const chatframe::collected& d) override { d.append_to(buffer); }
  void found_terminator() override {
    contents.push_back(buffer);
    buffer.clear();
  }
  void handle_close() override {
    closed = true;
    close();
  }
  std::vector<std::string> contents;
  std::string buffer;
  bool closed = false;
};

class Asynchat : public ::testing::TestWithParam<loop_kind> {
 protected:
  // asyncore.loop(count=300, timeout=.01) — bounded; the server closes when done.
  static void run(cr::loop& l, echo_client& c) {
    ASSERT_TRUE(run_until(l, [&] { return c.closed; })) << "client never saw the server close";
  }
};

TEST_P(Asynchat, LineTerminators) {
  for (std::string term : {"\n", "\r\n", "qqq"}) {
    for (std::size_t chunk : {1u, 2u, 3u}) {
      SCOPED_TRACE("terminator " + term + " chunk " + std::to_string(chunk));
      echo_server_thread s(chunk);
      test_loop l(GetParam());
      echo_client c(l, term, s.port());
      c.push("hello " + term + "world" + term + "I'm not dead yet!" + term);
      c.push(quit);
      run(l, c);
      EXPECT_EQ(c.contents, (std::vector<std::string>{"hello ", "world", "I'm not dead yet!"}));
    }
  }
}

TEST_P(Asynchat, NumericTerminators) {
  const std::string data = "hello world, I'm not dead yet!\n";
  for (std::int64_t n : {1, 5, 10}) {
    echo_server_thread s(1);
    test_loop l(GetParam());
    echo_client c(l, "\n", s.port());
    (void)c.set_terminator(chatframe::terminator::count(n));
    c.push(data);
    c.push(quit);
    run(l, c);
    EXPECT_EQ(c.contents, (std::vector<std::string>{data.substr(0, static_cast<std::size_t>(n))}));
    EXPECT_EQ(c.buffer, data.substr(static_cast<std::size_t>(n)));
  }
}

TEST_P(Asynchat, NoneTerminator) {
  const std::string data = "hello world, I'm not dead yet!\n";
  echo_server_thread s(2);
  test_loop l(GetParam());
  echo_client c(l, "\n", s.port());
  (void)c.set_terminator(chatframe::terminator::none());
  c.push(data);
  c.push(quit);
  run(l, c);
  EXPECT_TRUE(c.contents.empty());
  EXPECT_EQ(c.buffer, data);
}

TEST_P(Asynchat, SimpleProducer) {
  echo_server_thread s(1);
  test_loop l(GetParam());
  echo_client c(l, "\n", s.port());
  c.push_with_producer(
      std::make_unique<chatframe::simple_producer>("hello world\nI'm not dead yet!\n" + quit, 8));
  run(l, c);
  EXPECT_EQ(c.contents, (std::vector<std::string>{"hello world", "I'm not dead yet!"}));
}

TEST_P(Asynchat, StringProducer) {
  echo_server_thread s(1);
  test_loop l(GetParam());
  echo_client c(l, "\n", s.port());
  c.push_with_producer("hello world\nI'm not dead yet!\n" + quit);
  run(l, c);
  EXPECT_EQ(c.contents, (std::vector<std::string>{"hello world", "I'm not dead yet!"}));
}

TEST_P(Asynchat, EmptyLine) {
  echo_server_thread s(3);
  test_loop l(GetParam());
  echo_client c(l, "\n", s.port());
  c.push("hello world\n\nI'm not dead yet!\n");
  c.push(quit);
  run(l, c);
  EXPECT_EQ(c.contents, (std::vector<std::string>{"hello world", "", "I'm not dead yet!"}));
}

TEST_P(Asynchat, CloseWhenDone) {
  echo_server_thread s(1);
  test_loop l(GetParam());
  echo_client c(l, "\n", s.port());
  c.push("hello world\nI'm not dead yet!\n");
  c.push(quit);
  EXPECT_EQ(c.close_when_done(), chatframe::errc::ok);
  ASSERT_TRUE(run_until(l, [&] { return c.closed; }));
  EXPECT_TRUE(c.contents.empty());  // closed before anything came back
  EXPECT_EQ(c.push("late"), chatframe::errc::closed);
  EXPECT_EQ(s.received(), "hello world\nI'm not dead yet!\n");
}

TEST_P(Asynchat, CoalescingSendsOncePerReadBatch) {
  // A server channel in coalescing mode answers many frames of one read with
  // one gathered send.
  test_loop l(GetParam());
  echo_listener server(l, /*coalesce=*/true);
  const int c = blocking_connect(server.local_port());
  ASSERT_GE(c, 0);
  std::string batch;
  for (int i = 0; i < 50; ++i) batch += "line " + std::to_string(i) + "\n";
  ASSERT_TRUE(run_until(l, [&] { return server.accepted == 1; }));
  ASSERT_EQ(::send(c, batch.data(), batch.size(), 0), static_cast<ssize_t>(batch.size()));
  std::string got;
  ASSERT_TRUE(run_until(l, [&] {
    char buf[4096];
    const ssize_t n = ::recv(c, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) got.append(buf, static_cast<std::size_t>(n));
    return got.size() >= batch.size();
  }));
  EXPECT_EQ(got, batch);
  ::close(c);
}

INSTANTIATE_TEST_SUITE_P(Loops, Asynchat, all_loops, loop_name);

}  // namespace
