// python/src/splitter.cpp — `_core.splitter` (splitter.hpp).
//
// Why not chatframe::frame_assembler: it hands out every frame of a chunk
// and keeps the rest of the chunk, while a stream reader must stop after
// one frame and leave the rest where it lies, to be framed by whatever
// terminator its next read asks for (next_frame()). The splitter therefore
// keeps the frame being assembled itself — a view into the chunk while the
// frame lies inside it, one copy once it spans chunks — and stops after a
// frame by switching the framer to no terminator, which hands the rest of
// the chunk to on_collect() in one view.
#include "splitter.hpp"

#include <chatframe/framer.hpp>
#include <limits>
#include <new>
#include <string>
#include <vector>

namespace chatframe::python {
namespace {

PyObject* frame_too_large = nullptr;  // the exception class

struct splitter_object {
  PyObject_HEAD framer input;
  std::string acc;           // the frame so far, once it spans chunks
  std::string_view pending;  // the frame so far, while it is one view into the chunk
  // Bytes to frame before the next chunk: input unread by a terminator
  // change, or what followed a frame in bytes the caller does not hold.
  std::string leftover;
  // feed()'s frames, gathered before its list is made (the capacity stays:
  // no allocation per call once it has held a chunk's frames).
  std::vector<PyObject*> batch;
  PyObject* term_obj;  // the terminator as set (bytes or int)
  std::size_t max_frame;
  bool suspended;  // next_frame() left the framer without a terminator
  bool in_feed;
  bool failed;
};

splitter_object* as_splitter(PyObject* op) noexcept {
  return reinterpret_cast<splitter_object*>(op);
}

std::size_t frame_size(const splitter_object* self) noexcept {
  return self->acc.size() + self->pending.size();
}

void raise_too_large(std::size_t size, std::size_t limit) noexcept {
  ref exc = ref::steal(PyObject_CallFunction(frame_too_large, "nn", static_cast<Py_ssize_t>(size),
                                             static_cast<Py_ssize_t>(limit)));
  if (!exc) return;
  if (PyObject_SetAttrString(exc.get(), "frames", Py_None) != 0) return;
  PyErr_SetObject(frame_too_large, exc.get());
}

// The frames gathered in `batch` as a new list (which takes their references).
PyObject* take_batch(splitter_object* self) noexcept {
  PyObject* list = PyList_New(static_cast<Py_ssize_t>(self->batch.size()));
  if (list != nullptr) {
    for (std::size_t i = 0; i < self->batch.size(); ++i)
      PyList_SET_ITEM(list, static_cast<Py_ssize_t>(i), self->batch[i]);
  } else {
    for (PyObject* frame : self->batch) Py_DECREF(frame);
  }
  self->batch.clear();
  return list;
}

// Checks and applies a terminator: bytes (a delimiter) or an int (a count),
// neither empty. 0, or -1 with an exception set.
int apply_terminator(splitter_object* self, PyObject* term) noexcept {
  terminator t;
  if (PyLong_Check(term)) {
    int overflow = 0;
    const long long n = PyLong_AsLongLongAndOverflow(term, &overflow);
    if (n == -1 && PyErr_Occurred()) return -1;
    if (overflow < 0 || (overflow == 0 && n <= 0)) {
      PyErr_SetString(PyExc_ValueError, "a count terminator must be at least 1");
      return -1;
    }
    if (overflow > 0 || static_cast<unsigned long long>(n) > self->max_frame) {
      raise_too_large(
          overflow > 0 ? std::numeric_limits<std::size_t>::max() : static_cast<std::size_t>(n),
          self->max_frame);
      return -1;
    }
    t = terminator::count(n);
  } else {
    bytes_view view;
    if (!view.open(term)) return -1;
    if (view.bytes().empty()) {
      PyErr_SetString(PyExc_ValueError, "a delimiter cannot be empty");
      return -1;
    }
    t = terminator::bytes(view.bytes());
  }
  if (self->input.set_terminator(std::move(t)) != errc::ok) {
    PyErr_SetString(PyExc_ValueError, "delimiter too long");
    return -1;
  }
  Py_INCREF(term);
  Py_XSETREF(self->term_obj, term);
  self->suspended = false;
  return 0;
}

bool same_terminator(PyObject* a, PyObject* b) noexcept {
  if (a == b) return true;
  if (a == nullptr || b == nullptr || Py_TYPE(a) != Py_TYPE(b)) return false;
  const int eq = PyObject_RichCompareBool(a, b, Py_EQ);
  if (eq < 0) PyErr_Clear();
  return eq == 1;
}

// Outside a feed, a new terminator applies to every byte not yet in a
// frame: the frame begun and the held-back bytes go back to be framed again.
int set_terminator(splitter_object* self, PyObject* term) noexcept {
  if (self->in_feed) return apply_terminator(self, term);  // on_found(): the framer's own rule
  if (same_terminator(self->term_obj, term)) {
    if (self->suspended) return apply_terminator(self, term);
    return 0;
  }
  try {
    std::string unread = std::move(self->acc);
    unread.append(self->input.take_held());
    unread.append(self->leftover);
    self->acc.clear();
    self->leftover.swap(unread);
  } catch (const std::bad_alloc&) {
    PyErr_NoMemory();
    return -1;
  }
  return apply_terminator(self, term);
}

enum class delivery : unsigned char { list, each, first };

// The framer's callbacks, compiled once per way of delivering frames.
template <delivery How>
struct splitter_events {
  splitter_object* self;
  PyObject* callback = nullptr;  // delivery::each
  // delivery::first: the frame, and where the bytes after it begin.
  const char* chunk = nullptr;
  std::size_t chunk_size = 0;
  PyObject* frame = nullptr;
  std::size_t rest_at = 0;
  bool with_delimiter = false;  // the frame ends with its delimiter, as asyncio's readuntil()

