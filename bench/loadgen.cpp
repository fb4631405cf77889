// chatframe-loadgen — a line-echo load generator.
//
//   chatframe-loadgen --port N [--host 127.0.0.1] [--conns 16] [--duration 5]
//                     [--window 16] [--line 100] [--warmup 0.5] [--cpu 1]
//
// Opens --conns connections, each sending --line-byte lines ('\n'-terminated,
// printable filler) with at most --window lines in flight, and reads the
// echoes back. One thread, epoll, TCP_NODELAY on the client side. A line's
// round trip is from the moment it is queued for write() to the moment its
// '\n' comes back (echo preserves order per connection). The first --warmup
// seconds are not counted; then it runs --duration seconds, bounded. Every
// byte echoed back is compared with the byte sent at that place: a server
// that loses, reorders or alters a byte fails the run.
//
// Prints one JSON object on stdout: conns, window, line, seconds, lines,
// lines_per_s, mb_per_s (10^6 bytes/s echoed back), p50_us, p99_us, max_us,
// errors. Pins itself to --cpu (default 1; -1: no pinning) when the machine
// has 2+ CPUs. Exit status 1 if a connection failed or nothing came back (said
// on stderr), 2 for a bad command line.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "chatframe_tools/cli.hpp"

namespace {

std::uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ull +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

struct conn {
  int fd = -1;
  std::vector<std::uint64_t> sent_at;  // ring of --window timestamps
  std::size_t head = 0, inflight = 0;
  std::size_t out_off = 0;  // offset inside a line of the next byte to write
  std::size_t in_off = 0;   // offset inside a line of the next byte to read back
  std::size_t pending = 0;  // bytes queued but not yet written
  bool want_out = false;
  bool dead = false;
};

constexpr std::size_t kBuckets = 1000000;  // 1 us buckets up to 1 s

}  // namespace

