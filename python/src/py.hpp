// python/src/py.hpp — the few C API helpers the extension shares.
//
// Owned references are `ref`s; a Python exception that must cross C++ code
// (the framer's and the outbox's callbacks) travels as `python_error`, thrown
// after the Python error indicator was set and caught where the extension
// returns to Python. The GIL is held everywhere in this extension.
#pragma once

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>
#include <utility>

namespace chatframe::python {

// Thrown once a Python exception is set; the framer and the outbox leave
// their state as their exception contracts say, and the extension returns
// NULL to Python with the exception still set.
struct python_error {};

// An owned reference (or none).
class ref {
 public:
  ref() noexcept = default;
  static ref steal(PyObject* p) noexcept { return ref(p); }
  static ref borrow(PyObject* p) noexcept {
    Py_XINCREF(p);
    return ref(p);
  }
  ref(const ref&) = delete;
  ref& operator=(const ref&) = delete;
  ref(ref&& other) noexcept : p_(std::exchange(other.p_, nullptr)) {}
  ref& operator=(ref&& other) noexcept {
    PyObject* old = std::exchange(p_, std::exchange(other.p_, nullptr));
    Py_XDECREF(old);
    return *this;
  }
  ~ref() { Py_XDECREF(p_); }

  [[nodiscard]] PyObject* get() const noexcept { return p_; }
  [[nodiscard]] PyObject* release() noexcept { return std::exchange(p_, nullptr); }
  explicit operator bool() const noexcept { return p_ != nullptr; }

 private:
  explicit ref(PyObject* p) noexcept : p_(p) {}
  PyObject* p_ = nullptr;
};

// The bytes of any object that exports a contiguous buffer, held for as
// long as this object lives (a bytearray cannot be resized meanwhile).
// Bytes objects are read directly, without the buffer protocol.
class bytes_view {
 public:
  bytes_view() noexcept = default;
  bytes_view(const bytes_view&) = delete;
  bytes_view& operator=(const bytes_view&) = delete;
  ~bytes_view() { reset(); }

  // False, with a TypeError set, when obj has no contiguous buffer.
  [[nodiscard]] bool open(PyObject* obj) noexcept {
    reset();
    if (PyBytes_CheckExact(obj)) {
      data_ =
          std::string_view(PyBytes_AS_STRING(obj), static_cast<std::size_t>(PyBytes_GET_SIZE(obj)));
      return true;
    }
    if (PyObject_GetBuffer(obj, &buffer_, PyBUF_SIMPLE) != 0) return false;
    held_ = true;
    data_ = std::string_view(static_cast<const char*>(buffer_.buf),
                             static_cast<std::size_t>(buffer_.len));
    return true;
  }
  void reset() noexcept {
    if (held_) PyBuffer_Release(&buffer_);
    held_ = false;
    data_ = {};
  }
  [[nodiscard]] std::string_view bytes() const noexcept { return data_; }

 private:
  Py_buffer buffer_{};
  bool held_ = false;
  std::string_view data_;
};

// A new bytes object holding a, b and c, one after the other.
inline PyObject* concat_bytes(std::string_view a, std::string_view b = {},
                              std::string_view c = {}) noexcept {
  PyObject* out =
      PyBytes_FromStringAndSize(nullptr, static_cast<Py_ssize_t>(a.size() + b.size() + c.size()));
  if (out == nullptr) return nullptr;
  char* p = PyBytes_AS_STRING(out);
  for (const std::string_view part : {a, b, c}) {
    if (part.empty()) continue;
    std::char_traits<char>::copy(p, part.data(), part.size());
    p += part.size();
  }
  return out;
}

// obj.name(args...), looked up on the instance first as Python's own
// attribute lookup does (an instance attribute overrides the class's
// method), without building a bound method or an argument tuple.
template <class... Args>
inline PyObject* call_method(PyObject* obj, PyObject* name, Args... args) noexcept {
  // Slot 0 is scratch space the callee may use (PY_VECTORCALL_ARGUMENTS_OFFSET).
  PyObject* argv[] = {nullptr, obj, args...};
  return PyObject_VectorcallMethod(name, argv + 1,
                                   (1 + sizeof...(Args)) | PY_VECTORCALL_ARGUMENTS_OFFSET, nullptr);
}

// A Python int as a size, saturated at SIZE_MAX (no stream is that long).
// -1 with an exception set when obj is not an int; negative ints give -2
// with nothing set, for the caller to refuse as it sees fit.
inline std::int64_t saturated_size(PyObject* obj, std::size_t& out) noexcept {
  int overflow = 0;
  const long long v = PyLong_AsLongLongAndOverflow(obj, &overflow);
  if (v == -1 && PyErr_Occurred()) return -1;
  if (overflow > 0) {
    out = std::numeric_limits<std::size_t>::max();
    return 0;
  }
  if (overflow < 0 || v < 0) return -2;
  out = static_cast<std::size_t>(v);
  return 0;
}

// The exception currently raised, taken out of the error indicator (a new
// reference, normalized, its traceback attached); nullptr if none.
inline PyObject* take_raised_exception() noexcept {
#if PY_VERSION_HEX >= 0x030C0000
  return PyErr_GetRaisedException();
#else
  PyObject *type = nullptr, *value = nullptr, *tb = nullptr;
  PyErr_Fetch(&type, &value, &tb);
  PyErr_NormalizeException(&type, &value, &tb);
  if (tb != nullptr && value != nullptr) PyException_SetTraceback(value, tb);
  Py_XDECREF(type);
  Py_XDECREF(tb);
  return value;
#endif
}

// Runs `call` as if inside `except` for the exception currently set: the
// exception is what sys.exc_info() returns meanwhile (asyncore's
// handle_error() reads it, pyftpdlib's re-raises it with a bare `raise`),
// as in CPython's `except OSError: self.handle_error()`.
template <class F>
inline PyObject* call_while_handling(F&& call) noexcept {
  ref exc = ref::steal(take_raised_exception());
  ref previous = ref::steal(PyErr_GetHandledException());
  PyErr_SetHandledException(exc.get());
  PyObject* result = call();
  PyErr_SetHandledException(previous.get());
  return result;
}

// A new instance of type (one of ours, or a Python subclass of it), zeroed
// past the object header, as object.__new__ makes it: for a Python subclass
// that also sets up the instance's attribute values as for a pure Python
// class's (CPython 3.11 Objects/typeobject.c object_new ->
// _PyObject_InitializeDict). tp_alloc alone leaves them out: the first
// attribute set then builds a separate dict, and the interpreter never
// specializes self.x in the subclass's methods — the drop-in's 4 KiB rows
// read 3.2x and 2.8x of CPython's asynchat that way, 4.1x and 3.5x this way
// (bench/NOTES.md, "python drop-in").
inline PyObject* new_instance(PyTypeObject* type) noexcept {
  PyObject* no_args = PyTuple_New(0);
  if (no_args == nullptr) return nullptr;
  PyObject* op = PyBaseObject_Type.tp_new(type, no_args, nullptr);
  Py_DECREF(no_args);
  return op;
}

// tp_dealloc of the extension's heap types, which the garbage collector
// tracks: destroy() releases what the object holds.
template <class F>
inline void dealloc_gc_object(PyObject* op, F&& destroy) noexcept {
  PyTypeObject* type = Py_TYPE(op);
  PyObject_GC_UnTrack(op);
  destroy();
  type->tp_free(op);
  Py_DECREF(type);  // a heap type's instances own a reference to it
}

}  // namespace chatframe::python
