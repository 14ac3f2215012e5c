// The scripts a runtime knows: id -> current version. A version is immutable;
// replacing a script publishes a new version and marks the old one
// superseded, which every isolate notices on its next call and recompiles.
#pragma once

#include "code_cache.hpp"

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace phost::v8rt {

// The ids of an app's services/ files start with this, as in gou:
// services/foo.js is the script __yao_service.foo (services.foo.<Function>).
inline constexpr std::string_view kServicePrefix = "__yao_service.";

struct ScriptVersion {
  std::string id;        // "orders.total" (lower case)
  std::string file;      // for messages and stack traces: "orders/total.js"
  std::string source;    // as given
  std::string body;      // what is compiled: the JS (types stripped), plus its epilogue
  size_t epilogue_at = 0;  // where in body the epilogue starts
  bool module = false;
  uint64_t number = 0;   // unique per runtime, increases with every put
  CacheKey cache_key{};
  std::vector<std::string> functions;  // what it exposes, known once its top level ran (before publishing)
  mutable std::atomic<bool> superseded{false};
};
using ScriptRef = std::shared_ptr<const ScriptVersion>;

// Builds a version, not yet published, of a source already prepared for V8
// (SourcePrep): validates the id (dotted segments of [A-Za-z0-9_$-],
// lower-cased). Throws std::invalid_argument on a bad id.
std::shared_ptr<ScriptVersion> make_version(std::string id, std::string source, std::string file, std::string body,
                                            size_t epilogue_at, bool module);
// Whether id is one: lower case, dotted segments of [a-z0-9_$-].
bool valid_script_id(std::string_view id);

// Why a script of an app could not be loaded: what a call to it gets.
struct LoadFailure {
  std::string file;
  int32_t code;
  std::string message;
};

class ScriptStore {
public:
  // on_dropped(cache_key) runs when no current version uses that key any
  // more, so its code cache entry can go (outside the store's lock).
  explicit ScriptStore(std::function<void(const CacheKey&)> on_dropped) : on_dropped_(std::move(on_dropped)) {}

  // Makes version the current one for its id; the previous one is superseded.
  void publish(const std::shared_ptr<ScriptVersion>& version);
  bool remove(const std::string& id);
  ScriptRef find(std::string_view id) const;
  std::vector<ScriptRef> all() const;

  // A script that failed to load (no version of it is current); publishing
  // or removing the id forgets the failure.
  void record_failure(const std::string& id, LoadFailure failure);
  std::optional<LoadFailure> failure(std::string_view id) const;
  std::vector<std::pair<std::string, LoadFailure>> failures() const;

  // Bumped whenever a version is superseded (replaced or removed): what an
  // isolate found current at an epoch is current while the epoch stays.
  uint64_t epoch() const noexcept { return epoch_.load(std::memory_order_acquire); }

private:
  // Drops one use of key; true when it was the last.
  bool release_key(const CacheKey& key);

  std::function<void(const CacheKey&)> on_dropped_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, ScriptRef> scripts_;
  std::unordered_map<std::string, LoadFailure> failures_;
  std::unordered_map<CacheKey, int, CacheKeyHash> key_uses_;
  uint64_t next_number_ = 1;
  std::atomic<uint64_t> epoch_{1};
};

// "orders/total.js" -> "orders.total"; empty when the path cannot be an id.
std::string script_id_from_path(const std::filesystem::path& relative);

}  // namespace phost::v8rt
