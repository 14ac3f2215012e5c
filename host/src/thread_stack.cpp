#include "thread_stack.hpp"

#include "fast_tls.hpp"

#include <cstdint>

#ifdef _WIN32
#include <windows.h>
#elif defined(__linux__)
#include <pthread.h>
#endif
#ifdef _MSC_VER
#include <intrin.h>
#endif

namespace phost {
namespace {

// The lowest address of this thread's stack (it grows down on every target);
// 0 when unknown.
uintptr_t ask_stack_floor() noexcept {
#ifdef _WIN32
  ULONG_PTR low = 0;
  ULONG_PTR high = 0;
  GetCurrentThreadStackLimits(&low, &high);
  return static_cast<uintptr_t>(low);
#elif defined(__linux__)
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) != 0) return uintptr_t{0};
  void* low = nullptr;
  size_t size = 0;
  const int rc = pthread_attr_getstack(&attr, &low, &size);
  pthread_attr_destroy(&attr);
  return rc == 0 ? reinterpret_cast<uintptr_t>(low) : uintptr_t{0};
#else
  return uintptr_t{0};
#endif
}

// Asked once per thread.
uintptr_t stack_floor() noexcept {
  constexpr uintptr_t kNotAsked = 1;  // no stack starts at address 1
  thread_local uintptr_t floor PHOST_FAST_TLS = kNotAsked;
  if (floor == kNotAsked) floor = ask_stack_floor();
  return floor;
}

}  // namespace

size_t thread_stack_left() noexcept {
  const uintptr_t floor = stack_floor();
  if (floor == 0) return SIZE_MAX;
  // The frame itself, not a local's address: ASan may keep locals on a heap "fake stack".
#ifdef _MSC_VER
  const auto here = reinterpret_cast<uintptr_t>(_AddressOfReturnAddress());
#else
  const auto here = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
#endif
  return here > floor ? static_cast<size_t>(here - floor) : 0;
}

}  // namespace phost
