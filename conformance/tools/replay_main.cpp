// chatframe-replay — replays a conformance scenario through chatframe and
// prints the trace (the format cpython_replay.py prints for CPython).
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>

#include "chatframe/conformance/replay.hpp"
#include "chatframe/conformance/scenario.hpp"

namespace cf = chatframe::conformance;

namespace {

constexpr const char* usage =
    "usage: chatframe-replay [--level exact|frame] [--send single|gather] [--compare TRACE] "
    "SCENARIO.json|-\n"
    "       chatframe-replay --batch [--level exact|frame] [--send single|gather] < "
    "scenarios.jsonl\n"
    "\n"
    "Prints the trace of SCENARIO (stdin for -) as JSON lines.\n"
    "  --level frame   join consecutive collect events and consecutive sends\n"
    "                  (the level at which a mode that splits them differently is compared)\n"
    "  --send gather   drain with outbox::gather() (writev-style) instead of one slice per send\n"
    "  --compare TRACE compare with a trace file at the chosen level; exit 1 and show the\n"
    "                  first difference when they differ\n"
    "  --batch         read one scenario per line from stdin; after each trace print {\"end\":N}\n"
    "                  (an invalid scenario prints {\"invalid\":\"message\"} instead of a trace)\n"
    "Exit status: 0 ok, 1 traces differ, 2 invalid scenario or usage.\n";

bool read_all(const std::string& path, std::string& out) {
  if (path == "-") {
    out.assign(std::istreambuf_iterator<char>(std::cin), {});
    return true;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), {});
  return !in.bad();
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
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if ((a == "--level" || a == "--send" || a == "--compare") && i + 1 < argc) {
      (a == "--level" ? level : a == "--send" ? mode : compare) = argv[++i];
    } else if (a == "--batch") {
      batch = true;
    } else if (a == "-h" || a == "--help") {
      std::fputs(usage, stdout);
      return 0;
    } else if (path.empty() && (a == "-" || a[0] != '-')) {
      path = a;
    } else {
      std::fprintf(stderr, "chatframe-replay: unexpected argument '%s'\n%s", a.c_str(), usage);
      return 2;
    }
  }
  if ((level != "exact" && level != "frame") || (mode != "single" && mode != "gather") ||
      (batch == !path.empty()) || (batch && !compare.empty())) {
    std::fputs(usage, stderr);
    return 2;
  }
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

  std::string text;
  if (!read_all(path, text)) {
    std::fprintf(stderr, "chatframe-replay: cannot read %s\n", path.c_str());
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
  std::string golden_text, error;
  std::vector<cf::event> golden;
  if (!read_all(compare, golden_text) || !cf::parse_trace(golden_text, golden, error)) {
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
