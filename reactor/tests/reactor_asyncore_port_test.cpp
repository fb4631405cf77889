// A port, written anew, of the applicable cases of CPython's
// Lib/test/test_asyncore.py: dispatcher hooks and predicates, loop count,
// connect/accept/close, error routing; plus select's FD_SETSIZE refusal.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "reactor_test_support.hpp"

namespace {

using namespace rt;

class Asyncore : public ::testing::TestWithParam<cr::backend> {};

// A dispatcher recording which hooks ran (test_asyncore's TestHandler flags).
struct recorder : cr::dispatcher {
  using dispatcher::dispatcher;
  bool want_read = true, want_write = false;
  int reads = 0, writes = 0, connects = 0, closes = 0, errors = 0, readable_calls = 0;
  std::string received;
  bool readable() override {
    ++readable_calls;
    return want_read;
  }
  bool writable() override { return want_write; }
  void handle_read() override {
    ++reads;
    char buf[256];
    cr::io_result r = recv(buf, sizeof buf);
    if (r.status == cr::io_status::ok) received.append(buf, r.size);
  }
  void handle_write() override {
    ++writes;
    want_write = false;
  }
  void handle_connect() override { ++connects; }
  void handle_close() override {
    ++closes;
    close();
  }
  void handle_error(std::exception_ptr e) override {
    ++errors;
    dispatcher::handle_error(e);
  }
};

struct accepting_server : cr::dispatcher {
  explicit accepting_server(cr::loop& l) : dispatcher(l) {
    EXPECT_FALSE(create_socket());
    EXPECT_FALSE(bind("127.0.0.1", 0));
    EXPECT_FALSE(listen(5));
  }
  int accepts = 0;
  std::unique_ptr<recorder> peer;
  void handle_accept() override {
    cr::accept_result a = accept();
    if (a.fd < 0) return;
    ++accepts;
    EXPECT_EQ(a.peer_host, "127.0.0.1");
    peer = std::make_unique<recorder>(get_loop(), a.fd);
  }
};

TEST_P(Asyncore, ConnectAcceptReadWriteClose) {
  cr::loop l(GetParam());
  accepting_server server(l);
  EXPECT_TRUE(server.accepting());
  recorder client(l);
  ASSERT_FALSE(client.create_socket());
  ASSERT_FALSE(client.connect("127.0.0.1", server.local_port()));
  client.want_write = true;  // asyncore: the connect completes on a write event
  ASSERT_TRUE(run_until(l, [&] { return client.connected() && server.peer != nullptr; }));
  EXPECT_EQ(client.connects, 1);  // handle_connect, once
  EXPECT_EQ(server.accepts, 1);
  EXPECT_TRUE(server.peer->connected());

  // handle_read on data.
  ASSERT_EQ(client.send("hello").size, 5u);
  ASSERT_TRUE(run_until(l, [&] { return server.peer->received == "hello"; }));
  // handle_write when writable.
  server.peer->want_write = true;
  ASSERT_TRUE(run_until(l, [&] { return server.peer->writes == 1; }));
  // handle_close when the peer closes (recv returns 0).
  client.close();
  EXPECT_EQ(client.fd(), -1);
  ASSERT_TRUE(run_until(l, [&] { return server.peer->closes == 1; }));
  EXPECT_EQ(server.peer->fd(), -1);
  server.close();
  EXPECT_TRUE(l.empty());
}

TEST_P(Asyncore, PredicatesGateEvents) {
  cr::loop l(GetParam());
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  recorder a(l, sv[0]);
  a.want_read = false;
  ASSERT_EQ(::write(sv[1], "x", 1), 1);
  ASSERT_FALSE(l.run(std::chrono::milliseconds(5), 3));
  EXPECT_EQ(a.reads, 0);   // not readable(): never read
  EXPECT_EQ(a.writes, 0);  // not writable(): never written
  a.want_read = true;
  ASSERT_TRUE(run_until(l, [&] { return a.reads == 1; }));
  a.want_write = true;
  ASSERT_TRUE(run_until(l, [&] { return a.writes == 1; }));
  ::close(sv[1]);
}

TEST_P(Asyncore, LoopCountPollsExactlyCountTimes) {
  cr::loop l(GetParam());
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  recorder a(l, sv[0]);
  a.want_read = false;
  ASSERT_FALSE(l.run(std::chrono::milliseconds(1), 5));
  EXPECT_EQ(a.readable_calls, 5);
  ASSERT_FALSE(l.run(std::chrono::milliseconds(1), 0));
  EXPECT_EQ(a.readable_calls, 5);
  ::close(sv[1]);
}

TEST_P(Asyncore, RunReturnsWhenMapEmpty) {
  cr::loop l(GetParam());
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_FALSE(l.run(std::chrono::seconds(5)));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
}

TEST_P(Asyncore, ExceptionInHookGoesToHandleError) {
  struct thrower : recorder {
    using recorder::recorder;
    void handle_read() override { throw std::runtime_error("boom"); }
  };
  cr::loop l(GetParam());
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  thrower t(l, sv[0]);
  ASSERT_EQ(::write(sv[1], "x", 1), 1);
  ASSERT_TRUE(run_until(l, [&] { return t.errors == 1; }));
  EXPECT_EQ(t.closes, 1);  // the default handle_error closes
  EXPECT_EQ(t.fd(), -1);
  ASSERT_TRUE(t.last_error());
  EXPECT_THROW(std::rethrow_exception(t.last_error()), std::runtime_error);
  ::close(sv[1]);
}

TEST_P(Asyncore, ConnectRefusedIsAnError) {
  std::uint16_t port = 0;
  const int lfd = blocking_listen(port);
  ::close(lfd);  // nobody listens there now
  cr::loop l(GetParam());
  recorder c(l);
  ASSERT_FALSE(c.create_socket());
  c.want_write = true;
  const std::error_code ec = c.connect("127.0.0.1", port);
  if (!ec) {
    ASSERT_TRUE(run_until(l, [&] { return c.fd() == -1; }));
  }
  EXPECT_EQ(c.connects, 0);
  EXPECT_FALSE(c.connected());
}

TEST_P(Asyncore, DefaultHandleAcceptedClosesTheSocket) {
  cr::loop l(GetParam());
  struct plain : cr::dispatcher {
    using dispatcher::dispatcher;
  } server(l);
  ASSERT_FALSE(server.create_socket());
  ASSERT_FALSE(server.bind("127.0.0.1", 0));
  ASSERT_FALSE(server.listen(5));
  const int c = blocking_connect(server.local_port());
  ASSERT_GE(c, 0);
  ASSERT_FALSE(l.run(std::chrono::milliseconds(50), 2));
  char b;
  EXPECT_EQ(::recv(c, &b, 1, 0), 0);  // closed by the default handle_accepted
  ::close(c);
}

TEST_P(Asyncore, BadAddressAndNotOpen) {
  cr::loop l(GetParam());
  recorder d(l);
  EXPECT_EQ(d.bind("127.0.0.1", 0), cr::errc::not_open);
  ASSERT_FALSE(d.create_socket());
  EXPECT_EQ(d.create_socket(), cr::errc::already_open);
  EXPECT_EQ(d.bind("not-an-address", 0), cr::errc::bad_address);
}

TEST_P(Asyncore, LoopOwnedDispatcherIsDestroyedAfterClose) {
  static int alive = 0;
  struct counted : recorder {
    counted(cr::loop& l, int fd) : recorder(l, fd) { ++alive; }
    ~counted() override { --alive; }
  };
  cr::loop l(GetParam());
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  l.adopt(std::make_unique<counted>(l, sv[0]));
  EXPECT_EQ(alive, 1);
  ::close(sv[1]);  // EOF: recv() returns 0, handle_close closes
  ASSERT_TRUE(run_until(l, [&] { return alive == 0; }));
  EXPECT_TRUE(l.empty());
}

TEST(AsyncoreSelect, RefusesDescriptorAtOrAboveFdSetsizeWhenItJoins) {
  raise_nofile_limit();
  rlimit r{};
  ::getrlimit(RLIMIT_NOFILE, &r);
  if (r.rlim_cur <= FD_SETSIZE + 10) GTEST_SKIP() << "RLIMIT_NOFILE too low to test";
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  const int high = ::fcntl(sv[0], F_DUPFD_CLOEXEC, FD_SETSIZE + 5);
  ASSERT_GE(high, FD_SETSIZE);
  ::close(sv[0]);
  for (cr::backend b : {cr::backend::select, cr::backend::poll, cr::backend::epoll}) {
    const int fd = ::fcntl(high, F_DUPFD_CLOEXEC, FD_SETSIZE + 5);
    cr::loop l(b);
    recorder d(l, fd);
    ASSERT_EQ(::write(sv[1], "x", 1), 1);
    const std::error_code ec = l.poll_once(std::chrono::milliseconds(10));
    if (b == cr::backend::select) {
      // Refused when it joined: closed, never watched, and not a loop error.
      EXPECT_FALSE(ec) << ec.message();
      EXPECT_EQ(d.fd(), -1);
      EXPECT_EQ(::fcntl(fd, F_GETFD), -1) << "the refused descriptor was not closed";
      EXPECT_EQ(d.reads, 0);
    } else {
      EXPECT_FALSE(ec) << ec.message();
      EXPECT_EQ(d.reads, 1);
    }
  }
  ::close(high);
  ::close(sv[1]);
}

INSTANTIATE_TEST_SUITE_P(Backends, Asyncore, all_backends, backend_name);

}  // namespace

