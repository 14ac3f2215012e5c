// The store plugin (plugins/store), loaded into a phost::Host as an application would.
#include "plugin_support.hpp"

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

using phost::Value;
using plugin_test::contains;
using plugin_test::TempDir;
namespace stdfs = std::filesystem;

namespace {

// A host with the store plugin loaded with config (JSON).
struct Stores {
  explicit Stores(const std::string& config) : host(plugin_test::quiet()) {
    host.load_plugin(PHOST_STORE_PLUGIN, Value::from_json(config));
  }
  std::string json(std::string_view name, const Value& args = phost::args()) {
    return plugin_test::json(host, name, args);
  }
  plugin_test::Failure error(std::string_view name, const Value& args = phost::args()) {
    return plugin_test::error_of(host, name, args);
  }
  phost::Host host;
};

std::string memory_config(int max_entries = 1000) {
  return R"({"stores": {"cache": {"max_entries": )" + std::to_string(max_entries) + "}}}";
}
std::string file_config(const stdfs::path& file, int max_entries = 1000) {
  return R"({"stores": {"cache": {"max_entries": )" + std::to_string(max_entries) + R"(, "path": ")" +
         file.string() + "\"}}}";
}

// Polls Has(key) until it is false; false if that takes over two seconds.
bool expires_within_2s(Stores& s, const std::string& key) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (std::chrono::steady_clock::now() < give_up) {
    if (s.json("store.cache.Has", phost::args(key)) == "false") return true;
    std::this_thread::yield();
  }
  return false;
}

// Runs sql on a store file (closed by every host first); the first column of the last row.
std::string sql(const stdfs::path& file, const std::string& statement) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
  std::string out;
  char* error = nullptr;
  const int rc = sqlite3_exec(
      db, statement.c_str(),
      [](void* sink, int, char** values, char**) {
        *static_cast<std::string*>(sink) = values[0] ? values[0] : "NULL";
        return 0;
      },
      &out, &error);
  const std::string message = error ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  REQUIRE_MESSAGE(rc == SQLITE_OK, message);
  return out;
}

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

plugin_test::Failure load_error(const std::string& config) {
  phost::Host host(plugin_test::quiet());
  return plugin_test::load_error(host, PHOST_STORE_PLUGIN, Value::from_json(config));
}

}  // namespace

