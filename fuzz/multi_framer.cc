// fuzz/multi_framer.cc — chatframe::multi_framer against its reference model.
//
// Input: 1..6 delimiters over a small alphabet, a callback program (what the
// i-th on_collect() and the i-th on_found() do to the framer: nothing, set
// new delimiters, discard(), or throw), a chunking and a stream. Oracles:
//   * under the program, the events (every collect boundary, every which)
//     and held() after every feed, throws included, equal the reference
//     model's (framing/tests/reference_model.hpp: the whole stream joined,
//     one byte at a time, no fast path);
//   * with one delimiter, and every set of the program cut to its first
//     delimiter, they equal chatframe::framer's under the same program;
//   * without a program, held() is shorter than the longest delimiter after
//     every feed, and the frames fed one-shot equal the frames chunked;
//   * every `fresh` view lies inside the chunk being fed; feed() from a
//     callback is refused with errc::reentrant_feed and takes nothing;
//   * with memory running out at the throws and in the feeds the input
//     marks (framing/tests/starving_program.hpp: the target replaces
//     operator new), multi_framer and framer lose the model's bytes, refuse
//     with errc::input_lost and, after the discard()s the input places
//     between feeds, frame as the model does; if the input says so, with
//     the delimiters made 16 bytes longer, so that holding back the start
//     of one takes memory.
#include <fuzzer/FuzzedDataProvider.h>

#include <string>
#include <string_view>
#include <vector>

#include "callback_program.hpp"
#include "chatframe/framer.hpp"
#include "chatframe/multi_framer.hpp"
#include "fuzz_program.hpp"
#include "limited_allocator_operators.hpp"
#include "reference_model.hpp"
#include "starving_program.hpp"

namespace {

using chatframe::errc;
using chatframe::testing::program;

// Six letters, so that up to six delimiters can all end in different bytes.
constexpr char kAlphabet[] = {'a', 'b', '\r', '\n', ';', '\0'};

constexpr std::string_view kLetters(kAlphabet, sizeof kAlphabet);

[[noreturn]] void fail(const char* what) { chatframe::fuzzing::fail("multi_framer", what); }

// A programmed handler that also checks where views point and that feed()
// from a callback is refused.
template <class Framer>
struct checked : chatframe::testing::programmed_handler<Framer> {
  std::string_view chunk;
  struct ignore {
    void on_collect(const chatframe::collected&) {}
    void on_found(std::size_t) {}
    void on_found() {}
  };
  void on_collect(const chatframe::collected& d) {
    if (!d.fresh.empty() && (d.fresh.data() < chunk.data() ||
                             d.fresh.data() + d.fresh.size() > chunk.data() + chunk.size()))
      fail("fresh view outside the chunk being fed");
    ignore other;
    const chatframe::feed_result r = this->f.feed("x", other);
    if (r.error != errc::reentrant_feed || r.consumed != 0) fail("feed() from a callback accepted");
    chatframe::testing::programmed_handler<Framer>::on_collect(d);
  }
};

// The log of events and held bytes under the program.
template <class Framer>
std::string run(Framer& f, const std::vector<std::string>& chunks, const program& p,
                std::size_t longest) {
  checked<Framer> h{{{f, p}}, {}};
  const bool quiet = p.in_first.empty() && p.in_second.empty();
  chatframe::testing::feed_all(
      f, chunks, h.log,
      [&](const std::string& c) {
        h.chunk = c;
        return f.feed(c, h);
      },
      [&](const chatframe::feed_result& r, std::size_t size) {
        if (r.error != errc::ok || r.consumed != size) fail("feed did not take the whole chunk");
        if (quiet && f.held().size() >= longest) fail("held back a whole delimiter or more");
      });
  return h.log;
}

// Frames (bytes between found events) and the rest, fed as the chunks.
std::vector<std::string> frames_of(const std::vector<std::string>& delimiters,
                                   const std::vector<std::string>& chunks) {
  chatframe::multi_framer f;
  (void)chatframe::testing::set_delimiters(f, delimiters);
  struct collector {
    std::vector<std::string> frames{std::string()};
    void on_collect(const chatframe::collected& d) { d.append_to(frames.back()); }
    void on_found(std::size_t which) {
      frames.back() += "#" + std::to_string(which);
      frames.emplace_back();
    }
  } c;
  for (const std::string& chunk : chunks) (void)f.feed(chunk, c);
  c.frames.back() += std::string(f.held());
  return c.frames;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  std::vector<std::string> delimiters(in.ConsumeIntegralInRange<std::size_t>(1, 6));
  std::size_t longest = 0;
  for (std::string& d : delimiters) {
    d = chatframe::fuzzing::letters(in, kLetters, 6);
    longest = d.size() > longest ? d.size() : longest;
  }
  const program p = chatframe::fuzzing::program(in, kLetters, 12, 4);
  const std::vector<std::size_t> cuts = chatframe::fuzzing::chunk_sizes(in);
  const chatframe::testing::starvation starve = chatframe::fuzzing::starvation(in, 12);
  const bool long_delimiters = in.ConsumeBool();
  std::string stream = in.ConsumeRemainingBytesAsString();
  for (char& c : stream) c = kAlphabet[static_cast<unsigned char>(c) % sizeof kAlphabet];

  const std::vector<std::string> chunks = chatframe::testing::chunks_of(stream, cuts);

  const auto engine_log = [&](const std::vector<std::string>& d, const program& prog) {
    chatframe::multi_framer f;
    if (chatframe::testing::set_delimiters(f, d) != errc::ok) fail("valid delimiters refused");
    return run(f, chunks, prog, longest);
  };
  const auto model_log = [&](const std::vector<std::string>& d, const program& prog) {
    chatframe::testing::reference_multi_framer f;
    if (chatframe::testing::set_delimiters(f, d) != errc::ok) fail("the model refused");
    return run(f, chunks, prog, longest);
  };

  if (engine_log(delimiters, p) != model_log(delimiters, p))
    fail("events differ from the reference model's under the callback program");
  if (engine_log(delimiters, {}) != model_log(delimiters, {}))
    fail("events differ from the reference model's");
  if (frames_of(delimiters, chunks) != frames_of(delimiters, {stream}))
    fail("chunked frames differ from one-shot frames");

  if (chatframe::fuzzing::starves(p, starve)) {
    // Delimiters of 17 bytes or more, if the input says so.
    const std::vector<std::string> starved =
        long_delimiters ? chatframe::testing::lengthened(delimiters) : delimiters;
    if (const auto logs =
            chatframe::testing::run_starved<chatframe::multi_framer>(starved, chunks, p, starve);
        logs.engine != logs.model)
      fail("with memory running out, events differ from the model's");
    const program q = chatframe::testing::first_delimiters(p);
    if (const auto logs = chatframe::testing::run_starved<chatframe::framer>({starved.front()},
                                                                             chunks, q, starve);
        logs.engine != logs.model)
      fail("with memory running out, framer's events differ from the model's");
  }

  if (delimiters.size() == 1) {
    const program q = chatframe::testing::first_delimiters(p);
    chatframe::framer single;
    if (chatframe::testing::set_delimiters(single, delimiters) != errc::ok) fail("framer refused");
    if (run(single, chunks, q, longest) != engine_log(delimiters, q))
      fail("single-delimiter events differ from framer's under the callback program");
  }
  return 0;
}
