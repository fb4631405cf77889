// fuzz/outbox.cc — chatframe::outbox drains exactly what was queued, in order.
//
// The input is a program of operations: pushes (owned, borrowed, plain bytes
// through push_with_producer), simple_producers with any buffer size (0
// included), set_out_buffer_size (0 included), close_when_done, discard, and
// drains through offer()/consume() or gather()/consume() with partial sends
// (0 included) and over-consumes. A model keeps the bytes still to be sent.
// Oracles: the bytes drained are the bytes queued before the close marker, in
// order; an offer never exceeds out_buffer_size(); consume() beyond the offer
// is refused; once closed, nothing is offered again and pushes are refused.
#include <fuzzer/FuzzedDataProvider.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <string>

#include "chatframe/outbox.hpp"

namespace {

using chatframe::errc;
using chatframe::send_status;

void fail(const char* what) {
  std::fprintf(stderr, "outbox oracle violated: %s\n", what);
  std::abort();
}

struct model {
  std::string pending;        // bytes to be sent, in order, before any close marker
  bool close_queued = false;  // a close marker is queued: later pushes are never sent
  bool closed = false;        // the close marker was reached

  void queue(std::string_view bytes, errc result) {
    if (closed != (result == errc::closed)) fail("push result disagrees with the close state");
    if (!closed && !close_queued) pending.append(bytes);
  }
  // The transport accepted `sent`: it must be the head of what is pending.
  void drained(std::string_view sent) {
    if (pending.compare(0, sent.size(), sent) != 0)
      fail("drained bytes differ from the bytes queued");
    pending.erase(0, sent.size());
  }
  void check_status(const chatframe::outbox& out, send_status s) {
    if (s == send_status::closed && !closed) {
      if (!close_queued || !pending.empty()) fail("closed before everything queued was sent");
      closed = true;
    }
    if (closed && s != send_status::closed) fail("offered data after closed");
    if (s == send_status::idle && (!pending.empty() || close_queued || !out.empty()))
      fail("idle with data queued");
    if (out.closed() != closed) fail("closed() disagrees");
  }
};

// One send through offer(): `cap` bytes accepted (more than offered: refused).
void send_single(chatframe::outbox& out, model& m, std::size_t cap) {
  const chatframe::send_offer o = out.offer();
  m.check_status(out, o.status);
  if (o.status != send_status::data) return;
  if (o.data.empty() || o.data.size() > out.out_buffer_size())
    fail("offer empty or above out_buffer_size");
  if (cap > o.data.size()) {
    if (out.consume(cap) != errc::consume_exceeds_offer) fail("consume beyond the offer accepted");
    return;
  }
  const std::string sent(o.data.substr(0, cap));
  if (out.consume(cap) != errc::ok) fail("consume within the offer refused");
  m.drained(sent);
}

// One writev through gather().
void send_gather(chatframe::outbox& out, model& m, std::size_t views, std::size_t max_bytes,
                 std::size_t cap) {
  std::array<std::string_view, 8> iov{};
  const std::size_t n = out.gather(std::span(iov.data(), views), max_bytes);
  if (n > views) fail("gather filled more views than given");
  std::string all;
  for (std::size_t i = 0; i < n; ++i) {
    if (iov[i].empty()) fail("gather returned an empty view");
    all.append(iov[i]);
  }
  if (all.size() > max_bytes) fail("gather exceeded max_bytes");
  if (n == 0) {
    // gather() stops before a close marker without reaching it; offer() reaches it.
    if (max_bytes != 0 && !m.closed && !m.pending.empty())
      fail("gather returned nothing with data queued");
    if (out.closed() != m.closed) fail("closed() disagrees");
    return;
  }
  if (m.closed) fail("gathered data after closed");
  if (cap > all.size()) {
    if (out.consume(cap) != errc::consume_exceeds_offer) fail("consume beyond the gather accepted");
    return;
  }
  if (out.consume(cap) != errc::ok) fail("consume within the gather refused");
  m.drained(std::string_view(all).substr(0, cap));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  std::deque<std::string> borrowed;  // outlives the outbox: push_view's bytes
  chatframe::outbox out(in.ConsumeIntegralInRange<std::size_t>(1, 64));
  model m;
  for (int ops = 0; ops < 256 && in.remaining_bytes() > 0; ++ops) {
    switch (in.ConsumeIntegralInRange(0, 9)) {
      case 0: {
        std::string s = in.ConsumeRandomLengthString(64);
        const std::string copy = s;
        m.queue(copy, out.push(std::move(s)));
        break;
      }
      case 1:
        borrowed.push_back(in.ConsumeRandomLengthString(64));
        m.queue(borrowed.back(), out.push_view(borrowed.back()));
        break;
      case 2: {
        std::string s = in.ConsumeRandomLengthString(64);
        const auto buffer = in.ConsumeIntegralInRange<std::size_t>(0, 16);
        // CPython's simple_producer with buffer size 0 yields b'' at once: nothing is sent.
        m.queue(buffer == 0 ? std::string() : s,
                out.push_with_producer(std::make_unique<chatframe::simple_producer>(s, buffer)));
        break;
      }
      case 3: {
        std::string s = in.ConsumeRandomLengthString(64);
        m.queue(s, out.push_with_producer(std::string(s)));
        break;
      }
      case 4: {
        const auto n = in.ConsumeIntegralInRange<std::size_t>(0, 70);
        if (out.set_out_buffer_size(n) != (n == 0 ? errc::zero_buffer_size : errc::ok))
          fail("set_out_buffer_size");
        break;
      }
      case 5: {
        const errc r = out.close_when_done();
        if (m.closed != (r == errc::closed))
          fail("close_when_done result disagrees with the close state");
        if (!m.closed) m.close_queued = true;
        break;
      }
      case 6:
        out.discard();
        m.pending.clear();
        m.close_queued = false;
        if (!out.empty() || out.queued_bytes() != 0) fail("discard left something queued");
        break;
      case 7:
      case 8: send_single(out, m, in.ConsumeIntegralInRange<std::size_t>(0, 80)); break;
      default: {
        const auto views = in.ConsumeIntegralInRange<std::size_t>(1, 8);
        const auto max_bytes = in.ConsumeBool() ? static_cast<std::size_t>(-1)
                                                : in.ConsumeIntegralInRange<std::size_t>(0, 200);
        send_gather(out, m, views, max_bytes, in.ConsumeIntegralInRange<std::size_t>(0, 400));
        break;
      }
    }
  }
  // Drain everything, whole sends only: all that was queued comes out, then idle or closed.
  for (int i = 0; i < 100000; ++i) {
    const chatframe::send_offer o = out.offer();
    m.check_status(out, o.status);
    if (o.status != send_status::data) break;
    send_single(out, m, o.data.size());
  }
  if (!m.pending.empty()) fail("bytes queued were never drained");
  if (m.close_queued && !m.closed) fail("close marker never reached");
  return 0;
}
