// store: named key-value stores with TTL, LRU-bounded in memory and optionally
// persisted write-through to SQLite. Written only against sdk/ as a third
// party would. One group process, "store": store.<name>.<Method>(args...).
//
// Two groups reach the same stores: "store" (phost's: TTL in milliseconds,
// Del answers whether the key was there, Keys(prefix)) and "stores" (gou's
// process group, what gou scripts call and new Store(name) maps to: TTL in
// seconds, Del returns null, Keys/Len/Del take gou's "prefix*" patterns).
//
// Config: {"stores": {"cache": {"max_entries": 1000, "max_mb": 256, "path": "/x/cache.sqlite"}}}
// Methods and errors: plugins/store/README.md.
//
// Values are kept in the encoding of value_codec.hpp, so every kind
// round-trips exactly: integers stay int64, doubles stay doubles, bytes stay
// bytes. Files written before it (schema version 1) hold JSON text; those rows
// still read, and the file is marked version 2 at load.
//
// Each store: one mutex; an ordered map (sorted Keys(prefix) without a sort)
// plus a recency list (LRU). Expiry uses the steady clock; SQLite holds it as
// wall-clock milliseconds so that it survives a restart. Every Set, Del, Incr
// and Clear writes SQLite first, in one transaction, and changes memory only
// once that committed: memory and file never disagree.
#include "value_codec.hpp"

#include <phost/plugin.hpp>

#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <chrono>
#include <cstdint>
#include <limits>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

constexpr int64_t kDefaultMaxEntries = 10000;
// The longest TTL: its expiry in steady-clock nanoseconds must fit an int64.
constexpr int64_t kMaxTtlMs = 9'000'000'000'000;
// Keys and values held in memory, per store: the LRU bound in bytes.
constexpr int64_t kDefaultMaxMb = 256;
constexpr int32_t kApplicationId = 0x70687374;  // "phst": marks a SQLite file as a phost store
constexpr int kSchemaVersion = 2;  // 2: values are value_codec BLOBs (or version 1's JSON TEXT)

using phost::fail;

int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// ---- SQLite ---------------------------------------------------------------

class Statement {
public:
  Statement() = default;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement() { sqlite3_finalize(stmt_); }
  sqlite3_stmt** out() noexcept { return &stmt_; }
  sqlite3_stmt* get() const noexcept { return stmt_; }

private:
  sqlite3_stmt* stmt_ = nullptr;
};

// One store's file: opened exclusively (a second store or host on the same
// file fails to load rather than silently diverging from this one's memory).
class Db {
public:
  // Opens or creates path; throws with why it cannot be a store.
  Db(std::string where, const std::string& path) : where_(std::move(where)) {
    const int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                   nullptr);
    if (rc != SQLITE_OK) {
      const std::string why = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
      sqlite3_close(db_);
      db_ = nullptr;
      fail_load("cannot open SQLite database '" + path + "': " + why);
    }
    sqlite3_extended_result_codes(db_, 1);
    try {
      setup(path);
    } catch (...) {
      close();
      throw;
    }
  }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db() { close(); }

  struct Row {
    std::string key, data;  // data: the value's encoding
    int64_t expires_ms;  // 0: never
    int64_t seq;
  };
  // Every row, oldest write first.
  std::vector<Row> rows() {
    Statement s;
    prepare("SELECT key, value, expires_ms, seq FROM phost_store ORDER BY seq", s.out(), true);
    std::vector<Row> out;
    for (;;) {
      const int rc = sqlite3_step(s.get());
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) fail_load("cannot read: " + std::string(sqlite3_errmsg(db_)));
      // The type first: reading a BLOB as text would convert it.
      const bool json = sqlite3_column_type(s.get(), 1) == SQLITE_TEXT;  // version 1: JSON text
      Row row{text(s.get(), 0), json ? text(s.get(), 1) : blob(s.get(), 1), sqlite3_column_int64(s.get(), 2),
              sqlite3_column_int64(s.get(), 3)};
      if (json) {
        try {
          row.data = storeplugin::codec::encode(phost::Value::from_json(row.data), where_);
        } catch (const phost::Error& e) {
          fail_load("the value of '" + row.key + "' in the file is not valid JSON: " + e.what());
        }
      }
      out.push_back(std::move(row));
    }
    return out;
  }

  void upsert(std::string_view key, std::string_view data, int64_t expires_ms, int64_t seq) {
    bind_text(upsert_, 1, key);
    sqlite3_bind_blob64(upsert_, 2, data.data(), data.size(), SQLITE_STATIC);
    if (expires_ms) sqlite3_bind_int64(upsert_, 3, expires_ms);
    else sqlite3_bind_null(upsert_, 3);
    sqlite3_bind_int64(upsert_, 4, seq);
    run(upsert_);
  }
  void remove(std::string_view key) {
    bind_text(remove_, 1, key);
    run(remove_);
  }
  void clear() { run(clear_); }

  // A transaction: commit() or it rolls back when it goes out of scope.
  class Transaction {
  public:
    explicit Transaction(Db& db) : db_(db) { db_.run(db_.begin_); }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit() {
      db_.run(db_.commit_);
      done_ = true;
    }
    ~Transaction() {
      if (!done_) {
        sqlite3_step(db_.rollback_);
        sqlite3_reset(db_.rollback_);
      }
    }

  private:
    Db& db_;
    bool done_ = false;
  };

