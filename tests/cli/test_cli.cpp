// The phost CLI's conventions, each checked on the real binary as a user runs
// it: versions, options on either side of the command, arguments from stdin
// and files, --raw, list --json, pretty output on a terminal only, exit
// statuses by class, plugins by bare name, the scaffolds.
#include "plugins/plugin_support.hpp"

#include <doctest/doctest.h>

#include <string>

namespace {

using plugin_test::contains;
using plugin_test::run_apart;
using plugin_test::TempDir;
namespace stdfs = plugin_test::stdfs;

std::string cli(const std::string& args) { return std::string(PHOST_CLI) + " " + args; }

}  // namespace

TEST_SUITE("cli") {

TEST_CASE("--version names phost, the plugin ABI and V8") {
  const auto r = run_apart(cli("--version"));
  CHECK(r.status == 0);
  CHECK(contains(r.out, "phost " PHOST_VERSION "\n"));
  CHECK(contains(r.out, "plugin ABI 1."));
  CHECK(contains(r.out, "\nV8"));  // its version, or that phost was built without it
}

TEST_CASE("options go before or after the command") {
  CHECK(run_apart(cli("--plugin echo --timeout 5000 run echo.add 2 3")).out == "5\n");
  const auto after = run_apart(cli("run echo.add 2 3 --plugin echo --timeout 5000 --session s1"));
  CHECK(after.status == 0);
  CHECK(after.out == "5\n");
  CHECK(run_apart(cli("list --plugin echo")).status == 0);
  // "--" ends the options: what follows is data.
  CHECK(run_apart(cli("--plugin echo run echo.echo -- '\"--raw\"'")).out == "[\"--raw\"]\n");
}

TEST_CASE("a plugin is found by bare name, and PHOST_PLUGIN_PATH adds folders") {
  CHECK(run_apart(cli("--plugin echo run echo.add 1 1")).out == "2\n");
  CHECK(run_apart(cli("--plugin libphost_echo.so run echo.add 1 1")).out == "2\n");
  const auto missing = run_apart(cli("--plugin nope list"));
  CHECK(missing.status == 3);
  CHECK(contains(missing.err, "no plugin 'nope' (libphost_nope.so or libnope.so) in "));
  CHECK(contains(missing.err, "PHOST_PLUGIN_PATH"));
  const auto fixture = run_apart("PHOST_PLUGIN_PATH=/nonexistent:" PHOST_FIXTURE_DIR " " + cli("--plugin c_plugin.so list"));
  CHECK(fixture.status == 0);
  CHECK(contains(fixture.out, "c.add\tc\t"));
}

TEST_CASE("arguments come from stdin with - and from files with @FILE") {
  TempDir dir("cli");
  plugin_test::write_file(dir / "args.json", R"({"big": [1, 2, 3]})");
  const auto r = run_apart("echo '\"in\"' | " + cli("--plugin echo run echo.echo - @" + (dir / "args.json").string() + " 7"));
  CHECK(r.status == 0);
  CHECK(r.out == "[\"in\",{\"big\":[1,2,3]},7]\n");
  const auto twice = run_apart("echo 1 | " + cli("--plugin echo run echo.echo - -"));
  CHECK(twice.status == 2);
  CHECK(contains(twice.err, "stdin ('-') can be read only once"));
  const auto no_file = run_apart(cli("--plugin echo run echo.echo @" + (dir / "none.json").string()));
  CHECK(no_file.status == 8);
  CHECK(contains(no_file.err, "cannot read " + (dir / "none.json").string() + " (argument 1): No such file"));
  const auto bad = run_apart(cli("--plugin echo run echo.echo 1 word"));
  CHECK(bad.status == 2);
  CHECK(contains(bad.err, "argument 2 is not valid JSON"));
  CHECK(contains(bad.err, "'\"word\"'"));
  // --config reads the same ways.
  plugin_test::write_file(dir / "config.json", "{\"x\": 1}");
  const auto config = run_apart(cli("--plugin echo --config @" + (dir / "config.json").string() + " list"));
  CHECK(config.status == 3);
  CHECK(contains(config.err, "configuration: unknown key 'x' (known: none)"));
  // An endless file is refused as it is read (it grew to gigabytes), a directory by name.
#ifndef _WIN32
  const auto endless = run_apart(cli("--plugin echo run echo.echo @/dev/zero"));
  CHECK(endless.status == 2);
  CHECK(contains(endless.err, "/dev/zero is larger than 256 MiB"));
#endif
  const auto folder = run_apart(cli("--plugin echo run echo.echo @" + dir.path().string()));
  CHECK(folder.status == 8);
  CHECK(contains(folder.err, "(argument 1): a directory"));
}

TEST_CASE("--raw prints a string result as plain text, other results stay JSON") {
  CHECK(run_apart(cli("--plugin echo run echo.echo '\"a b\"'")).out == "[\"a b\"]\n");
  CHECK(run_apart(cli("--plugin echo run echo.fail 1 '\"x\"' --raw")).status == 7);
  TempDir dir("cli");
  plugin_test::write_file(dir / "t.txt", "line \"one\"");
  const std::string fs = cli("--plugin fs --config '{\"roots\": {\"d\": \"" + dir.str() + "\"}}' run fs.d.ReadFile '\"t.txt\"'");
  CHECK(run_apart(fs).out == "\"line \\\"one\\\"\"\n");
  CHECK(run_apart(fs + " --raw").out == "line \"one\"\n");
  CHECK(run_apart(cli("--plugin echo --raw run echo.add 2 3")).out == "5\n");
}

TEST_CASE("list prints lines, list --json an array of entries") {
  const auto lines = run_apart(cli("--plugin echo list"));
  CHECK(contains(lines.out, "echo.add\techo\tAdds two integers"));
  const auto json = run_apart(cli("--plugin echo list --json"));
  CHECK(json.status == 0);
  CHECK(json.out.starts_with("[{\"name\":\"echo.add\",\"description\":\"Adds two integers"));
  CHECK(contains(json.out, "\"plugin\":\"echo\",\"group\":false}"));
}

TEST_CASE("JSON is indented on a terminal and compact in a pipe") {
  const std::string command = cli("--plugin echo run echo.echo '{\"a\": [1]}'");
  CHECK(run_apart(command).out == "[{\"a\":[1]}]\n");
  // script(1) gives the command a terminal.
  TempDir dir("cli");
  plugin_test::write_file(dir / "run.sh", command);
  const auto tty = run_apart("script -qec 'sh " + (dir / "run.sh").string() + "' /dev/null");
  CHECK(tty.status == 0);
  CHECK(contains(tty.out, "[\r\n  {\r\n    \"a\": [\r\n      1\r\n    ]\r\n  }\r\n]"));
}

TEST_CASE("exit statuses tell the class of a failure") {
  SUBCASE("2: usage") {
    const auto r = run_apart(cli("--bogus list"));
    CHECK(r.status == 2);
    CHECK(contains(r.err, "Try 'phost --help'."));
    CHECK(run_apart(cli("run")).status == 2);
    CHECK(run_apart(cli("--config '{}' --plugin echo list")).status == 2);
    CHECK(run_apart(cli("")).status == 2);
    const auto negative = run_apart(cli("--timeout -1 --plugin echo run echo.echo 1"));
    CHECK(negative.status == 2);
    CHECK(contains(negative.err, "--timeout: Value -1 not in range 0 to 1099511627776"));
  }
  SUBCASE("3: load") { CHECK(run_apart(cli("--plugin ./nowhere.so list")).status == 3); }
  SUBCASE("4: not found") {
    const auto r = run_apart(cli("--plugin echo run echo.nope"));
    CHECK(r.status == 4);
    CHECK(contains(r.err, "(code 404)"));
    CHECK(run_apart(cli("--plugin echo describe echo.nope")).status == 4);
  }
  SUBCASE("5: bad arguments") {
    const auto r = run_apart(cli("--plugin echo run echo.add 2 '\"x\"'"));
    CHECK(r.status == 5);
    CHECK(contains(r.err, "(code 400)"));
    CHECK(run_apart(cli("--plugin echo run echo.fail 422 '\"no\"'")).status == 5);
  }
  SUBCASE("6: timeout") { CHECK(run_apart(cli("--plugin echo run echo.fail 408 '\"late\"'")).status == 6); }
  SUBCASE("7: the process failed") {
    const auto r = run_apart(cli("--plugin echo run echo.fail 503 '\"down\"'"));
    CHECK(r.status == 7);
    CHECK(r.err == "phost: down (code 503)\n");
  }
  SUBCASE("8: the output cannot be written") {
    const auto r = run_apart(cli("--plugin echo run echo.add 2 3 >/dev/full"));
    CHECK(r.status == 8);
    CHECK(r.err == "phost: cannot write the output: No space left on device\n");
  }
}

TEST_CASE("--help and the man page document every exit status") {
  const auto help = run_apart(cli("--help"));
  CHECK(help.status == 0);
  std::ifstream man(PHOST_MAN_PAGE);
  const std::string page((std::istreambuf_iterator<char>(man)), {});
  REQUIRE(!page.empty());
  for (const char* line : {"0  success", "1  internal error", "2  usage error", "3  a plugin could not",
                           "4  no such process", "5  the call was refused", "6  the call timed out",
                           "7  the process failed", "8  I/O error"}) {
    CHECK_MESSAGE(contains(help.out, line), line);
    const std::string code(line, 1);
    CHECK_MESSAGE(contains(page, ".B " + code), code);
  }
  CHECK(run_apart(cli("help run")).out.starts_with("Call process NAME"));
  CHECK(contains(run_apart(cli("run --help")).out, "Then ARG...: one JSON value each"));
  CHECK(run_apart(cli("help nope")).status == 2);
}

TEST_CASE("phost new plugin writes the SDK template under the given name") {
  TempDir dir("cli");
  const auto r = run_apart(cli("new plugin shelf --dir " + dir.str()));
  CHECK(r.status == 0);
  CHECK(contains(r.out, "cmake -S " + dir.str() + "/shelf -B "));
  std::ifstream source(dir / "shelf/src/plugin.cpp");
  const std::string text((std::istreambuf_iterator<char>(source)), {});
  CHECK(contains(text, "PHOST_DECLARE_PLUGIN(\"shelf\""));
  CHECK(!contains(text, "greeter"));
  CHECK(stdfs::exists(dir / "shelf/CMakeLists.txt"));
  CHECK(stdfs::exists(dir / "shelf/test/smoke.cpp"));
  CHECK(run_apart(cli("new plugin shelf --dir " + dir.str())).status == 2);  // exists already
  CHECK(run_apart(cli("new plugin Bad-Name --dir " + dir.str())).status == 2);
}

}  // TEST_SUITE
