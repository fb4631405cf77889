// Time in the loop: a dispatcher's deadline cuts the wait short and calls
// handle_timeout(); chat_channel closes an idle peer, a peer that stopped
// reading, and a peer that trickles a request past its deadline; and with a
// lingering close, a response the channel sends before closing reaches a
// peer that is still sending. Deadlines here are short (100 ms - 1 s) and
// every bound on the far side is generous: a loaded machine is slower, never
// faster.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <string>

#include "reactor_test_support.hpp"

namespace {

using namespace rt;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

class Timeouts : public ::testing::TestWithParam<loop_kind> {};

struct sleeper : cr::dispatcher {
  using dispatcher::dispatcher;
  bool readable() override { return true; }
  bool writable() override { return false; }
  void handle_timeout() override { ++timeouts; }
  int timeouts = 0;
};

// Deadlines are set on the loop's clock, read at its last wait: t0 is taken
// before the loop exists, so no deadline can fall before t0 + its timeout.
TEST_P(Timeouts, ADeadlineCutsTheWaitShortAndCallsHandleTimeout) {
  const auto t0 = steady_clock::now();
  test_loop l(GetParam());
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  sleeper d(l, sv[0]);
  d.set_timeout(milliseconds(100));
  EXPECT_TRUE(d.has_deadline());
  while (d.timeouts == 0 && steady_clock::now() - t0 < std::chrono::seconds(20))
    ASSERT_FALSE(l.poll_once(std::chrono::seconds(10)));
  const auto took = steady_clock::now() - t0;
  EXPECT_EQ(d.timeouts, 1);
  EXPECT_FALSE(d.has_deadline());
  EXPECT_GE(took, milliseconds(100)) << "fired early";
  EXPECT_LT(took, std::chrono::seconds(5)) << "the 10 s wait was not cut short";
  EXPECT_GE(l.now() - t0, milliseconds(100));
  ::close(sv[1]);
}

TEST_P(Timeouts, MovingOrCancellingADeadlineIsObeyed) {
  const auto t0 = steady_clock::now();
  test_loop l(GetParam());
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  sleeper d(l, sv[0]);
  d.set_timeout(milliseconds(20));
  d.set_timeout(milliseconds(300));  // later: fires at 300 ms, not 20
  ASSERT_TRUE(run_until(
      l, [&] { return d.timeouts == 1; }, std::chrono::seconds(10)));
  EXPECT_GE(steady_clock::now() - t0, milliseconds(300));
  d.set_timeout(milliseconds(50));
  d.cancel_deadline();
  ASSERT_FALSE(l.run(milliseconds(20), 10));
  EXPECT_EQ(d.timeouts, 1);
  d.set_timeout(milliseconds(50));
  d.close();  // closing cancels
  EXPECT_EQ(l.timers().size(), 0u);
  ::close(sv[1]);
}

TEST_P(Timeouts, TheDefaultHandleTimeoutCloses) {
  static int alive = 0;
  struct counted : cr::dispatcher {
    counted(cr::loop& l, int fd) : dispatcher(l, fd) { ++alive; }
    ~counted() override { --alive; }
    bool writable() override { return false; }
  };
  test_loop l(GetParam());
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  l.adopt(std::make_unique<counted>(l, sv[0])).set_timeout(milliseconds(50));
  ASSERT_TRUE(run_until(l, [&] { return alive == 0; }));
  char b;
  EXPECT_EQ(::recv(sv[1], &b, 1, 0), 0) << "the peer did not see the close";
  ::close(sv[1]);
}

// A line echo that records which deadline closed it.
struct timed_echo : line_echo {
  timed_echo(cr::loop& l, int fd, cr::channel_timeouts t, cr::timeout_kind* why)
      : line_echo(l, fd, true), why_(why) {
    set_timeouts(t);
  }
  void handle_timeout() override {
    if (const cr::timeout_kind k = expired(); k != cr::timeout_kind::none) *why_ = k;
    chat_channel::handle_timeout();
  }
  cr::timeout_kind* why_;
};

listener_for<timed_echo>::factory timed(cr::channel_timeouts t, cr::timeout_kind* why) {
  return [t, why](cr::loop& l, int fd) { return std::make_unique<timed_echo>(l, fd, t, why); };
}

// Polls until the peer sees end of stream (or a reset); false after `limit`.
bool peer_sees_close(cr::loop& l, int c, milliseconds limit) {
  return run_until(
      l,
      [&] {
        char buf[4096];
        const ssize_t n = ::recv(c, buf, sizeof buf, MSG_DONTWAIT);
        return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
      },
      limit);
}

TEST_P(Timeouts, AnIdlePeerIsClosedAfterTheIdleTimeout) {
  test_loop l(GetParam());
  cr::timeout_kind why = cr::timeout_kind::none;
  listener_for<timed_echo> server(l, timed({.idle = milliseconds(200)}, &why));
  const auto t0 = steady_clock::now();
  const int c = blocking_connect(server.local_port());
  ASSERT_TRUE(peer_sees_close(l, c, std::chrono::seconds(10)));
  EXPECT_GE(steady_clock::now() - t0, milliseconds(200));
  EXPECT_EQ(why, cr::timeout_kind::idle);
  EXPECT_EQ(l.size(), 1u);
  ::close(c);
}

TEST_P(Timeouts, ActivityKeepsAPeerOpenPastTheIdleTimeout) {
  test_loop l(GetParam());
  cr::timeout_kind why = cr::timeout_kind::none;
  listener_for<timed_echo> server(l, timed({.idle = milliseconds(1000)}, &why));
  const int c = blocking_connect(server.local_port());
  // A line every 100 ms for 2.5 s: ten times inside the idle timeout.
  const auto t0 = steady_clock::now();
  int echoed = 0;
  while (steady_clock::now() - t0 < milliseconds(2500)) {
    ASSERT_EQ(::send(c, "tick\n", 5, 0), 5);
    std::string got;
    ASSERT_TRUE(run_until(l, [&] {
      char buf[16];
      const ssize_t n = ::recv(c, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) got.append(buf, static_cast<std::size_t>(n));
      return got == "tick\n" || n == 0;
    }));
    ASSERT_EQ(got, "tick\n") << "closed while active, after " << echoed << " lines";
    ++echoed;
    ASSERT_FALSE(l.run(milliseconds(100), 1));
  }
  EXPECT_EQ(why, cr::timeout_kind::none);
  // Then silence: closed.
  ASSERT_TRUE(peer_sees_close(l, c, std::chrono::seconds(10)));
  EXPECT_EQ(why, cr::timeout_kind::idle);
  ::close(c);
}

TEST_P(Timeouts, APeerThatStopsReadingIsClosedAfterTheWriteStall) {
  struct flooder : timed_echo {
    flooder(cr::loop& l, int fd, cr::timeout_kind* why)
        : timed_echo(l, fd, {.idle = std::chrono::seconds(60), .write_stall = milliseconds(300)},
                     why) {
      set_budget({.high_water = std::size_t{64} << 20, .low_water = std::size_t{32} << 20});
      push(std::string(std::size_t{16} << 20, 'x'));  // more than the socket buffers hold
    }
  };
  test_loop l(GetParam());
  cr::timeout_kind why = cr::timeout_kind::none;
  listener_for<flooder> server(
      l, [&why](cr::loop& lp, int fd) { return std::make_unique<flooder>(lp, fd, &why); });
  const int c = blocking_connect(server.local_port());
  ASSERT_TRUE(run_until(
      l, [&] { return why != cr::timeout_kind::none; }, std::chrono::seconds(20)));
  EXPECT_EQ(why, cr::timeout_kind::write_stall);
  ASSERT_TRUE(run_until(l, [&] { return l.size() == 1; }));
  ::close(c);
}

// A request deadline (nginx's client_header_timeout) is not moved by bytes
// trickling in: slowloris.
TEST_P(Timeouts, ARequestTimerIsNotMovedByATrickle) {
  struct head_reader : timed_echo {
    head_reader(cr::loop& l, int fd, cr::timeout_kind* why)
        : timed_echo(l, fd, {.idle = std::chrono::seconds(60)}, why) {
      start_request_timer(milliseconds(500));
    }
  };
  test_loop l(GetParam());
  cr::timeout_kind why = cr::timeout_kind::none;
  listener_for<head_reader> server(
      l, [&why](cr::loop& lp, int fd) { return std::make_unique<head_reader>(lp, fd, &why); });
  const auto t0 = steady_clock::now();
  const int c = blocking_connect(server.local_port());
  bool closed = false;
  while (!closed && steady_clock::now() - t0 < std::chrono::seconds(10)) {
    (void)::send(c, "x", 1, MSG_NOSIGNAL);  // one byte, never a whole line
    closed = peer_sees_close(l, c, milliseconds(50));
  }
  EXPECT_TRUE(closed);
  EXPECT_GE(steady_clock::now() - t0, milliseconds(500));
  EXPECT_EQ(why, cr::timeout_kind::request);
  ::close(c);
}

// Answers the first line with a final response and the close marker.
struct answer_and_close : cr::chat_channel {
  answer_and_close(cr::loop& l, int fd, bool linger) : chat_channel(l, fd) {
    (void)set_terminator(chatframe::terminator::bytes("\n"));
    set_lingering_close(
        {.enabled = linger, .time = std::chrono::seconds(5), .timeout = milliseconds(300)});
  }
  void collect_incoming_data(const chatframe::collected&) override {}
  void found_terminator() override {
    if (answered_) return;
    answered_ = true;
    push("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    (void)close_when_done();
  }
  bool answered_ = false;
};

listener_for<answer_and_close>::factory lingering(bool on) {
  return [on](cr::loop& l, int fd) { return std::make_unique<answer_and_close>(l, fd, on); };
}

TEST_P(Timeouts, ALingeringCloseLetsAPeerThatIsStillSendingReadTheResponse) {
  test_loop l(GetParam());
  listener_for<answer_and_close> server(l, lingering(true));
  const int c = blocking_connect(server.local_port());
  ASSERT_EQ(::fcntl(c, F_SETFL, ::fcntl(c, F_GETFL) | O_NONBLOCK), 0);
  // A line, then 1 MiB the server will never frame, sent while it answers.
  const std::string junk(std::size_t{1} << 20, 'j');
  ASSERT_EQ(::send(c, "bad\n", 4, 0), 4);
  std::size_t sent = 0;
  ASSERT_TRUE(run_until(l,
                        [&] {
                          const ssize_t n =
                              ::send(c, junk.data() + sent, junk.size() - sent, MSG_NOSIGNAL);
                          if (n > 0) sent += static_cast<std::size_t>(n);
                          return sent == junk.size();
                        }))
      << "the lingering server stopped draining after " << sent << " bytes";
  ASSERT_FALSE(l.run(milliseconds(10), 20));
  // Now read: the whole response, then end of stream — no reset.
  std::string got;
  int err = 0;
  ASSERT_TRUE(run_until(l, [&] {
    char buf[4096];
    const ssize_t n = ::recv(c, buf, sizeof buf, 0);
    if (n > 0) got.append(buf, static_cast<std::size_t>(n));
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) err = errno;
    return n == 0 || err != 0;
  }));
  EXPECT_EQ(err, 0) << "reset: " << std::strerror(err);
  EXPECT_EQ(got.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << got;
  // The peer's close ends the linger at once.
  ::close(c);
  ASSERT_TRUE(run_until(
      l, [&] { return l.size() == 1; }, std::chrono::seconds(2)));
}

TEST_P(Timeouts, ALingeringCloseEndsWhenThePeerFallsSilent) {
  test_loop l(GetParam());
  listener_for<answer_and_close> server(l, lingering(true));
  const int c = blocking_connect(server.local_port());
  const auto t0 = steady_clock::now();  // the lingering starts after this
  ASSERT_EQ(::send(c, "bad\n", 4, 0), 4);
  ASSERT_TRUE(run_until(l, [&] { return server.last != nullptr && server.last->lingering(); }));
  ASSERT_TRUE(run_until(
      l, [&] { return l.size() == 1; }, std::chrono::seconds(10)));
  EXPECT_GE(steady_clock::now() - t0, milliseconds(300));  // lingering timeout: 300 ms
  ::close(c);
}

INSTANTIATE_TEST_SUITE_P(Loops, Timeouts, all_loops, loop_name);

}  // namespace
