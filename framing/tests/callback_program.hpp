// callback_program.hpp — callbacks that act on the framer feeding them, for
// the reference-model properties (reference_model_test.cpp) and the fuzz
// oracles (fuzz/multi_framer.cc, fuzz/frame_assembler.cc).
//
// A program lists what the i-th call of a callback does to the framer that
// called it: nothing, set delimiters, discard(), or throw. The same program
// plays on multi_framer, on framer (which takes the first delimiter of a
// set) and on the reference model; the handlers log every event, so two
// runs that must agree give the same log.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "chatframe/collected.hpp"
#include "chatframe/error.hpp"
#include "chatframe/frame_assembler.hpp"
#include "chatframe/framer.hpp"
#include "chatframe/terminator.hpp"
#include "reference_model.hpp"

namespace chatframe::testing {

struct action {
  enum class kind : std::uint8_t { nothing, set, discard, raise };
  kind what = kind::nothing;
  std::vector<std::string> delimiters;  // for set
};

// For handlers: in_first runs in on_collect(), in_second in on_found(). For
// sinks: in_first in on_frame(), in_second in on_limit().
struct program {
  std::vector<action> in_first;
  std::vector<action> in_second;
};

// What a raise action throws.
struct injected {};

// Sets delimiters on any framer: framer takes the first of the set.
template <class Framer>
errc set_delimiters(Framer& f, const std::vector<std::string>& delimiters) {
  if constexpr (std::is_same_v<Framer, framer>) {
    return f.set_terminator(terminator::bytes(delimiters.front()));
  } else {
    const std::vector<std::string_view> views(delimiters.begin(), delimiters.end());
    return f.set_delimiters(views);
  }
}

// The same program with every set cut to its first delimiter: what framer,
// which takes the first of a set, makes of it.
inline program first_delimiters(program p) {
  for (auto* list : {&p.in_first, &p.in_second})
    for (action& a : *list)
      if (a.what == action::kind::set) a.delimiters.resize(1);
  return p;
}

// Runs the call-th action of `actions` on f; a refused set is logged as "?".
template <class Framer>
void play(Framer& f, const std::vector<action>& actions, std::size_t call, std::string& log) {
  if (call >= actions.size()) return;
  const action& a = actions[call];
  switch (a.what) {
    case action::kind::nothing: return;
    case action::kind::set:
      if (set_delimiters(f, a.delimiters) != errc::ok) log += "?";
      return;
    case action::kind::discard: f.discard(); return;
    case action::kind::raise: log += "!"; throw injected{};
  }
}

// Logs events and plays a program on the framer: `first` and `second` are
// the two callbacks' turns.
template <class Framer>
struct player {
  Framer& f;
  const program& p;
  std::string log{};
  std::size_t firsts = 0;
  std::size_t seconds = 0;

  void first(const std::string& event) {
    log += event;
    play(f, p.in_first, firsts++, log);
  }
  void second(const std::string& event) {
    log += event;
    play(f, p.in_second, seconds++, log);
  }
};

// A framer's handler: C(bytes) and F<which>.
template <class Framer>
struct programmed_handler : player<Framer> {
  void on_collect(const collected& d) { this->first("C(" + d.str() + ")"); }
  void on_found(std::size_t which) { this->second("F" + std::to_string(which)); }
  void on_found() { on_found(0); }
};

// A frame_assembler's (or its model's) sink, playing on the framer under it.
template <class Framer>
struct programmed_sink : player<Framer> {
  void on_frame(std::string_view frame, std::size_t which) {
    this->first("frame(" + std::string(frame) + "," + std::to_string(static_cast<long>(which)) +
                ")");
  }
  void on_limit(const frame_error& e) {
    this->second("limit(" + std::string(to_string(e.code)) + "," + std::to_string(e.bytes) + "," +
                 std::to_string(e.limit) + ")");
  }
  void on_partial(std::string_view rest) { this->log += "partial(" + std::string(rest) + ")"; }
};

// Feeds `chunks` one by one through feed(chunk) -> feed_result, each from a
// copy that dies after its feed (a view kept too long is caught by ASan),
// logging held() after each, and a throw as "!" (the program's own).
// `check` is called with each feed's result.
template <class Framer, class Feed, class Check>
void feed_all(const Framer& f, const std::vector<std::string>& chunks, std::string& log,
              Feed&& feed, Check&& check) {
  for (const std::string& chunk : chunks) {
    const std::string own(chunk);
    try {
      check(feed(own), own.size());
    } catch (const injected&) {
    }
    log += "|" + std::string(f.held()) + "|";
  }
}

// `stream` cut into chunks of `sizes` in turn. A size of 0 is an empty chunk,
// which re-frames the held bytes; when the sizes stop making progress, the
// rest of the stream is one chunk.
inline std::vector<std::string> chunks_of(const std::string& stream,
                                          const std::vector<std::size_t>& sizes) {
  std::vector<std::string> chunks;
  for (std::size_t pos = 0, i = 0, empty = 0; pos < stream.size(); ++i) {
    std::size_t n = sizes.empty() ? stream.size() : sizes[i % sizes.size()];
    empty = n == 0 ? empty + 1 : 0;
    if (empty > sizes.size()) n = stream.size();
    chunks.push_back(stream.substr(pos, n));
    pos += n;
  }
  return chunks;
}

// Feeds the chunks through an assembler (or its model) and finishes the
// stream with `policy`; the sink's log, held() after each feed, and failed().
template <class Framer, class Assembler, class Check>
std::string assembled(Framer& f, Assembler& a, std::string& log,
                      const std::vector<std::string>& chunks, eof_policy policy, Check&& check) {
  feed_all(
      f, chunks, log, [&](const std::string& c) { return a.feed(f, c); }, check);
  try {
    a.finish(f, policy);
  } catch (const injected&) {
  }
  return log + "|" + std::string(f.held()) + "|failed=" + std::to_string(a.failed());
}

// Length-prefixed records through frame_assembler (kModel false) or its
// model: a one-byte header, then that many bytes (the header's value mod 16;
// 0 reads the next header). The sink names its own assembler's type and sets
// the counts through it, so a count over the limit is refused and reported
// (and the next header is read).
template <bool kModel>
struct record_sink {
  using assembler = std::conditional_t<kModel, reference_frame_assembler<record_sink>,
                                       frame_assembler<record_sink>>;
  framer* f = nullptr;
  assembler* a = nullptr;
  std::string log;
  bool header = true;

  void on_frame(std::string_view frame, std::size_t which) {
    log += "frame(" + std::string(frame) + "," + std::to_string(static_cast<long>(which)) + ")";
    std::int64_t next = 1;
    if (header && frame.size() == 1) next = static_cast<unsigned char>(frame[0]) % 16;
    header = !header || next == 0;
    if (next == 0) next = 1;
    if (a->set_count(*f, next) != errc::ok) {
      header = true;
      (void)a->set_count(*f, 1);  // a limit is at least 1
    }
  }
  void on_limit(const frame_error& e) {
    log += "limit(" + std::string(to_string(e.code)) + "," + std::to_string(e.bytes) + ")";
  }
};

// The log of records<kModel> over a framer, fed as `chunks`.
template <bool kModel, class Check>
std::string records(const std::vector<std::string>& chunks, const assembler_options& options,
                    eof_policy policy, Check&& check) {
  framer f;
  record_sink<kModel> sink;
  typename record_sink<kModel>::assembler a(sink, options);
  sink.f = &f;
  sink.a = &a;
  (void)a.set_count(f, 1);
  return assembled(f, a, sink.log, chunks, policy, check);
}

}  // namespace chatframe::testing
