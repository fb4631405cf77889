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
// Ownership: the session owns an arena of blocks (64 KiB each; a line longer
// than that gets a block of its own). Each line is copied once, with its
// "\n", into the arena, and the outbox borrows it with push_view_joined(), so
// the lines of one read, back to back in a block, become one outbox item
// instead of one std::string each. The outbox holds nothing but arena bytes,
// in arena order, so the bytes consume() reports sent are the arena's oldest:
// a block is reused or freed only once every byte written into it was sent,
// and its bytes never move while it lives (the session, which frees them,
// must outlive any write of its views). Steady echoing recycles a few spare
// blocks and allocates nothing per line.
//
// Asynchronous writes (Asio, libuv, io_uring) keep the gathered views in use
// until the write completes. outbox.hpp only promises that those views live
// until the next non-const call, so while a write is in flight the echoed
// lines are written to the arena but staged: pushed into the outbox after
// consume(). The views point into arena bytes that were not sent yet, which
// no block reuse touches, so they stay valid for the whole write.
//
// Backpressure: reading_wanted() says whether the loop should read. It turns
// false when more than high_water bytes wait to be sent (outbox + staged) and
// true again once the backlog drains below low_water.
#pragma once

#include <chatframe/framer.hpp>
#include <chatframe/outbox.hpp>

#include "chatframe_tools/cli.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
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

// "<program>: <call>: <error in words>", as the tools' other messages
// (program_invocation_short_name: glibc's basename of argv[0]).
[[noreturn]] inline void die(const char* what, int err) {
  std::fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what, std::strerror(err));
  std::exit(1);
}

struct options {
  std::uint16_t port = 0;
  std::uint64_t max_connections = 0;  // 0: serve until SIGINT/SIGTERM
};

