// The phost CLI with the V8 runtime plugin (--app): console output, --config
// for the runtime, the exit status of a script's failure, the app scaffold.
#include "plugins/plugin_support.hpp"

#include <doctest/doctest.h>

#include <string>

namespace {

using plugin_test::contains;
using plugin_test::run_apart;
using plugin_test::TempDir;

std::string cli(const std::string& args) { return std::string(PHOST_CLI) + " " + args; }

// An app folder with scripts/main.js.
struct App {
  explicit App(const std::string& source) {
    plugin_test::stdfs::create_directories(dir / "scripts");
    plugin_test::write_file(dir / "scripts/main.js", source);
  }
  std::string run(const std::string& args) const { return cli("--app " + dir.str() + " " + args); }
  TempDir dir{"cli-app"};
};

}  // namespace

TEST_SUITE("cli") {

TEST_CASE("console output of a script reaches stderr as plain text, --quiet drops it") {
  const App app("function Hi(n) { console.log('hello', n); console.error('oops'); return n + 1; }");
  const auto r = run_apart(app.run("run scripts.main.Hi 1"));
  CHECK(r.status == 0);
  CHECK(r.out == "2\n");
  CHECK(r.err == "hello 1\noops\n");
  const auto quiet = run_apart(app.run("run scripts.main.Hi 1 --quiet"));
  CHECK(quiet.out == "2\n");
  CHECK(quiet.err == "");
  // Diagnostics keep their logger and level, from --log-level up.
  const auto info = run_apart(app.run("--quiet --log-level info run scripts.main.Hi 1"));
  CHECK(contains(info.err, "[phost] info: loaded plugin 'v8'"));
  CHECK(!contains(info.err, "hello 1"));
}

TEST_CASE("--config after --app configures the runtime, and a timeout exits with 6") {
  const App app("function Spin() { for (;;) {} }");
  const auto r = run_apart(app.run("--config '{\"timeout_ms\": 200}' run scripts.main.Spin"));
  CHECK(r.status == 6);
  CHECK(contains(r.err, "(code 408)"));
  const auto clash = run_apart(app.run("--config '{\"app_dir\": \"/x\"}' run scripts.main.Spin"));
  CHECK(clash.status == 2);
  CHECK(contains(clash.err, "sets app_dir, which --app gives already"));
}

TEST_CASE("a script that throws exits with 7, an Exception with a code by its class") {
  const App app("function Boom() { throw new Error('boom'); }\n"
                "function Gone() { throw new Exception('no such order', 404); }\n"
                "function Bad() { throw new Exception('id must be a number', 422); }");
  const auto boom = run_apart(app.run("run scripts.main.Boom"));
  CHECK(boom.status == 7);
  CHECK(contains(boom.err, "boom"));
  CHECK(run_apart(app.run("run scripts.main.Gone")).status == 4);
  CHECK(run_apart(app.run("run scripts.main.Bad")).status == 5);
}

TEST_CASE("a script's failure prints its stack under the message, nested calls included") {
  App app("function Outer() {\n  return Process('scripts.lib.Inner');\n}\n");
  plugin_test::write_file(app.dir / "scripts/lib.js", "function Inner() {\n  return Deep();\n}\n"
                                                      "function Deep() {\n  throw new Error('deep');\n}\n");
  const auto r = run_apart(app.run("run scripts.main.Outer"));
  CHECK(r.status == 7);
  CHECK(r.out == "");
  CHECK(contains(r.err, "phost: Error: deep (at lib.js:5:3) (while calling scripts.lib.Inner from main.js:2:10) "
                        "(code 500)\n"
                        "    at Deep (lib.js:5:9)\n"
                        "    at Inner (lib.js:2:10)\n"));
  CHECK(contains(r.err, "    at Outer (main.js:2:10)\n"));
}

TEST_CASE("list shows every function of every script, describe of a missing one is a 404") {
  App app("function Hi() { return 1; }\nfunction helper() { return 2; }\n");
  plugin_test::stdfs::create_directories(app.dir / "scripts/orders");
  plugin_test::write_file(app.dir / "scripts/orders/total.ts", "export function Total(): number { return 3; }\n");
  plugin_test::write_file(app.dir / "scripts/broken.js", "function (");
  const auto r = run_apart(app.run("list"));
  CHECK(r.status == 0);
  CHECK(contains(r.out, "scripts.*\tv8\t"));
  CHECK(contains(r.out, "\nscripts.main.Hi\tv8\tfunction of main.js\n"
                        "scripts.main.helper\tv8\tfunction of main.js\n"
                        "scripts.orders.total.Total\tv8\tfunction of orders/total.ts\n"));
  CHECK(contains(r.out, "\nscripts.broken.*\tv8\tfailed to load: "));
  const auto json = run_apart(app.run("list --json"));
  CHECK(contains(json.out, R"({"name":"scripts.orders.total.Total","description":"function of orders/total.ts",)"
                           R"("plugin":"v8","group":false})"));
  const auto described = run_apart(app.run("describe scripts.main.Hi"));
  CHECK(described.status == 0);
  CHECK(contains(described.out, R"("name":"scripts.main.Hi")"));
  CHECK(run_apart(app.run("describe scripts.main.Nope")).status == 4);
  CHECK(run_apart(app.run("describe scripts.nope.Hi")).status == 4);
}

TEST_CASE("phost new app writes an app that runs at once") {
  TempDir dir("cli");
  const auto made = run_apart(cli("new app shop --dir " + dir.str()));
  REQUIRE(made.status == 0);
  CHECK(plugin_test::stdfs::exists(dir / "shop/scripts/greet.ts"));
  const auto r = run_apart(cli("--app " + dir.str() + "/shop run scripts.hello.Hello '\"you\"' --raw"));
  CHECK(r.status == 0);
  CHECK(r.out == "Hello, you!\n");
  CHECK(r.err == "greeting you\n");
  const auto count = run_apart(cli("--app " + dir.str() + "/shop run scripts.hello.Count '[1, 2]' --quiet"));
  CHECK(count.out == "{\"count\":2,\"first\":\"Hello, 1!\"}\n");
}

}  // TEST_SUITE
