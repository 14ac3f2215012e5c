#include "key_cache.hpp"

#include "name_cache.hpp"
#include "result_reader.hpp"
#include "string_values.hpp"
#include "v8_text.hpp"

namespace phost::v8rt {
namespace {

// Isolate data slot 0 is the IsolateSlot, 1 the module linker.
constexpr uint32_t kKeyCacheSlot = 2;
// Enough for the keys of an application's argument shapes; a stream of
// distinct keys (ids as keys) stops being cached once it is full.
constexpr size_t kMaxKeys = 4096;
constexpr size_t kMaxKeyBytes = 64;

}  // namespace

KeyCache::KeyCache(v8::Isolate* isolate) : isolate_(isolate) { isolate_->SetData(kKeyCacheSlot, this); }

KeyCache::~KeyCache() { isolate_->SetData(kKeyCacheSlot, nullptr); }

NameCache& KeyCache::names() {
  if (!names_) names_ = std::make_unique<NameCache>(isolate_);
  return *names_;
}

StringValues& KeyCache::strings() {
  if (!strings_) strings_ = std::make_unique<StringValues>(isolate_);
  return *strings_;
}

ResultReader& KeyCache::reader() {
  if (!reader_) reader_ = std::make_unique<ResultReader>(isolate_);
  return *reader_;
}

KeyCache* KeyCache::of(v8::Isolate* isolate) noexcept {
  return static_cast<KeyCache*>(isolate->GetData(kKeyCacheSlot));
}

v8::Local<v8::String> KeyCache::key(std::string_view key) {
  if (auto it = keys_.find(key); it != keys_.end()) return it->second.Get(isolate_);
  v8::Local<v8::String> name = v8_string(isolate_, key, v8::NewStringType::kInternalized);
  if (key.size() <= kMaxKeyBytes && keys_.size() < kMaxKeys)
    keys_.emplace(std::string(key), v8::Global<v8::String>(isolate_, name));
  return name;
}

}  // namespace phost::v8rt
