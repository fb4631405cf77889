// chatframe-embed-asio — a line-echo server on chatframe, embedded in
// Boost.Asio: async_read_some() into a buffer and framer::feed(); async_write()
// of a buffer sequence built from outbox::gather(), then outbox::consume().
//
//   chatframe-embed-asio --port 0 [--max-connections N]

// Boost 1.74's asio/awaitable.hpp uses std::exchange without including
// <utility>; g++ 12 in C++20 mode needs it first.
#include <utility>

#include <array>
#include <boost/asio.hpp>
#include <csignal>
#include <cstdio>
#include <memory>
#include <vector>

#include "line_echo.hpp"

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using chatframe_embed::line_session;
using chatframe_embed::write_step;

class server;

class connection : public std::enable_shared_from_this<connection> {
 public:
  connection(tcp::socket socket, server& srv) : socket_(std::move(socket)), server_(srv) {}

  void start() {
    boost::system::error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    read();
  }
  void stop() { close(false); }

 private:
  // Reads while the session wants input (not at end of stream, not held back
  // by backpressure) and no read is pending.
  void read() {
    if (closed_ || reading_ || !session_.reading_wanted()) return;
    reading_ = true;
    socket_.async_read_some(
        asio::buffer(buf_),
        [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
          self->reading_ = false;
          if (self->closed_) return;
          if (ec == asio::error::eof) {
            self->session_.end_of_stream();
          } else if (ec) {
            self->close(true);
            return;
          } else {
            self->session_.feed(std::string_view(self->buf_.data(), n));
          }
          self->write();
          self->read();
        });
  }

  void write() {
    if (closed_ || session_.write_in_flight()) return;
    std::size_t count = 0;
    const write_step step = session_.begin_write(views_, count);
    if (step == write_step::close) {
      close(true);
      return;
    }
    if (step == write_step::idle) return;
    buffers_.clear();
    for (std::size_t i = 0; i < count; ++i)
      buffers_.emplace_back(views_[i].data(), views_[i].size());
    asio::async_write(
        socket_, buffers_,
        [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
          self->session_.complete_write(n);
          if (self->closed_) return;
          if (ec) {
            self->close(true);
            return;
          }
          self->write();
          self->read();  // the backlog may have drained below the low-water mark
        });
  }

  void close(bool count);

  tcp::socket socket_;
  server& server_;
  line_session session_;
  std::array<char, chatframe_embed::read_buffer_size> buf_{};
  std::array<std::string_view, chatframe_embed::max_views> views_;
  std::vector<asio::const_buffer> buffers_;  // alive until async_write completes
  bool reading_ = false;
  bool closed_ = false;
};

class server {
 public:
  server(asio::io_context& io, const chatframe_embed::options& opts)
      : io_(io), opts_(opts),
        acceptor_(io, tcp::endpoint(asio::ip::address_v4::loopback(), opts.port)) {}

  [[nodiscard]] unsigned port() const { return acceptor_.local_endpoint().port(); }

  void accept() {
    acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
      if (ec) return;  // the acceptor was closed
      auto c = std::make_shared<connection>(std::move(socket), *this);
      live_.push_back(c);
      c->start();
      accept();
    });
  }

  void finished(connection* c, bool count) {
    std::erase_if(live_, [c](const std::weak_ptr<connection>& w) {
      auto p = w.lock();
      return !p || p.get() == c;
    });
    if (!count) return;
    ++chatframe_embed::stats().completed;
    if (opts_.max_connections != 0 && chatframe_embed::stats().completed >= opts_.max_connections) {
      shutdown();
    }
  }

  void shutdown() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    auto live = live_;
    for (auto& w : live) {
      if (auto c = w.lock()) c->stop();
    }
    io_.stop();
  }

 private:
  asio::io_context& io_;
  chatframe_embed::options opts_;
  tcp::acceptor acceptor_;
  std::vector<std::weak_ptr<connection>> live_;
};

void connection::close(bool count) {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  server_.finished(this, count);
}

}  // namespace

int main(int argc, char** argv) {
  const chatframe_embed::options opts = chatframe_embed::parse_options(argc, argv);
  asio::io_context io(1);
  try {
    server srv(io, opts);
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int /*sig*/) {
      if (!ec) srv.shutdown();
    });
    chatframe_embed::print_listening(srv.port());
    srv.accept();
    io.run();
    // Let the handlers of closed sockets run, so every connection is freed.
    signals.cancel();
    io.restart();
    io.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "chatframe-embed-asio: %s\n", e.what());
    return 1;
  }
  chatframe_embed::print_stats();
  return 0;
}
