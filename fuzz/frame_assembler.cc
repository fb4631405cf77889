// fuzz/frame_assembler.cc — chatframe::frame_assembler against its reference model.
//
// Input: a mode byte, the assembler's options (limit, resync or close, the
// end-of-stream policy), a chunking and a stream; then
//   * mode delimiters: 1..4 delimiters and a sink program (what the i-th
//     on_frame() and the i-th on_limit() do to the multi_framer under the
//     assembler: nothing, set new delimiters, discard(), or throw);
//   * mode records: length-prefixed records, a one-byte header then that
//     many bytes (mod 16), whose counts the sink sets through the assembler
//     (so counts over the limit are refused and reported) over a framer.
// Oracle: every sink call (frames with their which, limit reports with code,
// bytes and limit, partial frames at the end), held() after every feed and
// failed() at the end equal those of the reference model
// (framing/tests/reference_model.hpp: a std::string per frame, never a view,
// over the reference multi_framer in mode delimiters and over a framer in
// mode records).
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "callback_program.hpp"
#include "chatframe/frame_assembler.hpp"
#include "chatframe/framer.hpp"
#include "chatframe/multi_framer.hpp"
#include "reference_model.hpp"

namespace {

using chatframe::errc;
using chatframe::testing::action;
using chatframe::testing::program;
using chatframe::testing::reference_frame_assembler;

constexpr char kAlphabet[] = {'a', 'b', '\r', '\n', ';'};

void fail(const char* what) {
  std::fprintf(stderr, "frame_assembler oracle violated: %s\n", what);
  std::abort();
}

std::string letters(FuzzedDataProvider& in, std::size_t most) {
  std::string s(in.ConsumeIntegralInRange<std::size_t>(1, most), 'a');
  for (char& c : s) c = kAlphabet[in.ConsumeIntegralInRange<std::size_t>(0, sizeof kAlphabet - 1)];
  return s;
}

std::vector<action> actions(FuzzedDataProvider& in) {
  std::vector<action> out(in.ConsumeIntegralInRange<std::size_t>(0, 8));
  for (action& a : out) {
    const int pick = in.ConsumeIntegralInRange(0, 9);
    if (pick >= 6 && pick <= 7) {
      a.what = action::kind::set;
      a.delimiters.resize(in.ConsumeIntegralInRange<std::size_t>(1, 3));
      for (std::string& d : a.delimiters) d = letters(in, 3);
    } else if (pick == 8) {
      a.what = action::kind::discard;
    } else if (pick == 9) {
      a.what = action::kind::raise;
    }
  }
  return out;
}

void whole(const chatframe::feed_result& r, std::size_t size) {
  if (r.error != errc::ok || r.consumed != size) fail("feed did not take the whole chunk");
}

template <class Framer, template <class> class Assembler>
std::string with_delimiters(const std::vector<std::string>& delimiters, const program& p,
                            const std::vector<std::string>& chunks,
                            const chatframe::assembler_options& options,
                            chatframe::eof_policy policy) {
  Framer f;
  if (chatframe::testing::set_delimiters(f, delimiters) != errc::ok) fail("delimiters refused");
  chatframe::testing::programmed_sink<Framer> sink{f, p};
  Assembler<chatframe::testing::programmed_sink<Framer>> a(sink, options);
  return chatframe::testing::assembled(f, a, sink.log, chunks, policy, whole);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const bool record_mode = in.ConsumeBool();
  chatframe::assembler_options options;
  options.max_frame_size = in.ConsumeIntegralInRange<std::size_t>(1, 24);
  options.on_limit =
      in.ConsumeBool() ? chatframe::limit_action::close : chatframe::limit_action::resync;
  const auto policy = static_cast<chatframe::eof_policy>(in.ConsumeIntegralInRange(0, 3));
  std::vector<std::string> delimiters(in.ConsumeIntegralInRange<std::size_t>(1, 4));
  for (std::string& d : delimiters) d = letters(in, 4);
  program p;
  p.in_first = actions(in);
  p.in_second = actions(in);
  std::vector<std::size_t> sizes(in.ConsumeIntegralInRange<std::size_t>(0, 16));
  for (std::size_t& n : sizes) n = in.ConsumeIntegralInRange<std::size_t>(0, 40);
  std::string stream = in.ConsumeRemainingBytesAsString();
  const std::vector<std::string> chunks = chatframe::testing::chunks_of(stream, sizes);

  if (record_mode) {
    if (chatframe::testing::records<false>(chunks, options, policy, whole) !=
        chatframe::testing::records<true>(chunks, options, policy, whole))
      fail("record frames differ from the reference model's");
    return 0;
  }
  for (char& c : stream) c = kAlphabet[static_cast<unsigned char>(c) % sizeof kAlphabet];
  const std::vector<std::string> letter_chunks = chatframe::testing::chunks_of(stream, sizes);
  const std::string engine = with_delimiters<chatframe::multi_framer, chatframe::frame_assembler>(
      delimiters, p, letter_chunks, options, policy);
  const std::string model =
      with_delimiters<chatframe::testing::reference_multi_framer, reference_frame_assembler>(
          delimiters, p, letter_chunks, options, policy);
  if (engine != model) fail("frames differ from the reference model's under the sink program");
  return 0;
}
