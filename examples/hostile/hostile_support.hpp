// Support for the hostile-client tests: a server under test run as a child
// process (its RSS read from /proc, its exit status kept), loopback client
// sockets, and timed probes. Every wait is bounded; nothing here can hang.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

extern char** environ;

namespace hostile {

using clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// The binary under test: the environment variable `env` when set (to run
// these tests against another build), else the path CMake compiled in.
inline std::string binary(const char* env, const char* built) {
  const char* v = std::getenv(env);
  return v != nullptr && *v != '\0' ? v : built;
}

inline double ms_since(clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(clock::now() - t0).count();
}

inline void raise_nofile_limit() {
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &r);
  }
}

// A server process that prints "listening on 127.0.0.1:PORT" when ready.
class server {
 public:
  server(const std::string& bin, std::vector<std::string> args) {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    std::vector<std::string> argv_s{bin};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    // An ASan build's quarantine keeps freed memory resident (256 MiB by
    // default); it is the sanitizer's, not the server's, so it is kept small.
    std::vector<std::string> env_s;
    bool asan = false;
    for (char** e = environ; *e != nullptr; ++e) {
      std::string v = *e;
      if (v.rfind("ASAN_OPTIONS=", 0) == 0) {
        v += ":quarantine_size_mb=4:thread_local_quarantine_size_kb=64";
        asan = true;
      }
      env_s.push_back(std::move(v));
    }
    if (!asan)
      env_s.emplace_back("ASAN_OPTIONS=quarantine_size_mb=4:thread_local_quarantine_size_kb=64");
    std::vector<char*> envp;
    for (auto& e : env_s) envp.push_back(e.data());
    envp.push_back(nullptr);
    const int rc = ::posix_spawn(&pid_, bin.c_str(), &fa, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    ::close(out[1]);
    out_ = out[0];
    if (rc != 0) {
      pid_ = -1;
      return;
    }
    // Wait (at most 20 s) for the port.
    std::string text;
    const auto t0 = clock::now();
    while (ms_since(t0) < 20000) {
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buf[256];
      const ssize_t n = ::read(out_, buf, sizeof buf);
      if (n <= 0) break;
      text.append(buf, static_cast<std::size_t>(n));
      const std::size_t at = text.find("listening on 127.0.0.1:");
      if (at != std::string::npos && text.find('\n', at) != std::string::npos) {
        port_ = static_cast<std::uint16_t>(std::atoi(text.c_str() + at + 23));
        break;
      }
    }
    // Whatever the server prints later (chatframe-echo logs every read) is
    // read and dropped, so a full pipe never blocks it.
    drain_ = std::thread([fd = out_] {
      char buf[4096];
      while (::read(fd, buf, sizeof buf) > 0) {
      }
    });
  }
  ~server() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      int st = 0;
      ::waitpid(pid_, &st, 0);
    }
    if (drain_.joinable()) drain_.join();  // ends with the child's end of the pipe
    if (out_ >= 0) ::close(out_);
  }
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  [[nodiscard]] bool started() const { return pid_ > 0 && port_ != 0; }
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] pid_t pid() const { return pid_; }

  // Still running (not exited by itself)?
  bool alive() {
    if (reaped_) return false;
    const pid_t r = ::waitpid(pid_, &status_, WNOHANG);
    if (r == pid_) reaped_ = true;
    return !reaped_;
  }
  // Resident set size in KiB (0 if it cannot be read).
  [[nodiscard]] long rss_kib() const {
    std::ifstream f("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(f, line))
      if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
    return 0;
  }
  // SIGTERM, then the wait status (at most 20 s; then SIGKILL).
  int stop() {
    if (alive()) {
      ::kill(pid_, SIGTERM);
      const auto t0 = clock::now();
      while (alive() && ms_since(t0) < 20000) std::this_thread::sleep_for(milliseconds(10));
      if (alive()) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status_, 0);
        reaped_ = true;
      }
    }
    return status_;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::uint16_t port_ = 0;
  int status_ = 0;
  bool reaped_ = false;
  std::thread drain_;
};

inline std::string describe_status(int st) {
  if (WIFEXITED(st)) return "exit " + std::to_string(WEXITSTATUS(st));
  if (WIFSIGNALED(st)) return "signal " + std::to_string(WTERMSIG(st));
  return "status " + std::to_string(st);
}

// A loopback connection; -1 on failure. Blocking calls on it time out after 5 s.
inline int connect_to(std::uint16_t port, bool nonblocking = false, int rcvbuf = 0) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (rcvbuf > 0) ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    return -1;
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (nonblocking) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

