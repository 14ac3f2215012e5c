// The value model behind phost_value: a refcounted tree, mutable only until
// it is first shared (retained, put inside another value, passed to a call or
// returned by one). Freezing is a flag, not the reference count: a count of 1
// does not make a value that was shared mutable again.
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

// A reference held by C++ code; releases on destruction.
struct ValueDeleter {
  void operator()(const phost_value* v) const noexcept;
};
using ValuePtr = std::unique_ptr<phost_value, ValueDeleter>;

ValuePtr make_value(phost_kind kind);
ValuePtr make_string(std::string_view utf8);  // throws Error on invalid UTF-8
void retain(const phost_value* v) noexcept;  // also freezes v
void release(const phost_value* v) noexcept;
inline void freeze(const phost_value* v) noexcept { v->frozen.store(true, std::memory_order_relaxed); }

// Appends/sets, taking item's reference and freezing it; throws Error when
// the container is frozen or of the wrong kind (item is released either way).
void push(phost_value* array, phost_value* item);
void set(phost_value* object, std::string_view key, phost_value* item);
const phost_value* find(const phost_value* object, std::string_view key) noexcept;

// The frozen empty array used when a call passes no arguments.
const phost_value* empty_array() noexcept;

// JSON escape hatch (json.cpp).
ValuePtr from_json(std::string_view json);
std::string to_json(const phost_value* v);

}  // namespace phost
