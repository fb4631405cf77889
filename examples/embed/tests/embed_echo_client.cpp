// embed_echo_client — test client for the chatframe-embed-* line-echo servers.
//
//   embed_echo_client HOST PORT [--connections N] [--seed S] [--timeout SEC] [--backpressure]
//
// Echo mode (default): N concurrent connections, each sending random lines
// (arbitrary bytes but '\n', empty lines, lines over 64 KiB, one connection
// ending with an unterminated line) in random chunks — 1-byte chunks, lines
// split across writes, large writes — with TCP_NODELAY so the chunks reach the
// server apart. Each connection reads concurrently and the echo must equal
// what was sent, byte for byte, then end of stream.
//
// Backpressure mode: one connection with a small receive buffer sends 8 MiB
// of lines without reading (until the socket stays full, then two more
// seconds), then reads everything while sending the rest; every byte must
// come back.
//
// Exit 0 on success, 1 on a mismatch, error or timeout.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "chatframe_tools/cli.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

struct conn {
  int fd = -1;
  std::string payload;              // what is sent, and so what must come back
  std::vector<std::size_t> chunks;  // sizes of the writes
  std::size_t chunk_index = 0;
  std::size_t sent = 0;
  std::size_t chunk_left = 0;
  std::size_t received = 0;
  bool shut_wr = false;
  bool eof = false;
};

int connect_to(const char* host, std::uint16_t port, int rcvbuf) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  if (rcvbuf > 0) (void)::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (::inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
    ::close(fd);
    return -1;
  }
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
    ::close(fd);
    return -1;
  }
  const int one = 1;
  (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  (void)::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL, 0) | O_NONBLOCK);
  return fd;
}

std::string random_line(std::mt19937_64& rng, std::size_t len) {
  std::string s(len, '\0');
  for (char& ch : s) {
    auto b = static_cast<unsigned char>(rng() & 0xff);
    if (b == '\n') b = 'N';
    ch = static_cast<char>(b);
  }
  return s;
}

// Random lines: mostly short, some empty, a few over 64 KiB.
std::string make_payload(std::mt19937_64& rng, std::size_t target, bool terminate_last) {
  std::string p;
  while (p.size() < target) {
    const auto pick = rng() % 100;
    std::size_t len = 0;
    if (pick < 5) {
      len = 0;
    } else if (pick < 80) {
      len = rng() % 120;
    } else if (pick < 97) {
      len = rng() % 4000;
    } else {
      len = 65536 + rng() % (200 * 1024);  // > 64 KiB: crosses reads and outbox pieces
    }
    p += random_line(rng, len);
    p += '\n';
  }
  if (!terminate_last) p += random_line(rng, 1 + rng() % 50);  // echoed at end of stream
  return p;
}

// Write sizes: style 0 starts with 1-byte writes, style 1 uses small random
// writes, style 2 large ones; every style mixes in a few others.
std::vector<std::size_t> make_chunks(std::mt19937_64& rng, std::size_t total, int style) {
  std::vector<std::size_t> sizes;
  std::size_t done = 0;
  while (done < total) {
    std::size_t n = 0;
    if (style == 0 && done < 3000) {
      n = 1;
    } else if (rng() % 10 == 0) {
      n = 1 + rng() % 3;
    } else if (style == 2) {
      n = 1 + rng() % (128 * 1024);
    } else {
      n = 1 + rng() % 5000;
    }
    n = std::min(n, total - done);
    sizes.push_back(n);
    done += n;
  }
  return sizes;
}

bool fail(const char* fmt, std::size_t a, std::size_t b) {
  std::fprintf(stderr, "embed_echo_client: ");
  std::fprintf(stderr, fmt, a, b);
  std::fprintf(stderr, "\n");
  return false;
}

