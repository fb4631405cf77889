// chatframe-idle-client — holds many idle keep-alive HTTP connections and
// times a new client's requests while they are held.
//
//   chatframe-idle-client --port N --connections N [--path /file.txt]
//                         [--sources 3] [--probes 1000] [--pid PID]...
//                         [--per-process 15000]
//
// Opens --connections connections to 127.0.0.1:PORT, each from one of
// --sources loopback source addresses (127.0.0.2, 127.0.0.3, ...: one
// address has ~28k ephemeral ports), sends one GET of --path on each and
// reads its response, so each is an idle keep-alive connection. A process
// may hold fewer descriptors than that, so the connections are spread over
// worker processes of at most --per-process each. Then it reads the RSS of
// the --pid processes (the server; nginx's master and worker), makes --probes
// requests one after another, each on a new connection from 127.0.0.1
// (connect to the last byte of the response), and checks how many of the
// held connections the server still keeps open.
//
// Prints one JSON object: requested, held, failed, alive_after, rss_before_kib,
// rss_held_kib, rss_per_conn_bytes, probes, probe_failures, p50_us, p99_us,
// max_us. Exit status 1 when a connection or a probe failed.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "chatframe_tools/cli.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

struct options {
  std::uint16_t port = 0;
  std::size_t connections = 1000;
  std::string path = "/file.txt";
  unsigned sources = 3;
  std::size_t probes = 1000;
  std::vector<int> pids;
  std::size_t per_process = 15000;
};

long rss_kib(const std::vector<int>& pids) {
  long total = 0;
  for (int pid : pids) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(f, line))
      if (line.rfind("VmRSS:", 0) == 0) total += std::atol(line.c_str() + 6);
  }
  return total;
}

sockaddr_in address(const char* ip, std::uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  ::inet_pton(AF_INET, ip, &sa.sin_addr);
  return sa;
}

// The length of a complete response at the start of `r`, or 0 if incomplete.
std::size_t response_length(const std::string& r) {
  const std::size_t end = r.find("\r\n\r\n");
  if (end == std::string::npos) return 0;
  std::size_t cl = 0;
  const std::size_t at = r.find("Content-Length: ");
  if (at != std::string::npos && at < end) cl = std::strtoul(r.c_str() + at + 16, nullptr, 10);
  return r.size() >= end + 4 + cl ? end + 4 + cl : 0;
}

struct conn {
  int fd = -1;
  std::string in;
  bool sent = false;
  bool done = false;
};

// A worker: opens [first, first + count) of the connections, reports
// "held OK FAILED", then answers "alive N" to each "c" line from the parent
// and exits when the parent closes its pipe.
int worker(const options& o, std::size_t first, std::size_t count, int to_parent, int from_parent) {
  rlimit r{};
  ::getrlimit(RLIMIT_NOFILE, &r);
  r.rlim_cur = r.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &r);
  const std::string request = "GET " + o.path + " HTTP/1.1\r\nHost: idle\r\n\r\n";
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  std::vector<conn> conns(count);
  std::size_t next = 0, pending = 0, held = 0, failed = 0;
  constexpr std::size_t max_pending = 512;  // connects in flight (listen backlogs are ~511)
  auto fail = [&](conn& c) {
    if (c.fd >= 0) ::close(c.fd);
    c.fd = -1;
    c.done = true;
    ++failed;
    --pending;
  };
  const auto deadline = clock_type::now() + std::chrono::seconds(120);
  std::vector<epoll_event> events(1024);
  while ((next < count || pending > 0) && clock_type::now() < deadline) {
    while (next < count && pending < max_pending) {
      conn& c = conns[next];
      const std::size_t global = first + next;
      ++next;
      ++pending;
      c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (c.fd < 0) {
        fail(c);
        continue;
      }
      char src[32];
      std::snprintf(src, sizeof src, "127.0.0.%u", 2 + static_cast<unsigned>(global % o.sources));
      const sockaddr_in from = address(src, 0);
      const sockaddr_in to = address("127.0.0.1", o.port);
      if (::bind(c.fd, reinterpret_cast<const sockaddr*>(&from), sizeof from) != 0 ||
          (::connect(c.fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0 &&
           errno != EINPROGRESS)) {
        fail(c);
        continue;
      }
      epoll_event ev{};
      ev.events = EPOLLOUT | EPOLLIN;
      ev.data.u64 = next - 1;
      ::epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
    }
    const int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), 100);
    for (int i = 0; i < n; ++i) {
      conn& c = conns[events[i].data.u64];
      if (c.done) continue;
      if ((events[i].events & EPOLLOUT) != 0 && !c.sent) {
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0 || ::send(c.fd, request.data(), request.size(), MSG_NOSIGNAL) !=
                            static_cast<ssize_t>(request.size())) {
          fail(c);
          continue;
        }
        c.sent = true;
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = events[i].data.u64;
        ::epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
      }
      if ((events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0 && c.sent) {
        char buf[4096];
        const ssize_t got = ::recv(c.fd, buf, sizeof buf, 0);
        if (got <= 0) {
          if (got < 0 && errno == EAGAIN) continue;
          fail(c);
          continue;
        }
        c.in.append(buf, static_cast<std::size_t>(got));
        if (response_length(c.in) != 0) {
          c.done = true;
          ++held;
          --pending;
          ::epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
          std::string().swap(c.in);
        }
      }
    }
  }
  char line[64];
  const int len = std::snprintf(line, sizeof line, "held %zu %zu\n", held, count - held);
  (void)!::write(to_parent, line, static_cast<std::size_t>(len));
  for (;;) {
    char cmd[8];
    const ssize_t n = ::read(from_parent, cmd, sizeof cmd);
    if (n <= 0) break;
    std::size_t alive = 0;
    for (conn& c : conns) {
      if (c.fd < 0) continue;
      char b;
      const ssize_t k = ::recv(c.fd, &b, 1, MSG_DONTWAIT);
      alive += k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }
    const int m = std::snprintf(line, sizeof line, "alive %zu\n", alive);
    (void)!::write(to_parent, line, static_cast<std::size_t>(m));
  }
  return 0;
}

