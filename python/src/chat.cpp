// python/src/chat.cpp — `_core.chat`, the C++ base of async_chat (chat.hpp).
//
// Theory of operation. CPython's handle_read keeps the unread input in a
// bytes object, ac_in_buffer, and slices it once per step (asynchat.py:
// 131-191); here the chunk recv() returned is handed to a chatframe::framer,
// which delivers exactly the same collect_incoming_data / found_terminator
// calls as views into that chunk. Each view becomes the one bytes object
// collect_incoming_data receives; nothing else is allocated per frame.
// Output is a chatframe::outbox: push() copies the bytes into it,
// push_with_producer() queues Python producers behind a C++ producer
// adapter, and initiate_send() asks the outbox what CPython's initiate_send
// would send and hands it to self.send().
//
// Two kinds of Python code can run where C++ code cannot take it: a
// callback or a producer raising (carried through the framer and the outbox
// as python_error, whose exception contracts keep every byte), and a
// producer's __del__ (it would run inside the outbox's queue operations, so
// producers the outbox drops are released only once it returns: `released`).
#include "chat.hpp"

#include <algorithm>
#include <chatframe/framer.hpp>
#include <chatframe/outbox.hpp>
#include <chatframe/producer.hpp>
#include <limits>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "names.hpp"

namespace chatframe::python {
namespace {

class py_producer;

struct chat_object {
  PyObject_HEAD framer input;
  outbox output;
  // Bytes received but not framed yet: recv() returned them while no valid
  // terminator was set, or they were assigned to ac_in_buffer. Framed first
  // by the next handle_read(), joined with what it receives.
  std::string stash;
  std::vector<py_producer*> producers;  // live adapters, for the garbage collector
  std::vector<PyObject*> released;      // references dropped inside the outbox (see top)
  PyObject* term_obj;                   // what set_terminator() was given
  // The fast path for a collect_incoming_data that only appends (see
  // appended_attr()): the function last examined, its code then, and the
  // attribute it appends to (nullptr: it does more, call it).
  PyObject* collect_fn;
  PyObject* collect_code;
  PyObject* collect_attr;
  PyObject* count_excess;     // a count beyond 64 bits, less INT64_MAX
  std::int64_t count_at_set;  // the count set_terminator() gave the framer
  bool term_set;              // set_terminator() was called (CPython's attribute exists)
  bool term_invalid;          // a true value that is neither an int nor bytes-like
  bool collected;             // a collect of the step in progress ran (on_found)
  bool reading;               // handle_read() is running
  bool fast_collect;          // this handle_read() may take the fast path
};

chat_object* as_chat(PyObject* op) noexcept { return reinterpret_cast<chat_object*>(op); }

// Releases the references the outbox dropped, once it has returned.
void flush_released(chat_object* self) noexcept {
  while (!self->released.empty()) {
    std::vector<PyObject*> batch;
    batch.swap(self->released);
    for (PyObject* o : batch) Py_DECREF(o);
  }
}

struct release_on_return {
  chat_object* self;
  ~release_on_return() { flush_released(self); }
};

// A Python producer (anything with more()) in the outbox: asynchat.py:241-251.
class py_producer final : public producer {
 public:
  py_producer(chat_object* owner, PyObject* obj) : owner_(owner), obj_(obj) {
    owner_->producers.push_back(this);
    Py_INCREF(obj_);
  }
  py_producer(const py_producer&) = delete;
  py_producer& operator=(const py_producer&) = delete;
  ~py_producer() override {
    auto& live = owner_->producers;
    live.erase(std::find(live.begin(), live.end(), this));
    give_back(piece_);
    give_back(obj_);
  }

  std::string_view more() override {
    // Called from inside the outbox's offer(), as user code: releasing the
    // previous piece here may run Python, like the more() call itself.
    Py_CLEAR(piece_);
    copy_.clear();
    PyObject* data = PyObject_CallMethodNoArgs(obj_, names.more);
    if (data == nullptr) throw python_error{};
    // asynchat.py:245-250 — a false value means the producer is done.
    const int truth = PyObject_IsTrue(data);
    if (truth <= 0) {
      Py_DECREF(data);
      if (truth < 0) throw python_error{};
      return {};
    }
    if (PyBytes_Check(data)) {
      piece_ = data;  // the view below lives as long as piece_
      return {PyBytes_AS_STRING(data), static_cast<std::size_t>(PyBytes_GET_SIZE(data))};
    }
    bytes_view view;
    const bool ok = view.open(data);
    if (ok) copy_.assign(view.bytes());  // a bytearray may change after more() returns
    view.reset();
    Py_DECREF(data);
    if (!ok) throw python_error{};
    return copy_;
  }

  int traverse(visitproc visit, void* arg) const {
    Py_VISIT(obj_);
    Py_VISIT(piece_);
    return 0;
  }