TEST_SUITE("store plugin") {

TEST_CASE("config: stores are required and their settings checked") {
  CHECK(contains(load_error("{}").message, "\"stores\" must be an object"));
  CHECK(contains(load_error(R"({"stores": {"c": 1}})").message, "store 'c' must be an object"));
  CHECK(contains(load_error(R"({"stores": {"c": {"max_entries": 0}}})").message, "max_entries must be a positive"));
  CHECK(contains(load_error(R"({"stores": {"c": {"path": 3}}})").message, "path must be a file path"));
  CHECK(contains(load_error(R"({"stores": {"c": {"size": 3}}})").message, "store 'c': unknown key 'size'"));
  CHECK(contains(load_error(R"({"stores": {"a.b": {}}})").message, "store name 'a.b'"));
  CHECK(contains(load_error(R"({"stores": {"c": {}, "C": {}}})").message, "given twice"));
  CHECK(contains(load_error(R"({"stores": {"c": {"path": "/no/such/dir/x.sqlite"}}})").message,
                 "cannot open SQLite database '/no/such/dir/x.sqlite'"));
  CHECK(load_error(R"({"stores": {"Cache": {}}})").code == 0);  // max_entries has a default
}

TEST_CASE("unknown stores and methods are 404, keys must be strings") {
  Stores s(R"({"stores": {"Cache": {}}})");
  const auto e = s.error("store.nope.Get", phost::args("k"));
  CHECK(e.code == 404);
  CHECK(e.message == "no store 'nope'");
  CHECK(s.json("store.CACHE.Len") == "0");  // names are case-insensitive
  CHECK(s.error("store.cache.Explode").code == 404);
  CHECK(s.error("store.cache.Get").code == 400);
  CHECK(s.error("store.cache.Get", phost::args(1)).code == 400);
  CHECK(s.error("store.cache.Set", phost::args("k")).code == 400);  // no value
}

TEST_CASE("Set, Get, Has and Del round-trip every kind of value") {
  Stores s(memory_config());
  const char* values[] = {"null", "true", "9223372036854775807", "-9223372036854775808", "2.0", "-0.0", "1.5e+300",
                          R"("héllo \u0000 \"q\"")", "[]", R"({"a":[1,2.5,"x",null,{"b":false}],"c":{}})"};
  int i = 0;
  for (const char* v : values) {
    const std::string key = "k" + std::to_string(i++);
    CAPTURE(v);
    CHECK(s.json("store.cache.Set", phost::args(key, Value::from_json(v))) == "null");
    CHECK(s.json("store.cache.Get", phost::args(key)) == Value::from_json(v).to_json());
    CHECK(s.json("store.cache.Has", phost::args(key)) == "true");
  }
  CHECK(s.host.call("store.cache.Get", phost::args("k4")).kind() == PHOST_DOUBLE);  // 2.0 stays a double
  CHECK(s.json("store.cache.Get", phost::args("missing")) == "null");
  CHECK(s.json("store.cache.Has", phost::args("missing")) == "false");
  CHECK(s.json("store.cache.Has", phost::args("k0")) == "true");  // a stored null is there
  CHECK(s.json("store.cache.Set", phost::args("k1", "replaced")) == "null");
  CHECK(s.json("store.cache.Get", phost::args("k1")) == "\"replaced\"");
  CHECK(s.json("store.cache.Del", phost::args("k1")) == "true");
  CHECK(s.json("store.cache.Del", phost::args("k1")) == "false");
  CHECK(s.json("store.cache.Get", phost::args("k1")) == "null");
  CHECK(s.json("store.cache.Set", phost::args("", 1)) == "null");  // the empty key is a key
  CHECK(s.json("store.cache.Get", phost::args("")) == "1");
}

TEST_CASE("bytes and int64 keep their kinds at any depth, in memory and in the file") {
  TempDir dir("store");
  // Values are built once a host exists: the SDK reaches the value functions through it.
  auto make = [] {
    Value nested = Value::object();
    Value list = Value::array();
    list.push(Value::integer(int64_t{9007199254740993}));  // above 2^53: a double would lose it
    list.push(Value::bytes(std::string_view("\0\xff", 2)));
    list.push(Value::number(0.1));
    nested.set("list", std::move(list));
    nested.set("raw", Value::bytes(""));
    return nested;
  };
  for (const bool persistent : {false, true}) {
    CAPTURE(persistent);
    const stdfs::path file = dir / "kinds.sqlite";
    std::string expected;
    {
      Stores s(persistent ? file_config(file) : memory_config());
      expected = make().to_json();
      CHECK(s.json("store.cache.Set", phost::args("v", make())) == "null");
      CHECK(s.json("store.cache.Set", phost::args("b", Value::bytes("\x01"))) == "null");
      const Value b = s.host.call("store.cache.Get", phost::args("b"));
      CHECK(b.kind() == PHOST_BYTES);
      CHECK(b.as_string() == "\x01");
    }
    Stores s(persistent ? file_config(file) : memory_config());
    if (!persistent) s.json("store.cache.Set", phost::args("v", make()));
    const Value v = s.host.call("store.cache.Get", phost::args("v"));
    CHECK(v.to_json() == expected);
    CHECK(v["list"][0].kind() == PHOST_INT);
    CHECK(v["list"][0].as_int() == int64_t{9007199254740993});
    CHECK(v["list"][1].kind() == PHOST_BYTES);
    CHECK(v["list"][1].as_string() == std::string_view("\0\xff", 2));
    CHECK(v["list"][2].as_double() == 0.1);
    CHECK(v["raw"].kind() == PHOST_BYTES);
  }
  // Deeper than the store keeps is refused with 400, and nothing is stored.
  Stores s(memory_config());
  Value deep = Value::array();
  for (int i = 0; i < 600; ++i) {
    Value outer = Value::array();
    outer.push(std::move(deep));
    deep = std::move(outer);
  }
  const auto e = s.error("store.cache.Set", phost::args("d", std::move(deep)));
  CHECK(e.code == 400);
  CHECK(contains(e.message, "store.cache.Set: the value nests deeper than 512 (at value[0][0]"));
  CHECK(s.json("store.cache.Has", phost::args("d")) == "false");
}

TEST_CASE("Keys(prefix) is sorted, Len counts, Clear empties") {
  Stores s(memory_config());
  for (const char* k : {"user:2", "user:10", "order:1", "user:1", "u"}) s.json("store.cache.Set", phost::args(k, 1));
  CHECK(s.json("store.cache.Keys", phost::args("user:")) == R"(["user:1","user:10","user:2"])");
  CHECK(s.json("store.cache.Keys") == R"(["order:1","u","user:1","user:10","user:2"])");
  CHECK(s.json("store.cache.Keys", phost::args("")) == s.json("store.cache.Keys"));
  CHECK(s.json("store.cache.Keys", phost::args("zzz")) == "[]");
  CHECK(s.json("store.cache.Len") == "5");
  CHECK(s.json("store.cache.Clear") == "null");
  CHECK(s.json("store.cache.Len") == "0");
  CHECK(s.json("store.cache.Keys") == "[]");
}

TEST_CASE("Incr adds to integers, starts missing keys at 0, refuses other values and overflow") {
  Stores s(memory_config());
  CHECK(s.json("store.cache.Incr", phost::args("n")) == "1");
  CHECK(s.json("store.cache.Incr", phost::args("n", 41)) == "42");
  CHECK(s.json("store.cache.Incr", phost::args("n", -50)) == "-8");
  CHECK(s.json("store.cache.Get", phost::args("n")) == "-8");
  s.json("store.cache.Set", phost::args("d", 1.0));
  s.json("store.cache.Set", phost::args("s", "1"));
  for (const char* key : {"d", "s"}) {
    const auto e = s.error("store.cache.Incr", phost::args(key));
    CHECK(e.code == 400);
    CHECK(contains(e.message, "is not an integer"));
  }
  CHECK(s.error("store.cache.Incr", phost::args("n", 1.5)).code == 400);
  s.json("store.cache.Set", phost::args("big", int64_t{9223372036854775806}));
  CHECK(s.json("store.cache.Incr", phost::args("big")) == "9223372036854775807");
  const auto over = s.error("store.cache.Incr", phost::args("big"));
  CHECK(over.code == 400);
  CHECK(contains(over.message, "overflows int64"));
  CHECK(s.json("store.cache.Get", phost::args("big")) == "9223372036854775807");  // unchanged
  s.json("store.cache.Set", phost::args("small", Value::from_json("-9223372036854775808")));
  CHECK(s.error("store.cache.Incr", phost::args("small", -1)).code == 400);
}

TEST_CASE("TTL: an entry expires after ttl_ms and Get, Keys and Len no longer see it") {
  Stores s(memory_config());
  s.json("store.cache.Set", phost::args("short", "x", 1));
  s.json("store.cache.Set", phost::args("long", "y", 600000));
  s.json("store.cache.Set", phost::args("forever", "z"));
  CHECK(expires_within_2s(s, "short"));
  CHECK(s.json("store.cache.Get", phost::args("short")) == "null");
  CHECK(s.json("store.cache.Keys") == R"(["forever","long"])");
  CHECK(s.json("store.cache.Len") == "2");
  // Keys and Len drop expired entries that were never read again.
  s.json("store.cache.Set", phost::args("a", 1, 1));
  s.json("store.cache.Set", phost::args("b", 1, 1));
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (s.json("store.cache.Len") != "2" && std::chrono::steady_clock::now() < give_up) std::this_thread::yield();
  CHECK(s.json("store.cache.Len") == "2");
  CHECK(s.json("store.cache.Keys") == R"(["forever","long"])");
  // A Set without ttl_ms clears an earlier TTL; Incr of an expired key starts again at 0.
  s.json("store.cache.Set", phost::args("k", 1, 1));
  s.json("store.cache.Set", phost::args("k", 2));
  s.json("store.cache.Set", phost::args("n", 5, 1));
  CHECK(expires_within_2s(s, "n"));
  CHECK(s.json("store.cache.Incr", phost::args("n")) == "1");
  CHECK(s.json("store.cache.Get", phost::args("k")) == "2");
  CHECK(s.json("store.cache.Set", phost::args("null-ttl", 1, Value::null())) == "null");
  for (const Value& bad : {Value::integer(0), Value::integer(-5), Value::number(1.5), Value::string("1")}) {
    CHECK(s.error("store.cache.Set", phost::args("t", 1, bad.retain())).code == 400);
  }
  CHECK(s.error("store.cache.Set", phost::args("t", 1, int64_t{9223372036854775807})).code == 400);
}

TEST_CASE("LRU: a full store evicts the least recently used entry") {
  Stores s(memory_config(3));
  s.json("store.cache.Set", phost::args("a", 1));
  s.json("store.cache.Set", phost::args("b", 2));
  s.json("store.cache.Set", phost::args("c", 3));
  s.json("store.cache.Get", phost::args("a"));     // a is now the most recent; b the least
  s.json("store.cache.Set", phost::args("c", 33));  // replacing evicts nothing
  CHECK(s.json("store.cache.Len") == "3");
  s.json("store.cache.Set", phost::args("d", 4));
  CHECK(s.json("store.cache.Keys") == R"(["a","c","d"])");
  s.json("store.cache.Incr", phost::args("e"));  // Incr of a new key counts too: a is the oldest now
  CHECK(s.json("store.cache.Keys") == R"(["c","d","e"])");
  CHECK(s.json("store.cache.Has", phost::args("c")) == "true");  // Has does not refresh c...
  s.json("store.cache.Set", phost::args("f", 6));
  CHECK(s.json("store.cache.Keys") == R"(["d","e","f"])");  // ...so c went
}

TEST_CASE("LRU by size: a store holds at most max_mb of keys and values, and refuses one entry larger") {
  TempDir dir("store");
  const stdfs::path file = dir / "cache.sqlite";
  const std::string config = R"({"stores": {"cache": {"max_mb": 1, "path": ")" + file.string() + "\"}}}";
  const std::string third(400 * 1024, 'x');  // three of these do not fit in 1 MB
  {
    Stores s(config);
    for (const char* k : {"a", "b", "c"}) s.json("store.cache.Set", phost::args(k, third));
    CHECK(s.json("store.cache.Keys") == R"(["b","c"])");  // a, the least recently used, went
    s.json("store.cache.Get", phost::args("b"));
    s.json("store.cache.Set", phost::args("d", third));
    CHECK(s.json("store.cache.Keys") == R"(["b","d"])");
    s.json("store.cache.Set", phost::args("d", "small"));  // replacing frees its old size
    s.json("store.cache.Set", phost::args("e", third));
    CHECK(s.json("store.cache.Keys") == R"(["b","d","e"])");
    const auto big = s.error("store.cache.Set", phost::args("huge", std::string(2 << 20, 'y')));
    CHECK(big.code == 413);
    CHECK_MESSAGE(contains(big.message, "more than the store holds (max_mb 1)"), big.message);
    CHECK(s.json("store.cache.Keys") == R"(["b","d","e"])");  // nothing evicted for it
    CHECK(load_error(R"({"stores": {"c": {"max_mb": 0}}})").code == 400);
  }
  Stores s(config);  // the evicted rows left the file too
  CHECK(s.json("store.cache.Keys") == R"(["b","d","e"])");
}

