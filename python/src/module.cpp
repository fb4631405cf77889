// python/src/module.cpp — the chatframe._core extension module.
//
// Written against the CPython C API rather than pybind11: the hot path is
// C++ calling Python (twice per frame) and Python calling short methods
// (push, set_terminator), where vectorcall and METH_O/METH_FASTCALL cost a
// fraction of pybind11's argument tuples, bound methods and dispatcher
// (README, "Python": bench/python_binding_choice.sh measures both).
#include "chat.hpp"
#include "names.hpp"
#include "splitter.hpp"

namespace chatframe::python {

interned_names names{};

bool intern_names() noexcept {
  struct entry {
    PyObject** slot;
    const char* text;
  };
  const entry all[] = {
      {&names.ac_in_buffer_size, "ac_in_buffer_size"},
      {&names.ac_out_buffer_size, "ac_out_buffer_size"},
      {&names.append, "append"},
      {&names.collect_incoming_data, "collect_incoming_data"},
      {&names.connected, "connected"},
      {&names.encoding, "encoding"},
      {&names.found_terminator, "found_terminator"},
      {&names.handle_close, "handle_close"},
      {&names.handle_error, "handle_error"},
      {&names.incoming, "incoming"},
      {&names.initiate_send, "initiate_send"},
      {&names.more, "more"},
      {&names.recv, "recv"},
      {&names.send, "send"},
      {&names.use_encoding, "use_encoding"},
  };
  for (const entry& e : all) {
    if (*e.slot != nullptr) continue;
    *e.slot = PyUnicode_InternFromString(e.text);
    if (*e.slot == nullptr) return false;
  }
  return true;
}

namespace {

PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    "chatframe._core",
    "chatframe's C++ core for Python: the framer and producer FIFO under chatframe.asynchat, "
    "and the frame splitter under chatframe.aio.",
    -1,
    chat_module_functions,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
};

int add_type(PyObject* module, const char* name, PyObject* type) noexcept {
  if (type == nullptr) return -1;
  if (PyModule_AddObject(module, name, type) != 0) {
    Py_DECREF(type);
    return -1;
  }
  return 0;
}

}  // namespace
}  // namespace chatframe::python

// The name CPython looks for: PyInit_ and the module's name.
PyMODINIT_FUNC PyInit__core() {  // NOLINT(bugprone-reserved-identifier)
  using namespace chatframe::python;
  if (!intern_names()) return nullptr;
  ref module = ref::steal(PyModule_Create(&module_def));
  if (!module) return nullptr;
  if (add_type(module.get(), "chat", make_chat_type(module.get())) != 0) return nullptr;
  if (add_type(module.get(), "fifo_view", make_fifo_view_type(module.get())) != 0) return nullptr;
  if (add_splitter(module.get()) != 0) return nullptr;
  return module.release();
}
