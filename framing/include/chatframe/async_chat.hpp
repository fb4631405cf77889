/// @file chatframe/async_chat.hpp
/// A facade shaped like CPython's asynchat.async_chat.
///
/// For porting asynchat code line by line: the same method names, the same
/// call order, the same quirks. It joins a framer (input) and an outbox
/// (output) and leaves the transport to a subclass, which implements send()
/// and calls handle_read() / handle_eof() with what it received. Still
/// sans-IO: reactor/ binds it to sockets, conformance/ to a scripted peer.
///
/// @code
///   class echo : public chatframe::async_chat {
///     void collect_incoming_data(const chatframe::collected& d) override { d.append_to(line_); }
///     void found_terminator() override { push(line_ + "\n"); line_.clear(); }
///     std::size_t send(std::string_view data) override { return transport_write(data); }
///     std::string line_;
///   };
/// @endcode
///
/// Views passed to collect_incoming_data() follow collected.hpp's rules.
///
/// One deliberate difference: a push() from inside a producer's more(). In
/// CPython that push() calls initiate_send(), which finds the same producer at
/// the head and calls its more() again before the first call has returned
/// (asynchat.py:209, 241-248). Here the push is queued behind the producer
/// and its send attempt sends nothing (outbox.hpp), because a second more()
/// would end the life of the piece the first is about to return
/// (producer.hpp). The bytes on the wire are CPython's whenever the transport
/// takes what it is offered, one send() call later; when a send would block,
/// CPython queues the two pieces in reverse order and sends the later first,
/// which chatframe does not copy.
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

/// CPython's asynchat.async_chat without its socket: a framer for input, an
/// outbox for output, and a transport left to a subclass (see the file's description).
class async_chat {
 public:
  /// ac_in_buffer_size and ac_out_buffer_size by default (asynchat.py:65-66).
  static constexpr std::size_t default_buffer_size = 65536;

  /// Open (connected()), no terminator, the given buffer sizes.
  explicit async_chat(std::size_t in_buffer_size = default_buffer_size,
                      std::size_t out_buffer_size = default_buffer_size);
  virtual ~async_chat() = default;
  async_chat(const async_chat&) = delete;
  async_chat& operator=(const async_chat&) = delete;

  // --- what a subclass implements -----------------------------------------
  /// Bytes of the frame being read, as framer's on_collect() (collected.hpp's view lifetimes).
  virtual void collect_incoming_data(const collected& data) = 0;
  /// The terminator was found (or the count reached), as framer's on_found().
  virtual void found_terminator() = 0;
  /// Offers bytes to the transport; returns how many it accepted (0: would block).
  virtual std::size_t send(std::string_view data) = 0;
  /// End of stream or close marker: CPython's default closes (asynchat.py:196-197).
  virtual void handle_close() { close(); }
  /// Marks the channel closed; a transport overrides it to close its socket too.
  virtual void close() { connected_ = false; }

  // --- CPython's methods ---------------------------------------------------
  /// framer::set_terminator(): rejects a negative count with
  /// errc::negative_count (CPython: ValueError).
  [[nodiscard]] errc set_terminator(terminator t) { return input_.set_terminator(std::move(t)); }
  /// framer::get_terminator(): while a count runs, the bytes still expected.
  [[nodiscard]] const terminator& get_terminator() const noexcept {
    return input_.get_terminator();
  }
  /// Queues `data` (outbox::push()), then, unless send_on_push is off, calls
  /// initiate_send() as CPython does (asynchat.py:209). errc::closed after the
  /// close marker.
  errc push(std::string data);
  /// Queues a producer (outbox::push_with_producer()), then sends as push()
  /// does (asynchat.py:213). errc::null_producer for a null one.
  errc push_with_producer(std::unique_ptr<producer> p);
  /// push_with_producer() given plain bytes, which CPython accepts too.
  errc push_with_producer(std::string data);
  /// Queues the close marker (outbox::close_when_done()): handle_close() once
  /// everything before it was sent.
  errc close_when_done() { return output_.close_when_done(); }
  /// Drops held-back input, the rest of the chunk being framed and the whole
  /// output queue (asynchat.py:271-275).
  void discard_buffers() noexcept;
  /// One send attempt, as CPython's initiate_send (asynchat.py:231-269).
  void initiate_send();
  /// Frames bytes the transport received (CPython's handle_read after recv()).
  /// Returns errc::count_replaced_by_non_count where CPython's handle_read
  /// raises TypeError (framer.hpp); asyncore then calls handle_error(), which
  /// closes, and a transport should do the same; errc::input_lost after an
  /// earlier handle_read() threw std::bad_alloc and lost bytes (framer.hpp:
  /// asyncore's handle_error() would have closed by then; discard_buffers()
  /// resumes). Otherwise errc::ok.
  errc handle_read(std::string_view data);
  /// The transport saw end of stream: asyncore's recv() calls handle_close()
  /// and returns b'', after which handle_read goes on framing whatever was
  /// held back (which matters only if the terminator changed meanwhile).
  /// Returns what that handle_read returns.
  errc handle_eof();
  /// Always true, as CPython's (asynchat.py:215-221).
  [[nodiscard]] bool readable() const noexcept { return true; }
  /// Output is queued, or the channel is not connected yet (asynchat.py:223-225).
  [[nodiscard]] bool writable() const noexcept { return !output_.empty() || !connected_; }

  /// Not closed (and, for a client transport, connected).
  [[nodiscard]] bool connected() const noexcept { return connected_; }
  /// The most bytes a transport should read at once (CPython's ac_in_buffer_size).
  [[nodiscard]] std::size_t ac_in_buffer_size() const noexcept { return in_buffer_size_; }
  /// Sets ac_in_buffer_size(); 0 becomes 1.
  void set_ac_in_buffer_size(std::size_t n) noexcept { in_buffer_size_ = n == 0 ? 1 : n; }
  /// The most bytes one send() is offered (outbox::out_buffer_size()).
  [[nodiscard]] std::size_t ac_out_buffer_size() const noexcept {
    return output_.out_buffer_size();
  }
  /// outbox::set_out_buffer_size(): errc::zero_buffer_size for 0.
  [[nodiscard]] errc set_ac_out_buffer_size(std::size_t n) noexcept {
    return output_.set_out_buffer_size(n);
  }
  /// Off: pushes only queue and the owner drains (what an event loop that
  /// batches writes, or the conformance driver, wants). On by default, as CPython.
  void set_send_on_push(bool on) noexcept { send_on_push_ = on; }

  /// The framer that frames handle_read()'s bytes.
  [[nodiscard]] framer& input() noexcept { return input_; }
  /// The outbox that push() queues into.
  [[nodiscard]] outbox& output() noexcept { return output_; }

 protected:
  /// What connected() returns; a transport sets it (false until connected).
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
