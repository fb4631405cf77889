// fuzz/multi_framer.cc — chatframe::multi_framer against a naive reference.
//
// Input: 1..6 delimiters over a small alphabet, a chunking and a stream.
// Oracles:
//   * frames (bytes between found events, with which delimiter ended each),
//     the unterminated tail and held() equal the obviously-correct reference
//     (at each byte: does some delimiter end here? earliest end, then longest)
//     fed one-shot and fed with the fuzzed chunking;
//   * held() is shorter than the longest delimiter after every feed;
//   * with a single delimiter, the events equal chatframe::framer's exactly
//     (every collect boundary), so the extension never changes asynchat's
//     behaviour when it is not used for more than it does;
//   * frame_assembler over the same chunking with a fuzzed size limit gives
//     exactly the reference frames that fit the limit (each whole, with its
//     delimiter index) and one frame_too_large report per frame that does not.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "chatframe/frame_assembler.hpp"
#include "chatframe/framer.hpp"
#include "chatframe/multi_framer.hpp"

namespace {

// Six letters, so that up to six delimiters can all end in different bytes:
// the search compares each 16-byte block with every distinct last byte.
constexpr char kAlphabet[] = {'a', 'b', '\r', '\n', ';', '\0'};

void fail(const char* what) {
  std::fprintf(stderr, "multi_framer oracle violated: %s\n", what);
  std::abort();
}

struct result {
  std::vector<std::pair<std::string, std::size_t>> frames;
  std::string tail;
  std::string log;  // every event, for the exact comparison with framer
  bool operator==(const result& o) const { return frames == o.frames && tail == o.tail; }
};

struct collector {
  result r;
  void on_collect(const chatframe::collected& d) {
    d.append_to(r.tail);
    r.log += "C" + d.str() + "|";
  }
  void on_found(std::size_t which) {
    r.frames.emplace_back(r.tail, which);
    r.tail.clear();
    r.log += "F|";
  }
  void on_found() { on_found(0); }
};

result reference(const std::vector<std::string>& delims, const std::string& s) {
  result out;
  std::size_t from = 0;
  for (std::size_t e = 0; e < s.size(); ++e) {
    std::size_t best = delims.size();
    for (std::size_t i = 0; i < delims.size(); ++i) {
      const std::string& d = delims[i];
      if (d.size() > e + 1 - from || s.compare(e + 1 - d.size(), d.size(), d) != 0) continue;
      if (best == delims.size() || d.size() > delims[best].size()) best = i;
    }
    if (best != delims.size()) {
      out.frames.emplace_back(s.substr(from, e + 1 - delims[best].size() - from), best);
      from = e + 1;
    }
  }
  out.tail = s.substr(from);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  std::vector<std::string> delims(in.ConsumeIntegralInRange<std::size_t>(1, 6));
  std::size_t longest = 0;
  for (std::string& d : delims) {
    d.resize(in.ConsumeIntegralInRange<std::size_t>(1, 6));
    for (char& c : d)
      c = kAlphabet[in.ConsumeIntegralInRange<std::size_t>(0, sizeof kAlphabet - 1)];
    longest = d.size() > longest ? d.size() : longest;
  }
  std::vector<std::size_t> cuts(in.ConsumeIntegralInRange<std::size_t>(0, 16));
  for (std::size_t& c : cuts) c = in.ConsumeIntegralInRange<std::size_t>(0, 40);
  std::string stream = in.ConsumeRemainingBytesAsString();
  for (char& c : stream) c = kAlphabet[static_cast<unsigned char>(c) % sizeof kAlphabet];

  const std::vector<std::string_view> views(delims.begin(), delims.end());
  const result expected = reference(delims, stream);

  auto run = [&](bool chunked) {
    chatframe::multi_framer f;
    if (f.set_delimiters(views) != chatframe::errc::ok) fail("valid delimiters refused");
    collector c;
    std::size_t pos = 0, i = 0;
    while (pos < stream.size() || (pos == 0 && stream.empty())) {
      const std::size_t n = chunked && !cuts.empty() ? 1 + cuts[i++ % cuts.size()] : stream.size();
      const std::string chunk = stream.substr(pos, n);  // own copy: views must not outlive it
      if (f.feed(chunk, c).consumed != chunk.size()) fail("feed did not consume the chunk");
      if (f.held().size() >= longest) fail("held back a whole delimiter or more");
      pos += chunk.size();
      if (stream.empty()) break;
    }
    c.r.tail += std::string(f.held());
    return c.r;
  };
  const result whole = run(false);
  if (!(whole == expected)) fail("one-shot frames differ from the reference");
  const result chunked = run(true);
  if (!(chunked == expected)) fail("chunked frames differ from the reference");

  {
    struct sink {
      std::vector<std::pair<std::string, std::size_t>> frames;
      std::size_t too_large = 0;
      void on_frame(std::string_view f, std::size_t which) {
        frames.emplace_back(std::string(f), which);
      }
      void on_limit(const chatframe::frame_error& e) {
        if (e.code != chatframe::errc::frame_too_large) fail("unexpected limit error");
        ++too_large;
      }
    } out;
    const std::size_t limit = 1 + (cuts.empty() ? 7 : cuts[0] % 24);
    chatframe::multi_framer f;
    if (f.set_delimiters(views) != chatframe::errc::ok) fail("valid delimiters refused");
    chatframe::frame_assembler a(out, {.max_frame_size = limit});
    std::size_t pos = 0, i = 0;
    while (pos < stream.size()) {
      const std::size_t n = cuts.empty() ? stream.size() : 1 + cuts[i++ % cuts.size()];
      const std::string chunk = stream.substr(pos, n);
      (void)a.feed(f, chunk);
      pos += chunk.size();
    }
    std::vector<std::pair<std::string, std::size_t>> fitting;
    std::size_t oversized = 0;
    for (const auto& fr : expected.frames) {
      if (fr.first.size() <= limit) {
        fitting.push_back(fr);
      } else {
        ++oversized;
      }
    }
    if (out.frames != fitting)
      fail("assembled frames differ from the reference frames within the limit");
    // The unfinished tail may also have outgrown the limit.
    if (out.too_large != oversized && out.too_large != oversized + 1)
      fail("limit reports do not match");
  }

  if (delims.size() == 1) {
    chatframe::framer single;
    if (single.set_terminator(chatframe::terminator::bytes(delims[0])) != chatframe::errc::ok)
      fail("framer refused");
    collector c;
    (void)single.feed(stream, c);
    if (c.r.log != whole.log) fail("single-delimiter events differ from framer's");
  }
  return 0;
}
