// fuzz/scenario.cc — conformance::parse_scenario and replay on arbitrary bytes.
//
// Raw bytes are parsed as a scenario. Oracles: invalid input gives a non-empty
// error and no scenario; a valid one replays in both send modes without a
// crash or a hang; each trace survives format_trace -> parse_trace; and when
// the scenario has no send_caps (every send accepts everything) the single and
// gather traces agree at frame level. Scenarios with more than 64 KiB of recv
// bytes or 10000 actions are skipped to bound the work per input.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "chatframe/conformance/replay.hpp"
#include "chatframe/conformance/scenario.hpp"

namespace {

namespace cf = chatframe::conformance;

void fail(const char* what, std::string_view input) {
  std::fprintf(stderr, "scenario oracle violated: %s\ninput: %.*s\n", what,
               static_cast<int>(input.size()), input.data());
  std::abort();
}

bool too_big(const cf::scenario& s) {
  std::size_t recv = 0;
  for (const std::string& chunk : s.recv) recv += chunk.size();
  std::size_t actions = s.start.size();
  for (const auto& list : s.on_found) actions += list.size();
  for (const auto& list : s.on_collect) actions += list.size();
  return recv > 64 * 1024 || actions > 10000;
}

void check_roundtrip(const std::vector<cf::event>& trace, std::string_view input) {
  std::vector<cf::event> back;
  std::string error;
  if (!cf::parse_trace(cf::format_trace(trace), back, error))
    fail("parse_trace refused format_trace's text", input);
  if (back != trace) fail("format_trace -> parse_trace changed the trace", input);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const cf::parse_result parsed = cf::parse_scenario(input);
  if (!parsed.value) {
    if (parsed.error.empty()) fail("refused without an error message", input);
    return 0;
  }
  if (!parsed.error.empty()) fail("a scenario and an error", input);
  const cf::scenario& s = *parsed.value;
  if (too_big(s)) return 0;
  const std::vector<cf::event> single = cf::replay(s, cf::send_mode::single);
  const std::vector<cf::event> gather = cf::replay(s, cf::send_mode::gather);
  check_roundtrip(single, input);
  check_roundtrip(gather, input);
  if (s.send_caps.empty() && cf::frame_level(single) != cf::frame_level(gather)) {
    std::fprintf(stderr, "single:\n%s\ngather:\n%s\n", cf::format_trace(single).c_str(),
                 cf::format_trace(gather).c_str());
    fail("single and gather differ at frame level", input);
  }
  return 0;
}