int main(int argc, char** argv) {
  namespace tools = chatframe_tools;
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  int nconns = 16, cpu = 1;
  std::size_t window = 16, line = 100;
  double duration = 5.0, warmup = 0.5;
  CLI::App app{"A line-echo load generator: prints one JSON object of throughput and latency.",
               "chatframe-loadgen"};
  app.add_option("--port", port, "the echo server's port")
      ->required()
      ->transform(tools::connect_port());
  app.add_option("--host", host, "the echo server's address")
      ->check(tools::ipv4_host())
      ->capture_default_str();
  app.add_option("--conns", nconns, "connections")
      ->transform(tools::decimal(1, 10000))
      ->capture_default_str();
  app.add_option("--duration", duration, "seconds measured, after the warm-up")
      ->transform(tools::real(0.001, 600))
      ->capture_default_str();
  app.add_option("--warmup", warmup, "seconds run before measuring")
      ->transform(tools::real(0, 600))
      ->capture_default_str();
  app.add_option("--window", window, "lines in flight per connection")
      ->transform(tools::decimal(1, 4096))
      ->capture_default_str();
  app.add_option("--line", line, "bytes per line, its '\\n' included")
      ->transform(tools::decimal(2, 1 << 20))
      ->capture_default_str();
  app.add_option("--cpu", cpu, "the CPU to pin to (-1: none)")
      ->transform(tools::decimal(-1, CPU_SETSIZE - 1))
      ->capture_default_str();
  if (const auto status = tools::parse(app, argc, argv)) return *status;
  if ((window + 1) * line > (std::size_t{256} << 20))
    return tools::usage_error(app, "--window " + std::to_string(window) + " lines of --line " +
                                       std::to_string(line) +
                                       " bytes need more than 256 MiB of filler");
  if (sysconf(_SC_NPROCESSORS_ONLN) >= 2 && cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0)
      std::fprintf(stderr, "chatframe-loadgen: cannot pin to CPU %d: %s\n", cpu,
                   std::strerror(errno));
  }
  std::signal(SIGPIPE, SIG_IGN);

  // window+1 lines of filler, so any [out_off, out_off + pending) fits.
  std::vector<char> out((window + 1) * line);
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = (i % line == line - 1) ? '\n' : static_cast<char>('!' + (i % line) % 90);
  std::vector<char> in(65536);
  std::vector<std::uint64_t> hist(kBuckets + 1, 0);

  const int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) {
    std::fprintf(stderr, "chatframe-loadgen: epoll_create1: %s\n", std::strerror(errno));
    return 1;
  }
  std::vector<conn> conns(static_cast<std::size_t>(nconns));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (host == "localhost") host = "127.0.0.1";
  (void)inet_pton(AF_INET, host.c_str(), &addr.sin_addr);  // checked by ipv4_host()
  for (std::size_t i = 0; i < conns.size(); ++i) {
    conn& c = conns[i];
    c.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c.fd < 0 || connect(c.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      std::fprintf(stderr, "chatframe-loadgen: cannot connect to %s:%u: %s\n", host.c_str(),
                   static_cast<unsigned>(port), std::strerror(errno));
      return 1;
    }
    const int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(c.fd, F_SETFL, fcntl(c.fd, F_GETFL) | O_NONBLOCK);
    c.sent_at.assign(window, 0);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
  }

  std::uint64_t lines = 0, bytes = 0, errors = 0;
  bool measuring = warmup <= 0;
  const std::uint64_t t0 = now_ns();
  const std::uint64_t t_measure = t0 + static_cast<std::uint64_t>(warmup * 1e9);
  const std::uint64_t t_end = t_measure + static_cast<std::uint64_t>(duration * 1e9);
  std::uint64_t t_start = measuring ? t0 : 0;

  auto kill = [&](conn& c) {
    if (c.dead) return;
    c.dead = true;
    ++errors;
    epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
  };
  auto set_out = [&](conn& c, std::size_t idx, bool on) {
    if (c.want_out == on) return;
    c.want_out = on;
    epoll_event ev{};
    ev.events = on ? (EPOLLIN | EPOLLOUT) : EPOLLIN;
    ev.data.u64 = idx;
    epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
  };
  // Tops the window up and writes what is pending.
  auto pump = [&](conn& c, std::size_t idx, std::uint64_t t) {
    while (c.inflight < window) {
      c.sent_at[(c.head + c.inflight) % window] = t;
      ++c.inflight;
      c.pending += line;
    }
    while (c.pending > 0) {
      const ssize_t w = send(c.fd, out.data() + c.out_off, c.pending, MSG_NOSIGNAL);
      if (w > 0) {
        c.pending -= static_cast<std::size_t>(w);
        c.out_off = (c.out_off + static_cast<std::size_t>(w)) % line;
        continue;
      }
      if (w < 0 && errno == EINTR) continue;
      if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        set_out(c, idx, true);
        return;
      }
      kill(c);
      return;
    }
    set_out(c, idx, false);
  };

  {
    const std::uint64_t t = now_ns();
    for (std::size_t i = 0; i < conns.size(); ++i) pump(conns[i], i, t);
  }
  std::vector<epoll_event> events(conns.size() + 1);
  std::size_t live = conns.size();
  for (;;) {
    std::uint64_t t = now_ns();
    if (!measuring && t >= t_measure) {
      measuring = true;
      t_start = t;
      lines = bytes = 0;
      std::fill(hist.begin(), hist.end(), 0);
    }
    if (t >= t_end || live == 0) break;
    const int k = epoll_wait(ep, events.data(), static_cast<int>(events.size()), 100);
    if (k < 0) {
      if (errno == EINTR) continue;
      std::fprintf(stderr, "chatframe-loadgen: epoll_wait: %s\n", std::strerror(errno));
      return 1;
    }
    t = now_ns();
    for (int e = 0; e < k; ++e) {
      const std::size_t idx = events[static_cast<std::size_t>(e)].data.u64;
      conn& c = conns[idx];
      if (c.dead) continue;
      const std::uint32_t evs = events[static_cast<std::size_t>(e)].events;
      if (evs & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
        const ssize_t n = recv(c.fd, in.data(), in.size(), 0);
        if (n > 0) {
          bytes += static_cast<std::uint64_t>(n);
          // Every line sent is the filler line out[0, line): compare what came back.
          bool same = true;
          for (std::size_t done = 0; same && done < static_cast<std::size_t>(n);) {
            const std::size_t piece = std::min(static_cast<std::size_t>(n) - done, line - c.in_off);
            same = std::memcmp(in.data() + done, out.data() + c.in_off, piece) == 0;
            c.in_off = (c.in_off + piece) % line;
            done += piece;
          }
          if (!same) {
            std::fprintf(stderr, "connection %zu: echoed bytes differ from the bytes sent\n", idx);
            kill(c);
            continue;
          }
          const char* p = in.data();
          const char* const end = p + n;
          while (const void* hit = std::memchr(p, '\n', static_cast<std::size_t>(end - p))) {
            if (c.inflight == 0) {  // more echoed than sent: a broken server
              std::fprintf(stderr, "unexpected line from the server\n");
              kill(c);
              break;
            }
            const std::uint64_t rtt = t - c.sent_at[c.head];
            c.head = (c.head + 1) % window;
            --c.inflight;
            ++lines;
            const std::uint64_t us = rtt / 1000;
            ++hist[us < kBuckets ? us : kBuckets];
            p = static_cast<const char*>(hit) + 1;
          }
        } else if (n == 0 || (errno != EAGAIN && errno != EINTR && errno != EWOULDBLOCK)) {
          std::fprintf(stderr, "connection %zu: %s\n", idx,
                       n == 0 ? "closed by the server" : std::strerror(errno));
          kill(c);
        }
      }
      if (!c.dead) pump(c, idx, t);
      if (c.dead) --live;
    }
  }
  const std::uint64_t t_stop = now_ns();
  for (conn& c : conns) close(c.fd);
  close(ep);

  auto pct = [&](double q) -> double {
    std::uint64_t total = 0;
    for (auto v : hist) total += v;
    if (total == 0) return 0.0;
    const auto want = static_cast<std::uint64_t>(q * static_cast<double>(total));
    std::uint64_t acc = 0;
    for (std::size_t i = 0; i < hist.size(); ++i) {
      acc += hist[i];
      if (acc > want) return static_cast<double>(i) + 0.5;
    }
    return static_cast<double>(kBuckets);
  };
  double max_us = 0;
  for (std::size_t i = hist.size(); i-- > 0;)
    if (hist[i] != 0) {
      max_us = static_cast<double>(i) + 0.5;
      break;
    }
  const double secs = measuring ? static_cast<double>(t_stop - t_start) / 1e9 : 0.0;
  const double lps = secs > 0 ? static_cast<double>(lines) / secs : 0.0;
  const double mbs = secs > 0 ? static_cast<double>(bytes) / secs / 1e6 : 0.0;
  std::printf(
      "{\"conns\": %d, \"window\": %zu, \"line\": %zu, \"seconds\": %.3f, \"lines\": %llu, "
      "\"lines_per_s\": %.1f, \"mb_per_s\": %.2f, \"p50_us\": %.1f, \"p99_us\": %.1f, "
      "\"max_us\": %.1f, \"errors\": %llu}\n",
      nconns, window, line, secs, static_cast<unsigned long long>(lines), lps, mbs, pct(0.50),
      pct(0.99), max_us, static_cast<unsigned long long>(errors));
  return (errors != 0 || lines == 0) ? 1 : 0;
}