TEST_CASE("persistence: data survives a restart of the host, expired entries do not") {
  TempDir dir("store");
  const stdfs::path file = dir / "cache.sqlite";
  {
    Stores s(file_config(file));
    s.json("store.cache.Set", phost::args("obj", Value::from_json(R"({"a":[1,2.5,"é"]})")));
    s.json("store.cache.Set", phost::args("gone", 1));
    s.json("store.cache.Del", phost::args("gone"));
    s.json("store.cache.Incr", phost::args("n", 7));
    s.json("store.cache.Set", phost::args("short", 1, 1));
    s.json("store.cache.Set", phost::args("long", 1, 600000));
  }
  CHECK(stdfs::exists(file));
  std::this_thread::sleep_for(std::chrono::milliseconds(5));  // past "short"'s 1 ms, on the wall clock
  {
    Stores s(file_config(file));
    CHECK(s.json("store.cache.Keys") == R"(["long","n","obj"])");
    CHECK(s.json("store.cache.Get", phost::args("obj")) == R"({"a":[1,2.5,"é"]})");
    CHECK(s.json("store.cache.Incr", phost::args("n")) == "8");
    s.json("store.cache.Clear");
    s.json("store.cache.Set", phost::args("after-clear", true));
  }
  Stores s(file_config(file));
  CHECK(s.json("store.cache.Keys") == R"(["after-clear"])");
}

