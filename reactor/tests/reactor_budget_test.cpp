// A peer that sends faster than it reads never makes a connection's memory
// grow past its budget: chat_channel's own chatframe::memory_budget decides
// readable(), the channel stops reading at the high water mark, TCP flow
// control pushes back on the peer, and everything still comes back once the
// peer reads.
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

// A line echo with chat_channel's own budget, set smaller than the default.
// Nothing here decides when to read: the channel does.
class budgeted_echo final : public cr::chat_channel {
 public:
  budgeted_echo(cr::loop& l, int fd) : chat_channel(l, fd) {
    set_budget({.high_water = kHigh, .low_water = kLow});
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
  [[nodiscard]] std::size_t assembling() const noexcept override { return line_.size(); }

 private:
  std::string line_;
};

using budget_listener = listener_for<budgeted_echo>;
budget_listener::factory make_budgeted() {
  return [](cr::loop& l, int fd) { return std::make_unique<budgeted_echo>(l, fd); };
}

class Budget : public ::testing::TestWithParam<loop_kind> {};

// `bytes` of numbered 100-byte lines.
std::string numbered_lines(std::size_t bytes = 8u << 20) {
  std::string stream;
  for (std::size_t i = 0; stream.size() < bytes; ++i) {
    std::string line = std::to_string(i);
    line.resize(kLine - 1, '.');
    stream += line + '\n';
  }
  return stream;
}

// A non-blocking client with a small receive buffer, so the server's output
// queue, not the kernel, takes the backlog.
int small_window_client(std::uint16_t port) {
  const int c = blocking_connect(port);
  const int small = 32 * 1024;
  ::setsockopt(c, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  EXPECT_EQ(::fcntl(c, F_SETFL, ::fcntl(c, F_GETFL) | O_NONBLOCK), 0);
  return c;
}

// Sends as fast as the server takes it, reading nothing, until the sender
// has been blocked for 300 ms (the server stopped reading) or all is sent.
// Returns the bytes sent.
std::size_t send_until_pushed_back(cr::loop& l, int c, const std::string& stream) {
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
      ADD_FAILURE() << "send: " << errno;
      break;
    }
    EXPECT_FALSE(l.poll_once(std::chrono::milliseconds(1)));
  }
  return sent;
}

TEST_P(Budget, PipeliningPeerThatReadsNothingKeepsMemoryBounded) {
  test_loop l(GetParam());
  budget_listener server(l, make_budgeted());
  const int c = small_window_client(server.local_port());
  ASSERT_GE(c, 0);
  ASSERT_TRUE(run_until(l, [&] { return server.last != nullptr; }));
  const std::string stream = numbered_lines();

  // Phase 1: the peer reads nothing.
  std::size_t sent = send_until_pushed_back(l, c, stream);
  ASSERT_NE(server.last, nullptr);
  const chatframe::memory_budget& b = server.last->budget();
  EXPECT_GE(b.pauses(), 1u) << "the server never had to stop reading";
  EXPECT_LT(sent, stream.size()) << "the peer was never pushed back";
  // One read (ac_in_buffer_size) and the echo it triggers may land on top of the mark.
  EXPECT_LE(b.peak(), kHigh + 2 * server.last->ac_in_buffer_size() + kLine);

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
  EXPECT_LE(b.peak(), kHigh + 2 * server.last->ac_in_buffer_size() + kLine);
  ::close(c);
  server.close();
}

// A channel that sets nothing is bounded too: the default budget (1 MiB).
TEST_P(Budget, AChannelThatSetsNothingHasTheDefaultBudget) {
  test_loop l(GetParam());
  echo_listener server(l, /*coalesce=*/true);
  const int c = small_window_client(server.local_port());
  ASSERT_GE(c, 0);
  ASSERT_TRUE(run_until(l, [&] { return server.last != nullptr; }));
  // More than the kernel's socket buffers on both sides hold with 1 MiB queued.
  const std::string stream = numbered_lines(32u << 20);
  const std::size_t sent = send_until_pushed_back(l, c, stream);
  const chatframe::memory_budget& b = server.last->budget();
  EXPECT_EQ(b.options().high_water, std::size_t{1} << 20);
  EXPECT_EQ(b.options().low_water, std::size_t{1} << 19);
  EXPECT_GE(b.pauses(), 1u) << "the server never had to stop reading";
  EXPECT_LT(sent, stream.size()) << "the peer was never pushed back";
  EXPECT_LE(b.peak(), b.options().high_water + 2 * server.last->ac_in_buffer_size() + kLine);
  ::close(c);
  server.close();
}

INSTANTIATE_TEST_SUITE_P(Loops, Budget, all_loops, loop_name);

}  // namespace
