// fuzz/framer.cc — split invariance of chatframe::framer under a terminator program.
//
// Input: a terminator program (the first entry is set up front, entry k+1 is
// set inside the k-th on_found), a second one set inside on_collect() calls,
// two chunkings and a stream. Oracles:
//   * the frames (bytes joined between found events), the unterminated tail
//     and held() are the same fed one-shot, with chunking A and with chunking B;
//   * with a fixed program (one terminator, re-set after every found) they equal
//     a naive split: std::string::find for a delimiter, n-byte slices for a count;
//   * after every feed, held() is shorter than the current delimiter;
//   * every `fresh` view lies inside the chunk being fed; feed() from a callback
//     is refused with errc::reentrant_feed;
//   * with the on_collect() program as well (which makes the events depend on
//     the chunking, as in CPython), chunking A gives the same frames, held
//     bytes and feed() errors through both kinds of handler below.
// Chunking B is fed through a handler whose callbacks are noexcept, the
// others through one whose callbacks may throw: the framer keeps less
// bookkeeping for the first, and both must frame alike. Between chunks of B
// the framer is moved out and back, or copied and assigned back: a move or
// copy that lost any state would change the frames, and the object moved
// from must be a new framer.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "chatframe/framer.hpp"

namespace {

using chatframe::terminator;

constexpr char kAlphabet[] = {'a', 'b', '\r', '\n', '\0'};

void fail(const char* what) {
  std::fprintf(stderr, "framer oracle violated: %s\n", what);
  std::abort();
}

terminator decode_terminator(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange(0, 3)) {
    case 0: return terminator::none();
    case 1: return terminator::count(in.ConsumeIntegralInRange<std::int64_t>(0, 64));
    default: {
      std::string d(in.ConsumeIntegralInRange<std::size_t>(0, 8), 'a');
      for (char& c : d)
        c = kAlphabet[in.ConsumeIntegralInRange<std::size_t>(0, sizeof kAlphabet - 1)];
      return terminator::bytes(d);
    }
  }
}

struct outcome {
  std::vector<std::string> frames;
  std::string tail;    // collected after the last found
  std::string held;    // held back at the end
  std::string errors;  // feed() errors, one letter each, in order
  bool operator==(const outcome&) const = default;
};

template <bool kNoexcept>
struct recorder {
  chatframe::framer& f;
  const std::vector<terminator>& program;
  bool fixed;
  std::string_view chunk;  // the chunk being fed
  outcome out;
  std::size_t found = 0;
  // Entry k is set inside the k-th on_collect() (none when empty).
  const std::vector<terminator>* collect_program = nullptr;
  std::size_t collects = 0;

  void on_collect(const chatframe::collected& d) noexcept(kNoexcept) {
    if (!d.fresh.empty() && (d.fresh.data() < chunk.data() ||
                             d.fresh.data() + d.fresh.size() > chunk.data() + chunk.size()))
      fail("fresh view outside the chunk being fed");
    recorder other{f, program, fixed, {}, {}, 0};
    const auto r = f.feed("x", other);
    if (r.error != chatframe::errc::reentrant_feed || r.consumed != 0)
      fail("reentrant feed accepted");
    d.append_to(out.tail);
    if (collect_program != nullptr && collects < collect_program->size() &&
        f.set_terminator((*collect_program)[collects]) != chatframe::errc::ok)
      fail("set_terminator refused");
    ++collects;
  }
  void on_found() noexcept(kNoexcept) {
    out.frames.push_back(std::move(out.tail));
    out.tail.clear();
    ++found;
    const std::size_t k = fixed ? 0 : found;
    if (k < program.size() && f.set_terminator(program[k]) != chatframe::errc::ok)
      fail("set_terminator refused");
  }
};

