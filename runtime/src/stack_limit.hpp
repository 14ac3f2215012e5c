// V8 assumes the thread that enters an isolate has the stack V8 measured when
// it was created. Calls come from the application's threads, whose stacks
// may be far smaller (512 KB is common), so each lease sets the isolate's
// stack limit from the leasing thread's own stack.
#pragma once

#include <cstdint>

namespace phost::v8rt {

// The address below which V8 must report a stack overflow on this thread: a
// margin above the end of the thread's stack, so that C++ frames below V8's
// (the host, our callbacks, native processes called from JS) still fit.
// 0 when the platform cannot tell.
uintptr_t stack_limit_for_this_thread() noexcept;

}  // namespace phost::v8rt