private:
  void close() noexcept {
    for (sqlite3_stmt** s : {&upsert_, &remove_, &clear_, &begin_, &commit_, &rollback_}) {
      sqlite3_finalize(*s);
      *s = nullptr;
    }
    sqlite3_close(db_);
    db_ = nullptr;
  }

  [[noreturn]] void fail_load(const std::string& why) const {
    throw phost::Error(500, where_ + ": " + why, PHOST_E_LOAD);
  }

  static std::string blob(sqlite3_stmt* s, int column) {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(s, column));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s, column))) : std::string();
  }
  static std::string text(sqlite3_stmt* s, int column) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, column));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s, column))) : std::string();
  }

  void exec(const char* sql) {
    char* message = nullptr;
    if (const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message); rc != SQLITE_OK) {
      std::string why = message ? message : sqlite3_errmsg(db_);
      sqlite3_free(message);
      if ((rc & 0xFF) == SQLITE_BUSY || (rc & 0xFF) == SQLITE_LOCKED) why += " (is another store or host using it?)";
      fail_load(why + " (" + sql + ")");
    }
  }

  // A single value from a query (PRAGMAs); fails the load with the query's error.
  std::string scalar(const char* sql) {
    Statement s;
    prepare(sql, s.out(), true);
    const int rc = sqlite3_step(s.get());
    if (rc == SQLITE_ROW) return text(s.get(), 0);
    if (rc == SQLITE_DONE) return {};
    fail_load(std::string(sqlite3_errmsg(db_)) + " (" + sql + ")");
  }

  void prepare(const char* sql, sqlite3_stmt** out, bool loading) {
    if (sqlite3_prepare_v2(db_, sql, -1, out, nullptr) != SQLITE_OK) {
      const std::string why = std::string(sqlite3_errmsg(db_)) + " (" + sql + ")";
      if (loading) fail_load(why);
      fail(500, where_ + ": SQLite: " + why);
    }
  }

  void setup(const std::string& path) {
    // Exclusive before WAL: the WAL index then lives in heap memory, and the
    // lock taken at the first read below is held until close.
    exec("PRAGMA locking_mode = EXCLUSIVE");
    // The first statement that reads the file: a file that is not SQLite, or
    // is held by another store, fails here.
    {
      Statement mode;
      if (sqlite3_prepare_v2(db_, "PRAGMA journal_mode = WAL", -1, mode.out(), nullptr) != SQLITE_OK ||
          sqlite3_step(mode.get()) != SQLITE_ROW) {
        const int rc = sqlite3_extended_errcode(db_);
        std::string why = sqlite3_errmsg(db_);
        if ((rc & 0xFF) == SQLITE_BUSY || (rc & 0xFF) == SQLITE_LOCKED)
          why += " (is another store or host using '" + path + "'?)";
        fail_load("cannot open SQLite database '" + path + "': " + why);
      }
    }
    // Take the exclusive lock now (held until close), not at the first write.
    exec("BEGIN EXCLUSIVE; COMMIT");
    exec("PRAGMA synchronous = NORMAL");
    const std::string check = scalar("PRAGMA quick_check");
    if (check != "ok") fail_load("SQLite database '" + path + "' is corrupt: " + check);
    const std::string app = scalar("PRAGMA application_id");
    const std::string tables = scalar("SELECT count(*) FROM sqlite_schema");
    if (app != std::to_string(kApplicationId)) {
      if (tables != "0") fail_load("'" + path + "' is a SQLite database of some other application, not a phost store");
      exec(("PRAGMA application_id = " + std::to_string(kApplicationId)).c_str());
      exec(("PRAGMA user_version = " + std::to_string(kSchemaVersion)).c_str());
    }
    std::string version = scalar("PRAGMA user_version");
    if (version == "1") {  // its JSON TEXT values still read; new writes are BLOBs
      exec(("PRAGMA user_version = " + std::to_string(kSchemaVersion)).c_str());
      version = scalar("PRAGMA user_version");
    }
    if (version != std::to_string(kSchemaVersion))
      fail_load("'" + path + "' has store schema version " + version + "; this plugin reads version " +
                std::to_string(kSchemaVersion) + " (and 1)");
    exec("CREATE TABLE IF NOT EXISTS phost_store (key TEXT PRIMARY KEY NOT NULL, value NOT NULL, "
         "expires_ms INTEGER, seq INTEGER NOT NULL) WITHOUT ROWID");
    prepare("INSERT INTO phost_store (key, value, expires_ms, seq) VALUES (?1, ?2, ?3, ?4) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_ms = excluded.expires_ms, "
            "seq = excluded.seq",
            &upsert_, true);
    prepare("DELETE FROM phost_store WHERE key = ?1", &remove_, true);
    prepare("DELETE FROM phost_store", &clear_, true);
    prepare("BEGIN", &begin_, true);
    prepare("COMMIT", &commit_, true);
    prepare("ROLLBACK", &rollback_, true);
  }

  void bind_text(sqlite3_stmt* s, int i, std::string_view text) {
    sqlite3_bind_text64(s, i, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
  }

  // Steps a write statement to completion; always leaves it reset and unbound.
  void run(sqlite3_stmt* s) {
    const int rc = sqlite3_step(s);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW) return;
    const int primary = rc & 0xFF;
    const int32_t code = primary == SQLITE_FULL ? 507 : 500;
    fail(code, where_ + ": SQLite write failed: " + sqlite3_errmsg(db_));
  }

  std::string where_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* upsert_ = nullptr;
  sqlite3_stmt* remove_ = nullptr;
  sqlite3_stmt* clear_ = nullptr;
  sqlite3_stmt* begin_ = nullptr;
  sqlite3_stmt* commit_ = nullptr;
  sqlite3_stmt* rollback_ = nullptr;
};

