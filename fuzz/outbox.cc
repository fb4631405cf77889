// fuzz/outbox.cc — chatframe::outbox drains exactly what was queued, in order,
// whether or not a memory budget pauses its producers.
//
// The input is a program of operations: pushes (owned, borrowed, plain bytes
// through push_with_producer), simple_producers with any buffer size (0
// included), set_out_buffer_size (0 included), close_when_done, discard, and
// drains through offer()/consume() or gather()/consume() with partial sends
// (0 included) and over-consumes. Operation bytes 240-251 add the budget:
// pause_producers() on or off, the input held and the frame being assembled
// (any sizes), and new water marks (any, 0 and low above high included).
// Byte 255 pushes a producer whose first more() pushes to the outbox asking
// it (and checks that offer() from there offers nothing); byte 254 one whose
// first more() discards the outbox asking it, then pushes: the piece it
// returns must come out first, then what it pushed (asynchat.py:246-248).
// Byte 253 appends bytes to an arena and queues them with push_view_joined():
// right after the arena's last bytes, so that they continue what was queued
// last, or one byte apart, so that they do not. push_view() borrows from the
// same arena, and byte 252 (before: one more "pause producers") pushes a
// producer that writes each piece into it when asked: bytes joined after
// such a piece continue it in memory, and must still not join it.
// After every operation a memory_budget is recounted from those sizes and
// queued_bytes(), and its decision is handed to pause_producers() as
// memory_budget.hpp's loop does. Until the input chooses marks the budget
// pauses at 160 queued bytes and resumes below 48, which a few pushes reach,
// so most programs pause and resume without having to find those bytes.
// Operation bytes below 240 mean what they meant before the budget existed.
//
// A model keeps the bytes still to be sent, item by item, and, for each
// producer, what it handed out and what of that was sent. Of a byte string it
// keeps the pieces CPython's push() cuts it into (asynchat.py:203-208) and,
// when borrowed, where its bytes lie; it decides itself whether a joined push
// continues the last item. Oracles: the bytes drained are the bytes queued
// before the close marker, in order; each offer() is the rest of the first
// piece (a cut of a byte string, or the producer's current piece), capped at
// out_buffer_size(), so a joined item must be cut where one push of its bytes
// is, and a piece never grows by bytes pushed after it; each gather() gives
// the views the model predicts from where the bytes lie, stopping after a
// producer's piece; consume() beyond the offer is refused; once closed,
// nothing is offered again and pushes are refused; queued_bytes() is what was
// queued or produced and not sent; while producers are paused none is asked
// for more() unless bytes are queued behind it (it is then the head, and they
// could never be sent otherwise), and offer() waits (idle) exactly when a
// producer is at the head with its piece sent and nothing queued behind it;
// a producer is never asked before its piece is sent, nor
// past the close marker; the budget follows the hysteresis rule (paused from a
// recount at or above high_water until one below low_water, clamped to
// high_water), reports exactly the flips, and counts peak and pauses. Finally,
// producers resumed, everything queued drains.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "borrowed_bytes_arena.hpp"
#include "chatframe/memory_budget.hpp"
#include "chatframe/outbox.hpp"

namespace {

using chatframe::budget_change;
using chatframe::errc;
using chatframe::send_status;

void fail(const char* what) {
  std::fprintf(stderr, "outbox oracle violated: %s\n", what);
  std::abort();
}

// What the harness knows of a producer it pushed; the outbox owns the producer.
struct producer_record {
  std::size_t handed = 0;           // bytes more() returned so far
  std::size_t sent = 0;             // of those, bytes the transport accepted
  bool finished = false;            // more() returned nothing
  bool reachable = true;            // queued before any close marker
  const char* piece_end = nullptr;  // just past the last piece more() returned
};

struct model;
// Pushes `bytes` to the outbox and to the model (defined after the model).
void push_reentrant(chatframe::outbox& out, model& m, const std::string& bytes);
// Discards the outbox and the model from inside more(), pushes `bytes`, and
// records that `piece` then goes to the head.
void discard_reentrant(chatframe::outbox& out, model& m, const std::string& bytes,
                       std::string_view piece);

// What a producer's first more() does to the outbox asking it.
enum class reentry : std::uint8_t { none, push, discard_then_push };

// A simple_producer that checks when it is asked and records what it hands out.
// Its first more() may also use the outbox that is asking it, as user code
// may: push `extra` (queued behind everything), or discard the queue, this
// producer included, and then push `extra`.
class watched_producer final : public chatframe::producer {
 public:
  watched_producer(std::unique_ptr<chatframe::producer> inner, producer_record& record,
                   const bool& producers_paused, chatframe::outbox& out, model& m,
                   reentry reenter = reentry::none, std::string extra = {})
      : inner_(std::move(inner)), record_(record), paused_(producers_paused), out_(out), model_(m),
        reenter_(reenter), extra_(std::move(extra)) {}