 private:
  void give_back(PyObject* o) noexcept {
    if (o == nullptr) return;
    try {
      owner_->released.push_back(o);
    } catch (...) {
      Py_DECREF(o);  // out of memory: release now rather than leak
    }
  }

  chat_object* owner_;
  PyObject* obj_;
  PyObject* piece_ = nullptr;  // the last piece more() returned, when bytes
  std::string copy_;           // the last piece, when another bytes-like type
};

// --- small helpers ------------------------------------------------------------

// self.<name> as a truth value: 1, 0, or -1 with an exception set.
int attr_truth(PyObject* op, PyObject* name) noexcept {
  ref value = ref::steal(PyObject_GetAttr(op, name));
  return value ? PyObject_IsTrue(value.get()) : -1;
}

// self.ac_out_buffer_size, read when used (asynchat.py:202, 241). CPython
// loops forever or drops data when it is not positive; here that is a
// ValueError. Sizes beyond 64 bits saturate (no item is that long).
bool out_buffer_size(PyObject* op, std::size_t& out) noexcept {
  ref value = ref::steal(PyObject_GetAttr(op, names.ac_out_buffer_size));
  if (!value) return false;
  if (!PyLong_Check(value.get())) {
    PyErr_Format(PyExc_TypeError, "ac_out_buffer_size must be an int, not %.100s",
                 Py_TYPE(value.get())->tp_name);
    return false;
  }
  const std::int64_t r = saturated_size(value.get(), out);
  if (r == -1) return false;
  if (r == -2 || out == 0) {
    PyErr_SetString(PyExc_ValueError, "ac_out_buffer_size must be at least 1");
    return false;
  }
  return true;
}

// self.handle_error() as CPython's `except OSError: self.handle_error()`
// calls it, for the exception currently set (asynchat.py:127-129, 257-259).
PyObject* handle_error_now(PyObject* op) noexcept {
  PyObject* r = call_while_handling([op] { return call_method(op, names.handle_error); });
  if (r == nullptr) return nullptr;
  Py_DECREF(r);
  Py_RETURN_NONE;
}

void set_missing_terminator_error(PyObject* op) noexcept {
  PyErr_Format(PyExc_AttributeError, "'%.100s' object has no attribute 'terminator'",
               Py_TYPE(op)->tp_name);
}

// What bytes.find() raises for a terminator that is neither None, an int
// nor bytes-like (asynchat.py:165).
void set_invalid_terminator_error(chat_object* self) noexcept {
  PyErr_Format(PyExc_TypeError, "argument should be integer or bytes-like object, not '%.200s'",
               Py_TYPE(self->term_obj)->tp_name);
}

// --- the terminator -------------------------------------------------------------

// Gives the framer the terminator CPython would act on. `term` was checked
// by set_terminator (asynchat.py:102-111). Nothing changes on error.
int apply_terminator(chat_object* self, PyObject* term) noexcept {
  const int truth = PyObject_IsTrue(term);
  if (truth < 0) return -1;
  ref excess;
  std::int64_t count = 0;
  bool invalid = false;
  terminator t;
  // asynchat.py:143 — any false value (None, b'', 0, ...) collects everything.
  if (PyLong_Check(term)) {
    int overflow = 0;
    const long long v = PyLong_AsLongLongAndOverflow(term, &overflow);
    if (v == -1 && PyErr_Occurred()) return -1;
    count = overflow > 0 ? std::numeric_limits<std::int64_t>::max() : v;
    if (overflow > 0) {
      // No stream reaches 2**63 bytes, so the framer's count never gets
      // there; the excess is added back when get_terminator() reports it.
      ref top = ref::steal(PyLong_FromLongLong(count));
      if (!top) return -1;
      excess = ref::steal(PyNumber_Subtract(term, top.get()));
      if (!excess) return -1;
    }
  } else if (truth && PyObject_CheckBuffer(term)) {
    bytes_view view;
    if (!view.open(term)) return -1;
    t = terminator::bytes(view.bytes());
  } else if (truth) {
    invalid = true;  // a str, a float...: bytes.find() raises on it later
  } else if (PyBytes_Check(term) || PyByteArray_Check(term)) {
    t = terminator::bytes({});  // reported back as given; behaves as none
  }
  errc e =
      PyLong_Check(term) ? self->input.set_count(count) : self->input.set_terminator(std::move(t));
  if (e == errc::terminator_too_long) {
    PyErr_Format(PyExc_ValueError, "terminator longer than %zu bytes",
                 self->input.options().max_terminator_length);
    return -1;
  }
  Py_INCREF(term);
  Py_XSETREF(self->term_obj, term);
  Py_XSETREF(self->count_excess, excess.release());
  self->count_at_set = count;
  self->term_set = true;
  self->term_invalid = invalid;
  return 0;
}

// asynchat.py:102-111.
int set_terminator(chat_object* self, PyObject* op, PyObject* term) noexcept {
  ref encoded;
  if (PyUnicode_Check(term)) {
    const int use = attr_truth(op, names.use_encoding);
    if (use < 0) return -1;
    if (use) {
      ref encoding = ref::steal(PyObject_GetAttr(op, names.encoding));
      if (!encoding) return -1;
      encoded = ref::steal(PyObject_CallFunctionObjArgs(reinterpret_cast<PyObject*>(&PyBytes_Type),
                                                        term, encoding.get(), nullptr));
      if (!encoded) return -1;
      term = encoded.get();
    }
  } else if (PyLong_Check(term)) {
    int overflow = 0;
    const long long v = PyLong_AsLongLongAndOverflow(term, &overflow);
    if (v == -1 && PyErr_Occurred()) return -1;
    if (overflow < 0 || (overflow == 0 && v < 0)) {
      PyErr_SetString(PyExc_ValueError, "the number of received bytes must be positive");
      return -1;
    }
  }
  return apply_terminator(self, term);
}

PyObject* get_terminator(chat_object* self, PyObject* op) noexcept {
  if (!self->term_set) {
    set_missing_terminator_error(op);
    return nullptr;
  }
  const terminator& t = self->input.get_terminator();
  if (t.is_count()) {
    const std::int64_t count = t.byte_count();
    if (self->count_excess != nullptr) {
      ref low = ref::steal(PyLong_FromLongLong(count));
      return low ? PyNumber_Add(low.get(), self->count_excess) : nullptr;
    }
    // Unchanged since it was set: the very object (True stays True).
    if (count == self->count_at_set && PyLong_Check(self->term_obj)) {
      Py_INCREF(self->term_obj);
      return self->term_obj;
    }
    return PyLong_FromLongLong(count);
  }
  Py_INCREF(self->term_obj);
  return self->term_obj;
}

// --- input ----------------------------------------------------------------------

// The fast path for the common subclass. A collect_incoming_data() that is
// exactly `def collect_incoming_data(self, data): self.X.append(data)` (as
// async_chat._collect_incoming_data is, and most subclasses are) is not
// called: the bytes are appended to self.X here, which is what the call
// would do, looked up as it would look it up, per frame. chatframe.asynchat
// recognizes such functions from their bytecode (_append_target) and says
// whether a tracer, profiler or monitoring tool is on, which must see every
// call and turns the fast path off.
PyObject* recognize_append = nullptr;   // chatframe.asynchat._append_target
PyObject* monitoring_active = nullptr;  // chatframe.asynchat._monitoring_active

PyObject* set_fast_collect_hooks(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 2) return PyErr_Format(PyExc_TypeError, "two callables expected");
  Py_INCREF(args[0]);
  Py_INCREF(args[1]);
  Py_XSETREF(recognize_append, args[0]);
  Py_XSETREF(monitoring_active, args[1]);
  Py_RETURN_NONE;
}

// Whether anything watches Python calls: then every call must happen.
bool instrumented() noexcept {
  const PyThreadState* ts = PyThreadState_Get();
  const bool traced = ts->c_tracefunc != nullptr || ts->c_profilefunc != nullptr;
#if PY_VERSION_HEX >= 0x030C0000
  if (traced) return true;
  ref active = ref::steal(PyObject_CallNoArgs(monitoring_active));
  const int truth = active ? PyObject_IsTrue(active.get()) : -1;
  if (truth < 0) PyErr_Clear();
  return truth != 0;  // unknown counts as watched
#else
  return traced;
#endif
}

// Whether op has an instance attribute `name`, which op.name() would call
// instead of fn, its class's plain function of that name. Nothing is
// called and nothing is raised (an error counts as shadowed: the call made
// instead raises it).
bool shadowed(PyObject* op, PyObject* name, PyObject* fn) noexcept {
#if PY_VERSION_HEX < 0x030D0000
  // Looked up as PyObject_VectorcallMethod() does (CPython 3.11/3.12
  // Objects/object.c, _PyObject_GetMethod), in the instance's attribute
  // values where they are. _PyObject_GetDictPtr() would turn those into a
  // dict, after which the interpreter stops specializing self.x in the
  // subclass's methods: 3.11 and 3.12 drop the inline values then. With fn
  // a plain function, no descriptor's __get__ runs here.
  PyObject* found = nullptr;
  const int unbound = _PyObject_GetMethod(op, name, &found);
  if (found == nullptr) {
    PyErr_Clear();
    return true;
  }
  Py_DECREF(found);  // the class still holds fn
  return unbound != 1 || found != fn;
#else
  // 3.13 moved _PyObject_GetMethod out of the public headers, and gives no
  // inline values to a subclass of a C type with fields of its own (ours):
  // there the instance's dict is where its attributes are.
  (void)fn;
  PyObject** dict = _PyObject_GetDictPtr(op);
  if (dict == nullptr || *dict == nullptr) return false;
  if (PyDict_GetItemWithError(*dict, name) != nullptr) return true;
  if (PyErr_Occurred()) {
    PyErr_Clear();
    return true;
  }
  return false;
#endif
}

// The attribute self.collect_incoming_data(data) would append data to, as
// the method lookup would resolve it now, or nullptr to call it.
PyObject* appended_attr(chat_object* self, PyObject* op) noexcept {
  // A class with its own attribute lookup decides for itself.
  if (Py_TYPE(op)->tp_getattro != PyObject_GenericGetAttr) return nullptr;
  // A plain function only: another descriptor's __get__ could do anything,
  // and the call made instead would run it again.
  PyObject* fn = _PyType_Lookup(Py_TYPE(op), names.collect_incoming_data);
  if (fn == nullptr || !PyFunction_Check(fn)) return nullptr;
  PyObject* code = PyFunction_GET_CODE(fn);
  if (fn != self->collect_fn || code != self->collect_code) {
    ref target = ref::steal(PyObject_CallOneArg(recognize_append, fn));
    if (!target) PyErr_Clear();
    Py_INCREF(fn);
    Py_XSETREF(self->collect_fn, fn);
    Py_INCREF(code);
    Py_XSETREF(self->collect_code, code);
    Py_XSETREF(self->collect_attr,
               target && PyUnicode_Check(target.get()) ? target.release() : nullptr);
  }
  // A body that is not recognized is called: its lookup is the call's own.
  if (self->collect_attr == nullptr) return nullptr;
  if (shadowed(op, names.collect_incoming_data, fn)) return nullptr;
  return self->collect_attr;
}

// self.<attr>.append(data), as the recognized function's body does it.
bool append_to_attr(PyObject* op, PyObject* attr, PyObject* data) noexcept {
  ref target = ref::steal(PyObject_GetAttr(op, attr));
  if (!target) return false;
  if (PyList_CheckExact(target.get())) return PyList_Append(target.get(), data) == 0;
  ref r = ref::steal(call_method(target.get(), names.append, data));
  return static_cast<bool>(r);
}

// The framer's callbacks: CPython's calls, made through the instance.
struct chat_events {
  chat_object* self;
  PyObject* op;

