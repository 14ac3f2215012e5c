// Errors inside libphost: thrown as phost::internal::Error, turned into a
// status and the thread's last error exactly once, at the C boundary
// (guard()). The program's one phost::Error is the SDK's (what applications
// and plugins catch); libphost's own sources, which never include the SDK,
// name this one Error through the using-declaration below.
#pragma once

#include "fast_tls.hpp"

#include <phost/plugin_api.h>

#include <exception>
#include <string>
#include <string_view>
#include <utility>

namespace phost {

int32_t default_code(phost_status status) noexcept;
// The code a failure is reported with: code when it looks like one (100-999),
// else (0, negative, absurd) the status's usual code.
inline int32_t failure_code(phost_status status, int32_t code) noexcept {
  return code >= 100 && code <= 999 ? code : default_code(status);
}
const char* status_name(phost_status status) noexcept;

namespace internal {

class Error : public std::exception {
public:
  Error(phost_status status, std::string message, int32_t code = 0, std::string stack = {})
      : status_(status),
        code_(failure_code(status, code)),
        message_(std::move(message)),
        stack_(std::move(stack)) {}
  phost_status status() const noexcept { return status_; }
  int32_t code() const noexcept { return code_; }
  const std::string& message() const noexcept { return message_; }
  // Where it happened (phost_error.stack), or empty.
  const std::string& stack() const noexcept { return stack_; }
  const char* what() const noexcept override { return message_.c_str(); }

private:
  phost_status status_;
  int32_t code_;
  std::string message_;
  std::string stack_;
};

}  // namespace internal

using internal::Error;

// A failure's message or stack as the host keeps it: past kMaxFailureText
// (and some room), its first kMaxFailureText bytes (whole characters), then
// "... (N bytes)". A plugin's
// 200 MB message was otherwise carried whole through every hop and log.
inline constexpr size_t kMaxFailureText = size_t{1} << 20;
std::string capped_failure_text(std::string_view text);

// The calling thread's last error (phost_api.last_error).
struct LastError {
  phost_status status = PHOST_OK;
  int32_t code = 0;
  std::string message;
  std::string stack;
};
LastError& last_error() noexcept;
void set_last_error(phost_status status, int32_t code, std::string_view message,
                    std::string_view stack = {}) noexcept;

// The thread's last status alone, which every successful table call clears:
// a plain thread_local instead of the record's, whose every access was a
// __tls_get_addr call and an initialisation check (issue 14: ~50 per call).
extern thread_local constinit phost_status last_status PHOST_FAST_TLS;
inline void clear_last_error() noexcept { last_status = PHOST_OK; }

// How many calls made through the tables (phost_call, call, call_ref...)
// failed on this thread, with error_set's reports: a handler that returns a
// failed status without a message may be forwarding the last one's.
extern thread_local constinit uint64_t calls_failed PHOST_FAST_TLS;
inline phost_status counted_call(phost_status status) noexcept {
  if (status != PHOST_OK) ++calls_failed;
  return status;
}

// Runs body, returning PHOST_OK or the status of what it threw, recorded as
// the thread's last error. No exception leaves it.
template <class Body>
phost_status guard(Body&& body) noexcept {
  try {
    body();
    clear_last_error();
    return PHOST_OK;
  } catch (const Error& e) {
    set_last_error(e.status(), e.code(), e.message(), e.stack());
    return e.status();
  } catch (const std::bad_alloc&) {
    set_last_error(PHOST_E_NO_MEMORY, 0, "out of memory");
    return PHOST_E_NO_MEMORY;
  } catch (const std::exception& e) {
    set_last_error(PHOST_E_INTERNAL, 0, e.what());
    return PHOST_E_INTERNAL;
  } catch (...) {
    set_last_error(PHOST_E_INTERNAL, 0, "unknown exception");
    return PHOST_E_INTERNAL;
  }
}

}  // namespace phost
