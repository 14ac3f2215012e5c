// The fs plugin (plugins/fs), loaded into a phost::Host as an application would.
#include "plugin_support.hpp"

#include <sys/stat.h>

#include <chrono>

using phost::Value;
using plugin_test::contains;
using plugin_test::TempDir;
namespace stdfs = std::filesystem;

namespace {

// A host with the fs plugin and root "data" (plus any extra config).
struct Fs {
  explicit Fs(const TempDir& root, const std::string& extra = "")
      : host(plugin_test::quiet()) {
    host.load_plugin(PHOST_FS_PLUGIN,
                     Value::from_json(R"({"roots": {"data": ")" + root.str() + "\"}" + extra + "}"));
  }
  std::string json(std::string_view name, const Value& args = phost::args()) {
    return plugin_test::json(host, name, args);
  }
  plugin_test::Failure error(std::string_view name, const Value& args = phost::args()) {
    return plugin_test::error_of(host, name, args);
  }
  phost::Host host;
};

Value bytes(std::string_view b) { return Value::bytes(b); }

}  // namespace

TEST_SUITE("fs plugin") {

TEST_CASE("config: roots are required, must be directories, settings are checked") {
  TempDir dir("fs");
  plugin_test::write_file(dir / "file", "x");
  phost::Host host(plugin_test::quiet());
  auto load = [&](const std::string& config) {
    return plugin_test::load_error(host, PHOST_FS_PLUGIN, Value::from_json(config));
  };
  CHECK(contains(load("{}").message, "\"roots\" must be an object"));
  CHECK(contains(load(R"({"roots": {"x": "/no/such/dir"}})").message, "root 'x': '/no/such/dir'"));
  CHECK(contains(load(R"({"roots": {"x": ")" + (dir / "file").string() + "\"}}").message, "is not a directory"));
  CHECK(contains(load(R"({"roots": {"a.b": "/tmp"}})").message, "root name 'a.b'"));
  CHECK(contains(load(R"({"roots": {"x": "/tmp", "X": "/tmp"}})").message, "given twice"));
  CHECK(contains(load(R"({"roots": {"x": "/tmp"}, "max_read": 1})").message, "unknown key 'max_read'"));
  CHECK(contains(load(R"({"roots": {"x": "/tmp"}, "max_read_bytes": 0})").message, "max_read_bytes"));
  try {
    host.load_plugin(PHOST_FS_PLUGIN);
    FAIL("loaded without config");
  } catch (const phost::Error& e) {
    CHECK(contains(e.what(), "roots"));
  }
}

TEST_CASE("unknown roots and methods are 404, root names are case-insensitive") {
  TempDir dir("fs");
  phost::Host host(plugin_test::quiet());
  host.load_plugin(PHOST_FS_PLUGIN, Value::from_json(R"({"roots": {"Data": ")" + dir.str() + "\"}}"));
  const auto e = plugin_test::error_of(host, "fs.nope.Exists", phost::args("a"));
  CHECK(e.code == 404);
  CHECK(e.message == "no fs root 'nope'");
  CHECK(plugin_test::json(host, "fs.DATA.Exists", phost::args("a")) == "false");
  const auto m = plugin_test::error_of(host, "fs.data.Explode", phost::args("a"));
  CHECK(m.code == 404);
  CHECK(contains(m.message, "fs has no method 'Explode'"));
  CHECK(plugin_test::error_of(host, "fs.data.Exists").code == 400);               // missing path
  CHECK(plugin_test::error_of(host, "fs.data.Exists", phost::args(7)).code == 400);  // not a string
}

