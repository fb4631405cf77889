// Frames two lines, a delimiter set's frames and a length-prefixed record
// (encoded, then decoded) with chatframe as a user's project would; exits
// non-zero if it cannot. Built by every packaging test (find_package with
// components, pkg-config, add_subdirectory, FetchContent, a shared-library
// install), so every public header it includes must be installed and compile
// (the one engine under them, detail/engine.hpp, included).
//   CONSUMER_WITH_REACTOR  also uses chatframe::reactor
//   CONSUMER_CXX23         must be compiled as C++23 (the consumer's -std wins)
#include <chatframe/frame_assembler.hpp>
#include <chatframe/framer.hpp>
#include <chatframe/length_field_encoder.hpp>
#include <chatframe/length_field_framer.hpp>
#include <chatframe/multi_framer.hpp>
#include <chatframe/outbox.hpp>
#include <chatframe/version.hpp>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>
#ifdef CONSUMER_WITH_REACTOR
#include <chatframe/reactor/backend.hpp>
#endif

#ifdef CONSUMER_CXX23
static_assert(__cplusplus > 202002L, "compiled as C++23, as the consumer asked");
#endif
static_assert(CHATFRAME_VERSION >= CHATFRAME_VERSION_OF(0, 1, 0), "chatframe/version.hpp");

struct lines {
  std::string current;
  std::vector<std::string> done;
  void on_collect(const chatframe::collected& d) { d.append_to(current); }
  void on_found() {
    done.push_back(current);
    current.clear();
  }
};

struct records {
  std::vector<std::string> done;
  bool failed = false;
  void on_frame(std::string_view frame) { done.emplace_back(frame); }
  void on_error(const chatframe::length_error&) { failed = true; }
};

struct frames {
  std::vector<std::string> done;
  void on_frame(std::string_view frame, std::size_t) { done.emplace_back(frame); }
  void on_limit(const chatframe::frame_error&) {}
};

// A record encoded by length_field_encoder, sent through an outbox, decoded
// by length_field_framer in two chunks.
static bool length_prefixed() {
  const chatframe::length_field_options layout{.length_width = 2};
  const chatframe::length_field_encoder encoder(layout);
  chatframe::outbox out;
  if (encoder.push(out, "record") != chatframe::errc::ok) return false;
  std::string wire;
  for (chatframe::send_offer o = out.offer(); o.status == chatframe::send_status::data;
       o = out.offer()) {
    wire.append(o.data);
    if (out.consume(o.data.size()) != chatframe::errc::ok) return false;
  }
  chatframe::length_field_framer decoder(layout);
  records r;
  decoder.feed(std::string_view(wire).substr(0, 3), r);
  decoder.feed(std::string_view(wire).substr(3), r);
  return wire.size() == 8 && !r.failed && r.done == std::vector<std::string>{"record"};
}

// Frames ending in "\r\n" or ";", assembled whole by frame_assembler over a
// multi_framer.
static bool delimiter_set() {
  frames sink;
  chatframe::frame_assembler<frames> assembler(sink);
  chatframe::multi_framer m;
  const std::string_view delimiters[] = {"\r\n", ";"};
  if (m.set_delimiters(delimiters) != chatframe::errc::ok) return false;
  assembler.feed(m, "a;b\r");
  assembler.feed(m, "\nc;");
  return sink.done == std::vector<std::string>{"a", "b", "c"};
}

int main() {
  chatframe::framer f;
  if (f.set_terminator(chatframe::terminator::bytes("\r\n")) != chatframe::errc::ok) return 1;
  lines h;
  f.feed("hello\r", h);
  f.feed("\nworld\r\n", h);
  bool ok = h.done == std::vector<std::string>{"hello", "world"};
  ok = ok && std::strchr(chatframe::version_string, '.') != nullptr;
  ok = ok && length_prefixed() && delimiter_set();
#ifdef CONSUMER_WITH_REACTOR
  const auto b = chatframe::reactor::parse_backend("epoll");
  ok = ok && b && chatframe::reactor::to_string(*b) == "epoll";
#endif
  std::printf("consumer (chatframe %s): %s\n", chatframe::version_string,
              ok ? "framed 2 lines, 3 delimited frames, 1 record" : "WRONG");
  return ok ? 0 : 1;
}
