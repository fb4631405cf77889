// python/src/splitter.hpp — `_core.splitter`, the frame splitter under chatframe.aio.
//
// A chatframe::framer that hands out whole frames as bytes objects, in three
// ways: every frame of a chunk as one list (feed), one call per frame
// (feed_each), or only the first frame and where the rest of the chunk
// begins (next_frame, for a stream reader whose next read may want another
// terminator). Frames longer than max_frame_size raise FrameTooLarge and
// leave the splitter failed.
#pragma once

#include "py.hpp"

namespace chatframe::python {

// Adds the splitter type and FrameTooLarge to the module; -1 on failure.
int add_splitter(PyObject* module) noexcept;

}  // namespace chatframe::python
