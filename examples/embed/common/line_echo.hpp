// line_echo.hpp — the part every embedding example shares: one connection's
// line-echo protocol on chatframe's sans-IO core, and the command line.
//
// A line_session owns a framer (terminator "\n") and an outbox. The event loop
// around it makes the four calls of README.md's "Using the core":
//
//   1. readable:   session.feed(chunk)            (the framer takes every byte)
//   2. writable:   session.begin_write(views)     (outbox::gather(), zero copy)
//                  ... write the views ...
//                  session.complete_write(n)       (outbox::consume(n))
//   3. begin_write() == write_step::close: close the connection
//   4. end of stream: session.end_of_stream()     (feed({}), close_when_done())
//
// Asynchronous writes (Asio, libuv, io_uring) keep the gathered views in use
// until the write completes. outbox.hpp only promises that those views live
// until the next non-const call, so while a write is in flight the echoed
// lines are staged here and pushed into the outbox after consume().
//
// Backpressure: reading_wanted() says whether the loop should read. It turns
// false when more than high_water bytes wait to be sent (outbox + staged) and
// true again once the backlog drains below low_water.
#pragma once

#include <chatframe/framer.hpp>
#include <chatframe/outbox.hpp>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chatframe_embed {

inline constexpr std::size_t high_water = std::size_t{1} << 20;  // stop reading above 1 MiB
inline constexpr std::size_t low_water = high_water / 2;         // resume below 512 KiB
inline constexpr std::size_t max_views = 64;                     // views per gathered write
inline constexpr std::size_t read_buffer_size = 65536;

// Process-wide counters, printed when the server exits (the tests read them).
struct server_stats {
  std::uint64_t completed = 0;   // connections closed, for --max-connections
  std::uint64_t pauses = 0;      // times reading stopped for backpressure
  std::uint64_t resumes = 0;     // times it started again
  std::size_t peak_backlog = 0;  // most bytes ever waiting to be sent on one connection
  std::uint64_t bytes_in = 0;    // bytes fed to framers
  std::uint64_t bytes_out = 0;   // bytes consumed from outboxes
};

inline server_stats& stats() {
  static server_stats s;
  return s;
}

inline void print_stats() {
  const server_stats& s = stats();
  std::printf(
      "stats: completed=%llu pauses=%llu resumes=%llu peak_backlog=%zu bytes_in=%llu "
      "bytes_out=%llu\n",
      static_cast<unsigned long long>(s.completed), static_cast<unsigned long long>(s.pauses),
      static_cast<unsigned long long>(s.resumes), s.peak_backlog,
      static_cast<unsigned long long>(s.bytes_in), static_cast<unsigned long long>(s.bytes_out));
  std::fflush(stdout);
}

inline void print_listening(unsigned port) {
  std::printf("listening on 127.0.0.1:%u\n", port);
  std::fflush(stdout);
}

[[noreturn]] inline void die(const char* what, int err) {
  std::fprintf(stderr, "%s: %s\n", what, std::strerror(err));
  std::exit(1);
}

struct options {
  std::uint16_t port = 0;
  std::uint64_t max_connections = 0;  // 0: serve until SIGINT/SIGTERM
};

// --port N (0 picks a free port) and --max-connections N. Exits on a bad argument.
inline options parse_options(int argc, char** argv) {
  options o;
  auto number = [&](int i, unsigned long long limit) {
    if (i >= argc) {
      std::fprintf(stderr, "%s: %s needs a value\n", argv[0], argv[i - 1]);
      std::exit(2);
    }
    char* end = nullptr;
    errno = 0;
    const unsigned long long v = std::strtoull(argv[i], &end, 10);
    if (errno != 0 || end == argv[i] || *end != '\0' || v > limit) {
      std::fprintf(stderr, "%s: bad value for %s: %s\n", argv[0], argv[i - 1], argv[i]);
      std::exit(2);
    }
    return v;
  };
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--port") {
      o.port = static_cast<std::uint16_t>(number(++i, 65535));
    } else if (a == "--max-connections") {
      o.max_connections = number(++i, ~0ULL);
    } else {
      std::fprintf(stderr, "usage: %s [--port N] [--max-connections N]\n", argv[0]);
      std::exit(2);
    }
  }
  return o;
}

