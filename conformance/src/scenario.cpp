#include "chatframe/conformance/scenario.hpp"

#include "excerpt.hpp"

#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace chatframe::conformance {
namespace {

using json = nlohmann::json;

struct bad_scenario {
  std::string message;
};

[[noreturn]] void fail(const std::string& where, const std::string& what) {
  throw bad_scenario{where + ": " + what};
}

std::string shown(const json& v) { return detail::excerpt(v.dump()); }

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::string hex_bytes(const json& v, const std::string& where) {
  if (!v.is_string()) fail(where, "expected a lowercase hex string, got " + shown(v));
  const auto& s = v.get_ref<const std::string&>();
  if (s.size() % 2 != 0) fail(where, "hex string has an odd number of digits");
  std::string out(s.size() / 2, '\0');
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = hex_digit(s[2 * i]);
    const int lo = hex_digit(s[2 * i + 1]);
    if (hi < 0 || lo < 0) fail(where, "expected lowercase hex digits, got " + shown(v));
    out[i] = static_cast<char>(hi * 16 + lo);
  }
  return out;
}

// JSON integers only (no booleans, no 5.0). Python's json reads integers of
// any size, and cpython_replay.py accepts them; here they saturate at the
// int64 range (see scenario_sax). Every count, size and cap in a scenario is
// a number of bytes, and none of its streams comes near 2^63 of them, so a
// saturated value makes the same trace as CPython's exact one.
std::int64_t integer(const json& v, const std::string& where) {
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    constexpr auto most = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    return static_cast<std::int64_t>(u < most ? u : most);
  }
  if (v.is_number_integer()) return v.get<std::int64_t>();
  fail(where, "expected an integer, got " + shown(v));
}

std::uint64_t at_least(const json& v, std::int64_t min, const std::string& where) {
  const std::int64_t n = integer(v, where);
  if (n < min) fail(where, "expected an integer >= " + std::to_string(min) + ", got " + shown(v));
  return static_cast<std::uint64_t>(n);
}

term_spec terminator(const json& v, const std::string& where) {
  term_spec t;
  if (v.is_null()) return t;
  if (!v.is_object() || v.size() != 1)
    fail(where, R"(terminator must be null, {"bytes": HEX} or {"count": N}, got )" + shown(v));
  const auto first = v.begin();  // an iterator: items() proxies die with the full-expression
  const std::string& key = first.key();
  const json& val = first.value();
  if (key == "bytes") {
    t.type = term_spec::kind::bytes;
    t.bytes = hex_bytes(val, where + ".bytes");
  } else if (key == "count") {
    t.type = term_spec::kind::count;
    t.count = integer(val, where + ".count");  // negative is valid input: CPython raises
  } else {
    fail(where, "unknown terminator kind \"" + detail::excerpt(key) + "\"");
  }
  return t;
}

action parse_action(const json& a, const std::string& where) {
  if (!a.is_array() || a.empty() || !a[0].is_string())
    fail(where, "an action is a list starting with its name, got " + shown(a));
  const auto& name = a[0].get_ref<const std::string&>();
  const std::size_t args = a.size() - 1;
  auto arity = [&](std::size_t n) {
    if (args != n)
      fail(where,
           name + " takes " + std::to_string(n) + " argument(s), got " + std::to_string(args));
  };
  action out;
  if (name == "push") {
    arity(1);
    out.type = action::kind::push;
    out.data = hex_bytes(a[1], where + "[1]");
  } else if (name == "push_producer") {
    arity(2);
    out.type = action::kind::push_producer;
    out.data = hex_bytes(a[1], where + "[1]");
    out.number = at_least(a[2], 0, where + "[2]");
  } else if (name == "push_collected") {
    arity(0);
    out.type = action::kind::push_collected;
  } else if (name == "set_terminator") {
    arity(1);
    out.type = action::kind::set_terminator;
    out.term = terminator(a[1], where + "[1]");
  } else if (name == "close_when_done") {
    arity(0);
    out.type = action::kind::close_when_done;
  } else if (name == "discard_buffers") {
    arity(0);
    out.type = action::kind::discard_buffers;
  } else if (name == "set_out_buffer_size") {
    arity(1);
    out.type = action::kind::set_out_buffer_size;
    out.number = at_least(a[1], 1, where + "[1]");
  } else {
    fail(where, "unknown action \"" + detail::excerpt(name) + "\"");
  }
  return out;
}