TEST_CASE("ReadFile gives text, ReadFileBytes bytes, invalid UTF-8, directories, missing files") {
  TempDir dir("fs");
  Fs fs(dir);
  plugin_test::write_file(dir / "hello.txt", "héllo\n");
  plugin_test::write_file(dir / "blob.bin", std::string_view("\x00\xff\x01", 3));
  stdfs::create_directory(dir / "sub");
  CHECK(fs.json("fs.data.ReadFile", phost::args("hello.txt")) == "\"héllo\\n\"");
  const Value blob = fs.host.call("fs.data.ReadFileBytes", phost::args("blob.bin"));
  CHECK(blob.kind() == PHOST_BYTES);
  CHECK(blob.as_string() == std::string_view("\x00\xff\x01", 3));
  CHECK(fs.host.call("fs.data.ReadFileBytes", phost::args("hello.txt")).as_string() == "héllo\n");
  const auto utf8 = fs.error("fs.data.ReadFile", phost::args("blob.bin"));
  CHECK(utf8.code == 400);
  CHECK(contains(utf8.message, "'blob.bin' is not valid UTF-8 text (use ReadFileBytes)"));
  const auto missing = fs.error("fs.data.ReadFile", phost::args("nope.txt"));
  CHECK(missing.code == 404);
  CHECK(contains(missing.message, "fs.data.ReadFile: 'nope.txt' not found"));
  CHECK(fs.error("fs.data.ReadFile", phost::args("hello.txt/x")).code == 404);
  const auto isdir = fs.error("fs.data.ReadFile", phost::args("sub"));
  CHECK(isdir.code == 400);
  CHECK(contains(isdir.message, "is a directory"));
  REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);  // must not block the call
  CHECK(contains(fs.error("fs.data.ReadFile", phost::args("fifo")).message, "not a regular file"));
}

TEST_CASE("reads above max_read_bytes fail with 413") {
  TempDir dir("fs");
  Fs fs(dir, R"(, "max_read_bytes": 10)");
  plugin_test::write_file(dir / "ten", "0123456789");
  plugin_test::write_file(dir / "eleven", "0123456789A");
  CHECK(fs.json("fs.data.ReadFile", phost::args("ten")) == "\"0123456789\"");
  const auto e = fs.error("fs.data.ReadFileBytes", phost::args("eleven"));
  CHECK(e.code == 413);
  CHECK(contains(e.message, "larger than max_read_bytes (10)"));
}

TEST_CASE("WriteFile and WriteFileBytes create or replace and return the bytes written") {
  TempDir dir("fs");
  Fs fs(dir);
  CHECK(fs.json("fs.data.WriteFile", phost::args("a.txt", "hello")) == "5");
  CHECK(plugin_test::read_file(dir / "a.txt") == "hello");
  CHECK(fs.json("fs.data.WriteFile", phost::args("a.txt", "hi")) == "2");  // truncates
  CHECK(plugin_test::read_file(dir / "a.txt") == "hi");
  CHECK(fs.json("fs.data.WriteFileBytes", phost::args("b.bin", bytes(std::string_view("\0\1\2\3", 4)))) == "4");
  CHECK(plugin_test::read_file(dir / "b.bin") == std::string_view("\0\1\2\3", 4));
  CHECK(fs.json("fs.data.WriteFile", phost::args("empty", "")) == "0");
  CHECK(stdfs::file_size(dir / "empty") == 0);
  const auto text_only = fs.error("fs.data.WriteFile", phost::args("c", bytes("x")));
  CHECK(text_only.code == 400);
  CHECK(contains(text_only.message, "use WriteFileBytes"));
  CHECK(fs.error("fs.data.WriteFile", phost::args("c")).code == 400);
  const auto no_dir = fs.error("fs.data.WriteFile", phost::args("no/such/dir.txt", "x"));
  CHECK(no_dir.code == 404);
  CHECK(contains(no_dir.message, "directory does not exist"));
  stdfs::create_directory(dir / "sub");
  CHECK(fs.error("fs.data.WriteFile", phost::args("sub", "x")).code == 400);
  CHECK(fs.error("fs.data.WriteFile", phost::args("", "x")).code == 400);  // the root itself
}

