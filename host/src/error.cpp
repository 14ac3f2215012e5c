#include "error.hpp"

#include "utf8.hpp"

#ifdef __MINGW32__
#include <windows.h>

#include <new>
#endif

namespace phost {

int32_t default_code(phost_status status) noexcept {
  switch (status) {
    case PHOST_OK: return 0;
    case PHOST_E_INVALID_ARG:
    case PHOST_E_TYPE: return 400;
    case PHOST_E_NOT_FOUND: return 404;
    case PHOST_E_TIMEOUT: return 408;
    case PHOST_E_EXISTS: return 409;
    case PHOST_E_LIMIT: return 413;
    case PHOST_E_CANCELLED: return 499;
    case PHOST_E_UNSUPPORTED: return 501;
    case PHOST_E_NO_MEMORY: return 507;
    default: return 500;
  }
}

const char* status_name(phost_status status) noexcept {
  switch (status) {
    case PHOST_OK: return "PHOST_OK";
    case PHOST_E_INVALID_ARG: return "PHOST_E_INVALID_ARG";
    case PHOST_E_NOT_FOUND: return "PHOST_E_NOT_FOUND";
    case PHOST_E_TYPE: return "PHOST_E_TYPE";
    case PHOST_E_EXISTS: return "PHOST_E_EXISTS";
    case PHOST_E_UNSUPPORTED: return "PHOST_E_UNSUPPORTED";
    case PHOST_E_NO_MEMORY: return "PHOST_E_NO_MEMORY";
    case PHOST_E_LIMIT: return "PHOST_E_LIMIT";
    case PHOST_E_TIMEOUT: return "PHOST_E_TIMEOUT";
    case PHOST_E_CANCELLED: return "PHOST_E_CANCELLED";
    case PHOST_E_PROCESS: return "PHOST_E_PROCESS";
    case PHOST_E_LOAD: return "PHOST_E_LOAD";
    case PHOST_E_VERSION: return "PHOST_E_VERSION";
    case PHOST_E_INTERNAL: return "PHOST_E_INTERNAL";
    default: return "unknown status";
  }
}

namespace {

#ifdef __MINGW32__

// mingw-w64's emulated TLS frees a thread_local's storage at thread exit before
// its destructor runs (winpthreads destroys the keys in creation order), which
// corrupted the heap under wine. A fiber-local slot owns the error instead:
// Windows deletes it when the thread ends, and FlsFree when libphost unloads.
class LastErrorSlot {
public:
  LastErrorSlot() : slot_(FlsAlloc([](void* error) { delete static_cast<LastError*>(error); })) {}
  ~LastErrorSlot() { FlsFree(slot_); }
  LastErrorSlot(const LastErrorSlot&) = delete;
  LastErrorSlot& operator=(const LastErrorSlot&) = delete;

  LastError& get() noexcept {
    auto* error = static_cast<LastError*>(FlsGetValue(slot_));
    if (!error) {
      error = new (std::nothrow) LastError;
      if (!error) std::terminate();  // as a thread_local that cannot be made
      FlsSetValue(slot_, error);
    }
    return *error;
  }

private:
  DWORD slot_;
};

LastError& record() noexcept {
  static LastErrorSlot slot;
  return slot.get();
}
#else
LastError& record() noexcept {
  thread_local LastError error;
  return error;
}
#endif

}  // namespace

std::string capped_failure_text(std::string_view text) {
  // Room for the note and what later hops add: a text cut once is not cut again.
  if (text.size() <= kMaxFailureText + 4096) return std::string(text);
  size_t n = kMaxFailureText;
  // Whole characters: back over at most three continuation bytes (invalid text is replaced later).
  for (int k = 0; k < 3 && (static_cast<unsigned char>(text[n]) & 0xc0) == 0x80; ++k) --n;
  return std::string(text.substr(0, n)) + "... (" + std::to_string(text.size()) + " bytes)";
}

thread_local constinit phost_status last_status PHOST_FAST_TLS = PHOST_OK;
thread_local constinit uint64_t calls_failed PHOST_FAST_TLS = 0;

LastError& last_error() noexcept {
  LastError& e = record();
  e.status = last_status;
  return e;
}

void set_last_error(phost_status status, int32_t code, std::string_view message, std::string_view stack) noexcept {
  LastError& e = record();
  last_status = status;
  e.status = status;
  e.code = failure_code(status, code);
  // Messages and stacks carry plugin text and file paths: always valid UTF-8 here.
  auto assign = [](std::string& to, std::string_view text) noexcept {
    try {
      to = capped_failure_text(text);
      if (!valid_utf8(to)) to = replace_invalid_utf8(to);
    } catch (...) {
      to.clear();  // No memory for the text; the status still tells.
    }
  };
  assign(e.message, message);
  assign(e.stack, stack);
}

}  // namespace phost