TEST_CASE("persistence: a smaller max_entries keeps the most recently written entries") {
  TempDir dir("store");
  const stdfs::path file = dir / "cache.sqlite";
  {
    Stores s(file_config(file, 10));
    for (const char* k : {"a", "b", "c", "d"}) s.json("store.cache.Set", phost::args(k, 1));
    s.json("store.cache.Set", phost::args("a", 2));  // a is now the newest write
  }
  {
    Stores s(file_config(file, 2));
    CHECK(s.json("store.cache.Keys") == R"(["a","d"])");
  }
  Stores s(file_config(file, 10));  // the evicted ones were deleted from the file too
  CHECK(s.json("store.cache.Keys") == R"(["a","d"])");
}

TEST_CASE("a store file is used by one store at a time") {
  TempDir dir("store");
  const stdfs::path file = dir / "cache.sqlite";
  Stores first(file_config(file));
  first.json("store.cache.Set", phost::args("k", 1));
  const auto e = load_error(file_config(file));
  CHECK(e.code == 500);
  CHECK(contains(e.message, "store 'cache'"));
  CHECK(contains(e.message, "database is locked"));
  CHECK(first.json("store.cache.Get", phost::args("k")) == "1");
}

TEST_CASE("a corrupt or foreign SQLite file fails the load with a clear message") {
  TempDir dir("store");
  const stdfs::path garbage = dir / "garbage.sqlite";
  plugin_test::write_file(garbage, std::string(8192, 'x'));
  const auto e = load_error(file_config(garbage));
  CHECK(e.code == 500);
  CHECK(contains(e.message, "store 'cache': cannot open SQLite database '" + garbage.string() + "'"));
  CHECK(contains(e.message, "file is not a database"));
  CHECK(plugin_test::read_file(garbage) == std::string(8192, 'x'));  // left as it was

  // A real store whose pages were damaged afterwards.
  const stdfs::path damaged = dir / "damaged.sqlite";
  {
    Stores s(file_config(damaged));
    for (int i = 0; i < 200; ++i) s.json("store.cache.Set", phost::args("key" + std::to_string(i), std::string(100, 'v')));
  }
  std::string bytes = plugin_test::read_file(damaged);
  REQUIRE(bytes.size() > 3 * 4096);
  for (size_t i = 4096; i < bytes.size(); ++i) bytes[i] = static_cast<char>(0xA5);
  plugin_test::write_file(damaged, bytes);
  const auto d = load_error(file_config(damaged));
  CHECK(d.code == 500);
  CHECK(contains(d.message, "store 'cache'"));
  CHECK((contains(d.message, "corrupt") || contains(d.message, "malformed")));

  // Somebody else's SQLite database is not taken over.
  const stdfs::path foreign = dir / "foreign.sqlite";
  {
    Stores s(R"({"stores": {"x": {"path": ")" + foreign.string() + "\"}}}");  // makes a valid SQLite file...
  }
  std::string header = plugin_test::read_file(foreign);
  header[68] = header[69] = header[70] = header[71] = 0;  // ...then clears its application_id
  plugin_test::write_file(foreign, header);
  const auto f = load_error(file_config(foreign));
  CHECK(contains(f.message, "some other application"));
}