  void on_collect(const collected& data) {
    // The usual case, kept small enough to inline: a frame's first bytes,
    // inside the chunk: no copy while the frame lies there.
    if ((How != delivery::first || frame == nullptr) && self->pending.empty() &&
        data.carried.empty() && self->acc.empty() && data.fresh.size() <= self->max_frame)
        [[likely]] {
      // Field by field: a copy of the whole view is one 16-byte load of the
      // `collected` the run has just stored as two 8-byte halves, which the
      // store buffer cannot forward (a stall that cost 16% of feed() on 16 B
      // lines: perf annotate; bench/NOTES.md, "python splitter").
      self->pending = std::string_view(data.fresh.data(), data.fresh.size());
      return;
    }
    collect_more(data);
  }

  [[gnu::noinline]] void collect_more(const collected& data) {
    if (How == delivery::first && frame != nullptr) {
      // After the frame: the framer has no terminator now and hands over the
      // rest in one call; the part in the chunk stays there. (Held-back bytes
      // cannot be in it today: a frame ends after them, and a terminator
      // changed between reads moves them to leftover first. Kept, they would
      // be the oldest bytes, so the rest stays right whatever the framer holds.)
      self->leftover.append(data.carried);
      rest_at =
          data.fresh.empty() ? chunk_size : static_cast<std::size_t>(data.fresh.data() - chunk);
      return;
    }
    if (frame_size(self) + data.size() > self->max_frame) {
      const std::size_t size = frame_size(self) + data.size();
      self->failed = true;
      self->input.discard();
      raise_too_large(size, self->max_frame);
      throw python_error{};
    }
    if (!self->pending.empty()) {
      self->acc.assign(self->pending);
      self->pending = {};
    }
    data.append_to(self->acc);
  }

  void on_found() {
    // The usual case inlined: a frame inside the chunk, gathered for feed().
    if (How == delivery::list && self->acc.empty() && self->batch.size() < self->batch.capacity())
        [[likely]] {
      PyObject* bytes = PyBytes_FromStringAndSize(self->pending.data(),
                                                  static_cast<Py_ssize_t>(self->pending.size()));
      if (bytes == nullptr) throw python_error{};
      self->pending = {};
      self->batch.push_back(bytes);  // within capacity: cannot throw
      rearm_count();
      return;
    }
    found_more();
  }

  // A count that ended a frame is left at 0 by the framer (CPython's
  // asynchat does the same); a splitter counts every frame, so the count
  // set is armed again unless the frame's callback set a terminator.
  void rearm_count() const noexcept {
    const terminator& t = self->input.get_terminator();
    if (t.is_count() && t.byte_count() == 0)
      (void)self->input.set_count(PyLong_AsLongLong(self->term_obj));
  }

