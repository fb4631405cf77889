// A peer that sends faster than it reads never makes a connection's memory
// grow past its budget: with chatframe::memory_budget deciding readable(),
// the channel stops reading at the high water mark, TCP flow control pushes
// back on the peer, and everything still comes back once the peer reads.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <string>

#include "chatframe/memory_budget.hpp"
#include "reactor_test_support.hpp"

namespace {

using namespace rt;

constexpr std::size_t kHigh = 256 * 1024;
constexpr std::size_t kLow = 64 * 1024;
constexpr std::size_t kLine = 100;

class budgeted_echo final : public cr::chat_channel {
 public:
  budgeted_echo(cr::loop& l, int fd)
      : chat_channel(l, fd), budget_({.high_water = kHigh, .low_water = kLow}) {
    (void)set_terminator(chatframe::terminator::bytes("\n"));
    set_coalescing(true);
    const int small = 32 * 1024;  // so the output queue, not the kernel, takes the backlog
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  }
  void collect_incoming_data(const chatframe::collected& d) override { d.append_to(line_); }
  void found_terminator() override {
    line_ += '\n';
    (void)push(std::move(line_));
    line_.clear();
  }
  bool readable() override {
    account();
    return budget_.reading_allowed() && chat_channel::readable();
  }
  void handle_read() override {
    chat_channel::handle_read();
    account();
  }
  void handle_write() override {
    chat_channel::handle_write();
    account();
  }
  const chatframe::memory_budget& budget() const { return budget_; }

 private:
  void account() {
    if (budget_.update(input(), output(), line_.size()) != chatframe::budget_change::none)
      output().pause_producers(budget_.paused());
  }
  chatframe::memory_budget budget_;
  std::string line_;
};

class budget_listener final : public cr::dispatcher {
 public:
  explicit budget_listener(cr::loop& l) : dispatcher(l) {
    EXPECT_FALSE(create_socket());
    EXPECT_FALSE(bind("127.0.0.1", 0));
    EXPECT_FALSE(listen(8));
  }
  void handle_accept() override {
    cr::accept_result a = accept();
    if (a.fd < 0) return;
    auto ch = std::make_unique<budgeted_echo>(get_loop(), a.fd);
    channel = ch.get();
    get_loop().adopt(std::move(ch));
  }
  budgeted_echo* channel = nullptr;
};

class Budget : public ::testing::TestWithParam<cr::backend> {};

TEST_P(Budget, PipeliningPeerThatReadsNothingKeepsMemoryBounded) {
  cr::loop l(GetParam());
  budget_listener server(l);
  const int c = blocking_connect(server.local_port());
  ASSERT_GE(c, 0);
  const int small = 32 * 1024;
  ::setsockopt(c, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  ASSERT_EQ(::fcntl(c, F_SETFL, ::fcntl(c, F_GETFL) | O_NONBLOCK), 0);
  ASSERT_TRUE(run_until(l, [&] { return server.channel != nullptr; }));

  // 8 MiB of numbered 100-byte lines.
  std::string stream;
  for (std::size_t i = 0; stream.size() < (8u << 20); ++i) {
    std::string line = std::to_string(i);
    line.resize(kLine - 1, '.');
    stream += line + '\n';
  }

  // Phase 1: send as fast as the server takes it, read nothing, until the
  // sender has been blocked for a while (the server stopped reading).
  std::size_t sent = 0;
  auto blocked_since = std::chrono::steady_clock::now();
  bool blocked = false;
  const auto phase_end = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < phase_end && sent < stream.size()) {
    const ssize_t n = ::send(c, stream.data() + sent,
                             std::min<std::size_t>(stream.size() - sent, 65536), MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      blocked = false;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (!blocked) blocked_since = std::chrono::steady_clock::now();
      blocked = true;
      if (std::chrono::steady_clock::now() - blocked_since > std::chrono::milliseconds(300)) break;
    } else {
      FAIL() << "send: " << errno;
    }
    ASSERT_FALSE(l.poll_once(std::chrono::milliseconds(1)));
  }
  ASSERT_NE(server.channel, nullptr);
  const chatframe::memory_budget& b = server.channel->budget();
  EXPECT_GE(b.pauses(), 1u) << "the server never had to stop reading";
  EXPECT_LT(sent, stream.size()) << "the peer was never pushed back";
  // One read (ac_in_buffer_size) and the echo it triggers may land on top of the mark.
  EXPECT_LE(b.peak(), kHigh + 2 * server.channel->ac_in_buffer_size() + kLine);

  // Phase 2: the peer reads; everything it sent comes back, byte for byte.
  std::string echoed;
  const bool done = run_until(
      l,
      [&] {
        if (sent < stream.size()) {
          const ssize_t n =
              ::send(c, stream.data() + sent, std::min<std::size_t>(stream.size() - sent, 65536),
                     MSG_NOSIGNAL);
          if (n > 0) sent += static_cast<std::size_t>(n);
        }
        char buf[65536];
        for (;;) {
          const ssize_t n = ::recv(c, buf, sizeof buf, 0);
          if (n <= 0) break;
          echoed.append(buf, static_cast<std::size_t>(n));
        }
        return echoed.size() == stream.size();
      },
      std::chrono::seconds(30));
  ASSERT_TRUE(done) << "echoed " << echoed.size() << " of " << stream.size();
  EXPECT_TRUE(echoed == stream);
  EXPECT_LE(b.peak(), kHigh + 2 * server.channel->ac_in_buffer_size() + kLine);
  ::close(c);
  server.close();
}

INSTANTIATE_TEST_SUITE_P(Backends, Budget, all_backends, backend_name);

}  // namespace
