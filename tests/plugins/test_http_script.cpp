// The http plugin called from JavaScript through the V8 plugin, as gou's
// http.Get(...) becomes Process("http.Get", ...).
#include "http_test_server.hpp"
#include "plugin_support.hpp"
#include "runtime/runtime_support.hpp"

using phost::Value;

TEST_CASE("http plugin: scripts get gou's result, JSON decoded and bytes as Uint8Array") {
  http_test::Server server([](const http_test::Request& req) {
    if (req.path == "/json")
      return http_test::Reply{200, {{"Content-Type", "application/json"}}, R"({"message":"hi","n":[1,2]})"};
    if (req.path == "/bytes") return http_test::Reply{200, {}, std::string("\0\xff", 2)};
    if (req.path == "/lines") return http_test::Reply{200, {{"Content-Type", "text/event-stream"}}, "a\nb\nc\n", true};
    return http_test::Reply{404, {{"Content-Type", "application/json"}}, R"({"message":"nope"})"};
  });
  rt_test::Runtime rt;
  rt.host().load_plugin(PHOST_HTTP_PLUGIN, Value::from_json(R"({"proxy": ""})"));
  rt.load("client",
          "function Json(url) { const r = Process('http.Get', url, {q: 1}); return [r.code, r.message, r.data.n]; }\n"
          "function Bytes(url) { const r = Process('http.Get', url); return [r.data instanceof Uint8Array, Array.from(r.data)]; }\n"
          "function Missing(url) { const r = Process('http.Get', url); return [r.status, r.message]; }\n"
          "function Denied() { try { Process('http.Get', 'http://169.254.169.254/'); } catch (e) { return e.code; } }\n"
          "let seen = [];\n"
          "function OnLine(line) { seen.push(line); return seen.length === 2 ? 0 : 1; }\n"
          "function Lines(url) { seen = []; const r = Process('http.Stream', 'GET', url, 'scripts.client.OnLine');\n"
          "  return [r.code, r.message, seen]; }\n");
  CHECK(rt.json("scripts.client.Json", phost::args(server.url("/json"))) == R"([200,"hi",[1,2]])");
  CHECK(rt.json("scripts.client.Bytes", phost::args(server.url("/bytes"))) == R"([true,[0,255]])");
  CHECK(rt.json("scripts.client.Missing", phost::args(server.url("/x"))) == R"([404,"nope"])");
  CHECK(rt.json("scripts.client.Denied") == "403");
  // Stream's handler is a script function, called back inside the script's own call.
  CHECK(rt.json("scripts.client.Lines", phost::args(server.url("/lines"))) == R"([200,"ok",["a","b"]])");
}
