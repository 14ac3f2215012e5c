// The result of running something on an isolate: a value or an error.
#pragma once

#include <phost/plugin_api.h>

#include <cstdint>
#include <string>

namespace phost::v8rt {

struct Outcome {
  phost_value* value = nullptr;  // owned when status == PHOST_OK
  phost_status status = PHOST_OK;
  int32_t code = 0;
  std::string message;

  static Outcome failure(phost_status status, int32_t code, std::string message) {
    Outcome o;
    o.status = status;
    o.code = code;
    o.message = std::move(message);
    return o;
  }
};

}  // namespace phost::v8rt