// ---- one store --------------------------------------------------------------

namespace codec = storeplugin::codec;

// Which keys a call means: phost's Keys(prefix), or gou's patterns, where "user:*" is a prefix
// and anything else one exact key ("" or none: every key).
struct Pattern {
  std::string prefix;
  bool exact = false;  // only the key equal to prefix

  static Pattern starting(std::string_view prefix) { return {std::string(prefix), false}; }
  static Pattern gou(std::string_view pattern) {
    if (pattern.empty()) return {};
    if (pattern.back() == '*') return starting(pattern.substr(0, pattern.size() - 1));
    return {std::string(pattern), true};
  }
  bool everything() const noexcept { return prefix.empty() && !exact; }
  bool may_follow(const std::string& key) const noexcept { return key.starts_with(prefix); }  // keys are sorted
  bool matches(const std::string& key) const noexcept { return exact ? key == prefix : key.starts_with(prefix); }
};

class Store {
public:
  Store(std::string name, size_t max_entries, size_t max_bytes, const std::string& path)
      : name_(std::move(name)), max_entries_(max_entries), max_bytes_(max_bytes) {
    if (!path.empty()) {
      db_ = std::make_unique<Db>("store '" + name_ + "'", path);
      load();
    }
  }

  const std::string& name() const noexcept { return name_; }
  size_t size_unlocked() const noexcept { return entries_.size(); }

  // Get(key) -> value or null
  phost::Value get(const std::string& key) {
    std::string data;
    {
      std::lock_guard lock(mutex_);
      auto it = live(key);
      if (it == entries_.end()) return phost::Value::null();
      touch(it);
      data = it->second.data;
    }
    return codec::decode(data);
  }

  // GetDel(key) -> the value it had, or null; the key is gone after.
  phost::Value get_del(const std::string& key) {
    std::string data;
    {
      std::lock_guard lock(mutex_);
      auto it = live(key);
      if (it == entries_.end()) return phost::Value::null();
      data = it->second.data;
      remove_entries({it});
    }
    return codec::decode(data);
  }

  bool has(const std::string& key) {
    std::lock_guard lock(mutex_);
    return live(key) != entries_.end();
  }

  void set(const std::string& key, std::string data, int64_t ttl_ms, const std::string& where) {
    int64_t expires_ns = 0, expires_ms = 0;
    if (ttl_ms > 0 && (__builtin_mul_overflow(ttl_ms, int64_t{1000000}, &expires_ns) ||
                       __builtin_add_overflow(expires_ns, steady_ns(), &expires_ns) ||
                       __builtin_add_overflow(ttl_ms, wall_ms(), &expires_ms)))
      fail(400, where + ": the TTL (" + std::to_string(ttl_ms) + " ms) is too large");
    std::lock_guard lock(mutex_);
    write(key, std::move(data), expires_ns, expires_ms);
  }

  bool del(const std::string& key) {
    std::lock_guard lock(mutex_);
    auto it = live(key);
    if (it == entries_.end()) return false;
    remove_entries({it});
    return true;
  }

  // Removes every live key that matches; the number removed.
  int64_t del_matching(const Pattern& pattern) {
    std::lock_guard lock(mutex_);
    purge_expired();
    std::vector<Map::iterator> gone;
    for (auto it = first(pattern); it != entries_.end() && pattern.may_follow(it->first); ++it)
      if (pattern.matches(it->first)) gone.push_back(it);
    remove_entries(gone);
    return static_cast<int64_t>(gone.size());
  }

  int64_t incr(const std::string& key, int64_t by, const std::string& where) {
    std::lock_guard lock(mutex_);
    int64_t current = 0, expires_ns = 0, expires_ms = 0;
    auto it = live(key);
    if (it != entries_.end()) {
      const std::optional<int64_t> stored = codec::as_int(it->second.data);
      if (!stored) fail(400, where + ": the value of '" + key + "' is not an integer");
      current = *stored;
      expires_ns = it->second.expires_ns;  // Incr keeps a key's TTL
      expires_ms = it->second.expires_ms;
    }
    int64_t next = 0;
    if (__builtin_add_overflow(current, by, &next))
      fail(400, where + ": " + std::to_string(current) + " + " + std::to_string(by) + " overflows int64");
    write(key, codec::encode_int(next), expires_ns, expires_ms);
    return next;
  }

  // ---- gou's list operations: a key holding an array ----

