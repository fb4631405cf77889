// Faults are ordinary: a peer reset mid-frame, a peer closing while we write,
// a handler that throws, a half-closed peer, running out of descriptors.
// Each closes only the channel concerned; the loop goes on serving others.
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cerrno>

#include <thread>
#include <vector>

#include "reactor_test_support.hpp"

namespace {

using namespace rt;

// A second, well-behaved client still gets its echo.
void expect_still_serving(cr::loop& l, echo_listener& server) {
  const int c = blocking_connect(server.local_port());
  ASSERT_GE(c, 0);
  ASSERT_EQ(::send(c, "still here\n", 11, 0), 11);
  std::string got;
  ASSERT_TRUE(run_until(l, [&] {
    char buf[64];
    const ssize_t n = ::recv(c, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) got.append(buf, static_cast<std::size_t>(n));
    return got == "still here\n";
  }));
  ::close(c);
}

class Faults : public ::testing::TestWithParam<loop_kind> {};

TEST_P(Faults, PeerResetMidFrame) {
  test_loop l(GetParam());
  echo_listener server(l);
  const int c = blocking_connect(server.local_port());
  ASSERT_TRUE(run_until(l, [&] { return l.size() == 2; }));
  ASSERT_EQ(::send(c, "half a fra", 10, 0), 10);
  ASSERT_FALSE(l.run(std::chrono::milliseconds(20), 2));
  linger lg{1, 0};  // close with RST
  ::setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  ::close(c);
  ASSERT_TRUE(run_until(l, [&] { return l.size() == 1; })) << "reset channel not closed";
  expect_still_serving(l, server);
}

TEST_P(Faults, PeerClosesWhileWeWrite) {
  struct flooder : cr::chat_channel {
    flooder(cr::loop& l, int fd) : chat_channel(l, fd) {
      push(std::string(8 << 20, 'x'));  // far more than the socket buffers hold
    }
    void collect_incoming_data(const chatframe::collected&) override {}
    void found_terminator() override {}
  };
  struct flood_listener : cr::dispatcher {
    explicit flood_listener(cr::loop& l) : dispatcher(l) {
      EXPECT_FALSE(create_socket());
      EXPECT_FALSE(bind("127.0.0.1", 0));
      EXPECT_FALSE(listen(8));
    }
    void handle_accept() override {
      cr::accept_result a = accept();
      if (a.fd >= 0) get_loop().adopt(std::make_unique<flooder>(get_loop(), a.fd));
    }
  };
  test_loop l(GetParam());
  flood_listener server(l);
  const int c = blocking_connect(server.local_port());
  ASSERT_TRUE(run_until(l, [&] { return l.size() == 2; }));
  ASSERT_FALSE(l.run(std::chrono::milliseconds(5), 5));  // fill the pipe
  char buf[1000];
  ASSERT_GT(::recv(c, buf, sizeof buf, 0), 0);
  ::close(c);  // with unread data: RST; our next send fails with EPIPE/ECONNRESET
  ASSERT_TRUE(run_until(l, [&] { return l.size() == 1; })) << "writer not closed";
  server.close();
}

TEST_P(Faults, HandlerThrowsClosesOnlyThatChannel) {
  for (const char* poison : {"boom\n", "BOOM\n"}) {  // in collect_incoming_data / found_terminator
    test_loop l(GetParam());
    echo_listener server(l);
    const int other = blocking_connect(server.local_port());
    const int bad = blocking_connect(server.local_port());
    ASSERT_TRUE(run_until(l, [&] { return l.size() == 3; }));
    ASSERT_EQ(::send(bad, poison, 5, 0), 5);
    ASSERT_TRUE(run_until(l, [&] { return l.size() == 2; })) << "throwing channel not closed";
    char b;
    EXPECT_EQ(::recv(bad, &b, 1, 0), 0);  // closed, without an answer
    ASSERT_EQ(::send(other, "ok\n", 3, 0), 3);
    std::string got;
    ASSERT_TRUE(run_until(l, [&] {
      char buf[8];
      const ssize_t n = ::recv(other, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) got.append(buf, static_cast<std::size_t>(n));
      return got == "ok\n";
    }));
    ::close(bad);
    ::close(other);
  }
}

TEST_P(Faults, HalfClosedPeerGetsItsAnswersWhenDraining) {
  struct drainer : line_echo {
    drainer(cr::loop& l, int fd) : line_echo(l, fd, false) { set_drain_on_eof(true); }
  };
  struct drain_listener : cr::dispatcher {
    explicit drain_listener(cr::loop& l) : dispatcher(l) {
      EXPECT_FALSE(create_socket());
      EXPECT_FALSE(bind("127.0.0.1", 0));
      EXPECT_FALSE(listen(8));
    }
    void handle_accept() override {
      cr::accept_result a = accept();
      if (a.fd >= 0) get_loop().adopt(std::make_unique<drainer>(get_loop(), a.fd));
    }
  };
  test_loop l(GetParam());
  drain_listener server(l);
  const int c = blocking_connect(server.local_port());
  const std::string req(300000, 'a');  // more than one send can take
  std::thread writer([&] {
    ::send(c, req.data(), req.size(), 0);
    ::send(c, "\n", 1, 0);
    ::shutdown(c, SHUT_WR);
  });
  std::string got;
  bool eof = false;
  ASSERT_TRUE(run_until(l, [&] {
    char buf[65536];
    const ssize_t n = ::recv(c, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) got.append(buf, static_cast<std::size_t>(n));
    if (n == 0) eof = true;
    return eof;
  }));
  writer.join();
  EXPECT_EQ(got, req + "\n");
  ::close(c);
  server.close();
}

TEST_P(Faults, ACountReplacedByADelimiterInsideCollectIsHandledAsCPythonsTypeError) {
  // asynchat.py:153 raises TypeError (b"\n" - lb); asyncore hands it to
  // handle_error(), which closes. The channel's bytes were all collected.
  struct replacer : cr::chat_channel {
    replacer(cr::loop& l, int fd) : chat_channel(l, fd) {
      (void)set_terminator(chatframe::terminator::count(10));
    }
    void collect_incoming_data(const chatframe::collected& d) override {
      d.append_to(collected);
      (void)set_terminator(chatframe::terminator::bytes("\n"));
    }
    void found_terminator() override { ++found; }
    std::string collected;
    int found = 0;
  };
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  test_loop l(GetParam());
  replacer ch(l, fds[0]);
  ASSERT_EQ(::send(fds[1], "abc", 3, 0), 3);
  ASSERT_TRUE(run_until(l, [&] { return ch.fd() < 0; })) << "channel not closed";
  EXPECT_EQ(ch.collected, "abc");
  EXPECT_EQ(ch.found, 0);
  ASSERT_TRUE(ch.last_error());
  try {
    std::rethrow_exception(ch.last_error());
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), chatframe::errc::count_replaced_by_non_count);
  }
  ::close(fds[1]);
}

