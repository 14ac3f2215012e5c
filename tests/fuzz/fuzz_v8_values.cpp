// fuzz_v8_values: bytes as JSON (invalid JSON is skipped) -> the value is
// passed through `function Echo(x) { return x; }` in the V8 runtime -> the
// result, written as JSON, must equal the input's JSON after applying the
// documented mapping (README "Values between the host and JavaScript"):
//   - a double with an integral value within +-2^53 comes back as an int
//     (so 1.0 -> 1 and -0.0 -> 0);
//   - object keys that are array indices (canonical decimal, below 2^32-1)
//     come back first, in ascending numeric order, then the other keys in
//     insertion order: JavaScript's own property order;
//   - ints beyond +-2^53 cross as BigInt and come back unchanged;
// and a value nesting deeper than 128 levels is refused with 413 naming the
// limit. Everything else (strings, key order, doubles bit for bit) must
// survive unchanged.
#include "v8_support.hpp"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

using namespace fuzz;

namespace {

constexpr int kMaxDepth = 128;  // runtime/src/convert.hpp

V8Host* g_host = nullptr;

bool array_index(std::string_view key) {
  if (key.empty() || key.size() > 10 || (key.size() > 1 && key[0] == '0')) return false;
  uint64_t n = 0;
  for (const char c : key) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + uint64_t(c - '0');
  }
  return n < 4294967295u;
}

uint64_t index_of(std::string_view key) {
  uint64_t n = 0;
  for (const char c : key) n = n * 10 + uint64_t(c - '0');
  return n;
}

// The deepest level any value sits at (the argument itself is level 0).
int deepest(const phost_value* v, int level) {
  const phost_api& a = api();
  int out = level;
  const size_t n = a.value_len(v);
  for (size_t i = 0; i < n; ++i) out = std::max(out, deepest(a.value_at(v, i, nullptr), level + 1));
  return out;
}

// What the round trip through JavaScript is documented to make of v.
Ref normalise(const phost_value* v) {
  const phost_api& a = api();
  phost_value* out = nullptr;
  switch (a.value_kind(v)) {
    case PHOST_DOUBLE: {
      double d = 0;
      a.value_get_double(v, &d);
      if (d == std::floor(d) && std::fabs(d) <= 9007199254740992.0) {
        a.value_int(static_cast<int64_t>(d), &out);
        return Ref(out);
      }
      break;
    }
    case PHOST_ARRAY: {
      const size_t n = a.value_len(v);
      a.value_array(n, &out);
      for (size_t i = 0; i < n; ++i) a.value_push(out, normalise(a.value_at(v, i, nullptr)).release());
      return Ref(out);
    }
    case PHOST_OBJECT: {
      const size_t n = a.value_len(v);
      std::vector<std::pair<std::string_view, const phost_value*>> indices, names;
      for (size_t i = 0; i < n; ++i) {
        phost_str key{};
        const phost_value* item = a.value_at(v, i, &key);
        (array_index(V(key)) ? indices : names).emplace_back(V(key), item);
      }
      std::stable_sort(indices.begin(), indices.end(),
                       [](const auto& x, const auto& y) { return index_of(x.first) < index_of(y.first); });
      a.value_object(n, &out);
      for (const auto* group : {&indices, &names})
        for (const auto& [key, item] : *group) a.value_set(out, S(key), normalise(item).release());
      return Ref(out);
    }
    default: break;
  }
  a.value_retain(v);
  return Ref(const_cast<phost_value*>(v));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  g_host = new V8Host(5000);
  g_host->must_load("echo", "function Echo(x) { return x; }");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  phost_value* raw = nullptr;
  if (api().value_from_json(S(input), &raw) != PHOST_OK) return -1;  // not JSON: not worth keeping
  const Ref value(raw);

  const Ref args = args_of({value.get()});
  const Outcome o = g_host->call("scripts.echo.Echo", args.get());
  const int depth = deepest(value.get(), 0);
  std::string in_json;
  to_json(value.get(), in_json);
  if (depth > kMaxDepth) {
    FUZZ_CHECK(o.status == PHOST_E_LIMIT && o.error.code == 413 &&
                   o.error.message.find("deeper than 128") != std::string::npos,
               "depth " + std::to_string(depth) + ": " + err_text(o.error));
    return 0;
  }
  FUZZ_CHECK(o.status == PHOST_OK, err_text(o.error) + "\ninput: " + shown(in_json));

  std::string want, got;
  FUZZ_CHECK(to_json(normalise(value.get()).get(), want) == PHOST_OK, err_text(last_error()));
  FUZZ_CHECK(to_json(o.value.get(), got) == PHOST_OK, err_text(last_error()));
  static const bool trace = std::getenv("PHOST_FUZZ_TRACE") != nullptr;  // to look at a reproducer
  if (trace) std::fprintf(stderr, "input:    %s\nexpected: %s\ngot:      %s\n", in_json.c_str(), want.c_str(), got.c_str());
  FUZZ_CHECK(got == want, "Echo changed the value\ninput:    " + shown(in_json) + "\nexpected: " + shown(want) +
                              "\ngot:      " + shown(got));
  return 0;
}