  // Push (or, with unique, AddToSet) appends values (encodings); a missing key starts empty.
  void push(const std::string& key, const std::vector<std::string>& values, bool unique, const std::string& where) {
    std::lock_guard lock(mutex_);
    auto it = live(key);
    std::vector<std::string_view> items = it == entries_.end() ? std::vector<std::string_view>() : list_at(it, key, where);
    for (const std::string& v : values)
      if (!unique || std::find(items.begin(), items.end(), v) == items.end()) items.push_back(v);
    store_list(key, it, items);
  }

  // Pop: the last item (last) or the first; a list left empty is removed, as gou removes it.
  phost::Value pop(const std::string& key, bool last, const std::string& where) {
    std::string item;
    {
      std::lock_guard lock(mutex_);
      auto it = live(key);
      if (it == entries_.end()) fail(404, where + ": '" + key + "' not found");
      std::vector<std::string_view> items = list_at(it, key, where);
      if (items.empty()) fail(404, where + ": '" + key + "' is an empty list");
      item = last ? items.back() : items.front();
      items.erase(last ? items.end() - 1 : items.begin());
      store_list(key, it, items);
    }
    return codec::decode(item);
  }

  // Pull and PullAll: removes every item equal to one of values (equal encodings).
  void pull(const std::string& key, const std::vector<std::string>& values, const std::string& where) {
    std::lock_guard lock(mutex_);
    auto it = live(key);
    if (it == entries_.end()) return;
    std::vector<std::string_view> items = list_at(it, key, where);
    std::erase_if(items, [&](std::string_view item) { return std::find(values.begin(), values.end(), item) != values.end(); });
    store_list(key, it, items);
  }

  // ArrayLen: 0 when the key is missing or holds another kind, as gou.
  int64_t array_len(const std::string& key) {
    std::lock_guard lock(mutex_);
    auto it = live(key);
    if (it == entries_.end()) return 0;
    const auto items = codec::array_items(it->second.data);
    return items ? static_cast<int64_t>(items->size()) : 0;
  }

  // ArrayGet (value empty) or ArraySet (value given): the item at index.
  phost::Value array_at(const std::string& key, int64_t index, const std::string* value, const std::string& where) {
    std::string item;
    {
      std::lock_guard lock(mutex_);
      auto it = live(key);
      if (it == entries_.end()) fail(404, where + ": '" + key + "' not found");
      std::vector<std::string_view> items = list_at(it, key, where);
      if (index < 0 || static_cast<uint64_t>(index) >= items.size())
        fail(400, where + ": argument 2 (index) " + std::to_string(index) + " is out of range (the list has " +
                      std::to_string(items.size()) + " items)");
      if (!value) {
        touch(it);
        item = items[static_cast<size_t>(index)];
      } else {
        items[static_cast<size_t>(index)] = *value;
        store_list(key, it, items);
        return phost::Value::null();
      }
    }
    return codec::decode(item);
  }

  // ArraySlice, ArrayPage and ArrayAll: up to limit items from skip; [] when the key is missing.
  phost::Value array_slice(const std::string& key, uint64_t skip, uint64_t limit, const std::string& where) {
    std::string slice;
    {
      std::lock_guard lock(mutex_);
      auto it = live(key);
      if (it == entries_.end()) return phost::Value::array();
      const std::vector<std::string_view> items = list_at(it, key, where);
      touch(it);
      const size_t begin = static_cast<size_t>(std::min<uint64_t>(skip, items.size()));
      const size_t end = static_cast<size_t>(std::min<uint64_t>(items.size() - begin, limit)) + begin;
      slice = codec::encode_array(std::vector<std::string_view>(items.begin() + static_cast<ptrdiff_t>(begin),
                                                                items.begin() + static_cast<ptrdiff_t>(end)));
    }
    return codec::decode(slice);
  }

  std::vector<std::string> keys(const Pattern& pattern) {
    std::lock_guard lock(mutex_);
    purge_expired();
    std::vector<std::string> out;
    for (auto it = first(pattern); it != entries_.end() && pattern.may_follow(it->first); ++it)
      if (pattern.matches(it->first)) out.push_back(it->first);
    return out;
  }

  int64_t len(const Pattern& pattern) {
    std::lock_guard lock(mutex_);
    purge_expired();
    if (pattern.everything()) return static_cast<int64_t>(entries_.size());
    int64_t n = 0;
    for (auto it = first(pattern); it != entries_.end() && pattern.may_follow(it->first); ++it)
      n += pattern.matches(it->first) ? 1 : 0;
    return n;
  }

  void clear() {
    std::lock_guard lock(mutex_);
    if (db_) {
      Db::Transaction txn(*db_);
      db_->clear();
      txn.commit();
    }
    entries_.clear();
    lru_.clear();
    bytes_ = 0;
  }

  std::string where(std::string_view group, std::string_view method) const {
    return std::string(group) + "." + name_ + "." + std::string(method);
  }

private:
  struct Entry {
    std::string data;  // the value's encoding (value_codec.hpp)
    int64_t expires_ns = 0;  // steady clock; 0: never
    int64_t expires_ms = 0;  // wall clock, as persisted; 0: never
    std::list<const std::string*>::iterator recency;
  };
  using Map = std::map<std::string, Entry, std::less<>>;

