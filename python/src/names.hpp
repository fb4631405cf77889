// python/src/names.hpp — interned attribute names, made once at import.
#pragma once

#include "py.hpp"

namespace chatframe::python {

struct interned_names {
  PyObject* ac_in_buffer_size;
  PyObject* ac_out_buffer_size;
  PyObject* append;
  PyObject* collect_incoming_data;
  PyObject* connected;
  PyObject* encoding;
  PyObject* found_terminator;
  PyObject* handle_close;
  PyObject* handle_error;
  PyObject* incoming;
  PyObject* initiate_send;
  PyObject* more;
  PyObject* recv;
  PyObject* send;
  PyObject* use_encoding;
};

// Filled by the module's init function; valid for the life of the process.
extern interned_names names;

// Interns every name; false with an exception set on failure.
bool intern_names() noexcept;

}  // namespace chatframe::python
