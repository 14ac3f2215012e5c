// phost C++ layer: RAII values over the C ABI's phost_value handles.
// Header-only; uses only plugin_api.h. Works in plugins (after
// PHOST_DECLARE_PLUGIN) and in applications (after phost::set_api(phost_get_api(1))).
#pragma once

#include <phost/plugin_api.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace phost {

// The function table every wrapper calls through. One per process: the
// table of a host library never changes while it is loaded.
inline const phost_api*& api_slot() noexcept {
  static const phost_api* table = nullptr;
  return table;
}
inline const phost_api& api() noexcept { return *api_slot(); }
inline void set_api(const phost_api* table) noexcept {
  if (table) api_slot() = table;
}

inline phost_str to_str(std::string_view s) noexcept { return phost_str{s.data(), s.size()}; }
inline std::string_view to_view(phost_str s) noexcept {
  return s.ptr ? std::string_view(s.ptr, s.len) : std::string_view();
}

// A failure with a status, an HTTP-like code, a message and, where the
// failing process gave one, a stack (phost_error.stack: innermost frame
// first, one a line, e.g. "    at Total (orders/total.ts:12:5)"). Thrown by
// the wrappers; a handler may throw it to fail its call with that code (and
// stack: rethrowing a failed nested call's Error keeps its stack).
class Error : public std::runtime_error {
public:
  // A NUL in message is kept as the two characters \0: what() is a C string,
  // and the rest of the message would be lost.
  Error(int32_t code, const std::string& message, phost_status status = PHOST_E_PROCESS, std::string stack = {})
      : std::runtime_error(without_nul(message)), code_(code), status_(status), stack_(std::move(stack)) {}
  int32_t code() const noexcept { return code_; }
  phost_status status() const noexcept { return status_; }
  const std::string& stack() const noexcept { return stack_; }

private:
  static std::string without_nul(std::string text) {
    for (size_t at = text.find('\0'); at != std::string::npos; at = text.find('\0', at + 2)) text.replace(at, 1, "\\0");
    return text;
  }

  int32_t code_;
  phost_status status_;
  std::string stack_;
};

// The status a failure with this HTTP-like code is reported with, so that
// the host, the CLI (its exit status by class) and scripts tell one story:
// 400, 404, 408, 413, 499 and 507 have their own; every other code is
// PHOST_E_PROCESS.
constexpr phost_status status_for_code(int32_t code) noexcept {
  switch (code) {
    case 400: return PHOST_E_INVALID_ARG;
    case 404: return PHOST_E_NOT_FOUND;
    case 408: return PHOST_E_TIMEOUT;
    case 413: return PHOST_E_LIMIT;
    case 499: return PHOST_E_CANCELLED;
    case 507: return PHOST_E_NO_MEMORY;
    default: return PHOST_E_PROCESS;
  }
}

// Fails the current call with code and message (for a handler).
[[noreturn]] inline void fail(int32_t code, const std::string& message) {
  throw Error(code, message, status_for_code(code));
}

// Throws the thread's last error when status is not PHOST_OK.
inline void check(phost_status status) {
  if (status == PHOST_OK) return;
  phost_error e{};  // a host older than v1.2 leaves e.stack empty
  e.struct_size = sizeof e;
  api().last_error(&e);
  throw Error(e.code ? e.code : 500, std::string(to_view(e.message)), status, std::string(to_view(e.stack)));
}

class Value;

// A borrowed, read-only view of a value. Lives as long as what it came from.
class View {
public:
  View() noexcept = default;
  explicit View(const phost_value* v) noexcept : v_(v) {}

  const phost_value* get() const noexcept { return v_; }
  explicit operator bool() const noexcept { return v_ != nullptr; }
  phost_kind kind() const noexcept { return v_ ? api().value_kind(v_) : PHOST_NULL; }
  bool is_null() const noexcept { return kind() == PHOST_NULL; }

