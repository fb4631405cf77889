#include "chatframe/async_chat.hpp"

namespace chatframe {

async_chat::async_chat(std::size_t in_buffer_size, std::size_t out_buffer_size)
    : output_(out_buffer_size), in_buffer_size_(in_buffer_size == 0 ? 1 : in_buffer_size) {}

errc async_chat::push(std::string data) {
  const errc e = output_.push(std::move(data));
  if (send_on_push_) initiate_send();
  return e;
}

errc async_chat::push_with_producer(std::unique_ptr<producer> p) {
  const errc e = output_.push_with_producer(std::move(p));
  if (send_on_push_) initiate_send();
  return e;
}

errc async_chat::push_with_producer(std::string data) {
  const errc e = output_.push_with_producer(std::move(data));
  if (send_on_push_) initiate_send();
  return e;
}

void async_chat::discard_buffers() noexcept {
  input_.discard();
  output_.discard();
}

void async_chat::initiate_send() {
  // asynchat.py:232 — only while something is queued and the channel is open.
  if (output_.empty() || !connected_) return;
  const send_offer o = output_.offer();
  if (o.status == send_status::closed) {
    handle_close();  // asynchat.py:237-239
    return;
  }
  if (o.status == send_status::idle) return;
  const std::size_t sent = send(o.data);
  (void)output_.consume(sent < o.data.size() ? sent : o.data.size());
}

errc async_chat::handle_read(std::string_view data) {
  events e{this};
  // Never reentrant_feed: the facade's callbacks have no way to call feed().
  return input_.feed(data, e).error;
}

errc async_chat::handle_eof() {
  handle_close();
  return handle_read({});
}

}  // namespace chatframe
