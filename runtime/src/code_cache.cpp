#include "code_cache.hpp"

#include <openssl/evp.h>
#include <v8-script.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <system_error>

namespace phost::v8rt {
namespace {

constexpr char kMagic[4] = {'P', 'H', 'C', '3'};

CacheKey sha256(const void* data, size_t size) {
  CacheKey out{};
  unsigned int n = 0;
  if (!EVP_Digest(data, size, out.data(), &n, EVP_sha256(), nullptr) || n != out.size())
    throw std::runtime_error("SHA-256 failed");
  return out;
}

}  // namespace

CodeCache::CodeCache(std::filesystem::path dir) : dir_(std::move(dir)) {
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
  }
}

CacheKey CodeCache::key(std::string_view source, char kind) {
  const uint32_t tag = v8::ScriptCompiler::CachedDataVersionTag();
  CacheKey out{};
  unsigned int size = 0;
  const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!md || !EVP_DigestInit_ex(md.get(), EVP_sha256(), nullptr) ||
      !EVP_DigestUpdate(md.get(), &tag, sizeof tag) || !EVP_DigestUpdate(md.get(), &kind, 1) ||
      !EVP_DigestUpdate(md.get(), source.data(), source.size()) || !EVP_DigestFinal_ex(md.get(), out.data(), &size) ||
      size != out.size())
    throw std::runtime_error("SHA-256 failed");
  return out;
}

std::filesystem::path CodeCache::file_for(const CacheKey& key) const {
  char name[40];
  for (size_t i = 0; i < 16; ++i) std::snprintf(name + 2 * i, 3, "%02x", key[i]);
  return dir_ / (std::string(name, 32) + ".jsc");
}

CacheBytes CodeCache::find(const CacheKey& key) {
  std::lock_guard lock(mutex_);
  if (auto it = entries_.find(key); it != entries_.end()) {
    ++stats_.hits;
    return it->second;
  }
  if (!dir_.empty()) {
    std::ifstream in(file_for(key), std::ios::binary);
    char magic[4];
    CacheKey stored_key{};
    uint64_t size = 0;
    CacheKey digest{};
    if (in.read(magic, 4) && std::equal(magic, magic + 4, kMagic) &&
        in.read(reinterpret_cast<char*>(stored_key.data()), stored_key.size()) && stored_key == key &&
        in.read(reinterpret_cast<char*>(&size), sizeof size) && size < (256u << 20) &&
        in.read(reinterpret_cast<char*>(digest.data()), digest.size())) {
      std::vector<uint8_t> bytes(size);
      if (in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size))) {
        if (sha256(bytes.data(), bytes.size()) != digest) {
          // Torn or tampered: never handed out.
          ++stats_.rejected;
          std::error_code ec;
          std::filesystem::remove(file_for(key), ec);
        } else {
          ++stats_.hits;
          auto shared = std::make_shared<const std::vector<uint8_t>>(std::move(bytes));
          entries_.emplace(key, shared);
          return shared;
        }
      }
    }
  }
  ++stats_.misses;
  return nullptr;
}

CodeCache::~CodeCache() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (writer_.joinable()) writer_.join();
}

void CodeCache::store(const CacheKey& key, std::vector<uint8_t> bytes) {
  auto shared = std::make_shared<const std::vector<uint8_t>>(std::move(bytes));
  {
    std::lock_guard lock(mutex_);
    ++stats_.stored;
    entries_[key] = shared;
    if (dir_.empty()) return;
    queued_.emplace_back(key, std::move(shared));
    if (!writer_.joinable()) {
      try {
        writer_ = std::thread([this] { write_queued(); });
      } catch (const std::system_error&) {
        queued_.pop_back();  // no thread to be had: not persisted this time
      }
    }
  }
  wake_.notify_one();
}

void CodeCache::write_queued() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !queued_.empty(); });
    if (queued_.empty()) return;  // stopping, and everything is written
    auto [key, bytes] = std::move(queued_.front());
    queued_.pop_front();
    lock.unlock();
    try {
      write(key, bytes);
    } catch (const std::exception&) {
      // Not written: the entry stays in memory, and a later process makes its own.
    }
    lock.lock();
  }
}

void CodeCache::write(const CacheKey& key, const CacheBytes& bytes) {
  // Write then rename, so a crash never leaves a torn file behind.
  const auto path = file_for(key);
  auto temp = path;
  temp += ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    const uint64_t size = bytes->size();
    const CacheKey digest = sha256(bytes->data(), bytes->size());
    out.write(kMagic, 4);
    out.write(reinterpret_cast<const char*>(key.data()), static_cast<std::streamsize>(key.size()));
    out.write(reinterpret_cast<const char*>(&size), sizeof size);
    out.write(reinterpret_cast<const char*>(digest.data()), static_cast<std::streamsize>(digest.size()));
    out.write(reinterpret_cast<const char*>(bytes->data()), static_cast<std::streamsize>(size));
    if (!out) return;
  }
  std::error_code ec;
  // Only while the entry is still wanted: forget() may have dropped it meanwhile.
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it != entries_.end() && it->second == bytes) std::filesystem::rename(temp, path, ec);
  else std::filesystem::remove(temp, ec);
}

void CodeCache::store(const CacheKey& key, v8::ScriptCompiler::CachedData* produced) {
  const std::unique_ptr<v8::ScriptCompiler::CachedData> data(produced);
  if (data) store(key, std::vector<uint8_t>(data->data, data->data + data->length));
}

void CodeCache::reject(const CacheKey& key) {
  {
    std::lock_guard lock(mutex_);
    ++stats_.rejected;
  }
  forget(key);
}

void CodeCache::forget(const CacheKey& key) {
  std::lock_guard lock(mutex_);
  entries_.erase(key);
  if (!dir_.empty()) {
    std::erase_if(queued_, [&](const auto& q) { return q.first == key; });
    std::error_code ec;
    std::filesystem::remove(file_for(key), ec);
  }
}

CodeCache::Stats CodeCache::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace phost::v8rt
