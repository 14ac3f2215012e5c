// V8 code cache shared by every isolate of the process, optionally persisted
// to a directory so a restart with thousands of scripts compiles fast.
// Entries are keyed by source hash, kind and V8's CachedDataVersionTag; V8
// itself also checks the source and flags, and a rejected entry is dropped.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <v8-script.h>

namespace phost::v8rt {

using CacheBytes = std::shared_ptr<const std::vector<uint8_t>>;

class CodeCache {
public:
  // dir empty: memory only.
  explicit CodeCache(std::filesystem::path dir);

  static uint64_t key(std::string_view source, bool module) noexcept;
  CacheBytes find(uint64_t key);
  void store(uint64_t key, std::vector<uint8_t> bytes);
  // Takes what V8 produced (may be NULL).
  void store(uint64_t key, v8::ScriptCompiler::CachedData* produced);
  void reject(uint64_t key);
  // The version that used key is gone: drop its entry, in memory and on disk.
  void forget(uint64_t key);

  struct Stats {
    uint64_t hits = 0, misses = 0, rejected = 0, stored = 0;
  };
  Stats stats() const;

private:
  std::filesystem::path file_for(uint64_t key) const;

  std::filesystem::path dir_;
  mutable std::mutex mutex_;
  std::unordered_map<uint64_t, CacheBytes> entries_;
  Stats stats_;
};

}  // namespace phost::v8rt
