#include "chatframe/conformance/replay.hpp"

#include <array>
#include <memory>

#include "chatframe/async_chat.hpp"

namespace chatframe::conformance {
namespace {

// CPython raised: the trace ends with an error event.
struct python_exception {
  const char* name;
};

terminator to_terminator(const term_spec& t) {
  switch (t.type) {
    case term_spec::kind::none: return terminator::none();
    case term_spec::kind::bytes: return terminator::bytes(t.bytes);
    case term_spec::kind::count: return terminator::count(t.count);
  }
  return terminator::none();
}

class scripted_channel final : public async_chat {
 public:
  scripted_channel(const scenario& s, send_mode mode, std::vector<event>& trace)
      : async_chat(static_cast<std::size_t>(s.in_buffer_size),
                   static_cast<std::size_t>(s.out_buffer_size)),
        scenario_(s), mode_(mode), trace_(trace) {
    // Pushes in callbacks only queue; the driver drains (README: "Driver").
    set_send_on_push(false);
  }

  // asynchat.py:153 — TypeError where a running count was replaced by a
  // terminator that is not a count (framer.hpp).
  static void raise_if_failed(errc e) {
    if (e == errc::count_replaced_by_non_count) throw python_exception{"TypeError"};
  }

  void set(const term_spec& t) {
    // asynchat.py:109-110 — ValueError for a negative count.
    if (set_terminator(to_terminator(t)) != errc::ok) throw python_exception{"ValueError"};
  }

  void run(const std::vector<action>& list) {
    for (const action& a : list) {
      switch (a.type) {
        case action::kind::push: (void)push(a.data); break;
        case action::kind::push_producer:
          (void)push_with_producer(
              std::make_unique<simple_producer>(a.data, static_cast<std::size_t>(a.number)));
          break;
        case action::kind::push_collected: (void)push(collected_); break;
        case action::kind::set_terminator: set(a.term); break;
        case action::kind::close_when_done: (void)close_when_done(); break;
        case action::kind::discard_buffers: discard_buffers(); break;
        case action::kind::set_out_buffer_size:
          (void)set_ac_out_buffer_size(static_cast<std::size_t>(a.number));
          break;
      }
    }
  }

  void collect_incoming_data(const collected& data) override {
    trace_.push_back({event::kind::collect, data.str(), 0});
    data.append_to(collected_);
    const std::size_t k = collect_count_++;
    if (k < scenario_.on_collect.size()) run(scenario_.on_collect[k]);
  }

  void found_terminator() override {
    trace_.push_back({event::kind::found, {}, 0});
    const std::size_t k = found_count_++;
    if (k < scenario_.on_found.size()) run(scenario_.on_found[k]);
    collected_.clear();
  }

  std::size_t send(std::string_view data) override {
    if (data.empty()) return 0;
    std::uint64_t cap = data.size();
    if (next_cap_ < scenario_.send_caps.size()) cap = scenario_.send_caps[next_cap_++];
    const std::size_t n = cap < data.size() ? static_cast<std::size_t>(cap) : data.size();
    trace_.push_back({event::kind::send, std::string(data), n});
    if (n == 0) blocked_ = true;
    return n;
  }

  void close() override {
    if (!close_traced_) {
      close_traced_ = true;
      trace_.push_back({event::kind::close, {}, 0});
    }
    async_chat::close();
  }

  // Calls initiate_send() while there is output and the channel is open,
  // stopping at the first send that would block.
  void drain() {
    while (!output().empty() && connected()) {
      blocked_ = false;
      if (mode_ == send_mode::single) {
        initiate_send();
      } else {
        gather_send();
      }
      if (blocked_) break;
    }
  }

 private:
  void gather_send() {
    std::array<std::string_view, 64> pieces;
    const std::size_t n = output().gather(pieces);
    if (n == 0) {
      // Idle, or the close marker reached (asynchat.py:237-239).
      if (output().closed()) handle_close();
      return;
    }
    std::string joined;
    for (std::size_t i = 0; i < n; ++i) joined.append(pieces[i]);
    const std::size_t sent = send(joined);
    (void)output().consume(sent);
  }

  const scenario& scenario_;
  send_mode mode_;
  std::vector<event>& trace_;
  std::string collected_;
  std::size_t found_count_ = 0;
  std::size_t collect_count_ = 0;
  std::size_t next_cap_ = 0;
  bool blocked_ = false;
  bool close_traced_ = false;
};

}  // namespace

std::vector<event> replay(const scenario& s, send_mode mode) {
  std::vector<event> trace;
  scripted_channel ch(s, mode, trace);
  try {
    ch.set(s.terminator);
    ch.run(s.start);
    ch.drain();
    for (const std::string& chunk : s.recv) {
      if (!ch.connected()) break;
      trace.push_back({event::kind::recv, chunk, 0});
      // An empty chunk is recv() returning b'': asyncore's end of stream.
      ch.raise_if_failed(chunk.empty() ? ch.handle_eof() : ch.handle_read(chunk));
      ch.drain();
    }
    if (s.eof && ch.connected()) ch.raise_if_failed(ch.handle_eof());
    while (!ch.output().empty() && ch.connected()) ch.drain();
  } catch (const python_exception& e) {
    trace.push_back({event::kind::error, e.name, 0});
  }
  return trace;
}

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

void append_hex(std::string& out, std::string_view bytes) {
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out.push_back(hex_digits[b >> 4]);
    out.push_back(hex_digits[b & 15]);
  }
}

}  // namespace

std::string format_trace(const std::vector<event>& events) {
  std::string out;
  for (const event& e : events) {
    switch (e.type) {
      case event::kind::recv:
        out += "{\"recv\":\"";
        append_hex(out, e.data);
        out += "\"}\n";
        break;
      case event::kind::collect:
        out += "{\"collect\":\"";
        append_hex(out, e.data);
        out += "\"}\n";
        break;
      case event::kind::found: out += "{\"found\":" + std::to_string(e.value) + "}\n"; break;
      case event::kind::send:
        out += "{\"send\":\"";
        append_hex(out, e.data);
        out += "\",\"sent\":" + std::to_string(e.sent) + "}\n";
        break;
      case event::kind::close: out += "{\"close\":" + std::to_string(e.value) + "}\n"; break;
      case event::kind::error: out += "{\"error\":\"" + e.data + "\"}\n"; break;
    }
  }
  return out;
}

std::vector<event> frame_level(const std::vector<event>& events) {
  std::vector<event> out;
  for (const event& e : events) {
    if (e.type == event::kind::collect && !out.empty() && out.back().type == event::kind::collect) {
      out.back().data += e.data;
      continue;
    }
    if (e.type == event::kind::send) {
      if (e.sent == 0) continue;
      const std::string accepted = e.data.substr(0, static_cast<std::size_t>(e.sent));
      if (!out.empty() && out.back().type == event::kind::send) {
        out.back().data += accepted;
        out.back().sent += e.sent;
      } else {
        out.push_back({event::kind::send, accepted, e.sent});
      }
      continue;
    }
    out.push_back(e);
  }
  return out;
}

}  // namespace chatframe::conformance
