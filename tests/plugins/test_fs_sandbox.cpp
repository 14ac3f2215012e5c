// The fs plugin's sandbox, in both of its modes: openat2(RESOLVE_BENEATH) where the kernel has it,
// and the user-space checks it falls back to ("openat2": false forces them).
#include "fs_fixture.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#if __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#include <sys/syscall.h>
#endif

#include <atomic>
#include <thread>

using fs_test::bytes;
using fs_test::Fs;
using phost::Value;
using plugin_test::contains;
using plugin_test::TempDir;
namespace stdfs = std::filesystem;

namespace {

// Whether this kernel (and any seccomp filter around us) lets openat2 through.
bool kernel_has_openat2() {
#if __has_include(<linux/openat2.h>)
  open_how how{};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH;
  const int fd = static_cast<int>(::syscall(SYS_openat2, AT_FDCWD, ".", &how, sizeof how));
  if (fd < 0) return false;
  ::close(fd);
  return true;
#else
  return false;
#endif
}

const bool kModes[] = {true, false};  // openat2 (when the kernel has it), then the checks

}  // namespace

TEST_SUITE("fs plugin: sandbox") {

TEST_CASE("Sandbox() says openat2 where the kernel has it, checks when the config says openat2 false") {
  TempDir dir("fs");
  Fs native(dir);
  CHECK(native.host.call("fs.data.Sandbox").as_string() == (kernel_has_openat2() ? "openat2" : "checks"));
  Fs checks(dir, "", false);
  CHECK(checks.host.call("fs.data.Sandbox").as_string() == "checks");
}

TEST_CASE("traversal: '..' above the root and NUL bytes are refused with 400, '/x' is the root's x") {
  for (const bool openat2 : kModes) {
    CAPTURE(openat2);
    TempDir outer("fs");
    stdfs::create_directory(outer / "root");
    plugin_test::write_file(outer / "x", "secret");
    plugin_test::write_file(outer / "root/x", "inside");
    phost::Host host(plugin_test::quiet());
    host.load_plugin(PHOST_FS_PLUGIN, Value::from_json(R"({"roots": {"data": ")" + (outer / "root").string() +
                                                       R"("}, "openat2": )" + (openat2 ? "true" : "false") + "}"));
    struct Case {
      std::string path, why;
    };
    const Case cases[] = {{"../x", "escapes the root"},   {"/../x", "escapes the root"},
                          {"a/../../x", "escapes the root"}, {"./../x", "escapes the root"},
                          {"..", "escapes the root"},     {std::string("a\0b", 3), "contains a NUL byte"}};
    for (const char* method : {"ReadFile", "ReadFileBuffer", "Stat", "Exists", "IsDir", "IsLink", "List", "ReadDir",
                               "MkdirAll", "Mkdir", "Remove", "RemoveAll", "Size", "MimeType", "Abs", "Glob"}) {
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
      CHECK(plugin_test::error_of(host, "fs.data.InsertFile", phost::args(c.path, 0, "x")).code == 400);
      CHECK(plugin_test::error_of(host, "fs.data.Move", phost::args("a", c.path)).code == 400);
      CHECK(plugin_test::error_of(host, "fs.data.Move", phost::args(c.path, "a")).code == 400);
      CHECK(plugin_test::error_of(host, "fs.data.Copy", phost::args("x", c.path)).code == 400);
      CHECK(plugin_test::error_of(host, "fs.data.Chmod", phost::args(c.path, 0600)).code == 400);
    }
    CHECK(plugin_test::read_file(outer / "x") == "secret");
    // Absolute paths are the root's own (gou's form); '..' that stays inside is fine.
    CHECK(plugin_test::json(host, "fs.data.ReadFile", phost::args("/x")) == "\"inside\"");
    CHECK(plugin_test::json(host, "fs.data.MkdirAll", phost::args("/a/b")) == "null");
    CHECK(plugin_test::json(host, "fs.data.WriteFile", phost::args("a/b/../c.txt", "ok")) == "2");
    CHECK(plugin_test::read_file(outer / "root/a/c.txt") == "ok");
  }
}