enum class write_step : std::uint8_t {
  idle,   // nothing to send
  data,   // write views[0, count), then complete_write(bytes written)
  close,  // everything was sent after end of stream: close the connection
};

class line_session {
 public:
  line_session() { (void)in_.set_terminator(chatframe::terminator::bytes("\n")); }

  // Call 1: every byte of `chunk` is framed now; the chunk may be reused as
  // soon as this returns (complete lines are copied into the outbox).
  void feed(std::string_view chunk) {
    stats().bytes_in += chunk.size();
    lines h{this};
    (void)in_.feed(chunk, h);
  }

  // Call 4: the peer finished sending. A partial last line (no "\n") is echoed
  // as it is, then the connection closes once everything was sent.
  void end_of_stream() {
    if (eof_) return;
    eof_ = true;
    lines h{this};
    (void)in_.feed({}, h);
    if (!line_.empty()) echo(std::move(line_));
    line_.clear();
    if (in_flight_) {
      close_staged_ = true;
    } else {
      (void)out_.close_when_done();
    }
  }

  // Call 2: fills `views` with what to write next (outbox::gather()). While
  // it returns write_step::data the views stay untouched until complete_write().
  write_step begin_write(std::span<std::string_view> views, std::size_t& count) {
    count = 0;
    if (in_flight_) return write_step::idle;
    count = out_.gather(views);
    if (count == 0) {
      // gather() stops before the close marker; offer() reports it.
      const chatframe::send_offer o = out_.offer();
      if (o.status == chatframe::send_status::closed) return write_step::close;
      if (o.status == chatframe::send_status::idle) return write_step::idle;
      views[0] = o.data;
      count = 1;
    }
    in_flight_ = true;
    return write_step::data;
  }

  // The transport accepted the first n bytes of what begin_write() gave
  // (n may be 0 or a partial write).
  void complete_write(std::size_t n) {
    const chatframe::errc e = out_.consume(n);
    if (e != chatframe::errc::ok) {
      std::fprintf(stderr, "outbox::consume(%zu) refused\n", n);
      std::abort();
    }
    stats().bytes_out += n;
    in_flight_ = false;
    for (std::string& s : staged_) (void)out_.push(std::move(s));
    staged_.clear();
    staged_bytes_ = 0;
    if (close_staged_) {
      close_staged_ = false;
      (void)out_.close_when_done();
    }
  }

  [[nodiscard]] bool write_in_flight() const noexcept { return in_flight_; }
  [[nodiscard]] bool at_eof() const noexcept { return eof_; }
  // Bytes waiting to be sent: the outbox's plus those staged behind a write.
  [[nodiscard]] std::size_t backlog() const noexcept { return out_.queued_bytes() + staged_bytes_; }

  // Whether the loop should be reading now (backpressure with hysteresis).
  [[nodiscard]] bool reading_wanted() {
    const std::size_t b = backlog();
    if (!paused_ && b > high_water) {
      paused_ = true;
      ++stats().pauses;
    } else if (paused_ && b < low_water) {
      paused_ = false;
      ++stats().resumes;
    }
    return !paused_ && !eof_;
  }

 private:
  struct lines {
    line_session* s;
    void on_collect(const chatframe::collected& d) { d.append_to(s->line_); }
    void on_found() {
      s->line_.push_back('\n');
      s->echo(std::move(s->line_));
      s->line_.clear();
    }
  };

  void echo(std::string line) {
    if (in_flight_) {
      staged_bytes_ += line.size();
      staged_.push_back(std::move(line));
    } else {
      (void)out_.push(std::move(line));
    }
    if (backlog() > stats().peak_backlog) stats().peak_backlog = backlog();
  }

  chatframe::framer in_;
  chatframe::outbox out_;
  std::string line_;
  std::vector<std::string> staged_;
  std::size_t staged_bytes_ = 0;
  bool in_flight_ = false;
  bool close_staged_ = false;
  bool paused_ = false;
  bool eof_ = false;
};

}  // namespace chatframe_embed
