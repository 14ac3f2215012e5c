// The fs plugin (plugins/fs), loaded into a phost::Host as an application would.
#include "fs_fixture.hpp"

#include <sys/stat.h>

#include <chrono>
#include <thread>

using phost::Value;
using plugin_test::contains;
using plugin_test::TempDir;
namespace stdfs = std::filesystem;

using fs_test::bytes;
using fs_test::Fs;

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
  CHECK(contains(load(R"({"roots": {"x": "/tmp"}, "openat2": 1})").message, "\"openat2\" must be true or false"));
  CHECK(contains(load(R"({"roots": {"x": {"path": "/tmp", "ro": true}}})").message, "root 'x': unknown key 'ro'"));
  CHECK(contains(load(R"({"roots": {"x": {"path": "/tmp", "read_only": 1}}})").message, "\"read_only\" must be"));
  CHECK(contains(load(R"({"roots": {"x": {"read_only": true}}})").message, "root 'x' must be a directory path"));
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
  CHECK(contains(utf8.message, "'blob.bin' is not valid UTF-8 text (use ReadFileBuffer)"));
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

TEST_CASE("MkdirAll and writes stop at the depth ReadDir, Copy and RemoveAll walk, so every tree can be removed") {
  TempDir dir("fs");
  Fs fs(dir);
  std::string deepest;
  for (int i = 0; i < 256; ++i) deepest += "/q";
  CHECK(fs.json("fs.data.MkdirAll", phost::args(deepest)) == "null");
  const auto too_deep = fs.error("fs.data.MkdirAll", phost::args(deepest + "/q"));
  CHECK(too_deep.code == 400);
  CHECK_MESSAGE(contains(too_deep.message, "is nested too deeply (more than 256 levels)"), too_deep.message);
  CHECK(fs.error("fs.data.WriteFile", phost::args(deepest + "/q/f", "x")).code == 400);  // its folder would be too deep
  CHECK(fs.json("fs.data.WriteFile", phost::args(deepest + "/f", "x")) == "1");
  CHECK(fs.json("fs.data.Copy", phost::args("/q", "/copy")) == "null");
  CHECK(fs.json("fs.data.RemoveAll", phost::args("/q")) == "null");
  CHECK(fs.json("fs.data.RemoveAll", phost::args("/copy")) == "null");
  CHECK(fs.json("fs.data.ReadDir", phost::args("/", true)) == "[]");
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

TEST_CASE("WriteFile and WriteFileBytes create or replace, with their directories, and return the bytes written") {
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
  CHECK(text_only.message == "fs.data.WriteFile: argument 2 (data) must be a string (use WriteFileBuffer for bytes)");
  const auto no_data = fs.error("fs.data.WriteFile", phost::args("c"));
  CHECK(no_data.code == 400);
  CHECK(no_data.message == "fs.data.WriteFile: argument 2 (data) is missing");
  // As gou's WriteFile, missing directories are created.
  CHECK(fs.json("fs.data.WriteFile", phost::args("no/such/dir.txt", "x")) == "1");
  CHECK(plugin_test::read_file(dir / "no/such/dir.txt") == "x");
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

TEST_CASE("a read-only root reads and refuses every write with 403") {
  TempDir dir("fs");
  plugin_test::write_file(dir / "a.txt", "app");
  phost::Host host(plugin_test::quiet());
  host.load_plugin(PHOST_FS_PLUGIN, Value::from_json(R"({"roots": {"app": {"path": ")" + dir.str() +
                                                     R"(", "read_only": true}}})"));
  CHECK(plugin_test::json(host, "fs.app.ReadFile", phost::args("/a.txt")) == "\"app\"");
  CHECK(plugin_test::json(host, "fs.app.ReadDir", phost::args("/")) == R"(["/a.txt"])");
  struct Write {
    const char* method;
    Value args;
  };
  Write writes[] = {{"WriteFile", phost::args("b", "x")},     {"AppendFile", phost::args("a.txt", "x")},
                    {"InsertFile", phost::args("a.txt", 0, "x")}, {"Mkdir", phost::args("d")},
                    {"MkdirAll", phost::args("d/e")},           {"MkdirTemp", phost::args()},
                    {"Remove", phost::args("a.txt")},           {"RemoveAll", phost::args("a.txt")},
                    {"Move", phost::args("a.txt", "b")},        {"Copy", phost::args("a.txt", "b")},
                    {"Chmod", phost::args("a.txt", 0600)},      {"WriteFileBase64", phost::args("b", "eA==")}};
  for (const Write& w : writes) {
    CAPTURE(w.method);
    const auto e = plugin_test::error_of(host, std::string("fs.app.") + w.method, w.args);
    CHECK(e.code == 403);
    CHECK(e.message == std::string("fs.app.") + w.method + ": root 'app' is read-only");
  }
  CHECK(plugin_test::read_file(dir / "a.txt") == "app");
  CHECK(std::distance(stdfs::directory_iterator(dir.path()), stdfs::directory_iterator()) == 1);
}