  static bool expired(const Entry& e, int64_t now_ns) noexcept { return e.expires_ns && e.expires_ns <= now_ns; }

  Map::iterator first(const Pattern& pattern) { return entries_.lower_bound(pattern.prefix); }

  // The items of the list at it (views into its data); 409 when it holds another kind.
  std::vector<std::string_view> list_at(Map::iterator it, const std::string& key, const std::string& where) {
    std::optional<std::vector<std::string_view>> items = codec::array_items(it->second.data);
    if (!items) fail(409, where + ": the value of '" + key + "' is not a list");
    return std::move(*items);
  }

  // Writes items as key's list, keeping its TTL; an empty list removes the key (gou's lists do).
  // items may view it's data: the new encoding is built before anything changes.
  void store_list(const std::string& key, Map::iterator it, const std::vector<std::string_view>& items) {
    if (items.empty()) {
      if (it != entries_.end()) remove_entries({it});
      return;
    }
    std::string data = codec::encode_array(items);
    const int64_t expires_ns = it == entries_.end() ? 0 : it->second.expires_ns;
    const int64_t expires_ms = it == entries_.end() ? 0 : it->second.expires_ms;
    write(key, std::move(data), expires_ns, expires_ms);
  }

  // Removes live entries, from SQLite first.
  void remove_entries(const std::vector<Map::iterator>& gone) {
    if (gone.empty()) return;
    if (db_) {
      Db::Transaction txn(*db_);
      for (const auto& it : gone) db_->remove(it->first);
      txn.commit();
    }
    for (const auto& it : gone) erase(it);
  }

  void touch(Map::iterator it) { lru_.splice(lru_.begin(), lru_, it->second.recency); }

  void erase(Map::iterator it) {
    bytes_ -= footprint(*it);
    lru_.erase(it->second.recency);
    entries_.erase(it);
  }

  static size_t footprint(const Map::value_type& entry) noexcept { return entry.first.size() + entry.second.data.size(); }
  bool over_bounds() const noexcept { return entries_.size() > max_entries_ || bytes_ > max_bytes_; }

  // The entry of key, or end() when absent or expired (an expired one is dropped).
  Map::iterator live(const std::string& key) {
    auto it = entries_.find(key);
    if (it == entries_.end() || !expired(it->second, steady_ns())) return it;
    drop_expired({it});
    return entries_.end();
  }

  void purge_expired() {
    const int64_t now = steady_ns();
    std::vector<Map::iterator> gone;
    for (auto it = entries_.begin(); it != entries_.end(); ++it)
      if (expired(it->second, now)) gone.push_back(it);
    drop_expired(gone);
  }

  // Expired entries leave memory at once; their rows go best effort (a row
  // left behind by a failed delete has expired anyway and is dropped at load).
  void drop_expired(const std::vector<Map::iterator>& gone) {
    if (gone.empty()) return;
    if (db_) {
      try {
        Db::Transaction txn(*db_);
        for (const auto& it : gone) db_->remove(it->first);
        txn.commit();
      } catch (const phost::Error&) {
      }
    }
    for (const auto& it : gone) erase(it);
  }

  // Stores key (writing through to SQLite first), evicting the least recently
  // used entries while the store is over max_entries or max_mb.
  void write(const std::string& key, std::string data, int64_t expires_ns, int64_t expires_ms) {
    const size_t size = key.size() + data.size();
    if (size > max_bytes_)
      throw phost::Error(413,
                         "store '" + name_ + "': '" + key.substr(0, 100) + "' and its value take " +
                             std::to_string(size) + " bytes, more than the store holds (max_mb " +
                             std::to_string(max_bytes_ >> 20) + ")",
                         PHOST_E_LIMIT);
    auto it = entries_.find(key);
    // Least recently used first, never key itself.
    std::vector<Map::iterator> victims;
    size_t count = entries_.size() + (it == entries_.end() ? 1 : 0);
    size_t bytes = bytes_ + size - (it == entries_.end() ? 0 : footprint(*it));
    for (auto at = lru_.rbegin(); (count > max_entries_ || bytes > max_bytes_) && at != lru_.rend(); ++at) {
      if (**at == key) continue;
      const auto victim = entries_.find(**at);
      victims.push_back(victim);
      --count;
      bytes -= footprint(*victim);
    }
    const int64_t seq = seq_ + 1;
    if (db_) {
      Db::Transaction txn(*db_);
      db_->upsert(key, data, expires_ms, seq);
      for (const auto& victim : victims) db_->remove(victim->first);
      txn.commit();
    }
    seq_ = seq;
    for (const auto& victim : victims) erase(victim);
    if (it == entries_.end()) {
      it = entries_.emplace(key, Entry{}).first;
      lru_.push_front(&it->first);
      it->second.recency = lru_.begin();
    } else {
      touch(it);
      bytes_ -= footprint(*it);
    }
    bytes_ += size;
    it->second.data = std::move(data);
    it->second.expires_ns = expires_ns;
    it->second.expires_ms = expires_ms;
  }