  [[gnu::noinline]] void found_more() {
    const std::string_view delimiter = How == delivery::first && with_delimiter
                                           ? self->input.get_terminator().delimiter()
                                           : std::string_view();
    PyObject* bytes = concat_bytes(self->acc, self->pending, delimiter);
    self->acc.clear();
    self->pending = {};
    if (bytes == nullptr) throw python_error{};
    if constexpr (How == delivery::list) {
      try {
        self->batch.push_back(bytes);
      } catch (const std::bad_alloc&) {
        Py_DECREF(bytes);
        PyErr_NoMemory();
        throw python_error{};
      }
      rearm_count();
    } else if constexpr (How == delivery::each) {
      PyObject* r = PyObject_CallOneArg(callback, bytes);
      Py_DECREF(bytes);
      if (r == nullptr) throw python_error{};
      Py_DECREF(r);
      rearm_count();
    } else {
      frame = bytes;
      rest_at = chunk_size;  // unless on_collect() hands over a rest
      self->suspended = true;
      (void)self->input.set_terminator(terminator::none());
    }
  }
};

// Frames `bytes` (not kept after the call); 0, or -1 with an exception set.
template <delivery How>
int feed(splitter_object* self, std::string_view bytes, splitter_events<How>& events) noexcept {
  if (self->failed) {
    PyErr_SetString(PyExc_RuntimeError, "the splitter failed on a frame over max_frame_size");
    return -1;
  }
  if (self->suspended && apply_terminator(self, self->term_obj) != 0) return -1;
  events.chunk = bytes.data();
  events.chunk_size = bytes.size();
  int status = 0;
  self->in_feed = true;
  try {
    const feed_result r = self->input.feed(bytes, events);
    if (r.error == errc::reentrant_feed) {
      PyErr_SetString(PyExc_RuntimeError, "feed from inside a frame callback");
      status = -1;
    } else if (r.error == errc::input_lost) {
      // An earlier feed raised MemoryError and lost bytes that could not be
      // kept: the stream has a gap, and no frame after it can be trusted.
      PyErr_Format(PyExc_RuntimeError,
                   "%zu bytes of an earlier feed were lost for lack of memory; "
                   "the splitter cannot go on",
                   self->input.bytes_lost());
      status = -1;
    }
  } catch (const python_error&) {
    status = -1;
  } catch (const std::bad_alloc&) {
    PyErr_NoMemory();
    status = -1;
  }
  self->in_feed = false;
  try {
    // The chunk is the caller's: a frame still open must not point into it.
    if (!self->pending.empty()) self->acc.assign(self->pending);
  } catch (const std::bad_alloc&) {
    PyErr_NoMemory();
    status = -1;
  }
  self->pending = {};
  return status;
}

// Frames the leftover bytes, then `bytes`.
template <delivery How>
int feed_all(splitter_object* self, std::string_view bytes, splitter_events<How>& events) noexcept {
  if (!self->leftover.empty()) {
    std::string leftover;
    leftover.swap(self->leftover);
    if (feed(self, leftover, events) != 0) return -1;
  }
  return feed(self, bytes, events);
}

// --- methods --------------------------------------------------------------------------------

PyObject* splitter_feed(PyObject* op, PyObject* data) {
  splitter_object* self = as_splitter(op);
  bytes_view view;
  if (!view.open(data)) return nullptr;
  splitter_events<delivery::list> events{self};
  const int status = feed_all(self, view.bytes(), events);
  ref frames = ref::steal(take_batch(self));
  if (status == 0 || !frames) return frames.release();
  if (PyErr_ExceptionMatches(frame_too_large)) {
    // The frames completed before the one that was too large go with it.
    ref exc = ref::steal(take_raised_exception());
    if (exc) (void)PyObject_SetAttrString(exc.get(), "frames", frames.get());
    PyErr_SetObject(frame_too_large, exc.get());
  }
  return nullptr;
}

PyObject* splitter_feed_each(PyObject* op, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 2)
    return PyErr_Format(PyExc_TypeError, "feed_each(data, callback) takes 2 arguments");
  splitter_object* self = as_splitter(op);
  bytes_view view;
  if (!view.open(args[0])) return nullptr;
  splitter_events<delivery::each> events{self, args[1]};
  if (feed_all(self, view.bytes(), events) != 0) return nullptr;
  Py_RETURN_NONE;
}

// (frame, end): the first frame in the leftover bytes and data[start:], and
// the index in data where the bytes after it begin; (None, len(data)) when
// no frame ended. A true third argument keeps the delimiter on the frame.
PyObject* splitter_next_frame(PyObject* op, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs < 1 || nargs > 3)
    return PyErr_Format(PyExc_TypeError, "next_frame(data, start=0, with_delimiter=False)");
  splitter_object* self = as_splitter(op);
  bytes_view view;
  if (!view.open(args[0])) return nullptr;
  Py_ssize_t start = 0;
  if (nargs >= 2) {
    start = PyNumber_AsSsize_t(args[1], PyExc_OverflowError);
    if (start == -1 && PyErr_Occurred()) return nullptr;
  }
  const std::string_view data = view.bytes();
  if (start < 0 || static_cast<std::size_t>(start) > data.size())
    return PyErr_Format(PyExc_ValueError, "start %zd outside the data", start);
  splitter_events<delivery::first> events{self};
  if (nargs == 3) {
    const int keep = PyObject_IsTrue(args[2]);
    if (keep < 0) return nullptr;
    events.with_delimiter = keep != 0;
  }
  if (!self->leftover.empty()) {
    std::string leftover;
    leftover.swap(self->leftover);
    if (feed(self, leftover, events) != 0) return nullptr;
    if (events.frame != nullptr) {
      ref frame = ref::steal(events.frame);
      try {
        self->leftover.append(leftover, events.rest_at);
      } catch (const std::bad_alloc&) {
        return PyErr_NoMemory();
      }
      return Py_BuildValue("(On)", frame.get(), start);
    }
  }
  if (feed(self, data.substr(static_cast<std::size_t>(start)), events) != 0) {
    Py_XDECREF(events.frame);
    return nullptr;
  }
  if (events.frame == nullptr)
    return Py_BuildValue("(On)", Py_None, static_cast<Py_ssize_t>(data.size()));
  ref frame = ref::steal(events.frame);
  return Py_BuildValue("(On)", frame.get(),
                       static_cast<Py_ssize_t>(start + static_cast<Py_ssize_t>(events.rest_at)));
}

