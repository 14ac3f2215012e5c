#include "value.hpp"

#include "error.hpp"

#include <utility>

namespace phost {
namespace {

constexpr size_t kIndexThreshold = 16;

// Released nodes of small values are kept per thread, their strings' and
// vectors' storage with them, and made again without a malloc (issue 14: a
// call's ~28 malloc/free pairs, glibc's per-thread cache overflowing). Not on
// Windows, where a thread_local with a destructor is unsafe (error.cpp).
#if defined(__GNUC__) && !defined(_WIN32)
constexpr size_t kKeptNodes = 128;     // per thread: at most ~60 KB kept
constexpr size_t kKeptCapacity = 8;  // items, keys
constexpr size_t kKeptText = 64;

struct FreeNodes;
thread_local FreeNodes* fast_nodes PHOST_FAST_TLS = nullptr;
// Set when the thread's list is gone: later releases (other thread_locals'
// destructors) delete.
thread_local bool nodes_gone PHOST_FAST_TLS = false;

struct FreeNodes {
  std::vector<phost_value*> nodes;
  ~FreeNodes() {
    nodes_gone = true;
    fast_nodes = nullptr;
    for (phost_value* v : nodes) delete v;
  }
};

FreeNodes* first_free_nodes() noexcept;
inline FreeNodes* free_nodes() noexcept {
  if (fast_nodes || nodes_gone) [[likely]] return fast_nodes;
  return first_free_nodes();
}

FreeNodes* first_free_nodes() noexcept {
  try {
    thread_local FreeNodes owner;
    owner.nodes.reserve(kKeptNodes);
    fast_nodes = &owner;
  } catch (...) {
    return nullptr;
  }
  return fast_nodes;
}

phost_value* take_node(phost_kind kind) {
  FreeNodes* list = free_nodes();
  if (!list || list->nodes.empty()) return new phost_value(kind);
  phost_value* v = list->nodes.back();
  list->nodes.pop_back();
  v->kind = kind;
  return v;
}

void drop_node(phost_value* v) noexcept {
  FreeNodes* list = free_nodes();
  if (!list || list->nodes.size() >= kKeptNodes || v->items.capacity() > kKeptCapacity ||
      v->keys.capacity() > kKeptCapacity || v->text.capacity() > kKeptText) {
    delete v;
    return;
  }
  v->text.clear();
  v->items.clear();
  v->keys.clear();
  v->index.reset();
  v->i = 0;
  v->refs.store(1, std::memory_order_relaxed);
  v->frozen.store(false, std::memory_order_relaxed);
  list->nodes.push_back(v);  // within the reserved capacity: no allocation
}
#else
phost_value* take_node(phost_kind kind) { return new phost_value(kind); }
void drop_node(phost_value* v) noexcept { delete v; }
#endif

// Drops one reference; true when it was the last. A count of 1 is ours
// alone (taking another needs a reference), so no atomic write is needed.
bool last_reference(const phost_value* v) noexcept {
  return v->refs.load(std::memory_order_acquire) == 1 || v->refs.fetch_sub(1, std::memory_order_acq_rel) == 1;
}

void destroy_tree(phost_value* root) noexcept {
  // Iterative so that a deep value cannot overflow the stack; the pending
  // nodes of most trees fit the array, so a release allocates nothing.
  constexpr size_t kInline = 32;
  phost_value* inline_doomed[kInline];
  size_t inline_count = 0;
  std::vector<phost_value*> more;  // past kInline pending nodes
  for (phost_value* v = root;;) {
    for (phost_value* child : v->items) {
      if (!is_node(child) || !last_reference(child)) continue;
      if (inline_count < kInline) inline_doomed[inline_count++] = child;
      else more.push_back(child);
    }
    drop_node(v);
    if (inline_count) {
      v = inline_doomed[--inline_count];
    } else if (!more.empty()) {
      v = more.back();
      more.pop_back();
    } else {
      return;
    }
  }
}

void require_exclusive(const phost_value* container, phost_kind kind, const char* what) {
  if (!container) throw Error(PHOST_E_INVALID_ARG, std::string(what) + ": container is NULL");
  if (kind_of(container) != kind)
    throw Error(PHOST_E_TYPE, std::string(what) + ": container is not an " +
                                  (kind == PHOST_ARRAY ? "array" : "object"));
  if (container->frozen.load(std::memory_order_relaxed))
    throw Error(PHOST_E_INVALID_ARG,
                std::string(what) + ": value is shared (frozen); build it before passing it on");
}

// Takes item into container: refused when it is the container itself (the
// only cycle a frozen-on-insert tree could otherwise form).
void adopt_item(const phost_value* container, const phost_value* item, const char* what) {
  if (!item) throw Error(PHOST_E_INVALID_ARG, std::string(what) + ": item is NULL");
  if (item == container) throw Error(PHOST_E_INVALID_ARG, std::string(what) + ": a value cannot contain itself");
  freeze(item);
}

constexpr size_t kNoIndex = size_t(-1);

size_t find_index(const phost_value* object, std::string_view key) noexcept {
  if (!object || kind_of(object) != PHOST_OBJECT) return kNoIndex;
  if (object->index) {
    auto it = object->index->find(key);
    return it == object->index->end() ? kNoIndex : it->second;
  }
  for (size_t i = 0; i < object->keys.size(); ++i)
    if (object->keys[i] == key) return i;
  return kNoIndex;
}

// Sets key (valid UTF-8) in an unfrozen object to item, already frozen.
void insert(phost_value* object, std::string_view key, ValuePtr item) {
  // By position, not by item: one item may sit under several keys.
  if (const size_t i = find_index(object, key); i != kNoIndex) {
    release(std::exchange(object->items[i], item.release()));
    return;
  }
  object->keys.emplace_back(key);
  object->items.push_back(item.get());
  item.release();
  const size_t n = object->keys.size();
  if (object->index) {
    object->index->emplace(object->keys.back(), n - 1);
  } else if (n > kIndexThreshold) {
    object->index = std::make_unique<StringMap<size_t>>();
    object->index->reserve(n * 2);
    for (size_t i = 0; i < n; ++i) object->index->emplace(object->keys[i], i);
  }
}

// The references a bulk constructor was handed and has not placed yet,
// released if it fails.
struct Taken {
  phost_value* const* items;
  size_t n;
  ~Taken() {
    for (size_t i = 0; i < n; ++i) release(items[i]);
  }
};

}  // namespace

void ValueDeleter::operator()(const phost_value* v) const noexcept { release(v); }

ValuePtr make_value(phost_kind kind) { return ValuePtr(take_node(kind)); }

ValuePtr make_int_node(int64_t i) {
  ValuePtr v = make_value(PHOST_INT);
  v->i = i;
  return v;
}

ValuePtr make_string(std::string_view utf8) {
  if (!valid_utf8(utf8)) throw Error(PHOST_E_INVALID_ARG, "string is not valid UTF-8");
  ValuePtr v = make_value(PHOST_STRING);
  v->text.assign(utf8);
  return v;
}

void retain(const phost_value* v) noexcept {
  if (!v || !is_node(v)) return;
  v->refs.fetch_add(1, std::memory_order_relaxed);
  freeze(v);
}

void release(const phost_value* v) noexcept {
  if (v && is_node(v) && last_reference(v)) destroy_tree(const_cast<phost_value*>(v));
}

void push(phost_value* array, phost_value* item) {
  ValuePtr owned(item);
  require_exclusive(array, PHOST_ARRAY, "value_push");
  adopt_item(array, item, "value_push");
  array->items.push_back(owned.get());
  owned.release();
}

void set(phost_value* object, std::string_view key, phost_value* item) {
  ValuePtr owned(item);
  require_exclusive(object, PHOST_OBJECT, "value_set");
  adopt_item(object, item, "value_set");
  if (!valid_utf8(key)) throw Error(PHOST_E_INVALID_ARG, "value_set: key is not valid UTF-8");
  insert(object, key, std::move(owned));
}

ValuePtr make_array(phost_value* const* items, size_t n) {
  Taken taken{items, n};
  for (size_t i = 0; i < n; ++i)
    if (!items[i]) throw Error(PHOST_E_INVALID_ARG, "value_array_of: item " + std::to_string(i) + " is NULL");
  ValuePtr array = make_value(PHOST_ARRAY);
  array->items.assign(items, items + n);
  taken.n = 0;
  for (phost_value* item : array->items) freeze(item);
  return array;
}

ValuePtr make_object(const phost_str* keys, phost_value* const* items, size_t n) {
  Taken taken{items, n};
  auto key = [keys](size_t i) { return keys[i].ptr ? std::string_view(keys[i].ptr, keys[i].len) : std::string_view(); };
  if (n && !keys) throw Error(PHOST_E_INVALID_ARG, "value_object_of: keys is NULL");
  for (size_t i = 0; i < n; ++i) {
    if (!items[i]) throw Error(PHOST_E_INVALID_ARG, "value_object_of: item " + std::to_string(i) + " is NULL");
    if (!keys[i].ptr && keys[i].len)
      throw Error(PHOST_E_INVALID_ARG, "value_object_of: key " + std::to_string(i) + " is NULL with a length of " +
                                           std::to_string(keys[i].len));
    if (!valid_utf8(key(i)))
      throw Error(PHOST_E_INVALID_ARG, "value_object_of: key " + std::to_string(i) + " is not valid UTF-8");
  }
  // Few keys, all different (the common case): placed without a search each.
  bool distinct = n <= kIndexThreshold;
  for (size_t i = 1; distinct && i < n; ++i)
    for (size_t j = 0; distinct && j < i; ++j) distinct = key(i) != key(j);
  ValuePtr object = make_value(PHOST_OBJECT);
  object->items.reserve(n);
  object->keys.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    freeze(items[i]);
    ValuePtr owned(items[i]);
    ++taken.items;
    --taken.n;
    if (!distinct) {
      insert(object.get(), key(i), std::move(owned));
      continue;
    }
    object->keys.emplace_back(key(i));
    object->items.push_back(owned.release());
  }
  return object;
}

const phost_value* find(const phost_value* object, std::string_view key) noexcept {
  const size_t i = find_index(object, key);
  return i == kNoIndex ? nullptr : object->items[i];
}

const phost_value* empty_array() noexcept {
  // Never released: one extra reference keeps it frozen and alive.
  static phost_value* const empty = [] {
    auto* v = new phost_value(PHOST_ARRAY);
    v->refs.store(2);
    freeze(v);
    return v;
  }();
  return empty;
}

}  // namespace phost
