// chatframe-replay — replays a conformance scenario through chatframe and
// prints the trace (the format cpython_replay.py prints for CPython).
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>

#include "chatframe/conformance/replay.hpp"
#include "chatframe/conformance/scenario.hpp"
#include "chatframe_tools/cli.hpp"

namespace cf = chatframe::conformance;

namespace {

constexpr const char* footer =
    "\nPrints the trace of SCENARIO (stdin for -) as JSON lines; with --batch, reads one\n"
    "scenario per line from stdin and prints {\"end\":N} after each trace (an invalid\n"
    "scenario prints {\"invalid\":\"message\"} instead of a trace).\n"
    "Exit status: 0 ok, 1 traces differ, 2 invalid scenario, unreadable file or usage.";

// The file's bytes (stdin for "-"); false with `error` saying why in words.
bool read_all(const std::string& path, std::string& out, std::string& error) {
  if (path == "-") {
    out.assign(std::istreambuf_iterator<char>(std::cin), {});
    return true;
  }
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (in) out.assign(std::istreambuf_iterator<char>(in), {});
  if (!in || in.bad()) {
    error = errno != 0 ? std::strerror(errno) : "read error";
    return false;
  }
  return true;
}

std::string json_escape(const std::string& s) {
  std::string out;
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string level = "exact", mode = "single", compare, path;
  bool batch = false;
  CLI::App app{"Replays a conformance scenario through chatframe and prints its trace.",
               "chatframe-replay"};
  app.footer(footer);
  app.add_option("SCENARIO", path, "a scenario file (JSON), or - for stdin");
  app.add_option("--level", level,
                 "frame: join consecutive collect events and consecutive sends (the level at "
                 "which a mode that splits them differently is compared)")
      ->check(CLI::IsMember({"exact", "frame"}))
      ->capture_default_str();
  app.add_option("--send", mode,
                 "gather: drain with outbox::gather() (writev-style) instead of one slice per "
                 "send")
      ->check(CLI::IsMember({"single", "gather"}))
      ->capture_default_str();
  CLI::Option* compare_opt =
      app.add_option("--compare", compare,
                     "compare with a trace file at the chosen level; exit 1 and show the first "
                     "difference when they differ")
          ->type_name("TRACE");
  app.add_flag("--batch", batch, "read one scenario per line from stdin (no SCENARIO)")
      ->excludes(compare_opt);
  if (const auto status = chatframe_tools::parse(app, argc, argv)) return *status;
  if (batch && !path.empty())
    return chatframe_tools::usage_error(
        app, "--batch reads stdin: SCENARIO '" + path + "' is not expected with it");
  if (!batch && path.empty())
    return chatframe_tools::usage_error(app, "a SCENARIO (or --batch) is required");
  const cf::send_mode send = mode == "gather" ? cf::send_mode::gather : cf::send_mode::single;
  auto trace_of = [&](const cf::scenario& s) {
    auto events = cf::replay(s, send);
    return level == "frame" ? cf::frame_level(events) : events;
  };

  if (batch) {
    std::string line;
    std::size_t n = 0;
    while (std::getline(std::cin, line)) {
      if (line.empty()) continue;
      const cf::parse_result parsed = cf::parse_scenario(line);
      if (parsed.value) {
        std::fputs(cf::format_trace(trace_of(*parsed.value)).c_str(), stdout);
      } else {
        std::printf("{\"invalid\":\"%s\"}\n", json_escape(parsed.error).c_str());
      }
      std::printf("{\"end\":%zu}\n", n++);
    }
    return 0;
  }

  std::string text, error;
  if (!read_all(path, text, error)) {
    std::fprintf(stderr, "chatframe-replay: cannot read %s: %s\n", path.c_str(), error.c_str());
    return 2;
  }
  const cf::parse_result parsed = cf::parse_scenario(text);
  if (!parsed.value) {
    std::fprintf(stderr, "chatframe-replay: invalid scenario %s: %s\n", path.c_str(),
                 parsed.error.c_str());
    return 2;
  }
  const std::vector<cf::event> ours = trace_of(*parsed.value);
  if (compare.empty()) {
    std::fputs(cf::format_trace(ours).c_str(), stdout);
    return 0;
  }
  std::string golden_text;
  std::vector<cf::event> golden;
  if (!read_all(compare, golden_text, error) || !cf::parse_trace(golden_text, golden, error)) {
    std::fprintf(stderr, "chatframe-replay: cannot read trace %s: %s\n", compare.c_str(),
                 error.c_str());
    return 2;
  }
  if (level == "frame") golden = cf::frame_level(golden);
  if (golden == ours) {
    std::printf("same at the %s level (%zu events)\n", level.c_str(), ours.size());
    return 0;
  }
  std::size_t i = 0;
  while (i < golden.size() && i < ours.size() && golden[i] == ours[i]) ++i;
  const std::string g = i < golden.size() ? cf::format_trace({golden[i]}) : "(end of trace)\n";
  const std::string o = i < ours.size() ? cf::format_trace({ours[i]}) : "(end of trace)\n";
  std::printf("traces differ at event %zu (level %s)\n  expected: %s  chatframe: %s", i,
              level.c_str(), g.c_str(), o.c_str());
  return 1;
}