  std::string_view more() override {
    // Its own piece is sent by now (checked below), so the outbox's queued
    // bytes are those behind it.
    if (paused_ && out_.queued_bytes() == 0)
      fail("a paused producer with nothing queued behind it was asked for more");
    if (!record_.reachable) fail("a producer behind the close marker was asked for more");
    if (record_.finished) fail("a producer was asked again after it said it was done");
    if (record_.sent != record_.handed) fail("more() asked before the previous piece was sent");
    const reentry reenter = std::exchange(reenter_, reentry::none);
    if (reenter == reentry::push) push_reentrant(out_, model_, extra_);
    const std::string_view piece = inner_->more();
    record_.handed += piece.size();
    record_.finished = piece.empty();
    record_.piece_end = piece.data() + piece.size();
    // The last use of this object: the discard destroys it once more() returns.
    if (reenter == reentry::discard_then_push) discard_reentrant(out_, model_, extra_, piece);
    return piece;
  }

 private:
  std::unique_ptr<chatframe::producer> inner_;
  producer_record& record_;
  const bool& paused_;
  chatframe::outbox& out_;
  model& model_;
  reentry reenter_;
  std::string extra_;
};

// The pieces bytes [from, to) of an item fall into when the item is cut every
// `cut` bytes from its start (0: not cut, one piece).
std::deque<std::size_t> pieces_between(std::size_t from, std::size_t to, std::size_t cut) {
  std::deque<std::size_t> pieces;
  while (from < to) {
    const std::size_t next_cut = cut == 0 ? to : (from / cut + 1) * cut;
    const std::size_t piece_end = std::min(next_cut, to);
    pieces.push_back(piece_end - from);
    from = piece_end;
  }
  return pieces;
}

struct model {
  // One queued item still to be sent (or, for a producer, still to be asked).
  struct segment {
    std::size_t unsent;       // its bytes in `pending` (a producer's: all it will produce)
    producer_record* source;  // nullptr for bytes
    // A byte string: what is unsent of each piece push() cut it into, front first.
    std::deque<std::size_t> pieces;
    std::size_t length = 0;     // bytes pushed into it, joined ones included
    std::size_t cut = 0;        // the size of its pieces; 0: one piece
    const char* end = nullptr;  // just past its bytes when borrowed; nullptr when owned
  };
  std::size_t out_buffer_size;   // as set by the input; the outbox's own value is checked
  std::string pending;           // bytes to be sent, in order, before any close marker
  std::deque<segment> segments;  // `pending`, item by item
  std::size_t unreachable = 0;   // bytes queued behind a close marker: counted, never sent
  bool close_queued = false;     // a close marker is queued: later pushes are never sent
  bool closed = false;           // the close marker was reached

  explicit model(std::size_t buffer_size) : out_buffer_size(buffer_size) {}

