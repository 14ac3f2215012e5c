// V8 code cache shared by every isolate of the process, optionally persisted
// to a directory so a restart with thousands of scripts compiles fast.
// Entries are keyed by the SHA-256 of source, kind and V8's
// CachedDataVersionTag, and trusted only for that exact key (V8 itself checks
// little more than the source's length); on disk each entry also carries the
// SHA-256 of its bytes, so a torn or altered file is never used. A rejected
// entry is dropped.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include <v8-script.h>

namespace phost::v8rt {

using CacheBytes = std::shared_ptr<const std::vector<uint8_t>>;
using CacheKey = std::array<uint8_t, 32>;

struct CacheKeyHash {
  size_t operator()(const CacheKey& k) const noexcept {
    size_t h;
    std::memcpy(&h, k.data(), sizeof h);  // already a cryptographic hash
    return h;
  }
};

class CodeCache {
public:
  // dir empty: memory only.
  explicit CodeCache(std::filesystem::path dir);
  ~CodeCache();  // writes what is still queued
  CodeCache(const CodeCache&) = delete;
  CodeCache& operator=(const CodeCache&) = delete;

  // kind: 'f' a classic script's code, 'm' a module's, 'p' a prepared source.
  static CacheKey key(std::string_view source, char kind);
  CacheBytes find(const CacheKey& key);
  void store(const CacheKey& key, std::vector<uint8_t> bytes);
  // Takes what V8 produced (may be NULL).
  void store(const CacheKey& key, v8::ScriptCompiler::CachedData* produced);
  void reject(const CacheKey& key);
  // The version that used key is gone: drop its entry, in memory and on disk.
  void forget(const CacheKey& key);

  struct Stats {
    uint64_t hits = 0, misses = 0, rejected = 0, stored = 0;
  };
  Stats stats() const;

private:
  std::filesystem::path file_for(const CacheKey& key) const;
  void write_queued();  // the writer thread
  void write(const CacheKey& key, const CacheBytes& bytes);

  std::filesystem::path dir_;
  mutable std::mutex mutex_;
  std::unordered_map<CacheKey, CacheBytes, CacheKeyHash> entries_;
  Stats stats_;
  // Entries go to disk on a thread of their own: writing one took longer
  // than the script call that made it (0.2-0.7 ms on our VMs).
  std::deque<std::pair<CacheKey, CacheBytes>> queued_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread writer_;  // started with the first entry to write
};

}  // namespace phost::v8rt