  // CPython looks at the terminator at the top of each step of its loop
  // (asynchat.py:141-165): a terminator bytes.find() cannot take raises
  // there, before the step, with the buffer untouched. A throwing on_collect
  // undoes its step in the framer, which is that.
  void check_step() const {
    if (self->term_invalid) {
      set_invalid_terminator_error(self);
      throw python_error{};
    }
  }

  void on_collect(const collected& data) {
    check_step();
    PyObject* bytes = concat_bytes(data.carried, data.fresh);
    if (bytes == nullptr) throw python_error{};
    PyObject* attr = self->fast_collect ? appended_attr(self, op) : nullptr;
    bool ok = true;
    if (attr != nullptr) {
      ok = append_to_attr(op, attr, bytes);
    } else {
      PyObject* r = call_method(op, names.collect_incoming_data, bytes);
      ok = r != nullptr;
      Py_XDECREF(r);
    }
    Py_DECREF(bytes);
    if (!ok) throw python_error{};
    self->collected = true;
  }

  void on_found() {
    // A found that follows a collect is the same step; one alone starts a step.
    if (!std::exchange(self->collected, false)) check_step();
    PyObject* r = call_method(op, names.found_terminator);
    if (r == nullptr) throw python_error{};
    Py_DECREF(r);
  }
};

// asynchat.py:131-191, for the bytes recv() returned.
PyObject* frame_chunk(chat_object* self, PyObject* op, PyObject* data) noexcept {
  bytes_view chunk;
  if (!chunk.open(data)) {
    PyErr_Clear();
    return PyErr_Format(PyExc_TypeError, "can't concat %.100s to bytes", Py_TYPE(data)->tp_name);
  }
  std::string_view in = chunk.bytes();
  std::string joined;
  try {
    if (!self->stash.empty()) {
      joined.swap(self->stash);
      joined.append(in);
      in = joined;
    }
    if (!self->term_set || self->term_invalid) {
      // asynchat.py:140 — an empty buffer is not looked at.
      if (in.empty() && self->input.held().empty()) Py_RETURN_NONE;
      self->stash.assign(in);
      if (self->term_set) {
        set_invalid_terminator_error(self);
      } else {
        set_missing_terminator_error(op);
      }
      return nullptr;
    }
    chat_events events{self, op};
    self->collected = false;
    self->fast_collect = recognize_append != nullptr && !instrumented();
    self->reading = true;
    feed_result r;
    try {
      r = self->input.feed(in, events);
    } catch (...) {
      self->reading = false;
      throw;
    }
    self->reading = false;
    if (r.error == errc::input_lost) {
      // An earlier read raised MemoryError and lost bytes the framer could
      // not keep; framing on would join what follows the gap to a frame it
      // does not continue (CPython's channel was closed by then).
      return PyErr_Format(PyExc_RuntimeError,
                          "%zu bytes of an earlier read were lost for lack of memory; "
                          "discard_buffers() resumes framing after the gap",
                          self->input.bytes_lost());
    }
    if (r.error == errc::count_replaced_by_non_count) {
      // asynchat.py:153 — `self.terminator - lb` with a terminator that
      // collect_incoming_data() made something else than an int.
      return PyErr_Format(PyExc_TypeError, "unsupported operand type(s) for -: '%.100s' and 'int'",
                          Py_TYPE(self->term_obj)->tp_name);
    }
  } catch (const python_error&) {
    return nullptr;
  } catch (const std::bad_alloc&) {
    return PyErr_NoMemory();
  }
  Py_RETURN_NONE;
}

// --- methods ----------------------------------------------------------------------

PyObject* chat_set_terminator(PyObject* op, PyObject* term) {
  if (set_terminator(as_chat(op), op, term) != 0) return nullptr;
  Py_RETURN_NONE;
}

PyObject* chat_get_terminator(PyObject* op, PyObject*) { return get_terminator(as_chat(op), op); }

// asynchat.py:121-191.
PyObject* chat_handle_read(PyObject* op, PyObject*) {
  chat_object* self = as_chat(op);
  if (self->reading) {
    // CPython would recv() into the buffer its caller is walking; here the
    // framer refuses a nested feed, and the bytes must not be read first.
    PyErr_SetString(
        PyExc_RuntimeError,
        "handle_read() called from inside collect_incoming_data() or found_terminator()");
    return nullptr;
  }
  ref size = ref::steal(PyObject_GetAttr(op, names.ac_in_buffer_size));
  if (!size) return nullptr;
  ref data = ref::steal(call_method(op, names.recv, size.get()));
  if (!data) {
    if (PyErr_ExceptionMatches(PyExc_BlockingIOError)) {
      PyErr_Clear();  // asynchat.py:125-126
      Py_RETURN_NONE;
    }
    if (PyErr_ExceptionMatches(PyExc_OSError)) return handle_error_now(op);
    return nullptr;
  }
  return frame_chunk(self, op, data.get());
}

PyObject* call_initiate_send(PyObject* op) noexcept {
  PyObject* r = call_method(op, names.initiate_send);
  if (r == nullptr) return nullptr;
  Py_DECREF(r);
  Py_RETURN_NONE;
}

// asynchat.py:199-209.
PyObject* chat_push(PyObject* op, PyObject* data) {
  chat_object* self = as_chat(op);
  if (!PyBytes_Check(data) && !PyByteArray_Check(data) && !PyMemoryView_Check(data))
    return PyErr_Format(PyExc_TypeError, "data argument must be byte-ish (%R)", Py_TYPE(data));
  std::size_t sabs = 0;
  if (!out_buffer_size(op, sabs)) return nullptr;
  {
    bytes_view view;
    if (!view.open(data)) return nullptr;
    (void)self->output.set_out_buffer_size(sabs);
    try {
      // Cut into ac_out_buffer_size pieces now, as CPython cuts them. After
      // the close marker was reached nothing is queued: CPython queues it
      // behind a channel that never sends again.
      (void)self->output.push(std::string(view.bytes()));
    } catch (const std::bad_alloc&) {
      return PyErr_NoMemory();
    }
  }
  return call_initiate_send(op);
}

// Queues what CPython's deque would hold for `item` (asynchat.py:211-213,
// 233-251): None is the close marker, bytes-like objects are sent in
// ac_out_buffer_size slices, anything else is a producer.
int queue_item(chat_object* self, PyObject* item) noexcept {
  release_on_return release{self};
  try {
    if (item == Py_None) {
      (void)self->output.close_when_done();
      return 0;
    }
    if (PyObject_CheckBuffer(item)) {
      bytes_view view;
      if (!view.open(item)) return -1;
      (void)self->output.push_with_producer(std::string(view.bytes()));
      return 0;
    }
    if (PyUnicode_Check(item)) {
      // CPython would fail in send(); this fails where the mistake is made.
      PyErr_SetString(PyExc_TypeError, "a producer cannot be a str: push bytes instead");
      return -1;
    }
    (void)self->output.push_with_producer(std::make_unique<py_producer>(self, item));
  } catch (const std::bad_alloc&) {
    PyErr_NoMemory();
    return -1;
  }
  return 0;
}

PyObject* chat_push_with_producer(PyObject* op, PyObject* producer) {
  if (queue_item(as_chat(op), producer) != 0) return nullptr;
  return call_initiate_send(op);
}

// asynchat.py:227-229.
PyObject* chat_close_when_done(PyObject* op, PyObject*) {
  (void)as_chat(op)->output.close_when_done();
  Py_RETURN_NONE;
}

// The bytes a send() result says were sent: CPython tests `if num_sent:`
// (asynchat.py:261) and compares it with the bytes offered.
bool sent_bytes(PyObject* result, std::size_t offered, std::size_t& out) noexcept {
  out = 0;
  const int truth = PyObject_IsTrue(result);
  if (truth <= 0) return truth == 0;
  const Py_ssize_t n = PyNumber_AsSsize_t(result, nullptr);
  if (n == -1 && PyErr_Occurred()) return false;
  out = n <= 0 ? 0 : std::min(static_cast<std::size_t>(n), offered);
  return true;
}

// asynchat.py:231-269: one send attempt.
PyObject* chat_initiate_send(PyObject* op, PyObject*) {
  chat_object* self = as_chat(op);
  release_on_return release{self};
  if (self->output.empty()) Py_RETURN_NONE;
  const int connected = attr_truth(op, names.connected);
  if (connected <= 0) {
    if (connected < 0) return nullptr;
    Py_RETURN_NONE;
  }
  std::size_t obs = 0;
  if (!out_buffer_size(op, obs)) return nullptr;
  (void)self->output.set_out_buffer_size(obs);
  send_offer offer;
  try {
    offer = self->output.offer();
  } catch (const python_error&) {
    return nullptr;  // a producer's more() raised; it stays at the head
  } catch (const std::bad_alloc&) {
    return PyErr_NoMemory();
  }
  if (offer.status == send_status::closed) {
    PyObject* r = call_method(op, names.handle_close);  // asynchat.py:236-239
    if (r == nullptr) return nullptr;
    Py_DECREF(r);
    Py_RETURN_NONE;
  }
  if (offer.status == send_status::idle) Py_RETURN_NONE;
  ref data = ref::steal(concat_bytes(offer.data));
  if (!data) return nullptr;
  ref result = ref::steal(call_method(op, names.send, data.get()));
  if (!result) {
    if (PyErr_ExceptionMatches(PyExc_OSError)) return handle_error_now(op);
    return nullptr;
  }
  std::size_t sent = 0;
  if (!sent_bytes(result.get(), offer.data.size(), sent)) return nullptr;
  // send() is Python code: if it discarded the queue meanwhile, the outbox
  // refuses to consume bytes it no longer offers.
  (void)self->output.consume(sent);
  Py_RETURN_NONE;
}

// asynchat.py:223-225.
PyObject* chat_writable(PyObject* op, PyObject*) {
  if (!as_chat(op)->output.empty()) Py_RETURN_TRUE;
  const int connected = attr_truth(op, names.connected);
  if (connected < 0) return nullptr;
  return PyBool_FromLong(!connected);
}

// asynchat.py:271-275.
PyObject* chat_discard_buffers(PyObject* op, PyObject*) {
  chat_object* self = as_chat(op);
  release_on_return release{self};
  self->input.discard();
  self->stash.clear();
  ref incoming = ref::steal(PyObject_GetAttr(op, names.incoming));
  if (!incoming || PySequence_DelSlice(incoming.get(), 0, PY_SSIZE_T_MAX) != 0) return nullptr;
  self->output.discard();
  Py_RETURN_NONE;
}

// What async_chat.__init__ starts with (asynchat.py:70-81): no input kept,
// a new, empty producer FIFO. The terminator is left as it is.
PyObject* chat_reset_buffers(PyObject* op, PyObject*) {
  chat_object* self = as_chat(op);
  release_on_return release{self};
  self->input.discard();
  self->stash.clear();
  self->output = outbox();
  Py_RETURN_NONE;
}

// --- attributes ----------------------------------------------------------------------

PyObject* chat_get_terminator_attr(PyObject* op, void*) { return get_terminator(as_chat(op), op); }

int chat_set_terminator_attr(PyObject* op, PyObject* value, void*) {
  if (value == nullptr) {
    PyErr_SetString(PyExc_AttributeError, "the terminator cannot be deleted");
    return -1;
  }
  return set_terminator(as_chat(op), op, value);
}

// CPython's ac_in_buffer between reads: the held-back start of a delimiter
// (and bytes waiting for a terminator).
PyObject* chat_get_in_buffer(PyObject* op, void*) {
  chat_object* self = as_chat(op);
  return concat_bytes(self->input.held(), self->stash);
}

int chat_set_in_buffer(PyObject* op, PyObject* value, void*) {
  chat_object* self = as_chat(op);
  bytes_view view;
  if (value == nullptr || !view.open(value)) {
    if (value == nullptr) PyErr_SetString(PyExc_AttributeError, "ac_in_buffer cannot be deleted");
    return -1;
  }
  try {
    std::string bytes(view.bytes());
    self->input.discard();
    self->stash.swap(bytes);
  } catch (const std::bad_alloc&) {
    PyErr_NoMemory();
    return -1;
  }
  return 0;
}

PyTypeObject* fifo_view_type = nullptr;

// What producer_fifo returns: a view of the outbox, keeping its channel alive.
struct fifo_view_object {
  PyObject_HEAD PyObject* chat;
};

PyObject* chat_get_fifo(PyObject* op, void*) {
  PyObject* view = PyType_GenericAlloc(fifo_view_type, 0);
  if (view == nullptr) return nullptr;
  Py_INCREF(op);
  reinterpret_cast<fifo_view_object*>(view)->chat = op;
  return view;
}

// `self.producer_fifo = deque(...)`: the queue becomes those items.
int chat_set_fifo(PyObject* op, PyObject* value, void*) {
  chat_object* self = as_chat(op);
  if (value == nullptr) {
    PyErr_SetString(PyExc_AttributeError, "producer_fifo cannot be deleted");
    return -1;
  }
  ref items = ref::steal(PySequence_List(value));
  if (!items) return -1;
  {
    release_on_return release{self};
    self->output = outbox();
  }
  for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items.get()); ++i)
    if (queue_item(self, PyList_GET_ITEM(items.get(), i)) != 0) return -1;
  return 0;
}

