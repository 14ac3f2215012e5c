// The C API as tests and fuzz targets use it: the value table, string views,
// RAII value references and the thread's last error. No test framework.
#pragma once

#include <phost/phost.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace test {

inline const phost_api& api() {
  static const phost_api* table = phost_get_api(PHOST_ABI_MAJOR);
  return *table;
}

inline phost_str S(std::string_view s) { return phost_str{s.data(), s.size()}; }
inline std::string_view V(phost_str s) { return s.ptr ? std::string_view(s.ptr, s.len) : std::string_view(); }

struct ValueRelease {
  void operator()(const phost_value* v) const { api().value_release(v); }
};
using Ref = std::unique_ptr<phost_value, ValueRelease>;

struct Err {
  phost_status status = PHOST_OK;
  int32_t code = 0;
  std::string message;
  std::string stack;
};

inline Err last_error() {
  phost_error e{};
  e.struct_size = sizeof e;
  phost_last_error(&e);
  return Err{e.status, e.code, std::string(V(e.message)), std::string(V(e.stack))};
}

}  // namespace test