  bool as_bool() const {
    int32_t b = 0;
    check(api().value_get_bool(v_, &b));
    return b != 0;
  }
  int64_t as_int() const {
    int64_t i = 0;
    check(api().value_get_int(v_, &i));
    return i;
  }
  double as_double() const {
    double d = 0;
    check(api().value_get_double(v_, &d));
    return d;
  }
  std::string_view as_string() const {  // strings and bytes
    phost_str s{};
    check(api().value_get_str(v_, &s));
    return to_view(s);
  }

  size_t size() const noexcept { return v_ ? api().value_len(v_) : 0; }
  View operator[](size_t i) const noexcept { return View(v_ ? api().value_at(v_, i, nullptr) : nullptr); }
  // Empty view when absent.
  View operator[](std::string_view key) const noexcept {
    return View(v_ ? api().value_find(v_, to_str(key)) : nullptr);
  }
  std::string_view key_at(size_t i) const noexcept {
    phost_str k{};
    return v_ && api().value_at(v_, i, &k) ? to_view(k) : std::string_view();
  }

  std::string to_json() const {
    std::string out;
    check(api().value_to_json(
        v_, [](void* sink, phost_str piece) { static_cast<std::string*>(sink)->append(piece.ptr, piece.len); },
        &out));
    return out;
  }

  Value retain() const;

protected:
  const phost_value* v_ = nullptr;
};

// An owned reference. Move-only; copy with retain().
class Value : public View {
public:
  Value() noexcept = default;
  static Value adopt(phost_value* v) noexcept { return Value(v); }
  Value(Value&& other) noexcept : View(std::exchange(other.v_, nullptr)) {}
  Value& operator=(Value&& other) noexcept {
    if (this != &other) {
      reset();
      v_ = std::exchange(other.v_, nullptr);
    }
    return *this;
  }
  ~Value() { reset(); }

  static Value null() { return make([](phost_value** out) { return api().value_null(out); }); }
  static Value boolean(bool b) { return make([b](phost_value** out) { return api().value_bool(b, out); }); }
  static Value integer(int64_t i) { return make([i](phost_value** out) { return api().value_int(i, out); }); }
  static Value number(double d) { return make([d](phost_value** out) { return api().value_double(d, out); }); }
  static Value string(std::string_view s) {
    return make([s](phost_value** out) { return api().value_string(to_str(s), out); });
  }
  static Value bytes(std::string_view b) {
    return make([b](phost_value** out) { return api().value_bytes(to_str(b), out); });
  }
  static Value array(size_t capacity = 0) {
    return make([capacity](phost_value** out) { return api().value_array(capacity, out); });
  }
  static Value object(size_t capacity = 0) {
    return make([capacity](phost_value** out) { return api().value_object(capacity, out); });
  }
  static Value from_json(std::string_view json) {
    return make([json](phost_value** out) { return api().value_from_json(to_str(json), out); });
  }

  // An array of n references handed over, or an object of n entries (a
  // repeated key keeps its first place and takes the later item): one host
  // call on a host of 1.5, value_array/value_object and a push/set per item
  // on an older one. The references are taken even when it throws.
  static Value array_of(phost_value* const* items, size_t n);
  static Value object_of(const phost_str* keys, phost_value* const* items, size_t n);

  // Only while this is the sole reference (see phost_api.value_push).
  Value& push(Value item) {
    check(api().value_push(mutable_get(), item.release()));
    return *this;
  }
  Value& set(std::string_view key, Value item) {
    check(api().value_set(mutable_get(), to_str(key), item.release()));
    return *this;
  }

  phost_value* release() noexcept { return const_cast<phost_value*>(std::exchange(v_, nullptr)); }
  void reset() noexcept {
    if (v_) api().value_release(std::exchange(v_, nullptr));
  }

private:
  explicit Value(phost_value* v) noexcept : View(v) {}
  phost_value* mutable_get() const noexcept { return const_cast<phost_value*>(v_); }
  template <class Fn>
  static Value make(Fn&& fn) {
    phost_value* out = nullptr;
    check(fn(&out));
    return Value(out);
  }
};

