// The store plugin called from JavaScript through the V8 plugin.
#include "plugin_support.hpp"
#include "runtime/runtime_support.hpp"

using phost::Value;

TEST_CASE("store plugin: scripts call store processes with Process() and values keep their kinds") {
  rt_test::Runtime rt;
  rt.host().load_plugin(PHOST_STORE_PLUGIN, Value::from_json(R"({"stores": {"cache": {"max_entries": 10}}})"));
  rt.load("counter", "function Hit(page) { return Process('store.cache.Incr', 'hits:' + page); }\n"
                     "function Save(k, v) { Process('store.cache.Set', k, v); return Process('store.cache.Get', k); }\n"
                     "function Bytes() { try { Process('store.cache.Set', 'b', new Uint8Array([1])); } "
                     "catch (e) { return e.code; } }");
  CHECK(rt.json("scripts.counter.Hit", phost::args("home")) == "1");
  CHECK(rt.json("scripts.counter.Hit", phost::args("home")) == "2");
  CHECK(rt.json("store.cache.Keys") == R"(["hits:home"])");
  CHECK(rt.json("scripts.counter.Save", phost::args("o", Value::from_json(R"({"a":[1,2.5,"x",null,true]})"))) ==
        R"({"a":[1,2.5,"x",null,true]})");
  CHECK(rt.json("scripts.counter.Bytes") == "400");
}
