#include <nlohmann/json.hpp>
#include <utility>

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
    if (j.is_discarded() || !j.is_object()) return bad();
    // The event's kind is the one kind key the line has (not the first key:
    // nlohmann sorts keys), and the line has no key its kind does not use.
    static constexpr std::pair<const char*, event::kind> kinds[] = {
        {"recv", event::kind::recv},   {"collect", event::kind::collect},
        {"found", event::kind::found}, {"send", event::kind::send},
        {"close", event::kind::close}, {"error", event::kind::error}};
    const char* key = nullptr;
    event e;
    for (const auto& [name, kind] : kinds) {
      if (!j.contains(name)) continue;
      if (key != nullptr) return bad();
      key = name;
      e.type = kind;
    }
    const std::size_t keys = e.type == event::kind::send ? 2 : 1;
    if (key == nullptr || j.size() != keys) return bad();
    const json& v = j[key];
    switch (e.type) {
      case event::kind::recv:
      case event::kind::collect:
      case event::kind::send:
        if (!v.is_string() || !unhex(v.get<std::string>(), e.data)) return bad();
        if (e.type == event::kind::send) {
          if (!j.contains("sent") || !j["sent"].is_number_unsigned()) return bad();
          e.sent = j["sent"].get<std::uint64_t>();
        }
        break;
      case event::kind::found:
      case event::kind::close:
        if (!v.is_number_unsigned()) return bad();
        e.value = v.get<std::uint64_t>();
        break;
      case event::kind::error:
        if (!v.is_string()) return bad();
        e.data = v.get<std::string>();
        break;
    }
    out.push_back(std::move(e));
  }
  return true;
}

}  // namespace chatframe::conformance