TEST_CASE("stores.<name>: gou's group, with TTL in seconds, patterns, GetDel and null from Del") {
  TempDir dir("store");
  const stdfs::path file = dir / "gou.sqlite";
  {
    Stores s(file_config(file));
    CHECK(s.json("stores.cache.Set", phost::args("user:1", "a")) == "null");
    CHECK(s.json("stores.cache.Set", phost::args("user:2", "b", 600)) == "null");     // ten minutes
    CHECK(s.json("store.cache.Set", phost::args("ms", "c", 60000)) == "null");         // a minute: phost's ms
    CHECK(s.json("stores.cache.Set", phost::args("order:1", 1, 0)) == "null");         // 0: no expiry, as gou
    CHECK(s.json("stores.cache.Set", phost::args("half", 1, 100.5)) == "null");        // fractions too
    CHECK(s.json("stores.cache.Get", phost::args("user:1")) == "\"a\"");
    CHECK(s.json("store.cache.Get", phost::args("user:2")) == "\"b\"");  // one store, two groups
    CHECK(s.json("stores.cache.Get", phost::args("missing")) == "null");
    CHECK(s.json("stores.cache.Keys", phost::args("user:*")) == R"(["user:1","user:2"])");
    CHECK(s.json("stores.cache.Keys", phost::args("user:1")) == R"(["user:1"])");  // no '*': that key only
    CHECK(s.json("stores.cache.Keys", phost::args("user:")) == "[]");
    CHECK(s.json("stores.cache.Len", phost::args("user:*")) == "2");
    CHECK(s.json("stores.cache.Len") == "5");
    CHECK(s.json("stores.cache.Keys", phost::args("")) == s.json("stores.cache.Keys"));
    CHECK(s.json("stores.cache.has", phost::args("user:1")) == "true");  // method names ignore case
  }
  // The expiries in the file: wall-clock ms, so the units show.
  const int64_t now = wall_ms();
  const int64_t user2 = std::stoll(sql(file, "SELECT expires_ms FROM phost_store WHERE key = 'user:2'"));
  CHECK(std::abs(user2 - now - 600000) < 30000);
  const int64_t ms = std::stoll(sql(file, "SELECT expires_ms FROM phost_store WHERE key = 'ms'"));
  CHECK(std::abs(ms - now - 60000) < 30000);
  CHECK(sql(file, "SELECT expires_ms FROM phost_store WHERE key = 'order:1'") == "NULL");
  const int64_t half = std::stoll(sql(file, "SELECT expires_ms FROM phost_store WHERE key = 'half'"));
  CHECK(std::abs(half - now - 100500) < 30000);

  Stores s(memory_config());
  for (const char* k : {"user:1", "user:2", "user:10", "order:1"}) s.json("stores.cache.Set", phost::args(k, k));
  CHECK(s.json("stores.cache.GetDel", phost::args("user:10")) == "\"user:10\"");
  CHECK(s.json("stores.cache.GetDel", phost::args("user:10")) == "null");
  CHECK(s.json("stores.cache.Del", phost::args("order:1")) == "null");
  CHECK(s.json("stores.cache.Del", phost::args("order:1")) == "null");
  CHECK(s.json("stores.cache.Del", phost::args("user:*")) == "null");  // gou: every key with that prefix
  CHECK(s.json("stores.cache.Len") == "0");
  s.json("stores.cache.Set", phost::args("a*", 1));
  CHECK(s.json("store.cache.Del", phost::args("a*")) == "true");  // phost's Del: exact keys, a bool
  CHECK(s.json("stores.cache.Incr", phost::args("n", 5)) == "5");
  CHECK(s.json("stores.cache.Decr", phost::args("n")) == "4");
  CHECK(s.json("store.cache.Decr", phost::args("n", 10)) == "-6");
  CHECK(s.json("store.cache.GetDel", phost::args("n")) == "-6");
  s.json("stores.cache.Set", phost::args("x", 1));
  CHECK(s.json("stores.cache.Clear") == "null");
  CHECK(s.json("stores.cache.Keys") == "[]");
  // TTL in seconds, fractions too; bad ones name the argument.
  s.json("stores.cache.Set", phost::args("soon", 1, 0.001));
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (s.json("stores.cache.Has", phost::args("soon")) == "true" && std::chrono::steady_clock::now() < give_up)
    std::this_thread::yield();
  CHECK(s.json("stores.cache.Get", phost::args("soon")) == "null");
  const auto neg = s.error("stores.cache.Set", phost::args("t", 1, -1));
  CHECK(neg.code == 400);
  CHECK(neg.message == "stores.cache.Set: argument 3 (ttl) must be a number of seconds from 0 to 9e9, about 285 years");
  // Every TTL the message allows is taken (1e15 s was refused as "too large" by the next check).
  CHECK(s.json("stores.cache.Set", phost::args("far", 1, 9e9)) == "null");
  CHECK(s.error("stores.cache.Set", phost::args("t", 1, 1e15)).message == neg.message);
  CHECK(s.error("store.cache.Set", phost::args("t", 1, 4.6e18)).message ==
        "store.cache.Set: argument 3 (ttl_ms) must be a whole number of milliseconds from 1 to 9e12, about 285 years "
        "(omit it or pass null for none)");
  const auto text = s.error("stores.cache.Set", phost::args("t", 1, "60"));
  CHECK(text.message == "stores.cache.Set: argument 3 (ttl) must be a number of seconds (0, null or none: no expiry)");
  CHECK(s.error("stores.cache.Set", phost::args("t", 1, 9e15)).code == 400);  // past int64 nanoseconds
  CHECK(s.error("stores.cache.Get").message == "stores.cache.Get: argument 1 (key) is missing");
  CHECK(s.error("stores.cache.Keys", phost::args(3)).message == "stores.cache.Keys: argument 1 (pattern) must be a string");
  CHECK(s.error("stores.cache.Explode", phost::args("k", 1)).code == 404);
  CHECK(s.error("stores.nope.Get", phost::args("k")).message == "no store 'nope'");
}

