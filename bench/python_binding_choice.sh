#!/usr/bin/env bash
# Why chatframe._core is written against the CPython C API and not pybind11:
# the two calls its hot path makes, measured both ways in one run.
#
#   bash bench/python_binding_choice.sh        (needs pybind11-dev: bench/setup_bench.sh)
#
# Builds two throwaway modules in a temporary folder, each a class with
#   push(bytes)      a method Python calls per frame (as push() and
#                    set_terminator() are), doing nearly nothing, and
#   callback(b, n)   which calls self.collect(b) n times from C++ (as
#                    handle_read() calls collect_incoming_data() and
#                    found_terminator() per frame),
# one with pybind11 (py::class_, .def, obj.attr(name)(arg)) and one with the
# C API (METH_O, PyObject_VectorcallMethod), then prints the time per call of
# each, best of 5, with a Python subclass defining collect().
set -euo pipefail
py=${PYTHON:-/usr/bin/python3.11}
"$py" -c 'import pybind11' 2>/dev/null || { echo "python_binding_choice: pybind11 is missing (apt-get install pybind11-dev python3-pybind11)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/pb.cpp" <<'EOF'
#include <pybind11/pybind11.h>
namespace py = pybind11;
struct C { std::size_t n = 0; };
PYBIND11_MODULE(pb, m) {
  py::class_<C>(m, "C", py::dynamic_attr()).def(py::init<>())
    .def("push", [](C& c, py::bytes b) { c.n += PyBytes_GET_SIZE(b.ptr()); })
    .def("callback", [](py::object self, py::bytes b, int n) {
       py::str name("collect");
       for (int i = 0; i < n; ++i) self.attr(name)(b);
    });
}
EOF
cat > "$tmp/capi.cpp" <<'EOF'
#include <Python.h>
struct C { PyObject_HEAD size_t n; };
static PyObject* name;
static PyObject* push(PyObject* self, PyObject* b) {
  reinterpret_cast<C*>(self)->n += PyBytes_GET_SIZE(b);
  Py_RETURN_NONE;
}
static PyObject* callback(PyObject* self, PyObject* const* args, Py_ssize_t) {
  const long n = PyLong_AsLong(args[1]);
  for (long i = 0; i < n; ++i) {
    PyObject* argv[] = {nullptr, self, args[0]};
    PyObject* r = PyObject_VectorcallMethod(name, argv + 1, 2 | PY_VECTORCALL_ARGUMENTS_OFFSET, nullptr);
    if (r == nullptr) return nullptr;
    Py_DECREF(r);
  }
  Py_RETURN_NONE;
}
static PyMethodDef methods[] = {
    {"push", push, METH_O, nullptr},
    {"callback", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(callback)), METH_FASTCALL, nullptr},
    {nullptr, nullptr, 0, nullptr}};
static PyType_Slot slots[] = {{Py_tp_methods, methods}, {0, nullptr}};
static PyType_Spec spec = {"capi.C", sizeof(C), 0, Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE, slots};
static PyModuleDef mod = {PyModuleDef_HEAD_INIT, "capi", nullptr, -1, nullptr, nullptr, nullptr, nullptr, nullptr};
PyMODINIT_FUNC PyInit_capi() {
  name = PyUnicode_InternFromString("collect");
  PyObject* m = PyModule_Create(&mod);
  PyModule_AddObject(m, "C", PyType_FromSpec(&spec));
  return m;
}
EOF
inc=$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
ext=$("$py" -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')
g++ -O2 -shared -fPIC -std=c++20 -I"$inc" $("$py" -m pybind11 --includes) "$tmp/pb.cpp" -o "$tmp/pb$ext"
g++ -O2 -shared -fPIC -std=c++20 -I"$inc" "$tmp/capi.cpp" -o "$tmp/capi$ext"
cd "$tmp" && "$py" - <<'EOF'
import timeit
import capi
import pb

class P(pb.C):
    def collect(self, data):
        pass

class Q(capi.C):
    def collect(self, data):
        pass

data = b"x" * 16
n = 200000
empty = min(timeit.repeat("f()", globals={"f": lambda: None}, number=n, repeat=5)) / n
for label, obj in (("pybind11", P()), ("C API", Q())):
    push = min(timeit.repeat("push(data)", globals={"push": obj.push, "data": data}, number=n, repeat=5)) / n
    call = min(timeit.repeat(lambda: obj.callback(data, n), number=1, repeat=5)) / n
    print("%-8s  Python -> C++ push(bytes): %4.0f ns   C++ -> Python self.collect(bytes): %4.0f ns"
          % (label, push * 1e9, call * 1e9))
print("(a Python call of an empty lambda: %.0f ns)" % (empty * 1e9))
EOF