TEST_CASE("symlinks: one to /etc inside the root is refused, links inside pointing inside work") {
  for (const bool openat2 : kModes) {
    CAPTURE(openat2);
    TempDir dir("fs");
    Fs fs(dir, "", openat2);
    stdfs::create_directory_symlink("/etc", dir / "etc");
    stdfs::create_symlink("/etc/passwd", dir / "passwd");
    for (const char* method : {"ReadFile", "Stat", "Exists", "IsFile", "List", "ReadDir", "Size", "ModTime"}) {
      CAPTURE(method);
      const auto e = fs.error(std::string("fs.data.") + method, phost::args("etc/passwd"));
      CHECK(e.code == 400);
      CHECK(contains(e.message, "resolves outside the root"));
      CHECK(fs.error(std::string("fs.data.") + method, phost::args("passwd")).code == 400);
      CHECK(fs.error(std::string("fs.data.") + method, phost::args("etc")).code == 400);
    }
    // Listing the root shows the escaping links, but not what is behind them; IsLink looks at the link only.
    CHECK(fs.json("fs.data.List") == R"([{"name":"etc","dir":false,"size":0},{"name":"passwd","dir":false,"size":0}])");
    CHECK(fs.json("fs.data.ReadDir", phost::args("/", true)) == R"(["/etc","/passwd"])");
    CHECK(fs.json("fs.data.IsLink", phost::args("/passwd")) == "true");
    CHECK(fs.json("fs.data.Glob", phost::args("/*/passwd")) == "[]");

    stdfs::create_directories(dir / "real/sub");
    plugin_test::write_file(dir / "real/sub/f.txt", "inside");
    stdfs::create_directory_symlink("real/sub", dir / "alias");        // relative
    stdfs::create_symlink(dir / "real/sub/f.txt", dir / "abs-link");  // absolute, into the root
    stdfs::create_directory_symlink(dir / "real", dir / "abs-dir");    // absolute directory, into the root
    stdfs::create_directory_symlink("../..", dir / "real/sub/up");     // back to the root
    CHECK(fs.json("fs.data.ReadFile", phost::args("alias/f.txt")) == "\"inside\"");
    CHECK(fs.json("fs.data.ReadFile", phost::args("abs-link")) == "\"inside\"");
    CHECK(fs.json("fs.data.ReadFile", phost::args("abs-dir/sub/f.txt")) == "\"inside\"");
    CHECK(fs.json("fs.data.ReadFile", phost::args("alias/up/real/sub/f.txt")) == "\"inside\"");
    CHECK(fs.host.call("fs.data.Stat", phost::args("alias"))["dir"].as_bool());
    CHECK(fs.json("fs.data.List", phost::args("alias")) == R"([{"name":"f.txt","dir":false,"size":6},)"
                                                           R"({"name":"up","dir":true,"size":0}])");
    CHECK(fs.json("fs.data.WriteFile", phost::args("alias/new.txt", "w")) == "1");
    CHECK(plugin_test::read_file(dir / "real/sub/new.txt") == "w");
    CHECK(fs.json("fs.data.WriteFile", phost::args("abs-dir/new2.txt", "w")) == "1");
    CHECK(plugin_test::read_file(dir / "real/new2.txt") == "w");
    // Dangling links that stay inside are followed by creating writes, as open(O_CREAT) follows them.
    stdfs::create_symlink("real/made-by-link", dir / "dangling-in");
    stdfs::create_symlink(dir / "real/made-by-abs-link", dir / "dangling-abs-in");
    CHECK(fs.json("fs.data.WriteFile", phost::args("dangling-in", "d")) == "1");
    CHECK(fs.json("fs.data.AppendFile", phost::args("dangling-abs-in", "a")) == "1");
    CHECK(plugin_test::read_file(dir / "real/made-by-link") == "d");
    CHECK(plugin_test::read_file(dir / "real/made-by-abs-link") == "a");
    // '..' applies to the path as written, before links are followed: alias/up/.. is alias.
    CHECK(fs.json("fs.data.ReadFile", phost::args("alias/up/../f.txt")) == "\"inside\"");
    // A relative link that climbs one level too far escapes.
    stdfs::create_directory_symlink("../../..", dir / "real/sub/esc");
    const auto esc = fs.error("fs.data.List", phost::args("alias/esc"));
    CHECK(esc.code == 400);
    CHECK(contains(esc.message, "resolves outside the root"));
  }
}