// interest_updates::on_events (epoll): predicates are asked again after the
// dispatcher's own events, or when it says they changed — not every poll.
TEST(OnEvents, APredicateChangedOutsideAHookWaitsForInterestChanged) {
  cr::loop l(cr::backend::epoll, cr::interest_updates::on_events);
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  recorder a(l, sv[0]);
  a.want_read = false;
  ASSERT_EQ(::write(sv[1], "x", 1), 1);
  ASSERT_FALSE(l.run(std::chrono::milliseconds(5), 3));
  EXPECT_EQ(a.readable_calls, 1) << "asked again without an event";
  a.want_read = true;
  ASSERT_FALSE(l.run(std::chrono::milliseconds(5), 3));
  EXPECT_EQ(a.reads, 0) << "the change was not announced";
  a.interest_changed();
  ASSERT_TRUE(run_until(l, [&] { return a.reads == 1; }));
  ::close(sv[1]);
}

TEST(OnEvents, APushFromOutsideTheChannelsHooksIsSent) {
  struct quiet : cr::chat_channel {
    using chat_channel::chat_channel;
    void collect_incoming_data(const chatframe::collected&) override {}
    void found_terminator() override {}
  };
  cr::loop l(cr::backend::epoll, cr::interest_updates::on_events);
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  quiet ch(l, sv[0]);
  ch.set_coalescing(true);  // a push only queues: the loop must send it
  ASSERT_FALSE(l.run(std::chrono::milliseconds(5), 3));
  (void)ch.push("from elsewhere\n");
  std::string got;
  ASSERT_TRUE(run_until(l, [&] {
    char buf[64];
    const ssize_t n = ::recv(sv[1], buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) got.append(buf, static_cast<std::size_t>(n));
    return got == "from elsewhere\n";
  }));
  ::close(sv[1]);
}
