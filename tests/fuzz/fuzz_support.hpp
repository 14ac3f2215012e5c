// Helpers shared by the fuzz targets: the C API table, RAII values, JSON in
// and out, the last error, and FUZZ_CHECK, which prints what broke and aborts
// (libFuzzer then saves the input as a crash-* file).
#pragma once

#include "../c_api_support.hpp"

#include <phost/phost.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

namespace fuzz {

using test::api;
using test::Err;
using test::last_error;
using test::Ref;
using test::S;
using test::V;

[[noreturn]] inline void fail(const char* file, int line, const char* what, const std::string& detail) {
  std::fprintf(stderr, "\n%s:%d: FUZZ_CHECK(%s) failed\n%s\n", file, line, what, detail.c_str());
  std::fflush(stderr);
  std::abort();
}

// The text shown for a failure: long inputs cut, so the report stays readable.
// Control characters (NUL included) are escaped as \xNN.
inline std::string shown(std::string_view s, size_t max = 400) {
  std::string out;
  for (const char c : s.substr(0, max)) {
    if (static_cast<unsigned char>(c) < 0x20 && c != '\n') {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned char>(c));
      out += hex;
    } else {
      out += c;
    }
  }
  if (s.size() > max) out += "...(" + std::to_string(s.size()) + " bytes)";
  return out;
}

// to_json through the sink, in pieces; status kept for the caller to check.
inline phost_status to_json(const phost_value* v, std::string& out) {
  out.clear();
  return api().value_to_json(
      v, [](void* sink, phost_str piece) { static_cast<std::string*>(sink)->append(piece.ptr, piece.len); }, &out);
}

inline std::string err_text(const Err& e) {
  return "status " + std::to_string(e.status) + ", code " + std::to_string(e.code) + ", \"" + e.message + "\"";
}

// Structural UTF-8 check (what the ABI promises for strings and messages).
inline bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // truncated sequence
    for (size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000)) return false;  // overlong
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

}  // namespace fuzz

#define FUZZ_CHECK(cond, detail)                                  \
  do {                                                            \
    if (!(cond)) ::fuzz::fail(__FILE__, __LINE__, #cond, detail); \
  } while (0)
