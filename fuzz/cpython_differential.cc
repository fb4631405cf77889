// fuzz/cpython_differential.cc — chatframe against CPython 3.11's asynchat.
//
// The input is decoded into a small, valid scenario (struct and JSON text built
// here side by side), which is replayed by conformance/cpython_replay.py inside an embedded
// CPython 3.11 and by chatframe::conformance::replay (single send mode, the
// one that is exactly CPython's initiate_send). The format_trace() texts must
// be equal byte for byte; on a difference both traces and the scenario are
// printed and the target aborts. The conformance directory comes from
// $CHATFRAME_CONFORMANCE_DIR, else from the compile-time CHATFRAME_CONFORMANCE_DIR.
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "chatframe/conformance/replay.hpp"
#include "chatframe/conformance/scenario.hpp"

// CPython never frees its interpreter; LeakSanitizer would report it at exit.
extern "C" const char* __lsan_default_suppressions() { return "leak:libpython3.11.so\n"; }

namespace {

PyObject* g_loads = nullptr;   // json.loads
PyObject* g_replay = nullptr;  // cpython_replay.replay
PyObject* g_format = nullptr;  // cpython_replay.format_trace

[[noreturn]] void python_failed(const char* what) {
  std::fprintf(stderr, "cpython_differential: %s\n", what);
  PyErr_Print();
  std::abort();
}

PyObject* attr(const char* module, const char* name) {
  PyObject* m = PyImport_ImportModule(module);
  if (m == nullptr) python_failed(module);
  PyObject* f = PyObject_GetAttrString(m, name);
  if (f == nullptr) python_failed(name);
  Py_DECREF(m);
  return f;
}

// --- the scenario generator: small values from a small alphabet -------------
// It builds the scenario struct and its JSON text side by side, so chatframe's
// replay is tested without going through parse_scenario (the scenario target
// fuzzes the parser).
namespace cf = chatframe::conformance;

std::string bytes(FuzzedDataProvider& in, std::size_t max_len) {
  static const char alphabet[] = {'a', 'b', '\r', '\n', 'x'};
  std::string out(in.ConsumeIntegralInRange<std::size_t>(0, max_len), 'a');
  for (char& c : out) c = alphabet[in.ConsumeIntegralInRange<std::size_t>(0, 4)];
  return out;
}

std::string hex(std::string_view b) {
  static const char digits[] = "0123456789abcdef";
  std::string out = "\"";
  for (const char ch : b) {
    const auto c = static_cast<unsigned char>(ch);
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out + '"';
}

cf::term_spec term(FuzzedDataProvider& in) {
  cf::term_spec t;
  switch (in.ConsumeIntegralInRange(0, 5)) {
    case 0: break;
    case 1:
      t.type = cf::term_spec::kind::count;
      t.count = in.ConsumeIntegralInRange(-1, 12);
      break;
    default:
      t.type = cf::term_spec::kind::bytes;
      t.bytes = bytes(in, 4);
      break;
  }
  return t;
}

std::string json(const cf::term_spec& t) {
  switch (t.type) {
    case cf::term_spec::kind::none: return "null";
    case cf::term_spec::kind::count: return "{\"count\":" + std::to_string(t.count) + "}";
    case cf::term_spec::kind::bytes: return "{\"bytes\":" + hex(t.bytes) + "}";
  }
  return "null";
}

std::vector<cf::action> actions(FuzzedDataProvider& in) {
  using kind = cf::action::kind;
  std::vector<cf::action> out(in.ConsumeIntegralInRange<std::size_t>(0, 3));
  for (cf::action& a : out) {
    switch (in.ConsumeIntegralInRange(0, 7)) {
      case 0:
      case 1:
        a.type = kind::push;
        a.data = bytes(in, 8);
        break;
      case 2:
        a.type = kind::push_producer;
        a.data = bytes(in, 8);
        a.number = in.ConsumeIntegralInRange(0, 4);
        break;
      case 3: a.type = kind::push_collected; break;
      case 4:
        a.type = kind::set_terminator;
        a.term = term(in);
        break;
      case 5: a.type = kind::close_when_done; break;
      case 6: a.type = kind::discard_buffers; break;
      default:
        a.type = kind::set_out_buffer_size;
        a.number = in.ConsumeIntegralInRange(1, 8);
        break;
    }
  }
  return out;
}

std::string json(const std::vector<cf::action>& list) {
  using kind = cf::action::kind;
  std::string out = "[";
  for (const cf::action& a : list) {
    if (out.size() > 1) out += ',';
    switch (a.type) {
      case kind::push: out += "[\"push\"," + hex(a.data) + "]"; break;
      case kind::push_producer:
        out += "[\"push_producer\"," + hex(a.data) + "," + std::to_string(a.number) + "]";
        break;
      case kind::push_collected: out += "[\"push_collected\"]"; break;
      case kind::set_terminator: out += "[\"set_terminator\"," + json(a.term) + "]"; break;
      case kind::close_when_done: out += "[\"close_when_done\"]"; break;
      case kind::discard_buffers: out += "[\"discard_buffers\"]"; break;
      case kind::set_out_buffer_size:
        out += "[\"set_out_buffer_size\"," + std::to_string(a.number) + "]";
        break;
    }
  }
  return out + "]";
}

cf::scenario generate(FuzzedDataProvider& in) {
  cf::scenario s;
  s.in_buffer_size = in.ConsumeIntegralInRange(1, 16);
  s.out_buffer_size = in.ConsumeIntegralInRange(1, 16);
  s.terminator = term(in);
  s.start = actions(in);
  s.on_found.resize(in.ConsumeIntegralInRange<std::size_t>(0, 4));
  for (auto& list : s.on_found) list = actions(in);
  s.send_caps.resize(in.ConsumeIntegralInRange<std::size_t>(0, 4));
  for (auto& cap : s.send_caps) cap = in.ConsumeIntegralInRange(0, 8);
  s.eof = in.ConsumeBool();
  s.on_collect.resize(in.ConsumeIntegralInRange<std::size_t>(0, 4));
  for (auto& list : s.on_collect) list = actions(in);
  // Last, so that the rest of the input becomes the stream.
  for (std::size_t i = 0; i < 8 && in.remaining_bytes() > 0; ++i)
    s.recv.push_back(bytes(in, static_cast<std::size_t>(s.in_buffer_size)));
  return s;
}

std::string json(const cf::scenario& s) {
  std::string out = "{\"in_buffer_size\":" + std::to_string(s.in_buffer_size) +
                    ",\"out_buffer_size\":" + std::to_string(s.out_buffer_size) +
                    ",\"terminator\":" + json(s.terminator) + ",\"start\":" + json(s.start) +
                    ",\"recv\":[";
  for (std::size_t i = 0; i < s.recv.size(); ++i) out += (i ? "," : "") + hex(s.recv[i]);
  out += "],\"on_found\":[";
  for (std::size_t i = 0; i < s.on_found.size(); ++i) out += (i ? "," : "") + json(s.on_found[i]);
  out += "],\"on_collect\":[";
  for (std::size_t i = 0; i < s.on_collect.size(); ++i)
    out += (i ? "," : "") + json(s.on_collect[i]);
  out += "],\"send_caps\":[";
  for (std::size_t i = 0; i < s.send_caps.size(); ++i)
    out += (i ? "," : "") + std::to_string(s.send_caps[i]);
  return out + "],\"eof\":" + (s.eof ? "true" : "false") + "}";
}

std::string cpython_trace(const std::string& json) {
  PyObject* text = PyUnicode_FromStringAndSize(json.data(), static_cast<Py_ssize_t>(json.size()));
  PyObject* doc = text ? PyObject_CallOneArg(g_loads, text) : nullptr;
  PyObject* events = doc ? PyObject_CallOneArg(g_replay, doc) : nullptr;
  PyObject* trace = events ? PyObject_CallOneArg(g_format, events) : nullptr;
  Py_ssize_t size = 0;
  const char* utf8 = trace ? PyUnicode_AsUTF8AndSize(trace, &size) : nullptr;
  if (utf8 == nullptr) {
    std::fprintf(stderr, "scenario: %s\n", json.c_str());
    python_failed("cpython_replay.replay failed");
  }
  std::string out(utf8, static_cast<std::size_t>(size));
  Py_XDECREF(trace);
  Py_XDECREF(events);
  Py_XDECREF(doc);
  Py_XDECREF(text);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  Py_InitializeEx(0);
  const char* dir = std::getenv("CHATFRAME_CONFORMANCE_DIR");
  if (dir == nullptr) dir = CHATFRAME_CONFORMANCE_DIR;
  PyObject* sys_path = PySys_GetObject("path");  // borrowed
  PyObject* entry = PyUnicode_FromString(dir);
  if (sys_path == nullptr || entry == nullptr || PyList_Insert(sys_path, 0, entry) != 0)
    python_failed("cannot extend sys.path");
  Py_DECREF(entry);
  g_loads = attr("json", "loads");
  g_replay = attr("cpython_replay", "replay");
  g_format = attr("cpython_replay", "format_trace");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const cf::scenario s = generate(in);
  const std::string text = json(s);
  const std::string ours = cf::format_trace(cf::replay(s, cf::send_mode::single));
  const std::string theirs = cpython_trace(text);
  if (ours != theirs) {
    std::fprintf(stderr, "TRACES DIFFER\nscenario: %s\n--- cpython\n%s--- chatframe\n%s",
                 text.c_str(), theirs.c_str(), ours.c_str());
    std::abort();
  }
  return 0;
}
