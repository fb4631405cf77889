// Shared helpers for the reactor tests: backend parameterization, blocking
// loopback peers, and a bounded loop driver (tests fail, never hang).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "chatframe/reactor/chat_channel.hpp"
#include "chatframe/reactor/loop.hpp"

namespace rt {

namespace cr = chatframe::reactor;

inline const auto all_backends =
    ::testing::Values(cr::backend::select, cr::backend::poll, cr::backend::epoll);

inline std::string backend_name(const ::testing::TestParamInfo<cr::backend>& info) {
  return std::string(cr::to_string(info.param));
}

// A backend and when the loop asks predicates: the three backends as asyncore
// runs them, and epoll asking only after events (what the servers use).
struct loop_kind {
  cr::backend backend;
  cr::interest_updates updates = cr::interest_updates::every_poll;
};
inline const auto all_loops = ::testing::Values(
    loop_kind{cr::backend::select}, loop_kind{cr::backend::poll}, loop_kind{cr::backend::epoll},
    loop_kind{cr::backend::epoll, cr::interest_updates::on_events});
inline std::string loop_name(const ::testing::TestParamInfo<loop_kind>& info) {
  std::string n(cr::to_string(info.param.backend));
  if (info.param.updates == cr::interest_updates::on_events) n += "_on_events";
  return n;
}
class test_loop : public cr::loop {
 public:
  explicit test_loop(loop_kind k) : loop(k.backend, k.updates) {}
};

// Runs single polls until `done` or the deadline; returns whether done.
inline bool run_until(cr::loop& l, const std::function<bool()>& done,
                      std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    if (l.empty()) return done();
    const std::error_code ec = l.poll_once(std::chrono::milliseconds(10));
    if (ec) {
      ADD_FAILURE() << "poll: " << ec.message();
      return false;
    }
  }
  return true;
}

// A blocking loopback client socket connected to 127.0.0.1:port.
inline int blocking_connect(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    return -1;
  }
  timeval tv{5, 0};  // no blocking call in a test may wait forever
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  return fd;
}

// A blocking listening socket on 127.0.0.1 with an OS-chosen port.
inline int blocking_listen(std::uint16_t& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  ::listen(fd, 16);
  socklen_t len = sizeof sa;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  port = ntohs(sa.sin_port);
  return fd;
}

inline void raise_nofile_limit() {
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &r);
  }
}

// Line echo: every "\n" frame comes back with its "\n". Loop-owned.
class line_echo : public cr::chat_channel {
 public:
  line_echo(cr::loop& l, int fd, bool coalesce) : chat_channel(l, fd) {
    (void)set_terminator(chatframe::terminator::bytes("\n"));
    set_coalescing(coalesce);
  }
  void collect_incoming_data(const chatframe::collected& d) override {
    d.append_to(line_);
    if (line_ == "boom") throw std::runtime_error("handler failure");
  }
  void found_terminator() override {
    if (line_ == "BOOM") throw std::runtime_error("handler failure");
    line_ += '\n';
    push(std::move(line_));
    line_.clear();
  }
  std::string line_;
};

// A listening dispatcher that adopts a Channel (made by `make`) per connection
// and remembers the last one (valid until that channel is closed and reaped).
template <class Channel>
class listener_for : public cr::dispatcher {
 public:
  using factory = std::function<std::unique_ptr<Channel>(cr::loop&, int)>;
  listener_for(cr::loop& l, factory make) : dispatcher(l), make_(std::move(make)) {
    EXPECT_FALSE(create_socket());
    EXPECT_FALSE(set_reuse_addr());
    EXPECT_FALSE(bind("127.0.0.1", 0));
    EXPECT_FALSE(listen(1024));
  }
  void handle_accept() override {
    for (;;) {
      cr::accept_result a = accept();
      if (a.fd < 0) {
        if (a.error) last_accept_error = a.error;
        return;
      }
      ++accepted;
      auto ch = make_(get_loop(), a.fd);
      last = ch.get();
      get_loop().adopt(std::move(ch));
    }
  }
  Channel* last = nullptr;
  int accepted = 0;
  std::error_code last_accept_error;

 private:
  factory make_;
};

// A listening dispatcher that adopts a line_echo per connection.
class echo_listener final : public listener_for<line_echo> {
 public:
  explicit echo_listener(cr::loop& l, bool coalesce = false)
      : listener_for(l, [coalesce](cr::loop& loop, int fd) {
          return std::make_unique<line_echo>(loop, fd, coalesce);
        }) {}
};

}  // namespace rt
