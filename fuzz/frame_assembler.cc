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
// mode records). In mode delimiters, also with memory running out at the
// throws and the feeds' ends the input marks
// (framing/tests/starving_program.hpp: the target replaces operator new),
// over multi_framer and over framer: the frames the framer's lost bytes cut
// and those the assembler could not copy are dropped and reported as the
// model's are.
#include <fuzzer/FuzzedDataProvider.h>

#include <string>
#include <string_view>
#include <vector>

#include "callback_program.hpp"
#include "chatframe/frame_assembler.hpp"
#include "chatframe/framer.hpp"
#include "chatframe/multi_framer.hpp"
#include "fuzz_program.hpp"
#include "limited_allocator_operators.hpp"
#include "reference_model.hpp"

namespace {

using chatframe::errc;
using chatframe::testing::program;
using chatframe::testing::reference_frame_assembler;

constexpr char kAlphabet[] = {'a', 'b', '\r', '\n', ';'};

constexpr std::string_view kLetters(kAlphabet, sizeof kAlphabet);

[[noreturn]] void fail(const char* what) { chatframe::fuzzing::fail("frame_assembler", what); }

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
  chatframe::testing::programmed_sink<Framer> sink{{f, p}};
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
  for (std::string& d : delimiters) d = chatframe::fuzzing::letters(in, kLetters, 4);
  const program p = chatframe::fuzzing::program(in, kLetters, 8, 3);
  const std::vector<std::size_t> sizes = chatframe::fuzzing::chunk_sizes(in);
  const chatframe::testing::starvation starve = chatframe::fuzzing::starvation(in, 8);
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

  if (chatframe::fuzzing::starves(p, starve)) {
    // A limit 24 bytes higher: frames of 16 bytes or more need memory to be
    // copied (shorter ones fit in std::string's own storage).
    chatframe::assembler_options roomier = options;
    roomier.max_frame_size += 24;
    if (const auto logs = chatframe::testing::run_starved_assembled<chatframe::multi_framer>(
            delimiters, letter_chunks, p, starve, roomier, policy);
        logs.engine != logs.model)
      fail("with memory running out, frames differ from the model's");
    if (const auto logs = chatframe::testing::run_starved_assembled<chatframe::framer>(
            {delimiters.front()}, letter_chunks, chatframe::testing::first_delimiters(p), starve,
            roomier, policy);
        logs.engine != logs.model)
      fail("with memory running out, frames over framer differ from the model's");
  }
  return 0;
}
