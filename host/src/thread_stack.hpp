// How much stack the calling thread has left: the guard that keeps nested
// calls from overflowing a small stack (1 MB for an MSVC program's threads,
// 2 MB for mingw's, 8 MB for Linux's) before the depth limit trips.
#pragma once

#include <cstddef>

namespace phost {

// Bytes between the caller's frame and the end of this thread's stack, or
// SIZE_MAX where the platform cannot tell (the depth limit alone applies).
size_t thread_stack_left() noexcept;

}  // namespace phost
