#include "name_cache.hpp"

namespace phost::v8rt {

const NameCache::Name* NameCache::find(v8::Local<v8::String> name) const {
  const Name& entry = names_[slot(name)];
  // The same string object: its contents cannot have changed.
  return !entry.string.IsEmpty() && entry.string.Get(isolate_) == name ? &entry : nullptr;
}

void NameCache::remember(v8::Local<v8::String> name, std::string_view utf8, bool allowed) {
  Name& entry = names_[slot(name)];
  entry.string.Reset(isolate_, name);
  entry.utf8.assign(utf8);
  entry.allowed = allowed;
}

}  // namespace phost::v8rt
