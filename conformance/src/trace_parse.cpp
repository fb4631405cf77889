#include <nlohmann/json.hpp>

#include "chatframe/conformance/replay.hpp"
#include "excerpt.hpp"

namespace chatframe::conformance {

namespace {
bool unhex(const std::string& s, std::string& out) {
  if (s.size() % 2 != 0) return false;
  out.assign(s.size() / 2, '\0');
  for (std::size_t i = 0; i < out.size(); ++i) {
    int v = 0;
    for (int j = 0; j < 2; ++j) {
      const char c = s[2 * i + static_cast<std::size_t>(j)];
      const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (d < 0) return false;
      v = v * 16 + d;
    }
    out[i] = static_cast<char>(v);
  }
  return true;
}
}  // namespace

bool parse_trace(std::string_view text, std::vector<event>& out, std::string& error) {
  using json = nlohmann::json;
  out.clear();
  std::size_t line_no = 0;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_no;
    if (line.empty()) continue;
    const json j = json::parse(line.begin(), line.end(), nullptr, false);
    const auto bad = [&] {
      error = "line " + std::to_string(line_no) + ": not a trace event: " + detail::excerpt(line);
      return false;
    };
    if (j.is_discarded() || !j.is_object() || j.empty()) return bad();
    event e;
    const std::string key = j.begin().key();
    if (key == "recv" || key == "collect" || key == "send") {
      if (!j[key].is_string() || !unhex(j[key].get<std::string>(), e.data)) return bad();
      e.type = key == "recv"      ? event::kind::recv
               : key == "collect" ? event::kind::collect
                                  : event::kind::send;
      if (e.type == event::kind::send) {
        if (!j.contains("sent") || !j["sent"].is_number_unsigned()) return bad();
        e.sent = j["sent"].get<std::uint64_t>();
      }
    } else if (key == "found") {
      e.type = event::kind::found;
    } else if (key == "close") {
      e.type = event::kind::close;
    } else if (key == "error") {
      if (!j[key].is_string()) return bad();
      e.type = event::kind::error;
      e.data = j[key].get<std::string>();
    } else {
      return bad();
    }
    out.push_back(std::move(e));
  }
  return true;
}

}  // namespace chatframe::conformance