TEST_P(Faults, AcceptAtDescriptorLimitDoesNotSpin) {
  // The sanitizers probe memory through a pipe; with every descriptor in use
  // they cannot make one and report false positives, so this test runs only
  // in unsanitized builds (CHATFRAME_TEST_SANITIZED: the top-level CMakeLists.txt).
#ifdef CHATFRAME_TEST_SANITIZED
  GTEST_SKIP() << "sanitizers need free descriptors; runs in unsanitized builds";
#endif
  test_loop l(GetParam());
  echo_listener server(l);
  // One ordinary accept first (it also warms the sanitizer's type cache,
  // which needs descriptors of its own).
  const int first = blocking_connect(server.local_port());
  ASSERT_TRUE(run_until(l, [&] { return server.accepted == 1; }));
  rlimit old{};
  ::getrlimit(RLIMIT_NOFILE, &old);
  // Exhaust descriptors: the next accept() fails with EMFILE.
  std::vector<int> hog;
  const int c = blocking_connect(server.local_port());
  ASSERT_GE(c, 0);
  rlimit low = old;
  low.rlim_cur = static_cast<rlim_t>(c + 1);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  for (int fd; (fd = ::dup(0)) >= 0;) hog.push_back(fd);
  ASSERT_FALSE(l.run(std::chrono::milliseconds(10), 5));
  EXPECT_EQ(server.accepted, 1);
  EXPECT_EQ(server.last_accept_error.value(), EMFILE);
  // The pending connection was taken with the spare descriptor and dropped:
  // the listener is no longer readable, and the client sees the close.
  char b;
  EXPECT_LE(::recv(c, &b, 1, 0), 0);
  for (int fd : hog) ::close(fd);
  ::setrlimit(RLIMIT_NOFILE, &old);
  ::close(c);
  ::close(first);
  expect_still_serving(l, server);
}

INSTANTIATE_TEST_SUITE_P(Loops, Faults, all_loops, loop_name);

// select cannot watch a descriptor >= FD_SETSIZE: a client accepted on one is
// turned away, the loop reports no error, and the others are still served.
TEST(FaultsSelect, AClientPastFdSetsizeIsTurnedAwayAndTheRestServed) {
  raise_nofile_limit();
  rlimit r{};
  ::getrlimit(RLIMIT_NOFILE, &r);
  if (r.rlim_cur <= FD_SETSIZE + 64) GTEST_SKIP() << "RLIMIT_NOFILE too low to test";
  cr::loop l(cr::backend::select);
  echo_listener server(l);
  const int early = blocking_connect(server.local_port());  // a low descriptor, served throughout
  ASSERT_TRUE(run_until(l, [&] { return server.accepted == 1; }));
  std::vector<int> hog;
  for (int fd; (fd = ::dup(0)) >= 0 && fd < FD_SETSIZE + 8;) hog.push_back(fd);
  const int late = blocking_connect(server.local_port());
  ASSERT_GE(late, FD_SETSIZE);
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(l.poll_once(std::chrono::milliseconds(5)));
  EXPECT_EQ(server.last_accept_error, cr::errc::descriptor_too_large_for_select);
  char b;
  EXPECT_LE(::recv(late, &b, 1, 0), 0) << "the refused client was not closed";
  ::close(late);
  ASSERT_EQ(::send(early, "still\n", 6, 0), 6);
  std::string got;
  ASSERT_TRUE(run_until(l, [&] {
    char buf[16];
    const ssize_t n = ::recv(early, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) got.append(buf, static_cast<std::size_t>(n));
    return got == "still\n";
  }));
  for (int fd : hog) ::close(fd);
  ::close(early);
  expect_still_serving(l, server);
}

}  // namespace