TEST_CASE("gou's list operations: Push, Pop, Pull, PullAll, AddToSet and the Array methods") {
  TempDir dir("store");
  const stdfs::path file = dir / "lists.sqlite";
  {
    Stores s(file_config(file));
    CHECK(s.json("stores.cache.Push", phost::args("l", 1, "two", Value::from_json(R"({"three":3})"))) == "null");
    CHECK(s.json("stores.cache.Push", phost::args("l", Value::bytes("4"))) == "null");
    CHECK(s.json("stores.cache.ArrayLen", phost::args("l")) == "4");
    CHECK(s.json("stores.cache.Get", phost::args("l")) == R"([1,"two",{"three":3},"NA=="])");
    CHECK(s.host.call("stores.cache.ArrayGet", phost::args("l", 3)).kind() == PHOST_BYTES);
    CHECK(s.json("stores.cache.ArrayGet", phost::args("l", 1)) == "\"two\"");
    CHECK(s.json("stores.cache.ArraySet", phost::args("l", 1, 2)) == "null");
    CHECK(s.json("stores.cache.ArrayAll", phost::args("l")) == R"([1,2,{"three":3},"NA=="])");
    CHECK(s.json("stores.cache.ArraySlice", phost::args("l", 1, 2)) == R"([2,{"three":3}])");
    CHECK(s.json("stores.cache.ArraySlice", phost::args("l", 3, 100)) == R"(["NA=="])");
    CHECK(s.json("stores.cache.ArraySlice", phost::args("l", 9, 1)) == "[]");
    CHECK(s.json("stores.cache.ArraySlice", phost::args("l", -1, 1)) == "[]");
    CHECK(s.json("stores.cache.ArrayPage", phost::args("l", 2, 3)) == R"(["NA=="])");
    CHECK(s.json("stores.cache.ArrayPage", phost::args("l", 0, 3)) == "[]");
    CHECK(s.json("stores.cache.Pop", phost::args("l", 1)) == "\"NA==\"");  // 1: the last
    CHECK(s.json("stores.cache.Pop", phost::args("l", -1)) == "1");        // else the first
    CHECK(s.json("stores.cache.Get", phost::args("l")) == R"([2,{"three":3}])");
  }
  Stores s(file_config(file));  // lists persist as any value
  CHECK(s.json("stores.cache.ArrayAll", phost::args("l")) == R"([2,{"three":3}])");
  CHECK(s.json("stores.cache.AddToSet", phost::args("l", 2, 5, 5, Value::from_json(R"({"three":3})"))) == "null");
  CHECK(s.json("stores.cache.ArrayAll", phost::args("l")) == R"([2,{"three":3},5])");
  CHECK(s.json("stores.cache.Push", phost::args("l", 2, 2)) == "null");
  CHECK(s.json("stores.cache.Pull", phost::args("l", 2)) == "null");  // every 2
  CHECK(s.json("stores.cache.ArrayAll", phost::args("l")) == R"([{"three":3},5])");
  CHECK(s.json("stores.cache.Push", phost::args("l", "x", "y")) == "null");
  CHECK(s.json("stores.cache.PullAll", phost::args("l", Value::from_json(R"(["x",5])"))) == "null");  // one array
  CHECK(s.json("stores.cache.PullAll", phost::args("l", "y", Value::from_json(R"({"three":3})"))) == "null");
  CHECK(s.json("stores.cache.Has", phost::args("l")) == "false");  // emptied lists go, as gou's
  // A TTL stays with the list.
  s.json("stores.cache.Set", phost::args("t", Value::from_json("[1]"), 600));
  s.json("stores.cache.Push", phost::args("t", 2));
  s.json("stores.cache.Set", phost::args("forever", 1));
  // Missing keys and other kinds.
  CHECK(s.json("stores.cache.ArrayLen", phost::args("missing")) == "0");
  CHECK(s.json("stores.cache.ArrayAll", phost::args("missing")) == "[]");
  CHECK(s.json("stores.cache.Pull", phost::args("missing", 1)) == "null");
  const auto pop = s.error("stores.cache.Pop", phost::args("missing", 1));
  CHECK(pop.code == 404);
  CHECK(pop.message == "stores.cache.Pop: 'missing' not found");
  CHECK(s.error("stores.cache.ArrayGet", phost::args("missing", 0)).code == 404);
  s.json("stores.cache.Set", phost::args("n", 7));
  const auto kind = s.error("stores.cache.Push", phost::args("n", 1));
  CHECK(kind.code == 409);
  CHECK(kind.message == "stores.cache.Push: the value of 'n' is not a list");
  CHECK(s.json("stores.cache.Get", phost::args("n")) == "7");  // unchanged
  CHECK(s.json("stores.cache.ArrayLen", phost::args("n")) == "0");
  CHECK(s.error("stores.cache.ArrayAll", phost::args("n")).code == 409);
  s.json("stores.cache.Set", phost::args("empty", Value::array()));
  CHECK(s.error("stores.cache.Pop", phost::args("empty", 1)).message == "stores.cache.Pop: 'empty' is an empty list");
  const auto range = s.error("stores.cache.ArrayGet", phost::args("t", 2));
  CHECK(range.code == 400);
  CHECK(range.message == "stores.cache.ArrayGet: argument 2 (index) 2 is out of range (the list has 2 items)");
  CHECK(s.error("stores.cache.ArraySet", phost::args("t", -1, 0)).code == 400);
  CHECK(s.error("stores.cache.Push", phost::args("t")).message == "stores.cache.Push: argument 2 (value) is missing");
  CHECK(s.error("stores.cache.Pop", phost::args("t")).message == "stores.cache.Pop: argument 2 (position) is missing");
  CHECK(s.error("stores.cache.ArrayGet", phost::args("t", "0")).message ==
        "stores.cache.ArrayGet: argument 2 (index) must be an integer");
  CHECK(s.error("stores.cache.ArraySlice", phost::args("t", 0, -1)).message ==
        "stores.cache.ArraySlice: argument 3 (limit) must be a non-negative integer");
  CHECK(s.error("stores.cache.Pull", phost::args("t", 1, 2)).code == 400);
  CHECK(s.json("store.cache.ArrayAll", phost::args("t")) == "[1,2]");  // phost's group has them too
  s.host = phost::Host(plugin_test::quiet());  // closes the file
  CHECK(std::stoll(sql(file, "SELECT expires_ms FROM phost_store WHERE key = 't'")) > wall_ms() + 500000);
}