namespace detail {
// Releases the references items[*next..n) unless the bulk build completed.
struct Unplaced {
  phost_value* const* items;
  size_t n;
  size_t next = 0;
  ~Unplaced() {
    for (; next < n; ++next) api().value_release(items[next]);
  }
};

// On a host older than 1.5: refuses NULL lists as a newer host would,
// releasing what it can, before any item is taken.
inline void refuse_missing(phost_value* const* items, size_t n, bool keys_missing) {
  if (!n || (items && !keys_missing)) return;
  for (size_t i = 0; items && i < n; ++i) api().value_release(items[i]);
  throw Error(400, items ? "value_object_of: keys is NULL" : "items is NULL with n = " + std::to_string(n),
              PHOST_E_INVALID_ARG);
}
}  // namespace detail

inline Value Value::array_of(phost_value* const* items, size_t n) {
  if (PHOST_API_HAS(&api(), value_array_of))
    return make([&](phost_value** out) { return api().value_array_of(items, n, out); });
  detail::refuse_missing(items, n, false);
  detail::Unplaced unplaced{items, n};
  Value array = Value::array(n);
  while (unplaced.next < n) array.push(adopt(items[unplaced.next++]));
  return array;
}

inline Value Value::object_of(const phost_str* keys, phost_value* const* items, size_t n) {
  if (PHOST_API_HAS(&api(), value_object_of))
    return make([&](phost_value** out) { return api().value_object_of(keys, items, n, out); });
  detail::refuse_missing(items, n, !keys);
  detail::Unplaced unplaced{items, n};
  Value object = Value::object(n);
  while (unplaced.next < n) {
    const size_t i = unplaced.next++;
    check(api().value_set(object.mutable_get(), keys[i], items[i]));  // the key checked as the host checks it
  }
  return object;
}

inline Value View::retain() const {
  if (v_) api().value_retain(v_);
  return Value::adopt(const_cast<phost_value*>(v_));
}

// Builds an argument array: phost::args(1, "two", Value::null()).
inline Value to_value(Value v) { return v; }
inline Value to_value(View v) { return v.retain(); }
inline Value to_value(bool b) { return Value::boolean(b); }
inline Value to_value(int v) { return Value::integer(v); }
inline Value to_value(int64_t v) { return Value::integer(v); }
inline Value to_value(double v) { return Value::number(v); }
inline Value to_value(std::string_view s) { return Value::string(s); }
inline Value to_value(const char* s) { return Value::string(s); }
inline Value to_value(const std::string& s) { return Value::string(s); }

template <class... T>
Value args(T&&... items) {
  if constexpr (sizeof...(items) == 0) {
    return Value::array();
  } else {
    // Made in order; one that throws releases those made before it.
    Value values[] = {to_value(std::forward<T>(items))...};
    phost_value* refs[sizeof...(items)];
    for (size_t i = 0; i < sizeof...(items); ++i) refs[i] = values[i].release();
    return Value::array_of(refs, sizeof...(items));
  }
}

namespace detail {
template <class Key, class Item, class... Rest>
void gather_fields(phost_str* keys, Value* values, Key&& key, Item&& item, Rest&&... rest) {
  static_assert(std::is_convertible_v<Key, std::string_view>, "phost::object: a key must be a string");
  *keys = to_str(std::string_view(key));
  *values = to_value(std::forward<Item>(item));
  if constexpr (sizeof...(rest) > 0) gather_fields(keys + 1, values + 1, std::forward<Rest>(rest)...);
}
}  // namespace detail

// Builds an object from key, value pairs in one host call:
// phost::object("x", 1, "y", "two"). A repeated key keeps its first place
// and takes the later value, as Value::object_of does.
template <class... T>
Value object(T&&... pairs) {
  static_assert(sizeof...(pairs) % 2 == 0, "phost::object takes key, value pairs");
  constexpr size_t n = sizeof...(pairs) / 2;
  if constexpr (n == 0) {
    return Value::object();
  } else {
    phost_str keys[n];
    Value values[n];  // made in order; one that throws releases those made before it
    detail::gather_fields(keys, values, std::forward<T>(pairs)...);
    phost_value* refs[n];
    for (size_t i = 0; i < n; ++i) refs[i] = values[i].release();
    return Value::object_of(keys, refs, n);
  }
}

}  // namespace phost
