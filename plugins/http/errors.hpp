// Failing a call: a phost::Error whose status matches its HTTP-like code, so
// that the host, the CLI (exit status by class) and scripts see one story.
#pragma once

#include <phost/value.hpp>

#include <string>

namespace phost_http {

inline phost_status status_of(int32_t code) {
  switch (code) {
    case 400: return PHOST_E_INVALID_ARG;
    case 408: return PHOST_E_TIMEOUT;
    case 413: return PHOST_E_LIMIT;
    case 499: return PHOST_E_CANCELLED;
    case 507: return PHOST_E_NO_MEMORY;
    default: return PHOST_E_PROCESS;
  }
}

[[noreturn]] inline void fail(int32_t code, const std::string& message) {
  throw phost::Error(code, message, status_of(code));
}

}  // namespace phost_http