// Reads what is available; checks it against the payload.
bool read_some(conn& c, std::size_t index) {
  char buf[65536];
  for (;;) {
    const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
    if (n > 0) {
      const auto k = static_cast<std::size_t>(n);
      if (c.received + k > c.payload.size()) {
        return fail("connection %zu: more bytes echoed than sent (%zu)", index, c.received + k);
      }
      if (std::memcmp(buf, c.payload.data() + c.received, k) != 0) {
        std::size_t i = 0;
        while (buf[i] == c.payload[c.received + i]) ++i;
        return fail("connection %zu: echo differs at byte %zu", index, c.received + i);
      }
      c.received += k;
      continue;
    }
    if (n == 0) {
      c.eof = true;
      if (c.received != c.payload.size()) {
        return fail("connection %zu: end of stream after %zu bytes", index, c.received);
      }
      return true;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
    return fail("connection %zu: recv failed (errno %zu)", index, static_cast<std::size_t>(errno));
  }
}

// Sends the next chunk (or what the socket takes of it). Returns bytes sent, or -1.
long write_some(conn& c, std::size_t index, bool whole) {
  long total = 0;
  while (c.sent < c.payload.size()) {
    if (c.chunk_left == 0) c.chunk_left = c.chunks[c.chunk_index++];
    const ssize_t n = ::send(c.fd, c.payload.data() + c.sent, c.chunk_left, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      fail("connection %zu: send failed (errno %zu)", index, static_cast<std::size_t>(errno));
      return -1;
    }
    c.sent += static_cast<std::size_t>(n);
    c.chunk_left -= static_cast<std::size_t>(n);
    total += n;
    if (!whole && c.chunk_left == 0) break;  // one write per round: chunks arrive apart
  }
  if (c.sent == c.payload.size() && !c.shut_wr) {
    ::shutdown(c.fd, SHUT_WR);
    c.shut_wr = true;
  }
  return total;
}

// Runs every connection to completion with poll(); false on error or timeout.
bool run(std::vector<conn>& conns, clock_type::time_point deadline, bool whole_writes) {
  std::vector<pollfd> pfds(conns.size());
  std::size_t iteration = 0;
  for (;;) {
    bool all_done = true;
    for (std::size_t i = 0; i < conns.size(); ++i) {
      conn& c = conns[i];
      pfds[i] = {c.fd, 0, 0};
      if (c.eof) continue;
      all_done = false;
      pfds[i].events = POLLIN;
      if (!c.shut_wr) pfds[i].events |= POLLOUT;
    }
    if (all_done) return true;
    if (clock_type::now() > deadline) {
      for (std::size_t i = 0; i < conns.size(); ++i) {
        std::fprintf(stderr, "connection %zu: sent %zu/%zu, received %zu\n", i, conns[i].sent,
                     conns[i].payload.size(), conns[i].received);
      }
      return fail("timed out (%zu connections, %zu)", conns.size(), 0);
    }
    const int r = ::poll(pfds.data(), pfds.size(), 100);
    if (r < 0 && errno != EINTR) return fail("poll failed (%zu %zu)", 0, 0);
    for (std::size_t i = 0; i < conns.size(); ++i) {
      conn& c = conns[i];
      if (c.eof) continue;
      if ((pfds[i].revents & (POLLIN | POLLHUP | POLLERR)) != 0 && !read_some(c, i)) return false;
      if ((pfds[i].revents & POLLOUT) != 0 && !c.shut_wr && write_some(c, i, whole_writes) < 0)
        return false;
    }
    // A short pause now and then, so consecutive writes are separate segments.
    // Not every iteration: on a loaded machine a 200 us sleep takes
    // milliseconds, and the 3,000 one-byte writes would outlast the deadline.
    if (!whole_writes && ++iteration % 16 == 0)
      std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

}  // namespace

int main(int argc, char** argv) {
  namespace tools = chatframe_tools;
  std::string host_text;
  std::uint16_t port = 0;
  std::size_t connections = 6;
  std::uint64_t seed = std::random_device{}();
  double timeout = 15;
  bool backpressure = false;
  CLI::App app{"Test client for the chatframe-embed-* line-echo servers.", "embed_echo_client"};
  app.add_option("HOST", host_text, "the server's address")->required()->check(tools::ipv4_host());
  app.add_option("PORT", port, "the server's port")->required()->transform(tools::connect_port());
  app.add_option("--connections", connections, "concurrent echo connections")
      ->transform(tools::decimal(1, 1000))
      ->capture_default_str();
  app.add_option("--seed", seed, "the random seed (default: random, printed)")
      ->transform(tools::decimal(0, UINT64_MAX));
  app.add_option("--timeout", timeout, "seconds before the run fails")
      ->transform(tools::real(0.001, 3600))
      ->capture_default_str();
  app.add_flag("--backpressure", backpressure,
               "one connection that sends 8 MiB without reading, then reads it all back");
  if (const auto status = tools::parse(app, argc, argv)) return *status;
  if (host_text == "localhost") host_text = "127.0.0.1";
  const char* host = host_text.c_str();
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  std::mt19937_64 rng(seed);
  const auto deadline =
      clock_type::now() + std::chrono::milliseconds(static_cast<long long>(timeout * 1000));

  std::vector<conn> conns(backpressure ? 1 : connections);
  for (std::size_t i = 0; i < conns.size(); ++i) {
    conn& c = conns[i];
    c.fd = connect_to(host, port, backpressure ? 32 * 1024 : 0);
    if (c.fd < 0) {
      std::fprintf(stderr, "embed_echo_client: cannot connect to %s:%u: %s\n", host, port,
                   std::strerror(errno));
      return 1;
    }
    if (backpressure) {
      c.payload = make_payload(rng, std::size_t{8} << 20, true);
    } else {
      c.payload = make_payload(rng, 200 * 1024 + rng() % (400 * 1024), i != 0);
    }
    c.chunks = make_chunks(rng, c.payload.size(), backpressure ? 2 : static_cast<int>(i % 3));
  }

  if (backpressure) {
    // Phase 1: send without reading until the socket stays full for 300 ms,
    // then keep not reading for two more seconds (time for the server to fill its
    // outbox past the high-water mark and stop reading, even on a loaded machine).
    conn& c = conns[0];
    auto last_progress = clock_type::now();
    while (c.sent < c.payload.size() &&
           clock_type::now() - last_progress < std::chrono::milliseconds(300)) {
      const long n = write_some(c, 0, true);
      if (n < 0) return 1;
      if (n > 0) {
        last_progress = clock_type::now();
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      if (clock_type::now() > deadline) {
        fail("timed out before reading (%zu of %zu bytes sent)", c.sent, c.payload.size());
        return 1;
      }
    }
    std::this_thread::sleep_for(std::chrono::seconds(2));
    std::printf("sent %zu of %zu bytes before reading\n", c.sent, c.payload.size());
  }

  const bool ok = run(conns, deadline, backpressure);
  std::size_t total = 0;
  for (conn& c : conns) {
    total += c.received;
    ::close(c.fd);
  }
  if (!ok) return 1;
  std::printf("ok: %zu connections, %zu bytes echoed\n", conns.size(), total);
  return 0;
}