// The bytes not in any frame yet (the frame begun, held-back and leftover
// bytes), forgotten: what a stream reader reports at end of stream.
PyObject* splitter_take_partial(PyObject* op, PyObject*) {
  splitter_object* self = as_splitter(op);
  if (self->in_feed) return PyErr_Format(PyExc_RuntimeError, "take_partial() inside a feed");
  ref out = ref::steal(concat_bytes(self->acc, self->input.take_held()));
  if (!out) return nullptr;
  if (!self->leftover.empty()) {
    PyObject* joined = out.release();
    PyBytes_Concat(&joined, ref::steal(concat_bytes(self->leftover)).get());
    if (joined == nullptr) return nullptr;
    out = ref::steal(joined);
  }
  self->acc.clear();
  self->leftover.clear();
  return out.release();
}

PyObject* splitter_get_terminator(PyObject* op, void*) {
  PyObject* t = as_splitter(op)->term_obj;
  Py_INCREF(t);
  return t;
}

int splitter_set_terminator(PyObject* op, PyObject* value, void*) {
  if (value == nullptr) {
    PyErr_SetString(PyExc_AttributeError, "the terminator cannot be deleted");
    return -1;
  }
  return set_terminator(as_splitter(op), value);
}

PyObject* splitter_get_max(PyObject* op, void*) {
  return PyLong_FromSize_t(as_splitter(op)->max_frame);
}

int splitter_set_max(PyObject* op, PyObject* value, void*) {
  std::size_t n = 0;
  if (value == nullptr || !PyLong_Check(value) || saturated_size(value, n) != 0 || n == 0) {
    if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "max_frame_size must be an int >= 1");
    return -1;
  }
  as_splitter(op)->max_frame = n;
  return 0;
}

PyObject* splitter_get_buffered(PyObject* op, void*) {
  const splitter_object* self = as_splitter(op);
  return PyLong_FromSize_t(frame_size(self) + self->input.held().size() + self->leftover.size());
}

PyObject* splitter_get_failed(PyObject* op, void*) {
  return PyBool_FromLong(as_splitter(op)->failed);
}

// --- type -------------------------------------------------------------------------------------

PyObject* splitter_new(PyTypeObject* type, PyObject*, PyObject*) {
  PyObject* op = new_instance(type);
  if (op == nullptr) return nullptr;
  splitter_object* self = as_splitter(op);
  new (&self->input) framer();
  new (&self->acc) std::string();
  new (&self->pending) std::string_view();
  new (&self->leftover) std::string();
  new (&self->batch) std::vector<PyObject*>();
  self->max_frame = std::size_t{1} << 20;
  return op;
}

