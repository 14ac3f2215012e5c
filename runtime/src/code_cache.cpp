#include "code_cache.hpp"

#include <v8-script.h>

#include <cstdio>
#include <fstream>

namespace phost::v8rt {
namespace {

constexpr char kMagic[4] = {'P', 'H', 'J', 'C'};

// FNV-1a over the source: stable across runs (std::hash is not promised to be).
uint64_t fnv1a(std::string_view s, uint64_t h = 1469598103934665603ull) noexcept {
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

}  // namespace

CodeCache::CodeCache(std::filesystem::path dir) : dir_(std::move(dir)) {
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
  }
}

uint64_t CodeCache::key(std::string_view source, bool module) noexcept {
  uint64_t h = fnv1a(source);
  h = fnv1a(module ? "m" : "f", h);
  const uint32_t tag = v8::ScriptCompiler::CachedDataVersionTag();
  return fnv1a(std::string_view(reinterpret_cast<const char*>(&tag), sizeof tag), h);
}

std::filesystem::path CodeCache::file_for(uint64_t key) const {
  char name[32];
  std::snprintf(name, sizeof name, "%016llx.jsc", static_cast<unsigned long long>(key));
  return dir_ / name;
}

CacheBytes CodeCache::find(uint64_t key) {
  std::lock_guard lock(mutex_);
  if (auto it = entries_.find(key); it != entries_.end()) {
    ++stats_.hits;
    return it->second;
  }
  if (!dir_.empty()) {
    std::ifstream in(file_for(key), std::ios::binary);
    char magic[4];
    uint64_t stored_key = 0, size = 0;
    if (in.read(magic, 4) && std::equal(magic, magic + 4, kMagic) &&
        in.read(reinterpret_cast<char*>(&stored_key), sizeof stored_key) && stored_key == key &&
        in.read(reinterpret_cast<char*>(&size), sizeof size) && size < (256u << 20)) {
      std::vector<uint8_t> bytes(size);
      if (in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size))) {
        ++stats_.hits;
        auto shared = std::make_shared<const std::vector<uint8_t>>(std::move(bytes));
        entries_.emplace(key, shared);
        return shared;
      }
    }
  }
  ++stats_.misses;
  return nullptr;
}

void CodeCache::store(uint64_t key, std::vector<uint8_t> bytes) {
  auto shared = std::make_shared<const std::vector<uint8_t>>(std::move(bytes));
  std::lock_guard lock(mutex_);
  ++stats_.stored;
  entries_[key] = shared;
  if (dir_.empty()) return;
  // Write then rename, so a crash never leaves a torn file behind.
  const auto path = file_for(key);
  auto temp = path;
  temp += ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    const uint64_t size = shared->size();
    out.write(kMagic, 4);
    out.write(reinterpret_cast<const char*>(&key), sizeof key);
    out.write(reinterpret_cast<const char*>(&size), sizeof size);
    out.write(reinterpret_cast<const char*>(shared->data()), static_cast<std::streamsize>(size));
    if (!out) return;
  }
  std::error_code ec;
  std::filesystem::rename(temp, path, ec);
}

void CodeCache::store(uint64_t key, v8::ScriptCompiler::CachedData* produced) {
  const std::unique_ptr<v8::ScriptCompiler::CachedData> data(produced);
  if (data) store(key, std::vector<uint8_t>(data->data, data->data + data->length));
}

void CodeCache::reject(uint64_t key) {
  {
    std::lock_guard lock(mutex_);
    ++stats_.rejected;
  }
  forget(key);
}

void CodeCache::forget(uint64_t key) {
  std::lock_guard lock(mutex_);
  entries_.erase(key);
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove(file_for(key), ec);
  }
}

CodeCache::Stats CodeCache::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace phost::v8rt