TEST_CASE("AppendFile appends text or bytes, creating the file") {
  TempDir dir("fs");
  Fs fs(dir);
  CHECK(fs.json("fs.data.AppendFile", phost::args("log", "one\n")) == "4");
  CHECK(fs.json("fs.data.AppendFile", phost::args("log", "two\n")) == "4");
  CHECK(fs.json("fs.data.AppendFile", phost::args("log", bytes("3"))) == "1");
  CHECK(plugin_test::read_file(dir / "log") == "one\ntwo\n3");
}

TEST_CASE("List gives sorted {name, dir, size} entries, the root too") {
  TempDir dir("fs");
  Fs fs(dir);
  plugin_test::write_file(dir / "b.txt", "12345");
  plugin_test::write_file(dir / "a.txt", "1");
  stdfs::create_directories(dir / "c/d");
  plugin_test::write_file(dir / "c/e", "xy");
  CHECK(fs.json("fs.data.List", phost::args("")) ==
        R"([{"name":"a.txt","dir":false,"size":1},{"name":"b.txt","dir":false,"size":5},)"
        R"({"name":"c","dir":true,"size":0}])");
  CHECK(fs.json("fs.data.List") == fs.json("fs.data.List", phost::args(".")));
  CHECK(fs.json("fs.data.List", phost::args("c")) ==
        R"([{"name":"d","dir":true,"size":0},{"name":"e","dir":false,"size":2}])");
  CHECK(fs.json("fs.data.List", phost::args("c/d")) == "[]");
  CHECK(fs.error("fs.data.List", phost::args("a.txt")).code == 400);
  CHECK(fs.error("fs.data.List", phost::args("nope")).code == 404);
}

TEST_CASE("Stat gives size, dir, file and mtime in milliseconds") {
  TempDir dir("fs");
  Fs fs(dir);
  plugin_test::write_file(dir / "f", "abc");
  stdfs::create_directory(dir / "d");
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch()).count();
  const Value f = fs.host.call("fs.data.Stat", phost::args("f"));
  CHECK(f["size"].as_int() == 3);
  CHECK(f["file"].as_bool());
  CHECK_FALSE(f["dir"].as_bool());
  CHECK(std::abs(f["mtime"].as_int() - now_ms) < 60000);
  const Value d = fs.host.call("fs.data.Stat", phost::args("d"));
  CHECK(d["dir"].as_bool());
  CHECK_FALSE(d["file"].as_bool());
  CHECK(d["size"].as_int() == 0);
  CHECK(fs.host.call("fs.data.Stat", phost::args(""))["dir"].as_bool());
  CHECK(fs.error("fs.data.Stat", phost::args("nope")).code == 404);
}

TEST_CASE("Exists is true for files and directories, false for what is missing") {
  TempDir dir("fs");
  Fs fs(dir);
  plugin_test::write_file(dir / "f", "x");
  stdfs::create_directory(dir / "d");
  CHECK(fs.json("fs.data.Exists", phost::args("f")) == "true");
  CHECK(fs.json("fs.data.Exists", phost::args("d")) == "true");
  CHECK(fs.json("fs.data.Exists", phost::args("d/")) == "true");
  CHECK(fs.json("fs.data.Exists", phost::args("nope")) == "false");
  CHECK(fs.json("fs.data.Exists", phost::args("f/below")) == "false");
}

TEST_CASE("Mkdir creates directories recursively, true when it created one") {
  TempDir dir("fs");
  Fs fs(dir);
  CHECK(fs.json("fs.data.Mkdir", phost::args("a/b/c")) == "true");
  CHECK(stdfs::is_directory(dir / "a/b/c"));
  CHECK(fs.json("fs.data.Mkdir", phost::args("a/b")) == "false");
  plugin_test::write_file(dir / "f", "x");
  CHECK(fs.error("fs.data.Mkdir", phost::args("f")).code == 409);
  CHECK(fs.error("fs.data.Mkdir", phost::args("f/g")).code == 409);
}

