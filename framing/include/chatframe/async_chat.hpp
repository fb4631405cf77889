// chatframe/async_chat.hpp — a facade shaped like CPython's asynchat.async_chat.
//
// For porting asynchat code line by line: the same method names, the same
// call order, the same quirks. It joins a framer (input) and an outbox
// (output) and leaves the transport to a subclass, which implements send()
// and calls handle_read() / handle_eof() with what it received. Still
// sans-IO: reactor/ binds it to sockets, conformance/ to a scripted peer.
//
//   class echo : public chatframe::async_chat {
//     void collect_incoming_data(const chatframe::collected& d) override { d.append_to(line_); }
//     void found_terminator() override { push(line_ + "\n"); line_.clear(); }
//     std::size_t send(std::string_view data) override { return transport_write(data); }
//     std::string line_;
//   };
//
// Views passed to collect_incoming_data() follow collected.hpp's rules.
//
// One deliberate difference: a push() from inside a producer's more(). In
// CPython that push() calls initiate_send(), which finds the same producer at
// the head and calls its more() again before the first call has returned
// (asynchat.py:209, 241-248). Here the push is queued behind the producer
// and its send attempt sends nothing (outbox.hpp), because a second more()
// would end the life of the piece the first is about to return
// (producer.hpp). The bytes on the wire are CPython's whenever the transport
// takes what it is offered, one send() call later; when a send would block,
// CPython queues the two pieces in reverse order and sends the later first,
// which chatframe does not copy.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "chatframe/collected.hpp"
#include "chatframe/error.hpp"
#include "chatframe/framer.hpp"
#include "chatframe/outbox.hpp"
#include "chatframe/producer.hpp"
#include "chatframe/terminator.hpp"

namespace chatframe {

class async_chat {
 public:
  static constexpr std::size_t default_buffer_size = 65536;  // asynchat.py:65-66

  explicit async_chat(std::size_t in_buffer_size = default_buffer_size,
                      std::size_t out_buffer_size = default_buffer_size);
  virtual ~async_chat() = default;
  async_chat(const async_chat&) = delete;
  async_chat& operator=(const async_chat&) = delete;

  // --- what a subclass implements -----------------------------------------
  virtual void collect_incoming_data(const collected& data) = 0;
  virtual void found_terminator() = 0;
  // Offers bytes to the transport; returns how many it accepted (0: would block).
  virtual std::size_t send(std::string_view data) = 0;
  // End of stream or close marker: CPython's default closes (asynchat.py:196-197).
  virtual void handle_close() { close(); }
  // Marks the channel closed; a transport overrides it to close its socket too.
  virtual void close() { connected_ = false; }

  // --- CPython's methods ---------------------------------------------------
  // Rejects a negative count with errc::negative_count (CPython: ValueError).
  [[nodiscard]] errc set_terminator(terminator t) { return input_.set_terminator(std::move(t)); }
  [[nodiscard]] const terminator& get_terminator() const noexcept {
    return input_.get_terminator();
  }
  // Each queues, then (unless send_on_push is off) calls initiate_send() as
  // CPython does (asynchat.py:209, 213). Return errc::closed after the close marker.
  errc push(std::string data);
  errc push_with_producer(std::unique_ptr<producer> p);
  errc push_with_producer(std::string data);
  errc close_when_done() { return output_.close_when_done(); }
  // Drops held-back input, the rest of the chunk being framed and the whole
  // output queue (asynchat.py:271-275).
  void discard_buffers() noexcept;
  // One send attempt, as CPython's initiate_send (asynchat.py:231-269).
  void initiate_send();
  // Frames bytes the transport received (CPython's handle_read after recv()).
  // Returns errc::count_replaced_by_non_count where CPython's handle_read
  // raises TypeError (framer.hpp); asyncore then calls handle_error(), which
  // closes, and a transport should do the same. Otherwise errc::ok.
  errc handle_read(std::string_view data);
  // The transport saw end of stream: asyncore's recv() calls handle_close()
  // and returns b'', after which handle_read goes on framing whatever was
  // held back (which matters only if the terminator changed meanwhile).
  // Returns what that handle_read returns.
  errc handle_eof();
  [[nodiscard]] bool readable() const noexcept { return true; }  // asynchat.py:215-221
  [[nodiscard]] bool writable() const noexcept { return !output_.empty() || !connected_; }

  [[nodiscard]] bool connected() const noexcept { return connected_; }
  [[nodiscard]] std::size_t ac_in_buffer_size() const noexcept { return in_buffer_size_; }
  void set_ac_in_buffer_size(std::size_t n) noexcept { in_buffer_size_ = n == 0 ? 1 : n; }
  [[nodiscard]] std::size_t ac_out_buffer_size() const noexcept {
    return output_.out_buffer_size();
  }
  [[nodiscard]] errc set_ac_out_buffer_size(std::size_t n) noexcept {
    return output_.set_out_buffer_size(n);
  }
  // Off: pushes only queue and the owner drains (what an event loop that
  // batches writes, or the conformance driver, wants). On by default, as CPython.
  void set_send_on_push(bool on) noexcept { send_on_push_ = on; }

  [[nodiscard]] framer& input() noexcept { return input_; }
  [[nodiscard]] outbox& output() noexcept { return output_; }

 protected:
  void set_connected(bool c) noexcept { connected_ = c; }

 private:
  struct events {
    async_chat* chat;
    void on_collect(const collected& data) { chat->collect_incoming_data(data); }
    void on_found() { chat->found_terminator(); }
  };

  framer input_;
  outbox output_;
  std::size_t in_buffer_size_;
  bool connected_ = true;
  bool send_on_push_ = true;
};

}  // namespace chatframe