// One request on a new connection: microseconds to its last byte, or -1.
double probe(const options& o) {
  const std::string request =
      "GET " + o.path + " HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n";
  const auto t0 = clock_type::now();
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  const sockaddr_in to = address("127.0.0.1", o.port);
  double us = -1;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0 &&
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size())) {
    std::string in;
    char buf[65536];
    for (;;) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      in.append(buf, static_cast<std::size_t>(n));
      if (response_length(in) != 0) {
        us = std::chrono::duration<double, std::micro>(clock_type::now() - t0).count();
        break;
      }
    }
  }
  ::close(fd);
  return us;
}

bool read_line(int fd, std::string& line) {
  line.clear();
  char c;
  while (::read(fd, &c, 1) == 1) {
    if (c == '\n') return true;
    line += c;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  namespace tools = chatframe_tools;
  CLI::App app{"Holds idle keep-alive HTTP connections and times new clients meanwhile.",
               "chatframe-idle-client"};
  app.add_option("--port", o.port, "the server's port on 127.0.0.1")
      ->required()
      ->transform(tools::connect_port());
  app.add_option("--connections", o.connections, "idle keep-alive connections to hold")
      ->transform(tools::decimal(1, std::size_t{1} << 24))
      ->capture_default_str();
  app.add_option("--path", o.path, "the path each connection GETs once")->capture_default_str();
  app.add_option("--sources", o.sources, "source addresses 127.0.0.2, 127.0.0.3, ...")
      ->transform(tools::decimal(1, 250))
      ->capture_default_str();
  app.add_option("--probes", o.probes, "requests timed on new connections")
      ->transform(tools::decimal(0, 10000000))
      ->capture_default_str();
  app.add_option("--pid", o.pids, "a process whose RSS is measured (repeatable)")
      ->transform(tools::decimal(1, 1u << 30));
  app.add_option("--per-process", o.per_process, "connections per worker process")
      ->transform(tools::decimal(1, std::size_t{1} << 20))
      ->capture_default_str();
  if (const auto status = tools::parse(app, argc, argv)) return *status;
  if (probe(o) < 0) {  // one request first: is anyone there?
    std::fprintf(stderr, "chatframe-idle-client: cannot connect to 127.0.0.1:%u: %s\n",
                 static_cast<unsigned>(o.port), std::strerror(errno));
    return tools::exit_failure;
  }

  const long rss_before = rss_kib(o.pids);
  struct child {
    pid_t pid;
    int from, to;
  };
  std::vector<child> workers;
  for (std::size_t first = 0; first < o.connections; first += o.per_process) {
    const std::size_t count = std::min(o.per_process, o.connections - first);
    int up[2], down[2];
    if (::pipe2(up, O_CLOEXEC) != 0 || ::pipe2(down, O_CLOEXEC) != 0) return 1;
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::close(up[0]);
      ::close(down[1]);
      for (const child& w : workers) {
        ::close(w.from);
        ::close(w.to);
      }
      std::_Exit(worker(o, first, count, up[1], down[0]));
    }
    ::close(up[1]);
    ::close(down[0]);
    workers.push_back({pid, up[0], down[1]});
  }
  std::size_t held = 0, failed = 0;
  for (const child& w : workers) {
    std::string line;
    if (!read_line(w.from, line)) {
      failed += o.per_process;
      continue;
    }
    std::size_t h = 0, f = 0;
    std::sscanf(line.c_str(), "held %zu %zu", &h, &f);
    held += h;
    failed += f;
  }
  ::usleep(500000);  // let the server settle before it is measured
  const long rss_held = rss_kib(o.pids);

  std::vector<double> times;
  std::size_t probe_failures = 0;
  for (std::size_t i = 0; i < o.probes; ++i) {
    const double us = probe(o);
    if (us < 0) {
      ++probe_failures;
    } else {
      times.push_back(us);
    }
  }
  std::sort(times.begin(), times.end());
  auto pct = [&](double p) {
    if (times.empty()) return -1.0;
    return times[std::min(times.size() - 1,
                          static_cast<std::size_t>(p * static_cast<double>(times.size())))];
  };

  std::size_t alive = 0;
  for (const child& w : workers) {
    (void)!::write(w.to, "c\n", 2);
    std::string line;
    std::size_t a = 0;
    if (read_line(w.from, line)) std::sscanf(line.c_str(), "alive %zu", &a);
    alive += a;
  }
  for (const child& w : workers) {
    ::close(w.to);
    ::close(w.from);
    int st = 0;
    ::waitpid(w.pid, &st, 0);
  }
  const double per_conn =
      held == 0 ? 0
                : static_cast<double>(rss_held - rss_before) * 1024.0 / static_cast<double>(held);
  std::printf(
      "{\"requested\": %zu, \"held\": %zu, \"failed\": %zu, \"alive_after\": %zu, "
      "\"rss_before_kib\": %ld, \"rss_held_kib\": %ld, \"rss_per_conn_bytes\": %.0f, "
      "\"probes\": %zu, \"probe_failures\": %zu, \"p50_us\": %.1f, \"p99_us\": %.1f, "
      "\"max_us\": %.1f}\n",
      o.connections, held, failed, alive, rss_before, rss_held, per_conn, o.probes, probe_failures,
      pct(0.5), pct(0.99), times.empty() ? -1.0 : times.back());
  return failed == 0 && probe_failures == 0 ? 0 : 1;
}