template <bool kNoexcept>
outcome run(const std::vector<terminator>& program, bool fixed, std::string_view stream,
            const std::string& sizes, const std::vector<terminator>* collect_program = nullptr) {
  chatframe::framer f;
  if (f.set_terminator(program[0]) != chatframe::errc::ok) fail("set_terminator refused");
  recorder<kNoexcept> r{f, program, fixed, {}, {}, 0};
  r.collect_program = collect_program;
  std::size_t pos = 0;
  for (std::size_t i = 0; pos < stream.size(); ++i) {
    const std::size_t n =
        sizes.empty() ? stream.size() : static_cast<unsigned char>(sizes[i % sizes.size()]) % 40;
    r.chunk = stream.substr(pos, n);
    const chatframe::feed_result fed = f.feed(r.chunk, r);
    if (fed.consumed != r.chunk.size()) fail("feed consumed less than the chunk");
    if (fed.error != chatframe::errc::ok) {
      if (collect_program == nullptr) fail("feed failed without terminators set in on_collect()");
      r.out.errors += static_cast<char>('a' + static_cast<int>(fed.error));
    }
    pos += r.chunk.size();
    if constexpr (kNoexcept) {
      if (i % 2 == 0) {
        chatframe::framer moved(std::move(f));
        // NOLINTNEXTLINE(bugprone-use-after-move): the moved-from state is checked
        if (!f.held().empty() || f.get_terminator() != terminator())
          fail("a framer moved from is not a new one");
        f = std::move(moved);
      } else {
        const chatframe::framer copy = f;
        f = chatframe::framer();
        f = copy;
      }
    }
    // A delimiter set inside on_collect() may be shorter than the held-back
    // bytes, which stay held as CPython keeps them in ac_in_buffer.
    if (collect_program != nullptr) continue;
    const terminator& t = f.get_terminator();
    const std::size_t limit = t.is_bytes() && !t.delimiter().empty() ? t.delimiter().size() - 1 : 0;
    if (f.held().size() > limit) fail("held() longer than the delimiter minus one");
  }
  r.out.held = std::string(f.held());
  return std::move(r.out);
}

outcome naive(const terminator& t, const std::string& s) {
  outcome o;
  std::size_t pos = 0;
  if (t.is_bytes() && !t.delimiter().empty()) {
    const std::string d(t.delimiter());
    for (std::size_t at; (at = s.find(d, pos)) != std::string::npos; pos = at + d.size())
      o.frames.push_back(s.substr(pos, at - pos));
  } else if (t.is_count() && t.byte_count() > 0) {
    const auto n = static_cast<std::size_t>(t.byte_count());
    for (; s.size() - pos >= n; pos += n) o.frames.push_back(s.substr(pos, n));
  }
  o.tail = s.substr(pos);
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const bool fixed = in.ConsumeBool();
  const bool small_alphabet = in.ConsumeBool();
  std::vector<terminator> program;
  const std::size_t length = fixed ? 1 : in.ConsumeIntegralInRange<std::size_t>(1, 8);
  while (program.size() < length) program.push_back(decode_terminator(in));
  std::vector<terminator> collect_program;
  if (!fixed) {
    const std::size_t n = in.ConsumeIntegralInRange<std::size_t>(0, 6);
    while (collect_program.size() < n) collect_program.push_back(decode_terminator(in));
  }
  std::string sizes_a = in.ConsumeRandomLengthString(16);
  std::string sizes_b = in.ConsumeRandomLengthString(16);
  // A chunking of only zero sizes would never progress: make it one byte at a time.
  for (std::string* s : {&sizes_a, &sizes_b})
    if (s->find_first_not_of(std::string_view("\0\x28\x50\x78\xa0\xc8\xf0", 7)) ==
        std::string::npos)
      *s = "\1";
  std::string stream = in.ConsumeRemainingBytesAsString();
  if (small_alphabet)
    for (char& c : stream) c = kAlphabet[static_cast<unsigned char>(c) % sizeof kAlphabet];

  const outcome whole = run<false>(program, fixed, stream, "");
  if (run<false>(program, fixed, stream, sizes_a) != whole)
    fail("chunking A frames differ from one-shot");
  if (run<true>(program, fixed, stream, sizes_b) != whole)
    fail("chunking B frames differ from one-shot");
  if (!fixed && !collect_program.empty()) {
    // Terminators set inside on_collect() too: what CPython then does depends
    // on the chunking (asynchat.py:153 counts down by the bytes collected), so
    // the oracle is only that both kinds of handler frame one chunking alike.
    if (run<true>(program, false, stream, sizes_a, &collect_program) !=
        run<false>(program, false, stream, sizes_a, &collect_program))
      fail("with on_collect() changes, noexcept and throwing handlers frame differently");
  }
  if (fixed) {
    outcome ref = naive(program[0], stream);
    outcome got = whole;
    got.tail += got.held;  // the naive split does not hold anything back
    got.held.clear();
    if (got != ref) fail("frames differ from the naive split");
  }
  return 0;
}