TEST_CASE("a version 1 store file (JSON text values) still loads, and is marked version 2") {
  TempDir dir("store");
  const stdfs::path file = dir / "v1.sqlite";
  sql(file, "PRAGMA application_id = 1885893492; PRAGMA user_version = 1; "
            "CREATE TABLE phost_store (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL, expires_ms INTEGER, "
            "seq INTEGER NOT NULL) WITHOUT ROWID; "
            "INSERT INTO phost_store VALUES ('obj', '{\"a\":[1,2.5,\"x\"]}', NULL, 1), ('n', '41', NULL, 2)");
  {
    Stores s(file_config(file));
    CHECK(s.json("store.cache.Get", phost::args("obj")) == R"({"a":[1,2.5,"x"]})");
    CHECK(s.json("store.cache.Incr", phost::args("n")) == "42");
    s.json("store.cache.Set", phost::args("b", Value::bytes("x")));
  }
  CHECK(sql(file, "PRAGMA user_version") == "2");
  CHECK(sql(file, "SELECT typeof(value) FROM phost_store WHERE key = 'obj'") == "text");  // untouched rows stay
  CHECK(sql(file, "SELECT typeof(value) FROM phost_store WHERE key = 'n'") == "blob");
  Stores s(file_config(file));
  CHECK(s.host.call("store.cache.Get", phost::args("b")).kind() == PHOST_BYTES);
  CHECK(s.json("store.cache.Get", phost::args("n")) == "42");
}