// --- type ---------------------------------------------------------------------------------

PyObject* chat_new(PyTypeObject* type, PyObject*, PyObject*) {
  PyObject* op = new_instance(type);
  if (op == nullptr) return nullptr;
  chat_object* self = as_chat(op);
  // The rest of the object is zeroed by tp_alloc.
  new (&self->input) framer();
  new (&self->output) outbox();
  new (&self->stash) std::string();
  new (&self->producers) std::vector<py_producer*>();
  new (&self->released) std::vector<PyObject*>();
  return op;
}

int chat_traverse(PyObject* op, visitproc visit, void* arg) {
  chat_object* self = as_chat(op);
  Py_VISIT(Py_TYPE(op));
  Py_VISIT(self->term_obj);
  Py_VISIT(self->count_excess);
  Py_VISIT(self->collect_fn);
  Py_VISIT(self->collect_code);
  Py_VISIT(self->collect_attr);
  for (const py_producer* p : self->producers)
    if (int r = p->traverse(visit, arg); r != 0) return r;
  for (PyObject* o : self->released) Py_VISIT(o);
  return 0;
}

// The references the object holds outside the outbox.
void drop_references(chat_object* self) noexcept {
  Py_CLEAR(self->term_obj);
  Py_CLEAR(self->count_excess);
  Py_CLEAR(self->collect_fn);
  Py_CLEAR(self->collect_code);
  Py_CLEAR(self->collect_attr);
}