TEST_CASE("symlinks: writes through links that escape are refused and create or change nothing") {
  for (const bool openat2 : kModes) {
    CAPTURE(openat2);
    TempDir outside("fs-out");
    TempDir dir("fs");
    Fs fs(dir, "", openat2);
    plugin_test::write_file(outside / "victim", "v");
    ::chmod((outside / "victim").c_str(), 0644);
    stdfs::create_directory_symlink(outside.path(), dir / "out");
    stdfs::create_symlink(outside / "created-by-dangling", dir / "dangling");  // target does not exist yet
    stdfs::create_symlink(outside / "nodir/x", dir / "dangling-dir");
    stdfs::create_symlink(outside / "victim", dir / "victim");
    plugin_test::write_file(dir / "inside", "i");
    struct Write {
      const char* method;
      Value args;
    };
    Write writes[] = {{"WriteFile", phost::args("out/x.txt", "x")},
                      {"WriteFileBuffer", phost::args("out/x.txt", bytes("x"))},
                      {"WriteFileBase64", phost::args("out/x.txt", "eA==")},
                      {"AppendFile", phost::args("out/x.txt", "x")},
                      {"InsertFile", phost::args("out/x.txt", 0, "x")},
                      {"WriteFile", phost::args("dangling", "x")},
                      {"AppendFile", phost::args("dangling", "x")},
                      {"WriteFile", phost::args("victim", "x")},
                      {"InsertFile", phost::args("victim", 0, "x")},
                      {"Chmod", phost::args("victim", 0777)},
                      {"MkdirAll", phost::args("out/newdir/deeper")},
                      {"MkdirAll", phost::args("dangling")},
                      {"MkdirAll", phost::args("dangling-dir")},
                      {"Mkdir", phost::args("out/newdir")},
                      {"MkdirTemp", phost::args("out")},
                      {"Move", phost::args("dangling", "out/moved")},
                      {"Move", phost::args("inside", "out/moved")},
                      {"Copy", phost::args("inside", "out/copied")},
                      {"Copy", phost::args("victim", "stolen")},
                      {"MoveAppend", phost::args("inside", "victim")},
                      {"Zip", phost::args("/", "out/all.zip")},
                      {"Unzip", phost::args("out/archive.zip", "unpacked")},
                      {"Remove", phost::args("out/victim")},
                      {"RemoveAll", phost::args("out/victim")}};
    for (const Write& w : writes) {
      CAPTURE(w.method);
      CAPTURE(w.args.to_json());
      const auto e = fs.error(std::string("fs.data.") + w.method, w.args);
      CHECK(e.code == 400);
      CHECK(contains(e.message, "resolves outside the root"));
    }
    // Mkdir of the link itself: mkdir(2) never follows it, so it exists.
    CHECK(fs.error("fs.data.Mkdir", phost::args("dangling")).code == 409);
    CHECK(std::distance(stdfs::directory_iterator(outside.path()), stdfs::directory_iterator()) == 1);
    CHECK(plugin_test::read_file(outside / "victim") == "v");
    struct stat st {};
    REQUIRE(::stat((outside / "victim").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0644);
    CHECK_FALSE(stdfs::exists(dir / "stolen"));
    CHECK(plugin_test::read_file(dir / "inside") == "i");
    // A link itself can be removed or moved: that touches the link, never its target.
    CHECK(fs.json("fs.data.Move", phost::args("victim", "renamed")) == "null");
    CHECK(fs.json("fs.data.Remove", phost::args("renamed")) == "null");
    CHECK(fs.json("fs.data.RemoveAll", phost::args("out")) == "null");
    CHECK(plugin_test::read_file(outside / "victim") == "v");
    CHECK(stdfs::symlink_status(dir / "out").type() == stdfs::file_type::not_found);
  }
}

TEST_CASE("symlinks: loops are refused, not followed forever") {
  for (const bool openat2 : kModes) {
    CAPTURE(openat2);
    TempDir dir("fs");
    Fs fs(dir, "", openat2);
    stdfs::create_symlink("b", dir / "a");
    stdfs::create_symlink("a", dir / "b");
    const auto e = fs.error("fs.data.ReadFile", phost::args("a"));
    CHECK(e.code == 400);
    CHECK(contains(e.message, "too many symbolic links"));
    CHECK(fs.error("fs.data.WriteFile", phost::args("a", "x")).code == 400);
    CHECK(fs.error("fs.data.Exists", phost::args("a/x")).code == 400);
    // Copy follows links inside the root, so a cycle through directories ends at its depth
    // limit; ReadDir never follows them.
    TempDir cyclic("fs");
    Fs fs2(cyclic, "", openat2);
    stdfs::create_directory(cyclic / "d");
    stdfs::create_directory_symlink("..", cyclic / "d/parent");
    const auto copy = fs2.error("fs.data.Copy", phost::args("d", "copy"));
    INFO(copy.message);
    CHECK(copy.code == 400);
    CHECK(contains(copy.message, "nested too deeply"));
    CHECK(fs2.json("fs.data.ReadDir", phost::args("d", true)) == R"(["/d/parent"])");
  }
}

TEST_CASE("a link swapped in for a directory is not followed out of the root") {
  for (const bool openat2 : kModes) {
    CAPTURE(openat2);
    TempDir outside("fs-out");
    TempDir dir("fs");
    Fs fs(dir, "", openat2);
    plugin_test::write_file(outside / "secret", "outside");
    stdfs::create_directory(dir / "sub");
    plugin_test::write_file(dir / "sub/secret", "inside");
    CHECK(fs.json("fs.data.ReadFile", phost::args("sub/secret")) == "\"inside\"");
    // Another process replaces the directory with a link out of the root.
    stdfs::rename(dir / "sub", dir / "old");
    stdfs::create_directory_symlink(outside.path(), dir / "sub");
    for (const char* method : {"ReadFile", "Exists", "Size", "Remove", "RemoveAll"}) {
      CAPTURE(method);
      const auto e = fs.error(std::string("fs.data.") + method, phost::args("sub/secret"));
      CHECK(e.code == 400);
      CHECK(contains(e.message, "resolves outside the root"));
    }
    CHECK(fs.error("fs.data.WriteFile", phost::args("sub/new", "x")).code == 400);
    CHECK(fs.error("fs.data.Move", phost::args("old/secret", "sub/secret")).code == 400);
    CHECK(plugin_test::read_file(outside / "secret") == "outside");
    CHECK_FALSE(stdfs::exists(outside / "new"));
  }
}

TEST_CASE("openat2: a directory swapped with a link during calls never lets one out of the root") {
  if (!kernel_has_openat2()) {
    MESSAGE("this kernel has no openat2: only the fallback runs here");
    return;
  }
  TempDir outside("fs-out");
  TempDir dir("fs");
  Fs fs(dir);
  REQUIRE(fs.host.call("fs.data.Sandbox").as_string() == "openat2");
  plugin_test::write_file(outside / "secret", "outside");
  stdfs::create_directory(dir / "d");
  plugin_test::write_file(dir / "d/secret", "inside");
  stdfs::create_directory_symlink(outside.path(), dir / "swap");
  // One thread swaps d (a directory) and swap (a link out) atomically, as fast as it can, while
  // calls read and write through d. In the fallback's window between check and open this race can
  // escape; openat2 resolves inside the kernel, so no call may ever reach outside.
  std::atomic<bool> done{false};
  std::atomic<int> swaps{0};
  std::thread swapper([&] {
    while (!done.load()) {
      if (::renameat2(AT_FDCWD, (dir / "d").c_str(), AT_FDCWD, (dir / "swap").c_str(), RENAME_EXCHANGE) == 0)
        swaps.fetch_add(1);
    }
  });
  int leaked = 0, refused = 0;
  for (int i = 0; i < 2000; ++i) {
    try {
      if (fs.host.call("fs.data.ReadFile", phost::args("d/secret")).as_string() == "outside") ++leaked;
    } catch (const phost::Error&) {
      ++refused;
    }
    try {
      fs.host.call("fs.data.WriteFile", phost::args("d/written", "x"));
    } catch (const phost::Error&) {
      ++refused;
    }
  }
  done = true;
  swapper.join();
  MESSAGE("swaps: " << swaps.load() << ", refused calls: " << refused);
  CHECK(swaps.load() > 0);
  CHECK(leaked == 0);
  CHECK_FALSE(stdfs::exists(outside / "written"));
  CHECK(plugin_test::read_file(outside / "secret") == "outside");
}

}  // TEST_SUITE