inline bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// What a peer reads until end of stream: the bytes, and the error that ended
// it instead (ECONNRESET: the response may have been destroyed), or ETIMEDOUT.
struct read_result {
  std::string bytes;
  int error = 0;
};
// Reads until `done(bytes so far)` (if given), end of stream, an error or `limit`.
inline read_result read_until(int fd, const std::function<bool(std::string_view)>& done,
                              milliseconds limit = milliseconds(5000)) {
  read_result r;
  const auto t0 = clock::now();
  while (!(done && done(r.bytes))) {
    const double left = static_cast<double>(limit.count()) - ms_since(t0);
    if (left <= 0) {
      r.error = ETIMEDOUT;
      return r;
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left) + 1) <= 0) continue;
    char buf[65536];
    const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      r.bytes.append(buf, static_cast<std::size_t>(n));
    } else if (n == 0) {
      return r;
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      r.error = errno;
      return r;
    }
  }
  return r;
}

inline read_result read_to_eof(int fd, milliseconds limit = milliseconds(5000)) {
  return read_until(fd, nullptr, limit);
}

// How many responses (status lines at the start of a response) `bytes` holds.
inline int count_responses(std::string_view bytes) {
  int n = 0;
  for (std::size_t at = 0; (at = bytes.find("HTTP/1.1 ", at)) != std::string_view::npos; ++at)
    if (at == 0 || bytes.substr(at - 2, 2) == "\r\n") ++n;
  return n;
}

// One request on a new connection, timed from connect to the last byte.
struct probe {
  bool ok = false;
  double ms = 0;
  std::string why;
};

// Connects, sends `request`, reads until `done` (or end of stream) and asks
// `good` of what came back.
inline probe exchange(std::uint16_t port, std::string_view request,
                      const std::function<bool(std::string_view)>& done,
                      const std::function<bool(const read_result&)>& good) {
  probe p;
  const auto t0 = clock::now();
  const int fd = connect_to(port);
  if (fd < 0) {
    p.why = "connect failed";
    return p;
  }
  if (!send_all(fd, request)) {
    p.why = "send failed";
  } else {
    const read_result r = read_until(fd, done);
    p.ok = good(r);
    if (!p.ok) p.why = "error " + std::to_string(r.error) + ", got: " + r.bytes.substr(0, 60);
  }
  p.ms = ms_since(t0);
  ::close(fd);
  return p;
}

// GET `path` (Connection: close): 200 and end of stream.
inline probe http_probe(std::uint16_t port, const std::string& path = "/small.txt") {
  return exchange(port, "GET " + path + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
                  nullptr, [](const read_result& r) {
                    return r.error == 0 && r.bytes.rfind("HTTP/1.1 200 OK\r\n", 0) == 0;
                  });
}

// A line to a line echo server: the line back (the connection stays open).
inline probe echo_probe(std::uint16_t port) {
  return exchange(
      port, "ping\n", [](std::string_view got) { return got.size() >= 5; },
      [](const read_result& r) { return r.bytes == "ping\n"; });
}

// Writes `unit` over and over on a non-blocking socket while the peer takes
// it, never reading; waits (without spinning) while the socket is full.
// Returns when `until` passes or the connection fails (then *error, if
// given, is the errno: ECONNRESET or EPIPE when the peer reset it).
inline std::size_t flood(int fd, std::string_view unit, clock::time_point until,
                         int* error = nullptr) {
  std::size_t sent = 0, at = 0;
  while (clock::now() < until) {
    const ssize_t n = ::send(fd, unit.data() + at, unit.size() - at, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      at = (at + static_cast<std::size_t>(n)) % unit.size();
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd, POLLOUT, 0};
      (void)::poll(&p, 1, 20);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      if (error != nullptr) *error = n < 0 ? errno : EPIPE;
      break;
    }
  }
  return sent;
}

// While attackers run: probes every 100 ms and samples the server's RSS, for
// `duration`. The worst of each is what the tests bound.
struct watch_result {
  long peak_rss_kib = 0;
  double worst_ms = 0;
  int probes = 0;
  int failed = 0;
  std::string first_failure;
};

template <class Probe>
watch_result watch(server& s, milliseconds duration, Probe&& probe_once) {
  watch_result w;
  const auto t0 = clock::now();
  while (ms_since(t0) < static_cast<double>(duration.count())) {
    const probe p = probe_once();
    ++w.probes;
    if (!p.ok) {
      ++w.failed;
      if (w.first_failure.empty()) w.first_failure = p.why;
    }
    if (p.ms > w.worst_ms) w.worst_ms = p.ms;
    if (std::getenv("HOSTILE_VERBOSE")) std::printf("probe %d: %.1f ms\n", w.probes, p.ms);
    const long rss = s.rss_kib();
    if (rss > w.peak_rss_kib) w.peak_rss_kib = rss;
    if (!s.alive()) {
      ++w.failed;
      if (w.first_failure.empty()) w.first_failure = "the server exited";
      break;
    }
    std::this_thread::sleep_for(milliseconds(100));
  }
  std::printf("[hostile] probes=%d failed=%d worst=%.1f ms peak_rss=%ld KiB\n", w.probes, w.failed,
              w.worst_ms, w.peak_rss_kib);
  return w;
}

}  // namespace hostile