int chat_clear(PyObject* op) {
  chat_object* self = as_chat(op);
  drop_references(self);
  self->term_set = false;
  self->output.discard();
  flush_released(self);
  return 0;
}

void chat_dealloc(PyObject* op) {
  dealloc_gc_object(op, [self = as_chat(op)] {
    drop_references(self);
    self->output.~outbox();
    flush_released(self);
    self->input.~framer();
    self->stash.~basic_string();
    self->producers.~vector();
    self->released.~vector();
  });
}

PyMethodDef chat_methods[] = {
    {"set_terminator", chat_set_terminator, METH_O,
     "set_terminator(term): what ends a frame: bytes, a byte count, or None."},
    {"get_terminator", chat_get_terminator, METH_NOARGS,
     "get_terminator(): the terminator; while a count runs, the bytes still expected."},
    {"handle_read", chat_handle_read, METH_NOARGS,
     "handle_read(): recv() and frame what arrived, calling collect_incoming_data() and "
     "found_terminator()."},
    {"push", chat_push, METH_O, "push(data): queue bytes to send, then initiate_send()."},
    {"push_with_producer", chat_push_with_producer, METH_O,
     "push_with_producer(producer): queue a producer (an object with more()), then "
     "initiate_send()."},
    {"close_when_done", chat_close_when_done, METH_NOARGS,
     "close_when_done(): close the channel once everything queued before is sent."},
    {"initiate_send", chat_initiate_send, METH_NOARGS,
     "initiate_send(): one send() of what the producer FIFO holds first."},
    {"writable", chat_writable, METH_NOARGS,
     "writable(): whether the loop should wait for writability (output queued, or not connected)."},
    {"discard_buffers", chat_discard_buffers, METH_NOARGS,
     "discard_buffers(): drop buffered input, the incoming list and every queued output."},
    {"_reset_buffers", chat_reset_buffers, METH_NOARGS, nullptr},
    {nullptr, nullptr, 0, nullptr},
};