TEST_CASE("a store file of an unknown schema version is refused") {
  TempDir dir("store");
  const stdfs::path file = dir / "v9.sqlite";
  sql(file, "PRAGMA application_id = 1885893492; PRAGMA user_version = 9");
  const auto e = load_error(file_config(file));
  CHECK(e.code == 500);
  CHECK(contains(e.message, "has store schema version 9; this plugin reads version 2 (and 1)"));
}

TEST_CASE("concurrency: 8 threads x 1000 Incr of one key give exactly 8000") {
  TempDir dir("store");
  for (const bool persistent : {false, true}) {
    CAPTURE(persistent);
    const stdfs::path file = dir / "counter.sqlite";
    {
      Stores s(persistent ? file_config(file) : memory_config());
      std::vector<std::thread> threads;
      std::atomic<int> failures{0};
      for (int t = 0; t < 8; ++t)
        threads.emplace_back([&] {
          for (int i = 0; i < 1000; ++i) {
            try {
              s.host.call("store.cache.Incr", phost::args("hits"));
              if (i % 100 == 0) s.host.call("store.cache.Get", phost::args("hits"));
            } catch (const phost::Error&) {
              ++failures;
            }
          }
        });
      for (std::thread& t : threads) t.join();
      CHECK(failures == 0);
      CHECK(s.json("store.cache.Get", phost::args("hits")) == "8000");
    }
    if (persistent) {
      Stores again(file_config(file));
      CHECK(again.json("store.cache.Get", phost::args("hits")) == "8000");
    }
  }
}

TEST_CASE("the phost CLI runs store processes") {
  TempDir dir("store");
  const std::string base = std::string(PHOST_CLI) + " --plugin " + PHOST_STORE_PLUGIN +
                           " --config '{\"stores\":{\"c\":{\"path\":\"" + (dir / "c.sqlite").string() + "\"}}}' run ";
  CHECK(plugin_test::run(base + "store.c.Incr '\"n\"' 5").output == "5\n");
  CHECK(plugin_test::run(base + "store.c.Incr '\"n\"'").output == "6\n");  // a new process: from the file
  const auto r = plugin_test::run(base + "store.c.Incr '\"n\"' 1.5");
  CHECK(r.status != 0);
  CHECK(contains(r.output, "must be an integer"));
}

}  // TEST_SUITE
