// raw-epoll-echo — the ceiling for the echo benchmark: epoll, read, write
// back the bytes as they came; no framing, no queue beyond what a short
// write leaves behind.
//
//   raw-epoll-echo [--port N]
//
// Listens on 127.0.0.1 only, prints "listening on 127.0.0.1:PORT", pins
// itself to CPU 0 (2+ CPUs), runs until SIGINT/SIGTERM.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include "chatframe_tools/cli.hpp"
#include "pin.hpp"

namespace {
volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

struct conn {
  std::vector<char> pending;  // bytes a short write left behind
  bool want_out = false;
};

void die(const char* what) {
  std::fprintf(stderr, "raw-epoll-echo: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}
}  // namespace

int main(int argc, char** argv) {
  std::uint16_t port = 0;
  CLI::App app{"The echo benchmark's ceiling: epoll, and the bytes written back as they came.",
               "raw-epoll-echo"};
  app.add_option("--port", port, "listen on 127.0.0.1:PORT")
      ->transform(chatframe_tools::listen_port())
      ->capture_default_str();
  if (const auto status = chatframe_tools::parse(app, argc, argv)) return *status;
  chatframe_bench::pin_to_cpu(0);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGPIPE, SIG_IGN);
  const int ls = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (ls < 0) die("socket");
  const int one = 1;
  ::setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const std::string where = "cannot listen on 127.0.0.1:" + std::to_string(port);
  if (::bind(ls, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) die(where.c_str());
  if (::listen(ls, 128) != 0) die(where.c_str());
  socklen_t al = sizeof a;
  ::getsockname(ls, reinterpret_cast<sockaddr*>(&a), &al);
  std::printf("listening on 127.0.0.1:%u\n", static_cast<unsigned>(ntohs(a.sin_port)));
  std::fflush(stdout);

  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = ls;
  ::epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
  std::unordered_map<int, conn> conns;
  std::vector<char> buf(65536);
  epoll_event events[256];

  auto close_conn = [&](int fd) {
    ::epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
    ::close(fd);
    conns.erase(fd);
  };
  auto set_out = [&](int fd, conn& c, bool on) {
    if (c.want_out == on) return;
    c.want_out = on;
    epoll_event e{};
    e.events = on ? EPOLLOUT : EPOLLIN;  // stop reading while a write is pending
    e.data.fd = fd;
    ::epoll_ctl(ep, EPOLL_CTL_MOD, fd, &e);
  };
  // Writes `data`; keeps what does not fit. False when the connection died.
  auto write_all = [&](int fd, conn& c, const char* p, std::size_t n) {
    while (n > 0) {
      const ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
      if (w > 0) {
        p += w;
        n -= static_cast<std::size_t>(w);
        continue;
      }
      if (w < 0 && errno == EINTR) continue;
      if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        c.pending.insert(c.pending.end(), p, p + n);
        set_out(fd, c, true);
        return true;
      }
      return false;
    }
    return true;
  };

  while (g_stop == 0) {
    const int k = ::epoll_wait(ep, events, 256, 200);
    if (k < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int i = 0; i < k; ++i) {
      const int fd = events[i].data.fd;
      if (fd == ls) {
        for (;;) {
          const int c = ::accept4(ls, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (c < 0) break;
          epoll_event e{};
          e.events = EPOLLIN;
          e.data.fd = c;
          ::epoll_ctl(ep, EPOLL_CTL_ADD, c, &e);
          conns.emplace(c, conn{});
        }
        continue;
      }
      auto it = conns.find(fd);
      if (it == conns.end()) continue;
      conn& c = it->second;
      if (c.want_out) {
        if (events[i].events & (EPOLLERR | EPOLLHUP)) {
          close_conn(fd);
          continue;
        }
        std::vector<char> rest;
        rest.swap(c.pending);
        set_out(fd, c, false);
        if (!write_all(fd, c, rest.data(), rest.size())) close_conn(fd);
        continue;
      }
      const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
      if (n > 0) {
        if (!write_all(fd, c, buf.data(), static_cast<std::size_t>(n))) close_conn(fd);
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR && errno != EWOULDBLOCK)) {
        close_conn(fd);
      }
    }
  }
  for (auto& [fd, c] : conns) ::close(fd);
  ::close(ls);
  ::close(ep);
  return 0;
}