PyGetSetDef chat_getset[] = {
    {"terminator", chat_get_terminator_attr, chat_set_terminator_attr,
     "The terminator (CPython's attribute; assigning it is set_terminator()).", nullptr},
    {"ac_in_buffer", chat_get_in_buffer, chat_set_in_buffer,
     "Input kept between reads: the held-back start of a delimiter.", nullptr},
    {"producer_fifo", chat_get_fifo, chat_set_fifo,
     "The output queue (a view: len, bool, append, clear).", nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr},
};

PyType_Slot chat_slots[] = {
    {Py_tp_doc, const_cast<char*>(
                    "The C++ core of chatframe.asynchat.async_chat (framer and producer FIFO).")},
    {Py_tp_new, reinterpret_cast<void*>(chat_new)},
    {Py_tp_dealloc, reinterpret_cast<void*>(chat_dealloc)},
    {Py_tp_traverse, reinterpret_cast<void*>(chat_traverse)},
    {Py_tp_clear, reinterpret_cast<void*>(chat_clear)},
    {Py_tp_methods, chat_methods},
    {Py_tp_getset, chat_getset},
    {0, nullptr},
};

PyType_Spec chat_spec = {"chatframe._core.chat", sizeof(chat_object), 0,
                         Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC, chat_slots};

// --- producer_fifo's view -------------------------------------------------------------------

