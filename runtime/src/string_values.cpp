#include "string_values.hpp"

namespace phost::v8rt {

Value StringValues::find(v8::Local<v8::String> s) const {
  const Entry& entry = entries_[slot(s)];
  if (entry.string.IsEmpty()) return {};
  v8::Local<v8::String> kept = entry.string.Get(isolate_);
  // The same object (a literal, call after call), or another with the same text.
  if (kept != s && !kept->StringEquals(s)) return {};
  return View(entry.value.get()).retain();
}

void StringValues::remember(v8::Local<v8::String> s, View value) {
  Entry& entry = entries_[slot(s)];
  entry.string.Reset(isolate_, s);
  // Weak: a short slice of a huge string holds all of it, which a strong
  // handle would keep across calls until the heap limit (507). A literal
  // lives as long as its script, so it still finds its entry.
  entry.string.SetWeak();
  entry.value = value.retain();
}

}  // namespace phost::v8rt