// --port N (0 picks a free port) and --max-connections N. Exits 0 after
// --help, 2 after a bad command line (chatframe_tools/cli.hpp).
inline options parse_options(int argc, char** argv) {
  options o;
  const std::string name = argc > 0 ? std::filesystem::path(argv[0]).filename().string() : "";
  CLI::App app{"A line-echo server embedding chatframe's sans-IO core in an event loop.", name};
  app.add_option("--port", o.port, "listen on 127.0.0.1:PORT")
      ->transform(chatframe_tools::listen_port())
      ->capture_default_str();
  app.add_option("--max-connections", o.max_connections,
                 "exit after N connections finished (0: at SIGINT/SIGTERM)")
      ->transform(chatframe_tools::decimal(0, UINT64_MAX))
      ->capture_default_str();
  if (const auto status = chatframe_tools::parse(app, argc, argv)) std::exit(*status);
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
  // soon as this returns (complete lines are copied into the arena).
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
    if (len_ != 0) finish_line(false);
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
    if (count == 0) return out_.closed() ? write_step::close : write_step::idle;
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
    release(n);
    if (staged_bytes_ != 0) {
      // Oldest first, so the outbox keeps the arena's order (release() relies
      // on it); lines back to back in a block join one item.
      for (block& b : blocks_) {
        if (b.pushed == b.end) continue;
        (void)out_.push_view_joined(std::string_view(b.bytes.get() + b.pushed, b.end - b.pushed));
        b.pushed = b.end;
      }
      staged_bytes_ = 0;
    }
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
  // One piece of the arena. Its bytes never move while it lives; [0, done)
  // was sent, [done, pushed) is queued in the outbox (and maybe in a write in
  // flight), [pushed, end) is staged, and in the last block the line being
  // collected follows end (len_ bytes).
  struct block {
    std::unique_ptr<char[]> bytes;
    std::size_t size = 0;
    std::size_t done = 0;
    std::size_t pushed = 0;
    std::size_t end = 0;
  };
  static constexpr std::size_t block_size = std::size_t{64} << 10;
  // Spare blocks kept for reuse: enough that steady echoing allocates nothing,
  // few enough that a drained backlog gives its memory back.
  static constexpr std::size_t max_spares = 2;

  struct lines {
    line_session* s;
    void on_collect(const chatframe::collected& d) {
      // Room for the '\n' too, so on_found() never has to move the line.
      char* p = s->room(d.size() + 1);
      if (!d.carried.empty()) std::memcpy(p, d.carried.data(), d.carried.size());
      if (!d.fresh.empty()) std::memcpy(p + d.carried.size(), d.fresh.data(), d.fresh.size());
      s->len_ += d.size();
    }
    void on_found() { s->finish_line(true); }
  };

  // Where the next `extra` bytes of the line being collected go: right after
  // its len_ bytes, in the last block, moved to a fresh block if it is full.
  char* room(std::size_t extra) {
    const std::size_t need = len_ + extra;
    if (!blocks_.empty()) {
      block& b = blocks_.back();
      if (b.end + need <= b.size) return b.bytes.get() + b.end + len_;
      if (b.done == b.end && need <= b.size) {
        // Nothing in it is queued or being written: start it over.
        std::memmove(b.bytes.get(), b.bytes.get() + b.end, len_);
        b.done = b.pushed = b.end = 0;
        return b.bytes.get() + len_;
      }
    }
    block fresh = take_block(need);
    if (!blocks_.empty()) {
      block& last = blocks_.back();
      if (len_ != 0) std::memcpy(fresh.bytes.get(), last.bytes.get() + last.end, len_);
      if (last.done == last.end) {  // nothing borrowed from it
        recycle(std::move(last));
        blocks_.pop_back();
      }
    }
    blocks_.push_back(std::move(fresh));
    return blocks_.back().bytes.get() + len_;
  }

  block take_block(std::size_t need) {
    if (need <= block_size && !spares_.empty()) {
      block b = std::move(spares_.back());
      spares_.pop_back();
      return b;
    }
    // A line longer than a block gets one to itself, grown geometrically so a
    // long line arriving over many reads is copied O(1) times per byte.
    const std::size_t size = need <= block_size ? block_size : std::bit_ceil(need);
    block b;
    b.bytes = std::make_unique_for_overwrite<char[]>(size);
    b.size = size;
    return b;
  }

  void recycle(block&& b) {
    if (b.size != block_size || spares_.size() >= max_spares) return;  // freed
    b.done = b.pushed = b.end = 0;
    spares_.push_back(std::move(b));
  }

  // The outbox holds only arena bytes, queued in arena order, so the n bytes
  // it consumed are the oldest [done, pushed) ranges.
  void release(std::size_t n) {
    for (block& b : blocks_) {
      if (n == 0) break;
      const std::size_t k = std::min(n, b.pushed - b.done);
      b.done += k;
      n -= k;
    }
    assert(n == 0);  // consume() took more than the arena has queued
    // A block before the last one is complete; once sent, nothing borrows it.
    std::size_t sent = 0;
    while (sent + 1 < blocks_.size() && blocks_[sent].done == blocks_[sent].end) ++sent;
    if (sent != 0) {
      for (std::size_t i = 0; i < sent; ++i) recycle(std::move(blocks_[i]));
      blocks_.erase(blocks_.begin(), blocks_.begin() + static_cast<std::ptrdiff_t>(sent));
    }
  }

  // The line being collected (plus '\n' unless the stream ended without one)
  // is complete: queue it, or stage it while a write borrows the outbox.
  void finish_line(bool newline) {
    char* tail = room(1);  // an empty line may not have a block yet
    if (newline) {
      *tail = '\n';
      ++len_;
    }
    block& b = blocks_.back();
    const std::string_view line(b.bytes.get() + b.end, len_);
    b.end += len_;
    len_ = 0;
    if (in_flight_) {
      staged_bytes_ += line.size();
    } else {
      (void)out_.push_view_joined(line);
      b.pushed = b.end;
    }
    if (backlog() > stats().peak_backlog) stats().peak_backlog = backlog();
  }

  chatframe::framer in_;
  chatframe::outbox out_;
  // Oldest first; only the last block takes new lines. A block is moved (as
  // the vector grows or shrinks), its bytes never are.
  std::vector<block> blocks_;
  std::vector<block> spares_;
  std::size_t len_ = 0;  // bytes of the line being collected
  std::size_t staged_bytes_ = 0;
  bool in_flight_ = false;
  bool close_staged_ = false;
  bool paused_ = false;
  bool eof_ = false;
};

}  // namespace chatframe_embed