int splitter_init(PyObject* op, PyObject* args, PyObject* kwargs) {
  static const char* keywords[] = {"terminator", "max_frame_size", nullptr};
  PyObject* term = nullptr;
  Py_ssize_t max_frame = Py_ssize_t{1} << 20;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|On:splitter", const_cast<char**>(keywords),
                                   &term, &max_frame))
    return -1;
  if (max_frame < 1) {
    PyErr_SetString(PyExc_ValueError, "max_frame_size must be at least 1");
    return -1;
  }
  splitter_object* self = as_splitter(op);
  self->max_frame = static_cast<std::size_t>(max_frame);
  ref newline;
  if (term == nullptr) {
    newline = ref::steal(PyBytes_FromString("\n"));
    if (!newline) return -1;
    term = newline.get();
  }
  return set_terminator(self, term);
}

int splitter_traverse(PyObject* op, visitproc visit, void* arg) {
  Py_VISIT(Py_TYPE(op));
  Py_VISIT(as_splitter(op)->term_obj);
  return 0;
}

int splitter_clear(PyObject* op) {
  Py_CLEAR(as_splitter(op)->term_obj);
  return 0;
}

void splitter_dealloc(PyObject* op) {
  dealloc_gc_object(op, [self = as_splitter(op)] {
    Py_CLEAR(self->term_obj);
    self->input.~framer();
    self->acc.~basic_string();
    self->leftover.~basic_string();
    for (PyObject* frame : self->batch) Py_DECREF(frame);
    self->batch.~vector();
  });
}

PyMethodDef splitter_methods[] = {
    {"feed", splitter_feed, METH_O, "feed(data) -> list of the frames that data completes."},
    {"feed_each", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(splitter_feed_each)),
     METH_FASTCALL, "feed_each(data, callback): callback(frame) for each frame data completes."},
    {"next_frame", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(splitter_next_frame)),
     METH_FASTCALL,
     "next_frame(data, start=0, with_delimiter=False) -> (frame, end): the first frame and "
     "where the bytes after it begin in data, or (None, len(data))."},
    {"take_partial", splitter_take_partial, METH_NOARGS,
     "take_partial() -> bytes not in any frame yet, forgotten (at end of stream)."},
    {nullptr, nullptr, 0, nullptr},
};

PyGetSetDef splitter_getset[] = {
    {"terminator", splitter_get_terminator, splitter_set_terminator,
     "bytes (a delimiter) or int (a byte count).", nullptr},
    {"max_frame_size", splitter_get_max, splitter_set_max, "The longest frame accepted.", nullptr},
    {"buffered", splitter_get_buffered, nullptr, "Bytes received and not in a frame yet.", nullptr},
    {"failed", splitter_get_failed, nullptr, "True once a frame outgrew max_frame_size.", nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr},
};

PyType_Slot splitter_slots[] = {
    {Py_tp_doc,
     const_cast<char*>("splitter(terminator=b'\\n', max_frame_size=1048576): whole frames "
                       "from a byte stream, framed by chatframe's C++ core.")},
    {Py_tp_new, reinterpret_cast<void*>(splitter_new)},
    {Py_tp_init, reinterpret_cast<void*>(splitter_init)},
    {Py_tp_dealloc, reinterpret_cast<void*>(splitter_dealloc)},
    {Py_tp_traverse, reinterpret_cast<void*>(splitter_traverse)},
    {Py_tp_clear, reinterpret_cast<void*>(splitter_clear)},
    {Py_tp_methods, splitter_methods},
    {Py_tp_getset, splitter_getset},
    {0, nullptr},
};

PyType_Spec splitter_spec = {"chatframe._core.splitter", sizeof(splitter_object), 0,
                             Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
                             splitter_slots};

}  // namespace

int add_splitter(PyObject* module) noexcept {
  frame_too_large =
      PyErr_NewExceptionWithDoc("chatframe._core.FrameTooLarge",
                                "A frame (or a count terminator) over max_frame_size: args are "
                                "(size, limit); `frames` holds the "
                                "frames completed before it in the same feed() call.",
                                PyExc_ValueError, nullptr);
  if (frame_too_large == nullptr) return -1;
  Py_INCREF(frame_too_large);
  if (PyModule_AddObject(module, "FrameTooLarge", frame_too_large) != 0) {
    Py_DECREF(frame_too_large);
    return -1;
  }
  PyObject* type = PyType_FromModuleAndSpec(module, &splitter_spec, nullptr);
  if (type == nullptr) return -1;
  if (PyModule_AddObject(module, "splitter", type) != 0) {
    Py_DECREF(type);
    return -1;
  }
  return 0;
}

}  // namespace chatframe::python