chat_object* viewed(PyObject* op) noexcept {
  return as_chat(reinterpret_cast<fifo_view_object*>(op)->chat);
}

// CPython's deque has one entry per pushed slice, producer and piece; the
// outbox does not count them. The length is 0 exactly when nothing is
// queued (CPython's `not self.producer_fifo`), otherwise 1.
Py_ssize_t fifo_len(PyObject* op) { return viewed(op)->output.empty() ? 0 : 1; }

int fifo_bool(PyObject* op) { return viewed(op)->output.empty() ? 0 : 1; }

PyObject* fifo_append(PyObject* op, PyObject* item) {
  if (queue_item(viewed(op), item) != 0) return nullptr;
  Py_RETURN_NONE;
}

PyObject* fifo_clear(PyObject* op, PyObject*) {
  chat_object* self = viewed(op);
  release_on_return release{self};
  self->output.discard();
  Py_RETURN_NONE;
}

PyObject* fifo_repr(PyObject* op) {
  return PyUnicode_FromFormat("<producer_fifo: %zu bytes queued%s>",
                              viewed(op)->output.queued_bytes(),
                              viewed(op)->output.empty() ? ", empty" : "");
}

int fifo_traverse(PyObject* op, visitproc visit, void* arg) {
  Py_VISIT(Py_TYPE(op));
  Py_VISIT(reinterpret_cast<fifo_view_object*>(op)->chat);
  return 0;
}