std::vector<action> actions(const json& v, const std::string& where) {
  if (!v.is_array()) fail(where, "expected a list of actions, got " + shown(v));
  std::vector<action> out;
  out.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i)
    out.push_back(parse_action(v[i], where + "[" + std::to_string(i) + "]"));
  return out;
}

scenario build(const json& doc) {
  if (!doc.is_object()) fail("scenario", "expected a JSON object");
  static const char* const known[] = {
      "in_buffer_size", "out_buffer_size", "terminator", "start", "recv",
      "on_found",       "on_collect",      "send_caps",  "eof"};
  for (const auto& [key, val] : doc.items()) {
    bool ok = false;
    for (const char* k : known) ok = ok || key == k;
    if (!ok) fail("scenario", "unknown field \"" + detail::excerpt(key) + "\"");
  }
  scenario s;
  if (doc.contains("in_buffer_size"))
    s.in_buffer_size = at_least(doc["in_buffer_size"], 1, "in_buffer_size");
  if (doc.contains("out_buffer_size"))
    s.out_buffer_size = at_least(doc["out_buffer_size"], 1, "out_buffer_size");
  if (doc.contains("terminator")) s.terminator = terminator(doc["terminator"], "terminator");
  if (doc.contains("start")) s.start = actions(doc["start"], "start");
  if (doc.contains("recv")) {
    const json& r = doc["recv"];
    if (!r.is_array()) fail("recv", "expected a list of hex strings");
    for (std::size_t i = 0; i < r.size(); ++i) {
      const std::string where = "recv[" + std::to_string(i) + "]";
      std::string chunk = hex_bytes(r[i], where);
      if (chunk.size() > s.in_buffer_size)
        fail(where, std::to_string(chunk.size()) + " bytes exceed in_buffer_size " +
                        std::to_string(s.in_buffer_size));
      s.recv.push_back(std::move(chunk));
    }
  }
  for (const char* name : {"on_found", "on_collect"}) {
    if (!doc.contains(name)) continue;
    const json& lists = doc[name];
    if (!lists.is_array()) fail(name, "expected a list of action lists");
    auto& out = std::string_view(name) == "on_found" ? s.on_found : s.on_collect;
    for (std::size_t i = 0; i < lists.size(); ++i)
      out.push_back(actions(lists[i], std::string(name) + "[" + std::to_string(i) + "]"));
  }
  if (doc.contains("send_caps")) {
    const json& c = doc["send_caps"];
    if (!c.is_array()) fail("send_caps", "expected a list of integers");
    for (std::size_t i = 0; i < c.size(); ++i)
      s.send_caps.push_back(at_least(c[i], 0, "send_caps[" + std::to_string(i) + "]"));
  }
  if (doc.contains("eof")) {
    if (!doc["eof"].is_boolean()) fail("eof", "expected true or false, got " + shown(doc["eof"]));
    s.eof = doc["eof"].get<bool>();
  }
  return s;
}

// Builds the document json::parse() would, except for an integer literal
// beyond 64 bits: nlohmann makes it a double (so 2**70 would read as "not an
// integer"), Python keeps it an exact int. It stays an integer here,
// saturated: the largest uint64 or the smallest int64 (integer() then
// saturates to int64). A repeated key keeps its last value, as in Python.
class scenario_sax {
 public:
  explicit scenario_sax(json& root) : root_(root) {}

  bool null() { return put(nullptr); }
  bool boolean(bool v) { return put(v); }
  bool number_integer(json::number_integer_t v) { return put(v); }
  bool number_unsigned(json::number_unsigned_t v) { return put(v); }
  bool number_float(json::number_float_t v, const json::string_t& lexeme) {
    if (lexeme.find_first_of(".eE") != std::string::npos) return put(v);
    if (lexeme.front() == '-') return put(std::numeric_limits<json::number_integer_t>::min());
    return put(std::numeric_limits<json::number_unsigned_t>::max());
  }
  bool string(json::string_t& v) { return put(std::move(v)); }
  bool binary(json::binary_t& /*unused*/) { return false; }  // JSON text has none
  bool start_object(std::size_t /*unused*/) { return open(json::object()); }
  bool key(json::string_t& k) {
    key_ = std::move(k);
    return true;
  }
  bool end_object() { return close(); }
  bool start_array(std::size_t /*unused*/) { return open(json::array()); }
  bool end_array() { return close(); }
  bool parse_error(std::size_t /*unused*/, const std::string& /*unused*/,
                   const nlohmann::detail::exception& /*unused*/) {
    return false;
  }