// Walks whose length the file system decides: each once past a 1 ms deadline,
// and a Copy cancelled while it runs. Without the checks each ran to its end.
TEST_CASE("Copy, RemoveAll and ReadDir of a large tree stop at the call's deadline or when cancelled") {
  TempDir dir("fs");
  Fs fs(dir);
  constexpr int kDirs = 100, kFiles = 100;
  const auto make_tree = [&] {
    for (int d = 0; d < kDirs; ++d) {
      const std::string sub = "tree/" + std::to_string(d);
      stdfs::create_directories(dir / sub);
      for (int f = 0; f < kFiles; ++f) plugin_test::write_file(dir / (sub + "/" + std::to_string(f)), "x");
    }
  };
  make_tree();
  const auto files_under = [&](const std::string& rel) {
    size_t n = 0;
    if (stdfs::exists(dir / rel))
      for (const auto& e : stdfs::recursive_directory_iterator(dir / rel)) n += e.is_regular_file();
    return n;
  };
  const auto stopped = [&](std::string_view name, const Value& args, const phost::CallOptions& o) {
    try {
      fs.host.call(name, args, o);
      return plugin_test::Failure{};
    } catch (const phost::Error& e) {
      return plugin_test::Failure{e.code(), e.what()};
    }
  };
  phost::CallOptions o;
  o.timeout = std::chrono::milliseconds(1);
  for (const auto& [name, args] : {std::pair{"fs.data.Copy", phost::args("tree", "copy")},
                                   std::pair{"fs.data.ReadDir", phost::args("tree", true)},
                                   std::pair{"fs.data.RemoveAll", phost::args("tree")}}) {
    const auto e = stopped(name, args, o);
    CHECK_MESSAGE(e.code == 408, name, ": ", e);
  }
  CHECK(files_under("copy") < kDirs * kFiles);
  CHECK(files_under("tree") > 0);  // RemoveAll stopped partway, or never began

  // Cancelled once the copy has made its target: mid-walk.
  stdfs::remove_all(dir / "tree");
  make_tree();
  const std::unique_ptr<phost_cancel, void (*)(phost_cancel*)> cancel(phost_cancel_new(), phost_cancel_free);
  std::thread canceller([&] {
    while (!stdfs::exists(dir / "copy2")) std::this_thread::yield();
    phost_cancel_trigger(cancel.get());
  });
  phost::CallOptions c;
  c.cancel = cancel.get();
  const auto e = stopped("fs.data.Copy", phost::args("tree", "copy2"), c);
  canceller.join();
  CHECK_MESSAGE(e.code == 499, e);
  CHECK_MESSAGE(contains(e.message, "fs.data.Copy: the call was cancelled"), e.message);
  CHECK(files_under("copy2") < kDirs * kFiles);
  // Without a deadline the same walks run to their end.
  CHECK(fs.json("fs.data.Copy", phost::args("tree", "copy3")) == "null");
  CHECK(files_under("copy3") == kDirs * kFiles);
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
