// The value model behind phost_value: a refcounted tree, mutable only until
// it is first shared (retained, put inside another value, passed to a call or
// returned by one). Freezing is a flag, not the reference count: a count of 1
// does not make a value that was shared mutable again.
//
// Small scalars are not nodes: null, bools and ints of up to 61 bits (29 on
// a 32-bit target) live in the handle itself, whose low bits tell (nodes are
// 8-aligned, so a node's are 0). Making and releasing one touches no memory
// (issue 14: a node per scalar was ~400 instructions of a JS -> native call).
// Handles are opaque to plugins, so this is invisible across the ABI.
#pragma once

#include <phost/plugin_api.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "string_hash.hpp"
#include "utf8.hpp"

struct phost_value {
  explicit phost_value(phost_kind k) noexcept : kind(k) {}

  mutable std::atomic<uint32_t> refs{1};
  // Set once, never cleared. Items are frozen when put into a container, so a
  // frozen container's whole tree is frozen, and no cycle can form: only an
  // unfrozen value takes items, and no container holds an unfrozen value.
  mutable std::atomic<bool> frozen{false};
  phost_kind kind;  // set once when made (value.cpp reuses released nodes)
  union {
    bool b;
    int64_t i = 0;
    double d;
  };
  std::string text;                 // PHOST_STRING, PHOST_BYTES
  std::vector<phost_value*> items;  // PHOST_ARRAY items, PHOST_OBJECT values (owned refs)
  std::vector<std::string> keys;    // PHOST_OBJECT keys, parallel to items
  // Key -> position, built once an object outgrows a linear search.
  std::unique_ptr<phost::StringMap<size_t>> index;
};

namespace phost {

inline constexpr size_t kMaxValueDepth = 512;

// The handle's low bits: 0 a node, kIntTag an inline int, kConstTag null,
// false or true (the payload 0, 1, 2).
inline constexpr uintptr_t kTagBits = 7, kIntTag = 1, kConstTag = 2;
// Inline ints are in [-limit, limit): 2^60 with 64-bit handles, 2^28 with 32-bit ones.
inline constexpr int64_t kInlineIntLimit = int64_t{1} << (sizeof(uintptr_t) * 8 - 4);

// v is NULL or a node (not an inline scalar).
inline bool is_node(const phost_value* v) noexcept { return (reinterpret_cast<uintptr_t>(v) & kTagBits) == 0; }
inline phost_kind kind_of(const phost_value* v) noexcept {  // v is not NULL
  switch (reinterpret_cast<uintptr_t>(v) & kTagBits) {
    case 0: return v->kind;
    case kIntTag: return PHOST_INT;
    default: return reinterpret_cast<uintptr_t>(v) >> 3 == 0 ? PHOST_NULL : PHOST_BOOL;
  }
}
// For a value of kind_of PHOST_INT / PHOST_BOOL.
inline int64_t int_of(const phost_value* v) noexcept {
  return is_node(v) ? v->i : static_cast<int64_t>(reinterpret_cast<intptr_t>(v) >> 3);
}
inline bool bool_of(const phost_value* v) noexcept {
  return is_node(v) ? v->b : reinterpret_cast<uintptr_t>(v) >> 3 == 2;
}

// A reference held by C++ code; releases on destruction.
struct ValueDeleter {
  void operator()(const phost_value* v) const noexcept;
};
using ValuePtr = std::unique_ptr<phost_value, ValueDeleter>;

ValuePtr make_value(phost_kind kind);  // a node (null, bools, ints: make_null, make_bool, make_int)
ValuePtr make_string(std::string_view utf8);  // throws Error on invalid UTF-8
// Inline where they fit (no allocation), an int node past 61 bits.
inline phost_value* inline_const(uintptr_t payload) noexcept {
  return reinterpret_cast<phost_value*>(payload << 3 | kConstTag);
}
inline ValuePtr make_null() noexcept { return ValuePtr(inline_const(0)); }
inline ValuePtr make_bool(bool b) noexcept { return ValuePtr(inline_const(b ? 2 : 1)); }
ValuePtr make_int_node(int64_t i);  // an int past the inline range
inline ValuePtr make_int(int64_t i) {
  if (i >= -kInlineIntLimit && i < kInlineIntLimit)
    return ValuePtr(reinterpret_cast<phost_value*>(static_cast<uintptr_t>(i) << 3 | kIntTag));
  return make_int_node(i);
}
void retain(const phost_value* v) noexcept;  // also freezes v
void release(const phost_value* v) noexcept;
inline void freeze(const phost_value* v) noexcept {
  if (is_node(v)) v->frozen.store(true, std::memory_order_relaxed);
}

// Appends/sets, taking item's reference and freezing it; throws Error when
// the container is frozen or of the wrong kind (item is released either way).
void push(phost_value* array, phost_value* item);
void set(phost_value* object, std::string_view key, phost_value* item);
const phost_value* find(const phost_value* object, std::string_view key) noexcept;
// A new array or object of n items in one step, as push / set of each; takes
// every item's reference even when it throws.
ValuePtr make_array(phost_value* const* items, size_t n);
ValuePtr make_object(const phost_str* keys, phost_value* const* items, size_t n);

// The frozen empty array used when a call passes no arguments.
const phost_value* empty_array() noexcept;

// JSON escape hatch (json.cpp).
ValuePtr from_json(std::string_view json);
std::string to_json(const phost_value* v);

}  // namespace phost