 private:
  // Puts v where the parser is: the root, the open array's next element, or
  // the open object's value for the last key. Only the innermost open
  // container ever changes, so the pointers to the outer ones stay valid.
  json* place(json v) {
    if (open_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    json& into = *open_.back();
    if (into.is_array()) {
      into.push_back(std::move(v));
      return &into.back();
    }
    json& slot = into[key_];
    slot = std::move(v);
    return &slot;
  }
  bool put(json v) {
    place(std::move(v));
    return true;
  }
  bool open(json v) {
    // Deeper than any scenario (4 levels): refused as Python's json refuses
    // deep nesting (RecursionError), before it costs a deep recursion here
    // (json::dump() in error messages recurses).
    if (open_.size() == kMaxDepth) return false;
    open_.push_back(place(std::move(v)));
    return true;
  }
  bool close() {
    open_.pop_back();
    return true;
  }

  static constexpr std::size_t kMaxDepth = 64;
  json& root_;
  std::vector<json*> open_;
  std::string key_;
};

// Python's json turns an integer literal into an int however long it is, up
// to the interpreter's limit on digits (sys.get_int_max_str_digits(), 4300
// by default: beyond it, ValueError). nlohmann refuses one beyond a double's
// range (~309 digits) as a number overflow. So, before parsing: a literal of
// more than kPythonDigits digits makes the text invalid, as in Python, and
// one of 20 or more (always beyond 64 bits) is shortened to 20 nines, which
// scenario_sax saturates as it saturates any integer beyond 64 bits. Strings
// are skipped. Returns false if Python would refuse the text; `out` is left
// empty when nothing needed shortening.
constexpr std::size_t kPythonDigits = 4300;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool shorten_long_integers(std::string_view text, std::string& out) {
  out.clear();
  std::size_t copied = 0;  // text[0, copied) is in out (when out is used)
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character, whatever it is
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
      continue;
    }
    if (!is_digit(c)) continue;
    std::size_t end = i;
    while (end < text.size() && is_digit(text[end])) ++end;
    const std::size_t digits = end - i;
    if (end < text.size() && (text[end] == '.' || text[end] == 'e' || text[end] == 'E')) {
      // A float: none of its digits is an integer literal, however many.
      while (end < text.size() && (is_digit(text[end]) || text[end] == '.' || text[end] == 'e' ||
                                   text[end] == 'E' || text[end] == '+' || text[end] == '-'))
        ++end;
    } else if (digits > kPythonDigits) {
      return false;
    } else if (digits >= 20 && c != '0') {  // a leading zero is invalid JSON and must stay so
      out.append(text.substr(copied, i - copied));
      out.append(20, '9');
      copied = end;
    }
    i = end - 1;
  }
  if (copied != 0) out.append(text.substr(copied));
  return true;
}

}  // namespace

parse_result parse_scenario(std::string_view json_text) {
  // nlohmann skips a leading UTF-8 byte order mark; Python's json refuses it.
  if (json_text.substr(0, 3) == "\xEF\xBB\xBF")
    return {std::nullopt, "invalid JSON (a byte order mark)"};
  std::string shortened;
  if (!shorten_long_integers(json_text, shortened))
    return {std::nullopt, "invalid JSON (an integer of more than 4300 digits)"};
  if (!shortened.empty()) json_text = shortened;
  json doc;
  scenario_sax sax(doc);
  // No exceptions from the parser: scenario_sax::parse_error() stops it.
  if (!json::sax_parse(json_text.begin(), json_text.end(), &sax))
    return {std::nullopt, "invalid JSON"};
  try {
    return {build(doc), {}};
  } catch (const bad_scenario& e) {
    return {std::nullopt, e.message};
  }
}

}  // namespace chatframe::conformance