  // asynchat.py:203-208: push() cuts only bytes longer than the buffer size.
  [[nodiscard]] std::size_t push_cut(std::size_t size) const {
    return size > out_buffer_size ? out_buffer_size : 0;
  }
  // Checks a push's result; true when its bytes will be sent.
  bool admitted(std::size_t size, errc result, producer_record* source) {
    if (closed != (result == errc::closed)) fail("push result disagrees with the close state");
    if (closed) return false;
    if (close_queued) {
      if (source != nullptr) {
        source->reachable = false;
      } else {
        unreachable += size;
      }
      return false;
    }
    return true;
  }
  void queue_producer(std::string_view produced, errc result, producer_record* source) {
    if (!admitted(produced.size(), result, source)) return;
    pending.append(produced);
    segments.push_back({produced.size(), source, {}});
  }
  // A byte string of its own, cut every `cut` bytes; `borrowed` is where its
  // bytes lie when the outbox borrows them.
  void queue_bytes(std::string_view bytes, errc result, std::size_t cut,
                   const char* borrowed = nullptr) {
    if (!admitted(bytes.size(), result, nullptr)) return;
    pending.append(bytes);
    segment s{bytes.size(), nullptr, pieces_between(0, bytes.size(), cut), bytes.size(), cut};
    // An empty view borrows nothing: no later bytes can continue it.
    if (borrowed != nullptr && !bytes.empty()) s.end = borrowed + bytes.size();
    segments.push_back(std::move(s));
  }
  // push_view_joined(): the view joins the last item when that is a borrowed
  // byte string, still queued, whose bytes end where the view begins; the
  // item is then cut as one push of all its bytes would be. Cuts already made
  // stay (a push cuts once, at the size of the time); an item not cut yet is
  // cut at today's size once it grows longer. Anything else, a producer's
  // piece included, is followed by an item of its own.
  void queue_joined(std::string_view view, errc result) {
    const bool continues = !close_queued && !closed && !segments.empty() &&
                           segments.back().source == nullptr && segments.back().unsent > 0 &&
                           segments.back().end != nullptr && segments.back().end == view.data();
    if (!continues) {
      queue_bytes(view, result, push_cut(view.size()), view.data());
      return;
    }
    if (result != errc::ok) fail("push_view_joined() refused bytes it could join");
    segment& last = segments.back();
    const std::size_t sent = last.length - last.unsent;
    pending.append(view);
    last.length += view.size();
    last.unsent += view.size();
    last.end += view.size();
    if (last.cut == 0 && last.length > out_buffer_size) last.cut = out_buffer_size;
    last.pieces = pieces_between(sent, last.length, last.cut);
  }
  void discard() {
    pending.clear();
    segments.clear();
    unreachable = 0;
    close_queued = false;
  }
  // The transport accepted `sent`: it must be the head of what is pending.
  void drained(std::string_view sent) {
    if (pending.compare(0, sent.size(), sent) != 0)
      fail("drained bytes differ from the bytes queued");
    pending.erase(0, sent.size());
    std::size_t n = sent.size();
    while (n > 0) {
      segment& s = segments.front();
      if (s.unsent == 0) {
        if (s.source != nullptr && !s.source->finished)
          fail("bytes sent past a producer that was not done");
        segments.pop_front();
        continue;
      }
      const std::size_t take = std::min(n, s.unsent);
      if (s.source != nullptr) {
        if (s.source->handed - s.source->sent < take)
          fail("sent bytes a producer never handed out");
        s.source->sent += take;
      }
      for (std::size_t left = take; left > 0;) {
        const std::size_t from_piece = std::min(left, s.pieces.front());
        s.pieces.front() -= from_piece;
        if (s.pieces.front() == 0) s.pieces.pop_front();
        left -= from_piece;
      }
      s.unsent -= take;
      n -= take;
    }
  }

  // What offer() must offer, as the queue stands once it returned (more()
  // may have been asked): the rest of the first piece with bytes left,
  // capped at out_buffer_size(); `at` is where they lie, when known.
  struct expected_offer {
    std::size_t size = 0;  // 0: nothing (idle or closed, check_status() says which)
    const char* at = nullptr;
    bool from_producer = false;
  };
  [[nodiscard]] expected_offer next_offer() const {
    for (const segment& s : segments) {
      if (s.source == nullptr) {
        if (s.pieces.empty()) continue;
        const std::size_t rest_of_piece = s.pieces.front();
        return {std::min(rest_of_piece, out_buffer_size),
                s.end == nullptr ? nullptr : s.end - s.unsent, false};
      }
      const std::size_t rest_of_piece = s.source->handed - s.source->sent;
      if (rest_of_piece > 0)
        return {std::min(rest_of_piece, out_buffer_size), s.source->piece_end - rest_of_piece,
                true};
      if (!s.source->finished) return {};  // not asked: it waits
    }
    return {};
  }