TEST_CASE("Remove takes a file or an empty directory, RemoveAll a whole tree") {
  TempDir dir("fs");
  Fs fs(dir);
  plugin_test::write_file(dir / "f", "x");
  stdfs::create_directories(dir / "empty");
  stdfs::create_directories(dir / "full/deeper");
  plugin_test::write_file(dir / "full/deeper/x", "x");
  CHECK(fs.json("fs.data.Remove", phost::args("f")) == "true");
  CHECK_FALSE(stdfs::exists(dir / "f"));
  CHECK(fs.json("fs.data.Remove", phost::args("empty")) == "true");
  CHECK_FALSE(stdfs::exists(dir / "empty"));
  const auto full = fs.error("fs.data.Remove", phost::args("full"));
  CHECK(full.code == 409);
  CHECK(contains(full.message, "use RemoveAll"));
  CHECK(fs.error("fs.data.Remove", phost::args("f")).code == 404);
  CHECK(fs.error("fs.data.Remove", phost::args("")).code == 400);
  CHECK(fs.error("fs.data.Remove", phost::args("full/..")).code == 400);  // the root again
  CHECK(fs.json("fs.data.RemoveAll", phost::args("full")) == "3");
  CHECK_FALSE(stdfs::exists(dir / "full"));
  CHECK(fs.json("fs.data.RemoveAll", phost::args("full")) == "0");
  CHECK(fs.error("fs.data.RemoveAll", phost::args(".")).code == 400);
  CHECK(stdfs::exists(dir.path()));
}

TEST_CASE("Move renames files and directories inside the root") {
  TempDir dir("fs");
  Fs fs(dir);
  plugin_test::write_file(dir / "a", "A");
  plugin_test::write_file(dir / "b", "B");
  stdfs::create_directories(dir / "d/e");
  CHECK(fs.json("fs.data.Move", phost::args("a", "d/a2")) == "true");
  CHECK(plugin_test::read_file(dir / "d/a2") == "A");
  CHECK_FALSE(stdfs::exists(dir / "a"));
  CHECK(fs.json("fs.data.Move", phost::args("b", "d/a2")) == "true");  // replaces a file, as rename(2)
  CHECK(plugin_test::read_file(dir / "d/a2") == "B");
  CHECK(fs.json("fs.data.Move", phost::args("d", "moved")) == "true");
  CHECK(stdfs::is_directory(dir / "moved/e"));
  CHECK(fs.error("fs.data.Move", phost::args("nope", "x")).code == 404);
  CHECK(fs.error("fs.data.Move", phost::args("moved", "no/dir/x")).code == 404);
  CHECK(fs.error("fs.data.Move", phost::args("moved", "moved/e/inside")).code == 400);
  CHECK(fs.error("fs.data.Move", phost::args("moved", "")).code == 400);
  CHECK(fs.error("fs.data.Move", phost::args("moved")).code == 400);
}