  // Reads the file into memory: expired rows and rows past max_entries or
  // max_mb (the oldest writes; read recency is not persisted) are deleted from it.
  void load() {
    const std::vector<Db::Row> rows = db_->rows();
    const int64_t now_ns = steady_ns(), now_ms = wall_ms();
    std::vector<std::string> stale;
    for (const Db::Row& row : rows) {  // oldest write first: each goes to the front
      seq_ = std::max(seq_, row.seq);
      if (row.expires_ms && row.expires_ms <= now_ms) {
        stale.push_back(row.key);
        continue;
      }
      try {
        codec::decode(row.data);
      } catch (const phost::Error& e) {
        throw phost::Error(500, "store '" + name_ + "': the value of '" + row.key + "' in the file: " + e.what(),
                           PHOST_E_LOAD);
      }
      auto [it, fresh] = entries_.try_emplace(row.key);
      if (!fresh) {  // rows have distinct keys; kept exact anyway
        bytes_ -= footprint(*it);
        lru_.erase(it->second.recency);
        it->second = Entry{};
      }
      lru_.push_front(&it->first);
      it->second.recency = lru_.begin();
      it->second.data = row.data;
      bytes_ += footprint(*it);
      it->second.expires_ms = row.expires_ms;
      // Remaining time from the wall clock, counted from now on the steady clock.
      int64_t expires_ns = 0;
      if (row.expires_ms && (__builtin_mul_overflow(row.expires_ms - now_ms, int64_t{1000000}, &expires_ns) ||
                             __builtin_add_overflow(expires_ns, now_ns, &expires_ns)))
        expires_ns = std::numeric_limits<int64_t>::max();  // further away than int64 nanoseconds reach
      it->second.expires_ns = expires_ns;
    }
    while (over_bounds()) {
      const std::string key = *lru_.back();
      stale.push_back(key);
      erase(entries_.find(key));
    }
    if (!stale.empty()) {
      Db::Transaction txn(*db_);
      for (const std::string& key : stale) db_->remove(key);
      txn.commit();
    }
  }

  std::string name_;
  size_t max_entries_;
  size_t max_bytes_;
  size_t bytes_ = 0;  // keys and values in entries_
  std::mutex mutex_;
  Map entries_;
  std::list<const std::string*> lru_;  // front: most recently used; points at entries_' keys
  int64_t seq_ = 0;                    // the last write's sequence number (persisted write order)
  std::unique_ptr<Db> db_;             // null: memory only
};

// ---- arguments and dispatch -------------------------------------------------------

// How a group reads its calls: phost's "store" or gou's "stores" (see the top of this file).
struct Flavor {
  const char* group;
  bool gou;
};
constexpr Flavor kPhost{"store", false};
constexpr Flavor kGou{"stores", true};

struct Args {
  std::string where;
  const phost::Call& call;

  [[noreturn]] void bad(size_t i, const char* what, const std::string& why) const {
    fail(400, where + ": " + phost::argument_name(i) + " (" + what + ") " + why);
  }
  std::string string(size_t i, const char* what = "key") const {
    const phost::View v = call.args()[i];
    if (!v) bad(i, what, "is missing");
    if (v.kind() != PHOST_STRING) bad(i, what, "must be a string");
    return std::string(v.as_string());
  }
  std::string optional_string(size_t i, const char* what) const {
    const phost::View v = call.args()[i];
    return !v || v.is_null() ? std::string() : string(i, what);
  }
  // An optional integer argument: absent or null gives fallback.
  int64_t integer(size_t i, const char* what, int64_t fallback) const {
    const phost::View v = call.args()[i];
    if (!v || v.is_null()) return fallback;
    return required_integer(i, what);
  }
  int64_t required_integer(size_t i, const char* what) const {
    const phost::View v = call.args()[i];
    if (!v) bad(i, what, "is missing");
    if (v.kind() == PHOST_DOUBLE && std::isfinite(v.as_double()) && v.as_double() == std::floor(v.as_double()))
      bad(i, what, "is too large: a whole number past 2^53 arrives as a double");
    if (v.kind() != PHOST_INT) bad(i, what, "must be an integer");
    return v.as_int();
  }
  // The encodings of the arguments from first on (at least one).
  std::vector<std::string> values(size_t first) const {
    if (call.arg_count() <= first) bad(first, "value", "is missing");
    std::vector<std::string> out;
    for (size_t i = first; i < call.arg_count(); ++i) out.push_back(codec::encode(call.args()[i], where));
    return out;
  }
  // The TTL in milliseconds, 0 for none: phost's ttl_ms (a positive integer), or gou's ttl in
  // seconds (gou multiplies by time.Second; 0 means none, as in gou).
  int64_t ttl_ms(size_t i, bool gou) const {
    const phost::View v = call.args()[i];
    if (!v || v.is_null()) return 0;
    if (!gou) {
      if (v.kind() != PHOST_INT || v.as_int() <= 0 || v.as_int() > kMaxTtlMs)
        bad(i, "ttl_ms", "must be a whole number of milliseconds from 1 to 9e12, about 285 years (omit it or pass null for none)");
      return v.as_int();
    }
    double seconds = 0;
    if (v.kind() == PHOST_INT) seconds = static_cast<double>(v.as_int());
    else if (v.kind() == PHOST_DOUBLE) seconds = v.as_double();
    else bad(i, "ttl", "must be a number of seconds (0, null or none: no expiry)");
    if (!(seconds >= 0) || seconds * 1000 > kMaxTtlMs)
      bad(i, "ttl", "must be a number of seconds from 0 to 9e9, about 285 years");
    return static_cast<int64_t>(seconds * 1000);
  }
};

