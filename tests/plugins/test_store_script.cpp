// The store plugin called from JavaScript through the V8 plugin.
#include "plugin_support.hpp"
#include "runtime/runtime_support.hpp"

using phost::Value;

TEST_CASE("store plugin: scripts call store processes with Process() and values keep their kinds, bytes and int64 too") {
  rt_test::Runtime rt;
  rt.host().load_plugin(PHOST_STORE_PLUGIN, Value::from_json(R"({"stores": {"cache": {"max_entries": 10}}})"));
  rt.load("counter", "function Hit(page) { return Process('store.cache.Incr', 'hits:' + page); }\n"
                     "function Save(k, v) { Process('store.cache.Set', k, v); return Process('store.cache.Get', k); }\n"
                     "function Bytes() { Process('stores.cache.Set', 'b', new Uint8Array([1, 255]), 60); "
                     "const v = Process('stores.cache.Get', 'b'); return [v instanceof Uint8Array, Array.from(v)]; }\n"
                     "function Big() { Process('stores.cache.Set', 'big', 2n ** 60n); return Process('stores.cache.Get', 'big') === 2n ** 60n; }\n"
                     "function Missing() { try { Process('stores.cache.Set', 'k'); } catch (e) { return [e.code, e.message]; } }");
  CHECK(rt.json("scripts.counter.Hit", phost::args("home")) == "1");
  CHECK(rt.json("scripts.counter.Hit", phost::args("home")) == "2");
  CHECK(rt.json("store.cache.Keys") == R"(["hits:home"])");
  CHECK(rt.json("scripts.counter.Save", phost::args("o", Value::from_json(R"({"a":[1,2.5,"x",null,true]})"))) ==
        R"({"a":[1,2.5,"x",null,true]})");
  CHECK(rt.json("scripts.counter.Bytes") == "[true,[1,255]]");
  CHECK(rt.json("scripts.counter.Big") == "true");
  CHECK(rt.json("scripts.counter.Missing") == R"([400,"stores.cache.Set: argument 2 (value) is missing"])");
}