TEST_CASE("traversal: '..' escapes, absolute paths and NUL bytes are refused with 400") {
  TempDir outer("fs");
  stdfs::create_directory(outer / "root");
  plugin_test::write_file(outer / "x", "secret");
  phost::Host host(plugin_test::quiet());
  host.load_plugin(PHOST_FS_PLUGIN, Value::from_json(R"({"roots": {"data": ")" + (outer / "root").string() + "\"}}"));
  struct Case {
    std::string path, why;
  };
  const Case cases[] = {{"../x", "escapes the root"},
                        {"/etc/passwd", "is absolute"},
                        {"a/../../x", "escapes the root"},
                        {"./../x", "escapes the root"},
                        {"..", "escapes the root"},
                        {std::string("a\0b", 3), "contains a NUL byte"}};
  for (const char* method : {"ReadFile", "ReadFileBytes", "Stat", "Exists", "List", "Mkdir", "Remove", "RemoveAll"}) {
    for (const Case& c : cases) {
      CAPTURE(method);
      CAPTURE(c.path);
      const auto e = plugin_test::error_of(host, std::string("fs.data.") + method, phost::args(c.path));
      CHECK(e.code == 400);
      CHECK(contains(e.message, c.why));
    }
  }
  for (const Case& c : cases) {
    CHECK(plugin_test::error_of(host, "fs.data.WriteFile", phost::args(c.path, "x")).code == 400);
    CHECK(plugin_test::error_of(host, "fs.data.AppendFile", phost::args(c.path, "x")).code == 400);
    CHECK(plugin_test::error_of(host, "fs.data.Move", phost::args("a", c.path)).code == 400);
    CHECK(plugin_test::error_of(host, "fs.data.Move", phost::args(c.path, "a")).code == 400);
  }
  CHECK(plugin_test::read_file(outer / "x") == "secret");
  // '..' that stays inside is fine.
  CHECK(plugin_test::json(host, "fs.data.Mkdir", phost::args("a/b")) == "true");
  CHECK(plugin_test::json(host, "fs.data.WriteFile", phost::args("a/b/../c.txt", "ok")) == "2");
  CHECK(plugin_test::read_file(outer / "root/a/c.txt") == "ok");
}

TEST_CASE("symlinks: one to /etc inside the root is refused, one inside pointing inside works") {
  TempDir dir("fs");
  Fs fs(dir);
  stdfs::create_directory_symlink("/etc", dir / "etc");
  stdfs::create_symlink("/etc/passwd", dir / "passwd");
  for (const char* method : {"ReadFile", "Stat", "Exists", "List"}) {
    CAPTURE(method);
    const auto e = fs.error(std::string("fs.data.") + method, phost::args("etc/passwd"));
    CHECK(e.code == 400);
    CHECK(contains(e.message, "resolves outside the root"));
    CHECK(fs.error(std::string("fs.data.") + method, phost::args("passwd")).code == 400);
    CHECK(fs.error(std::string("fs.data.") + method, phost::args("etc")).code == 400);
  }
  // Listing the root shows the escaping link, but not what is behind it.
  CHECK(fs.json("fs.data.List") ==
        R"([{"name":"etc","dir":false,"size":0},{"name":"passwd","dir":false,"size":0}])");

  stdfs::create_directories(dir / "real/sub");
  plugin_test::write_file(dir / "real/sub/f.txt", "inside");
  stdfs::create_directory_symlink("real/sub", dir / "alias");        // relative
  stdfs::create_symlink(dir / "real/sub/f.txt", dir / "abs-link");  // absolute, into the root
  stdfs::create_directory_symlink("../..", dir / "real/sub/up");     // back to the root
  CHECK(fs.json("fs.data.ReadFile", phost::args("alias/f.txt")) == "\"inside\"");
  CHECK(fs.json("fs.data.ReadFile", phost::args("abs-link")) == "\"inside\"");
  CHECK(fs.json("fs.data.ReadFile", phost::args("alias/up/real/sub/f.txt")) == "\"inside\"");
  CHECK(fs.host.call("fs.data.Stat", phost::args("alias"))["dir"].as_bool());
  CHECK(fs.json("fs.data.List", phost::args("alias")) == R"([{"name":"f.txt","dir":false,"size":6},)"
                                                         R"({"name":"up","dir":true,"size":0}])");
  CHECK(fs.json("fs.data.WriteFile", phost::args("alias/new.txt", "w")) == "1");
  CHECK(plugin_test::read_file(dir / "real/sub/new.txt") == "w");
  // '..' applies to the path as written, before links are followed: alias/up/.. is alias.
  CHECK(fs.json("fs.data.ReadFile", phost::args("alias/up/../f.txt")) == "\"inside\"");
  // A relative link that climbs one level too far escapes.
  stdfs::create_directory_symlink("../../..", dir / "real/sub/esc");
  const auto esc = fs.error("fs.data.List", phost::args("alias/esc"));
  CHECK(esc.code == 400);
  CHECK(contains(esc.message, "resolves outside the root"));
}

