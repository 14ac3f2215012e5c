#include "script_store.hpp"


#include <algorithm>
#include <optional>
#include <stdexcept>

namespace phost::v8rt {

bool valid_script_id(std::string_view id) {
  if (id.empty() || id.size() > 200 || id.front() == '.' || id.back() == '.') return false;
  char previous = 0;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '$' || c == '-' ||
                    (c == '.' && previous != '.');
    if (!ok) return false;
    previous = c;
  }
  return true;
}

namespace {

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

// An invalid id as an error shows it: the message crosses the ABI as a C
// string (a NUL would end it) and a megabyte of id says no more than 200 bytes.
std::string shown_id(std::string_view id) {
  size_t n = std::min<size_t>(id.size(), 200);
  while (n < id.size() && n > 0 && (static_cast<unsigned char>(id[n]) & 0xc0) == 0x80) --n;  // whole characters
  std::string out;
  for (char c : id.substr(0, n)) out += c == '\0' ? std::string("\\0") : std::string(1, c);
  if (n < id.size()) out += "...";
  return out;
}

}  // namespace

std::shared_ptr<ScriptVersion> make_version(std::string id, std::string source, std::string file, std::string body,
                                            size_t epilogue_at, bool module) {
  id = lower(std::move(id));
  if (!valid_script_id(id))
    throw std::invalid_argument("invalid script id '" + shown_id(id) +
                                "': use dotted segments of letters, digits, _ $ -");
  auto version = std::make_shared<ScriptVersion>();
  version->id = id;
  version->file = file.empty() ? id + ".js" : std::move(file);
  version->module = module;
  version->body = std::move(body);
  version->epilogue_at = std::min(epilogue_at, version->body.size());
  version->cache_key = CodeCache::key(version->body, module ? 'm' : 'f');
  version->source = std::move(source);
  return version;
}

bool ScriptStore::release_key(const CacheKey& key) {
  auto it = key_uses_.find(key);
  if (it == key_uses_.end() || --it->second > 0) return false;
  key_uses_.erase(it);
  return true;
}

void ScriptStore::publish(const std::shared_ptr<ScriptVersion>& version) {
  std::optional<CacheKey> dropped;
  {
    std::lock_guard lock(mutex_);
    version->number = next_number_++;
    ++key_uses_[version->cache_key];
    failures_.erase(version->id);
    ScriptRef& slot = scripts_[version->id];
    if (slot) {
      slot->superseded.store(true, std::memory_order_release);
      epoch_.fetch_add(1, std::memory_order_acq_rel);  // after the flag: a new epoch shows it
      if (release_key(slot->cache_key)) dropped = slot->cache_key;
    }
    slot = version;
  }
  if (dropped) on_dropped_(*dropped);
}

bool ScriptStore::remove(const std::string& id) {
  std::optional<CacheKey> dropped;
  {
    std::lock_guard lock(mutex_);
    const bool failed = failures_.erase(lower(id)) > 0;
    auto it = scripts_.find(lower(id));
    if (it == scripts_.end()) return failed;
    it->second->superseded.store(true, std::memory_order_release);
    epoch_.fetch_add(1, std::memory_order_acq_rel);
    if (release_key(it->second->cache_key)) dropped = it->second->cache_key;
    scripts_.erase(it);
  }
  if (dropped) on_dropped_(*dropped);
  return true;
}

ScriptRef ScriptStore::find(std::string_view id) const {
  std::lock_guard lock(mutex_);
  auto it = scripts_.find(std::string(id));
  return it == scripts_.end() ? nullptr : it->second;
}

void ScriptStore::record_failure(const std::string& id, LoadFailure failure) {
  std::lock_guard lock(mutex_);
  failures_[id] = std::move(failure);
}

std::optional<LoadFailure> ScriptStore::failure(std::string_view id) const {
  std::lock_guard lock(mutex_);
  auto it = failures_.find(std::string(id));
  if (it == failures_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::pair<std::string, LoadFailure>> ScriptStore::failures() const {
  std::vector<std::pair<std::string, LoadFailure>> out;
  {
    std::lock_guard lock(mutex_);
    out.assign(failures_.begin(), failures_.end());
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

std::vector<ScriptRef> ScriptStore::all() const {
  std::vector<ScriptRef> out;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, v] : scripts_) out.push_back(v);
  }
  std::sort(out.begin(), out.end(), [](const ScriptRef& a, const ScriptRef& b) { return a->id < b->id; });
  return out;
}

std::string script_id_from_path(const std::filesystem::path& relative) {
  std::string id;
  for (const auto& part : relative.parent_path()) {
    if (!id.empty()) id += '.';
    id += part.string();
  }
  if (!id.empty()) id += '.';
  id += relative.stem().string();
  id = lower(std::move(id));
  return valid_script_id(id) ? id : std::string();
}

}  // namespace phost::v8rt