struct Stores {
  std::map<std::string, std::unique_ptr<Store>, std::less<>> by_name;
};

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char ch) { return ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch; };
           return lower(x) == lower(y);
         });
}

constexpr std::string_view kMethods[] = {"Get",      "Set",      "Has",      "Del",        "GetDel",    "Keys",
                                         "Len",      "Incr",     "Decr",     "Clear",      "Push",      "Pop",
                                         "Pull",     "PullAll",  "AddToSet", "ArrayLen",   "ArrayGet",  "ArraySet",
                                         "ArraySlice", "ArrayPage", "ArrayAll"};

phost::Value dispatch(Stores& stores, const Flavor& flavor, phost::Call& call) {
  const phost_call_info info = call.info();
  const std::string id(phost::to_view(info.id));
  const std::string asked(phost::to_view(info.method));
  const std::string group = flavor.group;
  if (id.empty()) fail(404, group + ": call " + group + ".<name>.<Method>, e.g. " + group + ".cache.Get");
  const auto found = stores.by_name.find(id);
  if (found == stores.by_name.end()) fail(404, "no store '" + id + "'");
  Store& s = *found->second;
  // Method names ignore case, as gou's process names do.
  const auto known = std::find_if(std::begin(kMethods), std::end(kMethods),
                                  [&](std::string_view m) { return same_name(m, asked); });
  if (known == std::end(kMethods))
    fail(404, group + " has no method '" + asked + "' (Get, Set, Has, Del, GetDel, Keys, Len, Incr, Decr, Clear, Push, Pop, "
                      "Pull, PullAll, AddToSet, ArrayLen, ArrayGet, ArraySet, ArraySlice, ArrayPage, ArrayAll)");
  const std::string_view method = *known;
  const Args a{s.where(group, method), call};

  if (method == "Get") return s.get(a.string(0));
  if (method == "GetDel") return s.get_del(a.string(0));
  if (method == "Set") {
    const std::string key = a.string(0);
    const phost::View value = call.args()[1];
    if (!value) a.bad(1, "value", "is missing");
    std::string data = codec::encode(value, a.where);
    s.set(key, std::move(data), a.ttl_ms(2, flavor.gou), a.where);
    return phost::Value::null();
  }
  if (method == "Has") return phost::Value::boolean(s.has(a.string(0)));
  if (method == "Del") {
    const std::string key = a.string(0);
    if (!flavor.gou) return phost::Value::boolean(s.del(key));
    if (!key.empty() && key.back() == '*') s.del_matching(Pattern::gou(key));  // gou: "user:*" deletes them all
    else s.del(key);
    return phost::Value::null();
  }
  if (method == "Incr" || method == "Decr") {
    const std::string key = a.string(0);
    int64_t by = a.integer(1, "by", 1);
    if (method == "Decr") {
      if (by == std::numeric_limits<int64_t>::min()) a.bad(1, "by", "is too small to negate");
      by = -by;
    }
    return phost::Value::integer(s.incr(key, by, a.where));
  }
  if (method == "Keys" || method == "Len") {
    const std::string text = a.optional_string(0, flavor.gou ? "pattern" : "prefix");
    const Pattern pattern = flavor.gou ? Pattern::gou(text) : Pattern::starting(text);
    if (method == "Len") return phost::Value::integer(s.len(pattern));
    const std::vector<std::string> keys = s.keys(pattern);
    phost::Value out = phost::Value::array(keys.size());
    for (const std::string& key : keys) out.push(phost::Value::string(key));
    return out;
  }
  if (method == "Clear") {
    s.clear();
    return phost::Value::null();
  }
  // gou's list operations.
  const std::string key = a.string(0);
  if (method == "Push" || method == "AddToSet") {
    s.push(key, a.values(1), method == "AddToSet", a.where);
    return phost::Value::null();
  }
  if (method == "Pop") return s.pop(key, a.required_integer(1, "position") == 1, a.where);  // 1: the last, else the first
  if (method == "Pull") {
    if (call.arg_count() != 2) a.bad(1, "value", call.arg_count() < 2 ? "is missing" : "must be one value (PullAll takes several)");
    s.pull(key, a.values(1), a.where);
    return phost::Value::null();
  }
  if (method == "PullAll") {
    std::vector<std::string> values;
    const phost::View only = call.args()[1];
    if (call.arg_count() == 2 && only.kind() == PHOST_ARRAY) {  // gou: one array argument is the list of values
      for (size_t i = 0; i < only.size(); ++i) values.push_back(codec::encode(only[i], a.where));
    } else {
      values = a.values(1);
    }
    s.pull(key, values, a.where);
    return phost::Value::null();
  }
  if (method == "ArrayLen") return phost::Value::integer(s.array_len(key));
  if (method == "ArrayGet") return s.array_at(key, a.required_integer(1, "index"), nullptr, a.where);
  if (method == "ArraySet") {
    const int64_t index = a.required_integer(1, "index");
    const phost::View value = call.args()[2];
    if (!value) a.bad(2, "value", "is missing");
    const std::string data = codec::encode(value, a.where);
    return s.array_at(key, index, &data, a.where);
  }
  if (method == "ArrayAll") return s.array_slice(key, 0, UINT64_MAX, a.where);
  const int64_t first = a.required_integer(1, method == "ArrayPage" ? "page" : "skip");
  const int64_t second = a.required_integer(2, method == "ArrayPage" ? "pageSize" : "limit");
  if (method == "ArrayPage") {  // gou: pages count from 1; a page or size below 1 is empty
    int64_t skip = 0;
    if (first < 1 || second < 1 || __builtin_mul_overflow(first - 1, second, &skip)) return phost::Value::array();
    return s.array_slice(key, static_cast<uint64_t>(skip), static_cast<uint64_t>(second), a.where);
  }
  // ArraySlice: a negative skip is empty, as gou's.
  if (second < 0) a.bad(2, "limit", "must be a non-negative integer");
  if (first < 0) return phost::Value::array();
  return s.array_slice(key, static_cast<uint64_t>(first), static_cast<uint64_t>(second), a.where);
}

