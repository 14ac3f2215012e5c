// fuzz_json: bytes -> value_from_json -> value_to_json -> value_from_json ->
// value_to_json. Invalid JSON must fail cleanly (PHOST_E_INVALID_ARG, or
// PHOST_E_LIMIT when too deep, with a message and no value); valid JSON must
// write back as JSON that reads back as the same value (kinds, bit-exact
// doubles, key order) and writes the same text again (idempotent).
#include "fuzz_support.hpp"

#include <cstring>

using namespace fuzz;

namespace {

std::string kind_name(phost_kind k) {
  static const char* const kNames[] = {"null", "bool", "int", "double", "string", "bytes", "array", "object"};
  return k >= 0 && k <= PHOST_OBJECT ? kNames[k] : "kind " + std::to_string(int(k));
}

// Why a and b differ ("" when they are the same value).
std::string difference(const phost_value* a, const phost_value* b, const std::string& path) {
  const phost_api& x = api();
  const phost_kind ka = x.value_kind(a), kb = x.value_kind(b);
  if (ka != kb) return path + ": " + kind_name(ka) + " became " + kind_name(kb);
  switch (ka) {
    case PHOST_BOOL: {
      int32_t p = 0, q = 0;
      x.value_get_bool(a, &p), x.value_get_bool(b, &q);
      return p == q ? "" : path + ": bool changed";
    }
    case PHOST_INT: {
      int64_t p = 0, q = 0;
      x.value_get_int(a, &p), x.value_get_int(b, &q);
      return p == q ? "" : path + ": " + std::to_string(p) + " became " + std::to_string(q);
    }
    case PHOST_DOUBLE: {
      double p = 0, q = 0;
      x.value_get_double(a, &p), x.value_get_double(b, &q);
      char text[96];
      std::snprintf(text, sizeof text, "%.17g became %.17g", p, q);
      return std::memcmp(&p, &q, sizeof p) == 0 ? "" : path + ": " + text;
    }
    case PHOST_STRING:
    case PHOST_BYTES: {
      phost_str p{}, q{};
      x.value_get_str(a, &p), x.value_get_str(b, &q);
      return V(p) == V(q) ? "" : path + ": \"" + shown(V(p), 80) + "\" became \"" + shown(V(q), 80) + "\"";
    }
    case PHOST_ARRAY:
    case PHOST_OBJECT: {
      const size_t n = x.value_len(a);
      if (n != x.value_len(b))
        return path + ": " + std::to_string(n) + " members became " + std::to_string(x.value_len(b));
      for (size_t i = 0; i < n; ++i) {
        phost_str ka_key{}, kb_key{};
        const phost_value* ia = x.value_at(a, i, &ka_key);
        const phost_value* ib = x.value_at(b, i, &kb_key);
        if (V(ka_key) != V(kb_key))
          return path + ": key \"" + shown(V(ka_key), 80) + "\" became \"" + shown(V(kb_key), 80) + "\"";
        const std::string sub = ka == PHOST_ARRAY ? path + "[" + std::to_string(i) + "]" : path + "." + std::string(V(ka_key));
        if (std::string d = difference(ia, ib, sub); !d.empty()) return d;
      }
      return "";
    }
    default: return "";
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  phost_value* raw = reinterpret_cast<phost_value*>(&raw);  // must be reset to NULL on failure
  if (api().value_from_json(S(input), &raw) != PHOST_OK) {
    const Err e = last_error();
    FUZZ_CHECK(raw == nullptr, "a failed value_from_json left *out set");
    FUZZ_CHECK(e.status == PHOST_E_INVALID_ARG || e.status == PHOST_E_LIMIT, err_text(e));
    FUZZ_CHECK(!e.message.empty(), err_text(e));
    FUZZ_CHECK(valid_utf8(e.message), err_text(e));
    return 0;
  }
  const Ref first(raw);
  FUZZ_CHECK(first != nullptr, "value_from_json succeeded without a value");

  std::string text1, text2;
  FUZZ_CHECK(to_json(first.get(), text1) == PHOST_OK, "writing a value read from JSON: " + err_text(last_error()));
  FUZZ_CHECK(valid_utf8(text1), "value_to_json wrote invalid UTF-8");

  raw = nullptr;
  FUZZ_CHECK(api().value_from_json(S(text1), &raw) == PHOST_OK,
             "value_to_json wrote JSON that does not read back: " + err_text(last_error()) + "\ninput: " +
                 shown(input) + "\nwritten: " + shown(text1));
  const Ref second(raw);
  const std::string diff = difference(first.get(), second.get(), "$");
  FUZZ_CHECK(diff.empty(), "JSON round trip changed the value at " + diff + "\ninput: " + shown(input) +
                               "\nwritten: " + shown(text1));

  FUZZ_CHECK(to_json(second.get(), text2) == PHOST_OK, err_text(last_error()));
  FUZZ_CHECK(text1 == text2, "value_to_json is not idempotent\ninput: " + shown(input) + "\nfirst:  " +
                                 shown(text1) + "\nsecond: " + shown(text2));
  return 0;
}
