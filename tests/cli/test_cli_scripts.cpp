// The phost CLI with the V8 runtime plugin (--app): console output, --config
// for the runtime, the exit status of a script's failure, the app scaffold.
#include "plugins/plugin_support.hpp"

#include <doctest/doctest.h>

#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
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

// A command on a pseudo-terminal, as a user at a terminal runs it.
class Pty {
public:
  Pty(const std::string& command, const std::string& home) {
    pid_ = ::forkpty(&fd_, nullptr, nullptr, nullptr);
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::setenv("HOME", home.c_str(), 1);
      ::setenv("TERM", "xterm", 1);
      ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }
  ~Pty() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    ::close(fd_);
  }
  Pty(const Pty&) = delete;
  Pty& operator=(const Pty&) = delete;

  void send(const std::string& text) { REQUIRE(::write(fd_, text.data(), text.size()) == ssize_t(text.size())); }
  // Reads until text appears after the last match (20 s at most).
  bool expect(const std::string& text) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    for (;;) {
      if (const size_t at = out_.find(text, mark_); at != std::string::npos) {
        mark_ = at + text.size();
        return true;
      }
      if (std::chrono::steady_clock::now() > until) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buffer[4096];
      const ssize_t n = ::read(fd_, buffer, sizeof buffer);
      if (n <= 0) return false;  // the program ended
      out_.append(buffer, static_cast<size_t>(n));
    }
  }
  // The exit status once the program ended (-1 after 20 s).
  int wait() {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > until) return -1;
      pollfd p{fd_, POLLIN, 0};  // drain, so that the program never blocks on a full terminal
      char buffer[4096];
      if (::poll(&p, 1, 20) > 0 && ::read(fd_, buffer, sizeof buffer) > 0) continue;
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  const std::string& output() const { return out_; }

private:
  pid_t pid_ = -1;
  int fd_ = -1;
  std::string out_;
  size_t mark_ = 0;
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

TEST_CASE("repl evaluates JS in the app's context on a terminal, with history and multi-line input") {
  const App app("function Hi(n) { return 'hi ' + n; }");
  TempDir home("home");
  Pty pty(app.run("--timeout 500 repl"), home.str());
  INFO(pty.output());
  REQUIRE(pty.expect("> "));
  pty.send("20 + 22\n");
  CHECK(pty.expect("42\r\n"));
  pty.send("Process('scripts.main.Hi', 2)\n");
  CHECK(pty.expect("\"hi 2\"\r\n"));
  pty.send("$.f = function () {\n");  // incomplete: asks for more
  CHECK(pty.expect("... "));
  pty.send("return 'multi'; }\n");
  CHECK(pty.expect("[Function: (anonymous)]\r\n"));
  pty.send("$.f() + typeof _\n");
  CHECK(pty.expect("\"multifunction\"\r\n"));
  pty.send("\x1b[A\n");  // up arrow: the last input again; _ is now a string
  CHECK(pty.expect("\"multistring\"\r\n"));
  pty.send("throw new Error('bad')\n");
  CHECK(pty.expect("Uncaught Error: bad"));
  pty.send("while (true) {}\n");  // --timeout stops it, the prompt goes on
  CHECK(pty.expect("(code 408)"));
  pty.send("Promise.resolve(7)\n");
  CHECK(pty.expect("7\r\n"));
  pty.send(".exit\n");
  CHECK(pty.wait() == 0);
  std::ifstream history(home.path() / ".phost_history");
  const std::string saved(std::istreambuf_iterator<char>(history), {});
  CHECK(contains(saved, "$.f()"));  // libedit's format: spaces are written as \040
}

TEST_CASE("repl reads inputs from a pipe, and needs the runtime") {
  const App app("function Hi(n) { return 'hi ' + n; }");
  const auto r = run_apart("printf '%s\\n' \"Process('scripts.main.Hi', 'pipe')\" 'let x = 1; x + 1' | " +
                           app.run("repl"));
  CHECK(r.status == 0);
  CHECK(contains(r.out, "\"hi pipe\"\n2\n"));
  const auto none = run_apart(cli("--plugin echo repl"));
  CHECK(none.status == 2);
  CHECK(contains(none.err, "repl needs the V8 runtime"));
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