// ---- config -----------------------------------------------------------------

std::unique_ptr<Stores> open_stores(phost::View config) {
  auto bad = [](const std::string& why) { throw phost::Error(400, "store: config: " + why, PHOST_E_INVALID_ARG); };
  const char* example = "e.g. {\"stores\": {\"cache\": {\"max_entries\": 1000, \"path\": \"/x/cache.sqlite\"}}}";
  if (config.kind() != PHOST_OBJECT) bad(std::string("missing; ") + example);
  const phost::View list = config["stores"];
  if (list.kind() != PHOST_OBJECT || list.size() == 0)
    bad(std::string("\"stores\" must be an object of at least one store, ") + example);
  auto out = std::make_unique<Stores>();
  for (size_t i = 0; i < list.size(); ++i) {
    std::string name(list.key_at(i));
    for (char& c : name)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');  // ids arrive lower-cased
    const bool valid = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '$';
    });
    if (!valid) bad("store name '" + std::string(list.key_at(i)) + "' must be letters, digits, '_', '-' or '$'");
    const phost::View settings = list[i];
    if (settings.kind() != PHOST_OBJECT) bad("store '" + name + "' must be an object, " + example);
    phost::check_keys(settings, {"max_entries", "max_mb", "path"}, "store: config: store '" + name + "'");
    int64_t max_entries = kDefaultMaxEntries;
    if (const phost::View v = settings["max_entries"]) {
      if (v.kind() != PHOST_INT || v.as_int() <= 0) bad("store '" + name + "': max_entries must be a positive integer");
      max_entries = v.as_int();
    }
    int64_t max_mb = kDefaultMaxMb;
    if (const phost::View v = settings["max_mb"]) {
      if (v.kind() != PHOST_INT || v.as_int() <= 0 || v.as_int() > (int64_t{1} << 30))
        bad("store '" + name + "': max_mb must be a positive integer (MB)");
      max_mb = v.as_int();
    }
    std::string path;
    if (const phost::View v = settings["path"]) {
      if (v.kind() != PHOST_STRING || v.as_string().empty()) bad("store '" + name + "': path must be a file path");
      path = std::string(v.as_string());
    }
    if (out->by_name.count(name)) bad("store '" + name + "' is given twice (names are case-insensitive)");
    out->by_name.emplace(name, std::make_unique<Store>(name, static_cast<size_t>(max_entries),
                                                       static_cast<size_t>(max_mb) << 20, path));
  }
  return out;
}

void init(phost::Plugin& plugin, phost_plugin_info& info) {
  std::unique_ptr<Stores> stores = open_stores(plugin.config({"stores"}));
  for (const auto& [name, store] : stores->by_name)
    plugin.log(PHOST_LOG_DEBUG, "store '" + name + "': " + std::to_string(store->size_unlocked()) + " entries loaded");
  Stores* s = stores.get();
  info.plugin_data = stores.release();
  info.on_unload = [](void* data) { delete static_cast<Stores*>(data); };
  plugin.add("store",
             "Key-value stores with TTL: store.<name>.Get(key), Set(key, value[, ttl_ms]), Has, Del, GetDel, "
             "Keys([prefix]), Incr(key[, by]), Decr, Len([prefix]), Clear(), and gou's list operations (Push, Pop, ...)",
             [s](phost::Call& call) { return dispatch(*s, kPhost, call); }, PHOST_PROCESS_GROUP);
  plugin.add("stores",
             "The same stores as gou's process group: stores.<name>.Get(key), Set(key, value[, ttl_seconds]), Has, "
             "Del(key or 'prefix*'), GetDel, Keys(['prefix*']), Len(['prefix*']), Incr, Decr, Clear(), Push, Pop, Pull, "
             "PullAll, AddToSet, ArrayLen, ArrayGet, ArraySet, ArraySlice, ArrayPage, ArrayAll",
             [s](phost::Call& call) { return dispatch(*s, kGou, call); }, PHOST_PROCESS_GROUP);
}

}  // namespace

PHOST_DECLARE_PLUGIN("store", "1.1.0", init)
