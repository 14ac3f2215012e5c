#include "name_cache.hpp"

#include <utility>

namespace phost::v8rt {

NameCache::~NameCache() {
  for (Name& entry : names_) drop(std::exchange(entry.shared, nullptr));
}

const NameCache::Name* NameCache::find(v8::Local<v8::String> name) const {
  const Name& entry = names_[slot(name)];
  // The same string object: its contents cannot have changed.
  return !entry.string.IsEmpty() && entry.string.Get(isolate_) == name ? &entry : nullptr;
}

const NameCache::Name& NameCache::remember(v8::Local<v8::String> name, std::string_view utf8, bool allowed,
                                           ProcessHandle handle) {
  Shared* shared = handle.get() ? new Shared{std::move(handle)} : nullptr;
  Name& entry = names_[slot(name)];
  drop(std::exchange(entry.shared, shared));
  entry.string.Reset(isolate_, name);
  entry.string.SetWeak();  // name may be a slice of a huge string (string_values.cpp)
  entry.utf8.assign(utf8);
  entry.allowed = allowed;
  return entry;
}

}  // namespace phost::v8rt
