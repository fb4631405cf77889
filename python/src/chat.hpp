// python/src/chat.hpp — the C++ base of chatframe.asynchat.async_chat.
//
// `_core.chat` holds a chatframe::framer (input) and a chatframe::outbox (the
// producer FIFO) and implements the async_chat methods that touch them:
// set_terminator, get_terminator, handle_read, push, push_with_producer,
// close_when_done, initiate_send, writable, discard_buffers, and the
// attributes terminator, ac_in_buffer and producer_fifo. The Python class
// async_chat (chatframe/asynchat.py) derives from it and from
// chatframe.asyncore.dispatcher; everything else is Python.
//
// Every call out to Python goes through the instance, as CPython's
// asynchat.py does (`self.collect_incoming_data(...)`, `self.recv(...)`,
// `self.initiate_send()`): subclasses and instance attributes override the
// methods, and attributes such as ac_in_buffer_size and connected are read
// when used, so changing them at run time works.
#pragma once

#include "py.hpp"

namespace chatframe::python {

// Creates the type (a heap type); nullptr with an exception set on failure.
PyObject* make_chat_type(PyObject* module) noexcept;

// Type of the objects producer_fifo returns.
PyObject* make_fifo_view_type(PyObject* module) noexcept;

// The module functions the chat type needs (_set_fast_collect_hooks).
extern PyMethodDef chat_module_functions[];

}  // namespace chatframe::python
