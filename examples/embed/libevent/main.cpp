// chatframe-embed-libevent — a line-echo server on chatframe, embedded in
// libevent with raw event callbacks: recv() into a buffer and framer::feed();
// writev() of the views outbox::gather() gives, then outbox::consume().
//
//   chatframe-embed-libevent --port 0 [--max-connections N]
#include <arpa/inet.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <cstdio>
#include <memory>
#include <unordered_map>

#include "line_echo.hpp"

namespace {

using chatframe_embed::line_session;
using chatframe_embed::write_step;

struct server;

struct connection {
  server* srv = nullptr;
  int fd = -1;
  event* rd = nullptr;
  event* wr = nullptr;
  bool reading = false;
  bool writing = false;
  line_session session;
};

struct server {
  event_base* base = nullptr;
  chatframe_embed::options opts;
  std::unordered_map<int, std::unique_ptr<connection>> conns;
  std::array<char, chatframe_embed::read_buffer_size> buf{};
};

void set_nonblocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL, 0);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
    chatframe_embed::die("fcntl", errno);
}

void close_connection(connection* c) {
  server* s = c->srv;
  event_free(c->rd);
  event_free(c->wr);
  ::close(c->fd);
  s->conns.erase(c->fd);  // destroys c
  ++chatframe_embed::stats().completed;
  if (s->opts.max_connections != 0 &&
      chatframe_embed::stats().completed >= s->opts.max_connections) {
    event_base_loopbreak(s->base);
  }
}

// Turns the read and write events on or off to match the session's state.
void update_events(connection* c) {
  const bool want_read = c->session.reading_wanted();
  if (want_read != c->reading) {
    if (want_read) {
      event_add(c->rd, nullptr);
    } else {
      event_del(c->rd);
    }
    c->reading = want_read;
  }
}

// Writes until the outbox is idle or the socket would block. Returns false
// when the connection was closed.
bool flush(connection* c) {
  std::array<std::string_view, chatframe_embed::max_views> views;
  for (;;) {
    std::size_t count = 0;
    const write_step step = c->session.begin_write(views, count);
    if (step == write_step::close) {
      close_connection(c);
      return false;
    }
    if (step == write_step::idle) break;
    std::array<iovec, chatframe_embed::max_views> iov{};
    for (std::size_t i = 0; i < count; ++i) {
      iov[i].iov_base = const_cast<char*>(views[i].data());
      iov[i].iov_len = views[i].size();
    }
    const ssize_t n = ::writev(c->fd, iov.data(), static_cast<int>(count));
    if (n < 0) {
      c->session.complete_write(0);
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (!c->writing) event_add(c->wr, nullptr);
        c->writing = true;
        return true;
      }
      if (errno == EINTR) continue;
      close_connection(c);  // reset by peer, broken pipe: drop it
      return false;
    }
    c->session.complete_write(static_cast<std::size_t>(n));
  }
  if (c->writing) event_del(c->wr);
  c->writing = false;
  return true;
}

void on_readable(evutil_socket_t /*fd*/, short /*what*/, void* arg) {
  auto* c = static_cast<connection*>(arg);
  server* s = c->srv;
  // A few reads per wake-up, so one busy peer does not starve the others.
  for (int round = 0; round < 16 && c->session.reading_wanted(); ++round) {
    const ssize_t n = ::recv(c->fd, s->buf.data(), s->buf.size(), 0);
    if (n > 0) {
      c->session.feed(std::string_view(s->buf.data(), static_cast<std::size_t>(n)));
      continue;
    }
    if (n == 0) {
      c->session.end_of_stream();
      break;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    close_connection(c);
    return;
  }
  if (!flush(c)) return;
  update_events(c);
}

void on_writable(evutil_socket_t /*fd*/, short /*what*/, void* arg) {
  auto* c = static_cast<connection*>(arg);
  if (!flush(c)) return;
  update_events(c);
}

void on_accept(evutil_socket_t lfd, short /*what*/, void* arg) {
  auto* s = static_cast<server*>(arg);
  for (;;) {
    const int fd = ::accept(lfd, nullptr, nullptr);
    if (fd < 0) {
      if (errno == EINTR) continue;
      return;  // EAGAIN, or a transient error: wait for the next event
    }
    set_nonblocking(fd);
    const int one = 1;
    (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto c = std::make_unique<connection>();
    c->srv = s;
    c->fd = fd;
    c->rd = event_new(s->base, fd, EV_READ | EV_PERSIST, on_readable, c.get());
    c->wr = event_new(s->base, fd, EV_WRITE | EV_PERSIST, on_writable, c.get());
    connection* raw = c.get();
    s->conns.emplace(fd, std::move(c));
    update_events(raw);
  }
}

void on_signal(evutil_socket_t /*sig*/, short /*what*/, void* arg) {
  event_base_loopbreak(static_cast<event_base*>(arg));
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  server s;
  s.opts = chatframe_embed::parse_options(argc, argv);
  s.base = event_base_new();
  if (s.base == nullptr) chatframe_embed::die("event_base_new", ENOMEM);

  const int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (lfd < 0) chatframe_embed::die("socket", errno);
  const int one = 1;
  (void)::setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(s.opts.port);
  if (::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
    chatframe_embed::die("bind", errno);
  if (::listen(lfd, 128) < 0) chatframe_embed::die("listen", errno);
  socklen_t len = sizeof addr;
  (void)::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len);
  set_nonblocking(lfd);

  event* acceptor = event_new(s.base, lfd, EV_READ | EV_PERSIST, on_accept, &s);
  event* sigint = evsignal_new(s.base, SIGINT, on_signal, s.base);
  event* sigterm = evsignal_new(s.base, SIGTERM, on_signal, s.base);
  event_add(acceptor, nullptr);
  event_add(sigint, nullptr);
  event_add(sigterm, nullptr);

  chatframe_embed::print_listening(ntohs(addr.sin_port));
  event_base_dispatch(s.base);

  for (auto& [fd, c] : s.conns) {
    event_free(c->rd);
    event_free(c->wr);
    ::close(fd);
  }
  s.conns.clear();
  event_free(acceptor);
  event_free(sigint);
  event_free(sigterm);
  ::close(lfd);
  event_base_free(s.base);
  chatframe_embed::print_stats();
  return 0;
}