int fifo_clear_refs(PyObject* op) {
  Py_CLEAR(reinterpret_cast<fifo_view_object*>(op)->chat);
  return 0;
}

void fifo_dealloc(PyObject* op) {
  dealloc_gc_object(op, [op] { Py_CLEAR(reinterpret_cast<fifo_view_object*>(op)->chat); });
}

PyMethodDef fifo_methods[] = {
    {"append", fifo_append, METH_O,
     "append(item): queue bytes, a producer, or None (close marker)."},
    {"clear", fifo_clear, METH_NOARGS, "clear(): drop everything queued."},
    {nullptr, nullptr, 0, nullptr},
};

PyType_Slot fifo_slots[] = {
    {Py_tp_dealloc, reinterpret_cast<void*>(fifo_dealloc)},
    {Py_tp_traverse, reinterpret_cast<void*>(fifo_traverse)},
    {Py_tp_clear, reinterpret_cast<void*>(fifo_clear_refs)},
    {Py_tp_repr, reinterpret_cast<void*>(fifo_repr)},
    {Py_tp_methods, fifo_methods},
    {Py_sq_length, reinterpret_cast<void*>(fifo_len)},
    {Py_nb_bool, reinterpret_cast<void*>(fifo_bool)},
    {0, nullptr},
};

PyType_Spec fifo_spec = {"chatframe._core.fifo_view", sizeof(fifo_view_object), 0,
                         Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC, fifo_slots};

}  // namespace

PyObject* make_chat_type(PyObject* module) noexcept {
  return PyType_FromModuleAndSpec(module, &chat_spec, nullptr);
}

PyMethodDef chat_module_functions[] = {
    {"_set_fast_collect_hooks",
     reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(set_fast_collect_hooks)),
     METH_FASTCALL,
     "_set_fast_collect_hooks(recognize, monitoring_active): turns on the fast path for "
     "append-only collect_incoming_data()."},
    {nullptr, nullptr, 0, nullptr},
};

PyObject* make_fifo_view_type(PyObject* module) noexcept {
  PyObject* type = PyType_FromModuleAndSpec(module, &fifo_spec, nullptr);
  fifo_view_type = reinterpret_cast<PyTypeObject*>(type);
  return type;
}

}  // namespace chatframe::python