  // The views gather(`views` of them, `max_bytes`) must give, as the queue
  // stands once it returned: the bytes of successive items, one view while
  // they lie back to back in memory (owned bytes lie where only the outbox
  // knows, so they start a view of their own), up to the end of a producer's
  // piece. A producer with its piece sent is asked for the next unless every
  // view is taken, or it is paused and does not have to be asked.
  [[nodiscard]] std::vector<std::size_t> expected_gather(std::size_t views, std::size_t max_bytes,
                                                         bool producers_paused) const {
    std::vector<std::size_t> sizes;
    const char* view_end = nullptr;  // nullptr: the open view cannot be continued
    std::size_t gathered = 0;
    for (const segment& s : segments) {
      if (gathered >= max_bytes) break;
      const bool views_taken = !sizes.empty() && sizes.size() == views;
      std::size_t n = s.unsent;
      const char* at = s.end == nullptr ? nullptr : s.end - s.unsent;
      if (s.source != nullptr) {
        n = s.source->handed - s.source->sent;
        at = s.source->piece_end - n;
        if (n == 0) {
          if (views_taken) break;
          if (s.source->finished) continue;
          const bool must_ask = !producers_paused || (gathered == 0 && queued_bytes() != 0);
          if (must_ask) fail("gather() stopped at a producer it had to ask for more");
          break;
        }
      } else if (n == 0) {
        continue;
      }
      n = std::min(n, max_bytes - gathered);
      if (view_end != nullptr && at == view_end) {
        sizes.back() += n;
      } else {
        if (views_taken) break;
        sizes.push_back(n);
      }
      view_end = at == nullptr ? nullptr : at + n;
      gathered += n;
      if (s.source != nullptr) break;  // its next piece is asked for once this one is sent
    }
    return sizes;
  }

  // With producers paused, the outbox must wait when the first item with
  // anything left is a producer whose pieces so far are all sent, and nothing
  // is queued behind it (bytes behind it are drained through it).
  [[nodiscard]] bool producer_waits(bool producers_paused) const {
    if (!producers_paused) return false;
    for (const segment& s : segments) {
      if (s.source == nullptr) {
        if (s.unsent > 0) return false;
        continue;
      }
      if (s.source->handed > s.source->sent) return false;  // a piece is still being sent
      if (!s.source->finished) return queued_bytes() == 0;
    }
    return false;
  }
  // Byte strings not yet sent plus pieces handed out and not yet sent.
  [[nodiscard]] std::size_t queued_bytes() const {
    std::size_t n = unreachable;
    for (const segment& s : segments)
      n += s.source == nullptr ? s.unsent : s.source->handed - s.source->sent;
    return n;
  }
  void check_status(const chatframe::outbox& out, send_status s, bool producers_paused) {
    const bool waits = producer_waits(producers_paused);
    if (s == send_status::closed && !closed) {
      if (!close_queued || !pending.empty() || waits)
        fail("closed before everything queued was sent");
      closed = true;
    }
    if (closed && s != send_status::closed) fail("offered data after closed");
    if (s == send_status::data && waits) fail("offered data past a producer that waits");
    if (s == send_status::idle && !waits && (!pending.empty() || close_queued || !out.empty()))
      fail("idle with data queued");
    if (out.closed() != closed) fail("closed() disagrees");
  }
};

void push_reentrant(chatframe::outbox& out, model& m, const std::string& bytes) {
  // From inside more(), offer() and gather() offer nothing.
  if (out.offer().status != send_status::idle) fail("offer() from more() offered something");
  std::array<std::string_view, 2> views{};
  if (out.gather(views) != 0) fail("gather() from more() gathered something");
  m.queue_bytes(bytes, out.push(bytes), m.push_cut(bytes.size()));
}

void discard_reentrant(chatframe::outbox& out, model& m, const std::string& bytes,
                       std::string_view piece) {
  out.discard();
  m.discard();
  if (!out.empty() || out.queued_bytes() != 0) fail("discard from more() left something queued");
  push_reentrant(out, m, bytes);
  // The piece more() returns is put back at the head of the emptied queue,
  // ahead of the push (asynchat.py:246-248), as a byte string: its producer
  // went with the queue, and it is not cut (only sliced when sent). An empty
  // piece queues nothing.
  if (piece.empty() || m.closed) return;
  m.pending.insert(0, piece);
  m.segments.push_front({piece.size(), nullptr, {piece.size()}, piece.size()});
}

// The hysteresis rule memory_budget.hpp states, kept apart from its code.
struct budget_model {
  std::size_t high;
  std::size_t low;
  bool paused = false;
  std::size_t peak = 0;
  std::size_t pauses = 0;

