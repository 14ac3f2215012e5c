#include "stack_limit.hpp"

#if defined(__linux__)
#include <pthread.h>
#endif

#include <algorithm>

namespace phost::v8rt {
namespace {

// What stays free for C++ under V8's limit: our callbacks, a nested call into
// the host and a native handler. A quarter of a small stack, at most 256 KB.
uintptr_t margin_for(size_t stack_size) noexcept {
  return std::min<uintptr_t>(stack_size / 4, 256 * 1024);
}

uintptr_t compute() noexcept {
#if defined(__linux__)
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) != 0) return 0;
  void* low = nullptr;
  size_t size = 0;
  const int rc = pthread_attr_getstack(&attr, &low, &size);
  pthread_attr_destroy(&attr);
  if (rc != 0 || !low || size == 0) return 0;
  // The main thread's reported size is its rlimit; the guard page sits below low.
  return reinterpret_cast<uintptr_t>(low) + margin_for(size);
#else
  return 0;
#endif
}

}  // namespace

uintptr_t stack_limit_for_this_thread() noexcept {
  thread_local const uintptr_t limit = compute();  // a thread's stack never moves
  return limit;
}

}  // namespace phost::v8rt
