// Process() keeps a call handle per cached name (ABI 1.4): a script's calls
// still go wherever the name leads at the moment of each call.
#include "runtime_support.hpp"

using phost::Value;

TEST_SUITE("runtime process refs") {

TEST_CASE("a script's Process() through its cached handle sees a process replaced, removed and registered again") {
  rt_test::Runtime rt;
  rt.host().add("native.v", "", [](phost::Call&) { return Value::integer(1); });
  rt.load("r", "function Get() { return Process('native.v'); }\n"
               "function Loop(n) { let s = 0; for (let i = 0; i < n; i++) s += Process('native.v'); return s; }");
  CHECK(rt.json("scripts.r.Loop", phost::args(10)) == "10");

  rt.host().remove("native.v");
  rt.host().add("native.v", "", [](phost::Call&) { return Value::integer(2); });
  CHECK(rt.json("scripts.r.Loop", phost::args(10)) == "20");

  rt.host().remove("native.v");
  const auto gone = rt.error_of("scripts.r.Get");
  CHECK(gone.code == 404);
  CHECK(gone.message == "no process named 'native.v' (while calling native.v from r.js:1:25)");

  rt.host().add("native.v", "", [](phost::Call&) { return Value::integer(3); });
  CHECK(rt.json("scripts.r.Get") == "3");

  // Shadowed: a group takes the name first, then an exact name registered later.
  rt.host().add("grp", "", [](phost::Call&) { return Value::string("group"); }, PHOST_PROCESS_GROUP);
  rt.load("g", "function Get() { return Process('grp.a.B'); }");
  CHECK(rt.json("scripts.g.Get") == R"("group")");
  rt.host().add("grp.a.B", "", [](phost::Call&) { return Value::string("exact"); });
  CHECK(rt.json("scripts.g.Get") == R"("exact")");
}

TEST_CASE("a call keeps its handle while nested calls take every slot of the name cache") {
  rt_test::Runtime rt;
  // Each call of many.<id>.M is a name of its own: 1,000 of them replace every
  // cache slot, the outer call's among them, while the outer call runs.
  rt.host().add("many", "", [](phost::Call& call) { return Value::string(phost::to_view(call.info().id)); },
                PHOST_PROCESS_GROUP);
  rt.host().add("native.relay", "", [](phost::Call& call) { return call.call("scripts.n.Many"); });
  rt.load("n", "function Many() { let n = 0; for (let i = 0; i < 1000; i++) n += Process('many.x' + i + '.M').length; return n; }\n"
               "function Outer() { const a = Process('native.relay'); return [a, Process('native.relay')]; }");
  CHECK(rt.json("scripts.n.Outer") == "[3890,3890]");
}

TEST_CASE("process_allow and process_deny still apply to names with a cached handle") {
  rt_test::Runtime rt({.process_allow = {"test.ok", "scripts.*"}});
  rt.host().add("test.ok", "", [](phost::Call&) { return Value::integer(1); });
  rt.host().add("test.other", "", [](phost::Call&) { return Value::integer(2); });
  rt.load("t", "function Both() { let ok = 0, denied = 0;\n"
               "  for (let i = 0; i < 5; i++) { ok += Process('test.ok');\n"
               "    try { Process('test.other'); } catch (e) { denied += e.code === 403 ? 1 : 0; } }\n"
               "  return [ok, denied]; }");
  CHECK(rt.json("scripts.t.Both") == "[5,5]");
  CHECK(rt.json("scripts.t.Both") == "[5,5]");
}

}  // TEST_SUITE