  explicit budget_model(chatframe::budget_options marks)
      : high(marks.high_water), low(std::min(marks.low_water, marks.high_water)) {}

  budget_change recount(std::size_t in_use) {
    peak = std::max(peak, in_use);
    const bool was_paused = paused;
    if (in_use >= high) {
      paused = true;
    } else if (in_use < low) {
      paused = false;
    }
    if (paused == was_paused) return budget_change::none;
    if (paused) ++pauses;
    return paused ? budget_change::paused : budget_change::resumed;
  }
};

constexpr chatframe::budget_options default_marks{.high_water = 160, .low_water = 48};

// The connection around the outbox: the loop's budget and its pause decision.
struct loop_state {
  chatframe::memory_budget budget{default_marks};
  budget_model expected{default_marks};
  std::size_t held = 0;        // the framer's held-back input, as the input says
  std::size_t assembling = 0;  // the frame being assembled, as the input says
  bool producers_paused = false;

  void pause_producers(chatframe::outbox& out, bool paused) {
    producers_paused = paused;
    out.pause_producers(paused);
  }
  void set_marks(chatframe::budget_options marks) {
    budget = chatframe::memory_budget(marks);
    expected = budget_model(marks);
  }
  void recount(chatframe::outbox& out) {
    const std::size_t in_use = held + assembling + out.queued_bytes();
    const budget_change change = budget.update(held, assembling, out.queued_bytes());
    if (change != expected.recount(in_use)) fail("budget reported a change the rule does not make");
    if (budget.paused() != expected.paused) fail("budget paused() disagrees with the rule");
    if (budget.in_use() != in_use) fail("budget in_use() is not the sum of its parts");
    if (budget.peak() != expected.peak) fail("budget peak() is not the most ever in use");
    if (budget.pauses() != expected.pauses) fail("budget pauses() miscounted");
    if (change == budget_change::paused) pause_producers(out, true);
    if (change == budget_change::resumed) pause_producers(out, false);
  }
};

// One send through offer(): `cap` bytes accepted (more than offered: refused).
void send_single(chatframe::outbox& out, model& m, const loop_state& loop, std::size_t cap) {
  const chatframe::send_offer o = out.offer();
  m.check_status(out, o.status, loop.producers_paused);
  if (o.status != send_status::data) return;
  if (o.data.empty() || o.data.size() > out.out_buffer_size())
    fail("offer empty or above out_buffer_size");
  const model::expected_offer expected = m.next_offer();
  if (o.data.size() != expected.size)
    fail(expected.from_producer ? "offer() does not end where the producer's piece ends"
                                : "offer() does not end where push() cut the item");
  if (expected.at != nullptr && o.data.data() != expected.at)
    fail("offer() does not start at the first unsent byte of the first item");
  if (cap > o.data.size()) {
    if (out.consume(cap) != errc::consume_exceeds_offer) fail("consume beyond the offer accepted");
    return;
  }
  const std::string sent(o.data.substr(0, cap));
  if (out.consume(cap) != errc::ok) fail("consume within the offer refused");
  m.drained(sent);
}

// One writev through gather().
void send_gather(chatframe::outbox& out, model& m, const loop_state& loop, std::size_t views,
                 std::size_t max_bytes, std::size_t cap) {
  std::array<std::string_view, 8> iov{};
  const std::size_t n = out.gather(std::span(iov.data(), views), max_bytes);
  if (n > views) fail("gather filled more views than given");
  std::string all;
  for (std::size_t i = 0; i < n; ++i) {
    if (iov[i].empty()) fail("gather returned an empty view");
    all.append(iov[i]);
  }
  if (all.size() > max_bytes) fail("gather exceeded max_bytes");
  const std::vector<std::size_t> expected =
      m.expected_gather(views, max_bytes, loop.producers_paused);
  if (expected.size() != n) fail("gather() gave another number of views than predicted");
  for (std::size_t i = 0; i < n; ++i)
    if (iov[i].size() != expected[i]) fail("gather() view sizes differ from the predicted ones");
  const bool waits = m.producer_waits(loop.producers_paused);
  if (n == 0) {
    // Like offer(), gather() reaches a close marker with nothing before it.
    if (out.closed() && !m.closed) {
      if (!m.close_queued || !m.pending.empty() || waits)
        fail("gather() closed before everything queued was sent");
      m.closed = true;
    }
    if (!m.closed && m.close_queued && m.pending.empty() && !waits)
      fail("gather() did not reach the close marker at the head");
    if (max_bytes != 0 && views != 0 && !m.closed && !m.pending.empty() && !waits)
      fail("gather returned nothing with data queued");
    if (out.closed() != m.closed) fail("closed() disagrees");
    return;
  }
  if (m.closed) fail("gathered data after closed");
  if (waits) fail("gathered data past a producer that waits");
  if (cap > all.size()) {
    if (out.consume(cap) != errc::consume_exceeds_offer) fail("consume beyond the gather accepted");
    return;
  }
  if (out.consume(cap) != errc::ok) fail("consume within the gather refused");
  m.drained(std::string_view(all).substr(0, cap));
}

// Operation bytes below this keep the meaning they had before the budget
// operations existed (the byte modulo 10).
constexpr std::uint8_t first_budget_op = 240;
// The last four budget bytes (before: operations other budget bytes give too)
// push a producer writing into the arena, queue joined views, and push producers
// whose first more() uses the outbox asking it.
constexpr std::uint8_t arena_producer_op = 252;
constexpr std::uint8_t joined_view_op = 253;
constexpr std::uint8_t discarding_producer_op = 254;
constexpr std::uint8_t reentrant_producer_op = 255;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  // Outlives the outbox: push_view's, push_view_joined's and arena producers' bytes.
  chatframe::testing::borrowed_bytes_arena borrowed{1024};
  std::deque<producer_record> records;  // outlives the outbox: its producers write here
  loop_state loop;                      // outlives the outbox: producers read its pause flag
  const auto buffer_size = in.ConsumeIntegralInRange<std::size_t>(1, 64);
  chatframe::outbox out(buffer_size);
  model m(buffer_size);
  for (int ops = 0; ops < 256 && in.remaining_bytes() > 0; ++ops) {
    const auto op = in.ConsumeIntegral<std::uint8_t>();
    if (op == reentrant_producer_op || op == discarding_producer_op) {
      std::string s = in.ConsumeRandomLengthString(64);
      const auto buffer = in.ConsumeIntegralInRange<std::size_t>(1, 16);
      std::string extra = in.ConsumeRandomLengthString(32);
      if (extra.empty() && op == reentrant_producer_op) extra = "+";
      producer_record& record = records.emplace_back();
      const std::string produced = s;
      const reentry how = op == reentrant_producer_op ? reentry::push : reentry::discard_then_push;
      m.queue_producer(produced,
                       out.push_with_producer(std::make_unique<watched_producer>(
                           std::make_unique<chatframe::simple_producer>(std::move(s), buffer),
                           record, loop.producers_paused, out, m, how, std::move(extra))),
                       &record);
    } else if (op == joined_view_op) {
      const std::string s = in.ConsumeRandomLengthString(64);
      const std::string_view view = borrowed.append(s, in.ConsumeBool());
      m.queue_joined(view, out.push_view_joined(view));
    } else if (op == arena_producer_op) {
      std::string s = in.ConsumeRandomLengthString(64);
      const auto buffer = in.ConsumeIntegralInRange<std::size_t>(1, 16);
      producer_record& record = records.emplace_back();
      const std::string produced = s;
      m.queue_producer(
          produced,
          out.push_with_producer(std::make_unique<watched_producer>(
              std::make_unique<chatframe::testing::arena_producer>(std::move(s), buffer, borrowed),
              record, loop.producers_paused, out, m)),
          &record);
    } else if (op >= first_budget_op) {
      switch ((op - first_budget_op) % 4) {
        case 0:
        case 3: loop.pause_producers(out, in.ConsumeBool()); break;
        case 1:
          loop.held = in.ConsumeIntegralInRange<std::size_t>(0, 256);
          loop.assembling = in.ConsumeIntegralInRange<std::size_t>(0, 256);
          break;
        default: {
          const auto high = in.ConsumeIntegralInRange<std::size_t>(0, 512);
          const auto low = in.ConsumeIntegralInRange<std::size_t>(0, 512);
          loop.set_marks({.high_water = high, .low_water = low});
          break;
        }
      }
    } else {
      switch (op % 10) {
        case 0: {
          std::string s = in.ConsumeRandomLengthString(64);
          const std::string copy = s;
          m.queue_bytes(copy, out.push(std::move(s)), m.push_cut(copy.size()));
          break;
        }
        case 1: {
          const std::string_view view = borrowed.append(in.ConsumeRandomLengthString(64), false);
          m.queue_bytes(view, out.push_view(view), m.push_cut(view.size()), view.data());
          break;
        }
        case 2: {
          std::string s = in.ConsumeRandomLengthString(64);
          const auto buffer = in.ConsumeIntegralInRange<std::size_t>(0, 16);
          producer_record& record = records.emplace_back();
          // CPython's simple_producer with buffer size 0 yields b'' at once: nothing is sent.
          const std::string produced = buffer == 0 ? std::string() : s;
          m.queue_producer(produced,
                           out.push_with_producer(std::make_unique<watched_producer>(
                               std::make_unique<chatframe::simple_producer>(std::move(s), buffer),
                               record, loop.producers_paused, out, m)),
                           &record);
          break;
        }
        case 3: {
          std::string s = in.ConsumeRandomLengthString(64);
          // Plain bytes given as a producer are one piece, only sliced when sent.
          m.queue_bytes(s, out.push_with_producer(std::string(s)), 0);
          break;
        }
        case 4: {
          const auto n = in.ConsumeIntegralInRange<std::size_t>(0, 70);
          if (out.set_out_buffer_size(n) != (n == 0 ? errc::zero_buffer_size : errc::ok))
            fail("set_out_buffer_size");
          if (n != 0) m.out_buffer_size = n;
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
          m.discard();
          if (!out.empty() || out.queued_bytes() != 0) fail("discard left something queued");
          break;
        case 7:
        case 8: send_single(out, m, loop, in.ConsumeIntegralInRange<std::size_t>(0, 80)); break;
        default: {
          const auto views = in.ConsumeIntegralInRange<std::size_t>(1, 8);
          const auto max_bytes = in.ConsumeBool() ? static_cast<std::size_t>(-1)
                                                  : in.ConsumeIntegralInRange<std::size_t>(0, 200);
          send_gather(out, m, loop, views, max_bytes,
                      in.ConsumeIntegralInRange<std::size_t>(0, 400));
          break;
        }
      }
    }
    if (out.queued_bytes() != m.queued_bytes()) fail("queued_bytes() disagrees with the queue");
    if (out.producers_paused() != loop.producers_paused) fail("producers_paused() disagrees");
    if (out.out_buffer_size() != m.out_buffer_size) fail("out_buffer_size() disagrees");
    loop.recount(out);
  }
  // Resume the producers and drain everything, whole sends only: all that was
  // queued comes out, then idle or closed.
  loop.pause_producers(out, false);
  for (int i = 0; i < 100000; ++i) {
    const chatframe::send_offer o = out.offer();
    m.check_status(out, o.status, loop.producers_paused);
    if (o.status != send_status::data) break;
    send_single(out, m, loop, o.data.size());
  }
  if (!m.pending.empty()) fail("bytes queued were never drained");
  if (m.close_queued && !m.closed) fail("close marker never reached");
  if (out.queued_bytes() != m.queued_bytes()) fail("queued_bytes() disagrees after the drain");
  return 0;
}