TEST_CASE("symlinks: writes through a directory link that escapes are refused and create nothing") {
  TempDir outside("fs-out");
  TempDir dir("fs");
  Fs fs(dir);
  stdfs::create_directory_symlink(outside.path(), dir / "out");
  stdfs::create_symlink(outside / "created-by-dangling", dir / "dangling");  // target does not exist yet
  stdfs::create_symlink(outside / "nodir/x", dir / "dangling-dir");
  struct Write {
    const char* method;
    Value args;
  };
  Write writes[] = {{"WriteFile", phost::args("out/x.txt", "x")},
                    {"WriteFileBytes", phost::args("out/x.txt", bytes("x"))},
                    {"AppendFile", phost::args("out/x.txt", "x")},
                    {"WriteFile", phost::args("dangling", "x")},
                    {"AppendFile", phost::args("dangling", "x")},
                    {"Mkdir", phost::args("out/newdir/deeper")},
                    {"Mkdir", phost::args("dangling")},
                    {"Mkdir", phost::args("dangling-dir")},
                    {"Move", phost::args("dangling", "out/moved")},
                    {"Remove", phost::args("out/anything")},
                    {"RemoveAll", phost::args("out/anything")}};
  for (const Write& w : writes) {
    CAPTURE(w.method);
    CAPTURE(w.args.to_json());
    const auto e = fs.error(std::string("fs.data.") + w.method, w.args);
    CHECK(e.code == 400);
    CHECK(contains(e.message, "resolves outside the root"));
  }
  CHECK(stdfs::is_empty(outside.path()));
  // A link itself can be removed or moved: that touches the link, never its target.
  plugin_test::write_file(outside / "keep", "k");
  stdfs::create_symlink(outside / "keep", dir / "to-keep");
  CHECK(fs.json("fs.data.Move", phost::args("to-keep", "renamed")) == "true");
  CHECK(fs.json("fs.data.Remove", phost::args("renamed")) == "true");
  CHECK(fs.json("fs.data.RemoveAll", phost::args("out")) == "1");
  CHECK(plugin_test::read_file(outside / "keep") == "k");
  CHECK(stdfs::symlink_status(dir / "out").type() == stdfs::file_type::not_found);
}

TEST_CASE("symlink loops are refused, not followed forever") {
  TempDir dir("fs");
  Fs fs(dir);
  stdfs::create_symlink("b", dir / "a");
  stdfs::create_symlink("a", dir / "b");
  const auto e = fs.error("fs.data.ReadFile", phost::args("a"));
  CHECK(e.code == 400);
  CHECK(contains(e.message, "too many symbolic links"));
  CHECK(fs.error("fs.data.WriteFile", phost::args("a", "x")).code == 400);
}

TEST_CASE("the phost CLI runs fs processes") {
  TempDir dir("fs");
  plugin_test::write_file(dir / "a.txt", "from cli");
  const std::string base = std::string(PHOST_CLI) + " --plugin " + PHOST_FS_PLUGIN + " --config '{\"roots\":{\"data\":\"" +
                           dir.str() + "\"}}' run ";
  auto r = plugin_test::run(base + "fs.data.Exists '\"x\"'");
  CHECK(r.status == 0);
  CHECK(r.output == "false\n");
  r = plugin_test::run(base + "fs.data.ReadFile '\"a.txt\"'");
  CHECK(r.output == "\"from cli\"\n");
  r = plugin_test::run(base + "fs.data.ReadFile '\"../etc/passwd\"'");
  CHECK(r.status != 0);
  CHECK(contains(r.output, "escapes the root"));
}

}  // TEST_SUITE
