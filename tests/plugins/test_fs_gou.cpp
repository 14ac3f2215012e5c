// gou's FS method set in the fs plugin: what new FS("data").M(...) becomes, Process("fs.data.M", ...).
#include "fs_fixture.hpp"

#include <sys/stat.h>

#include <chrono>

using fs_test::bytes;
using fs_test::Fs;
using phost::Value;
using plugin_test::contains;
using plugin_test::TempDir;
namespace stdfs = std::filesystem;

namespace {

mode_t mode_of(const stdfs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

// A zip archive of stored (uncompressed) files, built by hand: names are written as given.
std::string stored_zip(const std::vector<std::pair<std::string, std::string>>& files) {
  auto crc32 = [](std::string_view data) {
    uint32_t crc = 0xFFFFFFFFu;
    for (const char ch : data) {
      crc ^= static_cast<unsigned char>(ch);
      for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
  };
  auto put = [](std::string& out, uint32_t v, int n) {
    for (int i = 0; i < n; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
  };
  std::string out, central;
  for (const auto& [name, data] : files) {
    const auto offset = static_cast<uint32_t>(out.size());
    auto header = [&](std::string& h) {
      put(h, 0, 2), put(h, 0, 2), put(h, 0, 2), put(h, 0x21, 2);  // flags, stored, time, date
      put(h, crc32(data), 4), put(h, static_cast<uint32_t>(data.size()), 4), put(h, static_cast<uint32_t>(data.size()), 4);
      put(h, static_cast<uint32_t>(name.size()), 2), put(h, 0, 2);
    };
    put(out, 0x04034b50, 4), put(out, 20, 2), header(out), out += name, out += data;
    put(central, 0x02014b50, 4), put(central, 20, 2), put(central, 20, 2), header(central);
    put(central, 0, 2), put(central, 0, 2), put(central, 0, 2), put(central, 0, 4), put(central, offset, 4);
    central += name;
  }
  const auto central_at = static_cast<uint32_t>(out.size());
  out += central;
  put(out, 0x06054b50, 4), put(out, 0, 4), put(out, static_cast<uint32_t>(files.size()), 2);
  put(out, static_cast<uint32_t>(files.size()), 2), put(out, static_cast<uint32_t>(central.size()), 4);
  put(out, central_at, 4), put(out, 0, 2);
  return out;
}

mode_t current_umask() {
  const mode_t mask = ::umask(0);
  ::umask(mask);
  return mask;
}

}  // namespace

TEST_SUITE("fs plugin: gou methods") {

TEST_CASE("gou's paths: '/notes/a.txt' is relative to the root, and Abs gives the real path") {
  TempDir dir("fs");
  Fs fs(dir);
  CHECK(fs.json("fs.data.WriteFile", phost::args("/notes/a.txt", "hi")) == "2");
  CHECK(plugin_test::read_file(dir / "notes/a.txt") == "hi");
  CHECK(fs.json("fs.data.ReadFile", phost::args("/notes/a.txt")) == "\"hi\"");
  CHECK(fs.json("fs.data.ReadFile", phost::args("notes/a.txt")) == "\"hi\"");
  CHECK(fs.json("fs.data.ReadFile", phost::args("//notes/./a.txt")) == "\"hi\"");
  CHECK(fs.host.call("fs.data.Abs", phost::args("/notes/a.txt")).as_string() == (dir / "notes/a.txt").string());
  CHECK(fs.host.call("fs.data.Abs", phost::args("/")).as_string() == dir.str());
  CHECK(fs.error("fs.data.Abs", phost::args("/../x")).code == 400);
}

TEST_CASE("method names ignore case, as gou's process names do") {
  TempDir dir("fs");
  Fs fs(dir);
  plugin_test::write_file(dir / "a", "x");
  CHECK(fs.json("fs.data.readfile", phost::args("a")) == "\"x\"");
  CHECK(fs.json("fs.data.ISFILE", phost::args("a")) == "true");
  const auto e = fs.error("fs.data.readfilex", phost::args("a"));
  CHECK(e.code == 404);
  CHECK(contains(e.message, "fs has no method 'readfilex' (ReadFile, ReadFileBuffer"));
  // Messages use the method's own spelling.
  CHECK(fs.error("fs.data.readfile", phost::args("nope")).message == "fs.data.ReadFile: 'nope' not found");
}

TEST_CASE("ReadFileBuffer and ReadFileBase64 give bytes and base64") {
  TempDir dir("fs");
  Fs fs(dir);
  plugin_test::write_file(dir / "b", std::string_view("\x00\xff\x01", 3));
  const Value b = fs.host.call("fs.data.ReadFileBuffer", phost::args("/b"));
  CHECK(b.kind() == PHOST_BYTES);
  CHECK(b.as_string() == std::string_view("\x00\xff\x01", 3));
  CHECK(fs.json("fs.data.ReadFileBase64", phost::args("/b")) == "\"AP8B\"");
  CHECK(fs.error("fs.data.ReadFileBuffer", phost::args("/nope")).code == 404);
}

TEST_CASE("WriteFileBuffer, WriteFileBase64 and a perm argument") {
  TempDir dir("fs");
  Fs fs(dir);
  CHECK(fs.json("fs.data.WriteFileBuffer", phost::args("/a.bin", bytes(std::string_view("\0\1", 2)))) == "2");
  CHECK(plugin_test::read_file(dir / "a.bin") == std::string_view("\0\1", 2));
  CHECK(fs.json("fs.data.WriteFileBuffer", phost::args("/t", "text")) == "4");  // a string is its UTF-8
  CHECK(fs.json("fs.data.WriteFileBase64", phost::args("/c", "aGVsbG8=")) == "5");
  CHECK(plugin_test::read_file(dir / "c") == "hello");
  const auto b64 = fs.error("fs.data.WriteFileBase64", phost::args("/c", "not base64!"));
  CHECK(b64.code == 400);
  CHECK(b64.message == "fs.data.WriteFileBase64: argument 2 (data) is not valid base64");
  CHECK(fs.error("fs.data.WriteFileBuffer", phost::args("/c", 5)).message ==
        "fs.data.WriteFileBuffer: argument 2 (data) must be a string or bytes");
  // perm applies to a new file (before the umask); an existing file keeps its mode, as os.WriteFile.
  CHECK(fs.json("fs.data.WriteFile", phost::args("/p", "x", 0640)) == "1");
  CHECK(mode_of(dir / "p") == (0640 & ~current_umask()));
  CHECK(fs.json("fs.data.WriteFile", phost::args("/p", "y", 0777)) == "1");
  CHECK(mode_of(dir / "p") == (0640 & ~current_umask()));
  CHECK(fs.json("fs.data.WriteFile", phost::args("/q", "x")) == "1");
  CHECK(mode_of(dir / "q") == (0666 & ~current_umask()));
  const auto perm = fs.error("fs.data.WriteFile", phost::args("/p", "x", 070000));
  CHECK(perm.code == 400);
  CHECK(perm.message == "fs.data.WriteFile: argument 3 (perm) must be an integer from 0 to 0o7777 (4095)");
  CHECK(fs.error("fs.data.WriteFile", phost::args("/p", "x", "0644")).code == 400);
  CHECK(fs.json("fs.data.WriteFile", phost::args("/p", "x", Value::null())) == "1");  // null: the default
}

TEST_CASE("AppendFile, AppendFileBuffer, AppendBuffer and AppendBase64 append") {
  TempDir dir("fs");
  Fs fs(dir);
  CHECK(fs.json("fs.data.AppendFile", phost::args("/log/a", "1")) == "1");  // directories created
  CHECK(fs.json("fs.data.AppendFileBuffer", phost::args("/log/a", bytes("2"))) == "1");
  CHECK(fs.json("fs.data.AppendBuffer", phost::args("/log/a", bytes("3"))) == "1");
  CHECK(fs.json("fs.data.AppendFileBase64", phost::args("/log/a", "NA==")) == "1");
  CHECK(fs.json("fs.data.AppendBase64", phost::args("/log/a", "NQ==")) == "1");
  CHECK(plugin_test::read_file(dir / "log/a") == "12345");
}

TEST_CASE("InsertFile and its Buffer and Base64 forms insert at an offset") {
  TempDir dir("fs");
  Fs fs(dir);
  plugin_test::write_file(dir / "f", "abcdef");
  CHECK(fs.json("fs.data.InsertFile", phost::args("/f", 3, "XY")) == "2");
  CHECK(plugin_test::read_file(dir / "f") == "abcXYdef");
  CHECK(fs.json("fs.data.InsertFileBuffer", phost::args("/f", 0, bytes("<"))) == "1");
  CHECK(fs.json("fs.data.InsertBuffer", phost::args("/f", 100, bytes(">"))) == "1");  // past the end: appended
  CHECK(fs.json("fs.data.InsertBase64", phost::args("/f", 1, "LQ==")) == "1");
  CHECK(fs.json("fs.data.InsertFileBase64", phost::args("/f", 1, "Kw==")) == "1");
  CHECK(plugin_test::read_file(dir / "f") == "<+-abcXYdef>");
  CHECK(fs.json("fs.data.InsertFile", phost::args("/new/g", 5, "created")) == "7");  // missing: written
  CHECK(plugin_test::read_file(dir / "new/g") == "created");
  // A file of several chunks: the tail moves right from the back.
  std::string big(3 * 1024 * 1024 + 17, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  plugin_test::write_file(dir / "big", big);
  CHECK(fs.json("fs.data.InsertFile", phost::args("/big", 1000, "INSERTED")) == "8");
  CHECK(plugin_test::read_file(dir / "big") == big.substr(0, 1000) + "INSERTED" + big.substr(1000));
  const auto offset = fs.error("fs.data.InsertFile", phost::args("/f", -1, "x"));
  CHECK(offset.code == 400);
  CHECK(offset.message == "fs.data.InsertFile: argument 2 (offset) must be a non-negative integer");
  CHECK(fs.error("fs.data.InsertFile", phost::args("/f", 1)).message == "fs.data.InsertFile: argument 3 (data) is missing");
  stdfs::create_directory(dir / "d");
  CHECK(fs.error("fs.data.InsertFile", phost::args("/d", 0, "x")).code == 400);
}

TEST_CASE("ReadDir lists '/'-rooted paths sorted by name, recursively on request") {
  TempDir dir("fs");
  Fs fs(dir);
  stdfs::create_directories(dir / "b/c");
  plugin_test::write_file(dir / "b/c/d.txt", "x");
  plugin_test::write_file(dir / "b/a.txt", "x");
  plugin_test::write_file(dir / "a.txt", "x");
  stdfs::create_directory_symlink("b", dir / "link");  // listed, never descended into
  CHECK(fs.json("fs.data.ReadDir", phost::args("/")) == R"(["/a.txt","/b","/link"])");
  CHECK(fs.json("fs.data.ReadDir", phost::args("/b")) == R"(["/b/a.txt","/b/c"])");
  CHECK(fs.json("fs.data.ReadDir", phost::args("/", true)) ==
        R"(["/a.txt","/b","/b/a.txt","/b/c","/b/c/d.txt","/link"])");
  CHECK(fs.json("fs.data.ReadDir", phost::args("/link")) == R"(["/link/a.txt","/link/c"])");
  CHECK(fs.json("fs.data.ReadDir", phost::args("/b/c", false)) == R"(["/b/c/d.txt"])");
  CHECK(fs.error("fs.data.ReadDir", phost::args("/a.txt")).code == 400);
  CHECK(fs.error("fs.data.ReadDir", phost::args("/nope")).code == 404);
  const auto rec = fs.error("fs.data.ReadDir", phost::args("/", "yes"));
  CHECK(rec.code == 400);
  CHECK(rec.message == "fs.data.ReadDir: argument 2 (recursive) must be true or false");
}

TEST_CASE("Glob matches as Go's filepath.Glob and gives '/'-rooted paths") {
  TempDir dir("fs");
  Fs fs(dir);
  stdfs::create_directories(dir / "x/one");
  stdfs::create_directories(dir / "x/two");
  plugin_test::write_file(dir / "a.txt", "");
  plugin_test::write_file(dir / "b.txt", "");
  plugin_test::write_file(dir / ".hidden.txt", "");
  plugin_test::write_file(dir / "c.md", "");
  plugin_test::write_file(dir / "x/one/f.log", "");
  plugin_test::write_file(dir / "x/two/f.log", "");
  CHECK(fs.json("fs.data.Glob", phost::args("/*.txt")) == R"(["/.hidden.txt","/a.txt","/b.txt"])");
  CHECK(fs.json("fs.data.Glob", phost::args("[ab].txt")) == R"(["/a.txt","/b.txt"])");
  CHECK(fs.json("fs.data.Glob", phost::args("/x/*/f.log")) == R"(["/x/one/f.log","/x/two/f.log"])");
  CHECK(fs.json("fs.data.Glob", phost::args("/x/t?o")) == R"(["/x/two"])");
  CHECK(fs.json("fs.data.Glob", phost::args("/c.md")) == R"(["/c.md"])");
  CHECK(fs.json("fs.data.Glob", phost::args("/*.none")) == "[]");
  CHECK(fs.json("fs.data.Glob", phost::args("/nope/*")) == "[]");
  CHECK(fs.error("fs.data.Glob", phost::args("/../*")).code == 400);
  // What Go's filepath.Glob calls ErrBadPattern, even where nothing would match.
  for (const char* bad : {"[", "/x/[ab", "[]a]", "[-a]", "[a-]", "x\\"}) {
    CAPTURE(bad);
    const auto e = fs.error("fs.data.Glob", phost::args(bad));
    CHECK(e.code == 400);
    CHECK(contains(e.message, "is not a valid pattern (syntax error in pattern)"));
  }
  CHECK(fs.json("fs.data.Glob", phost::args("[^b].txt")) == R"(["/a.txt"])");
  // fnmatch takes a long pattern's time for every entry: a component has at most 4096 bytes.
  const std::string fits = "/x/[" + std::string(4092, 'o') + "]ne", too_long = "/x/[" + std::string(4093, 'o') + "]ne";
  CHECK(fs.json("fs.data.Glob", phost::args(fits)) == R"(["/x/one"])");
  const auto long_class = fs.error("fs.data.Glob", phost::args(too_long));
  CHECK(long_class.code == 400);
  CHECK(contains(long_class.message, "is not a valid pattern (a component longer than 4096 bytes)"));
  CHECK(fs.error("fs.data.Glob").message == "fs.data.Glob: argument 1 (pattern) is missing");
}

TEST_CASE("Mkdir makes one directory, MkdirAll the whole path, MkdirTemp a fresh one") {
  TempDir dir("fs");
  Fs fs(dir);
  CHECK(fs.json("fs.data.Mkdir", phost::args("/a")) == "null");
  CHECK(stdfs::is_directory(dir / "a"));
  const auto again = fs.error("fs.data.Mkdir", phost::args("/a"));
  CHECK(again.code == 409);
  CHECK(again.message == "fs.data.Mkdir: '/a' already exists");
  const auto deep = fs.error("fs.data.Mkdir", phost::args("/x/y"));
  CHECK(deep.code == 404);
  CHECK(contains(deep.message, "use MkdirAll"));
  CHECK(fs.json("fs.data.Mkdir", phost::args("/p", 0700)) == "null");
  CHECK(mode_of(dir / "p") == (0700 & ~current_umask()));
  CHECK(fs.json("fs.data.MkdirAll", phost::args("/x/y/z")) == "null");
  CHECK(stdfs::is_directory(dir / "x/y/z"));
  CHECK(fs.json("fs.data.MkdirAll", phost::args("/x/y")) == "null");  // exists: nothing to do
  plugin_test::write_file(dir / "f", "x");
  CHECK(fs.error("fs.data.MkdirAll", phost::args("/f")).code == 409);
  CHECK(fs.error("fs.data.MkdirAll", phost::args("/f/g")).code == 409);
  CHECK(fs.error("fs.data.Mkdir", phost::args("/")).code == 409);

  const std::string temp(fs.host.call("fs.data.MkdirTemp").as_string());
  CHECK(temp.size() > 1);
  CHECK(temp[0] == '/');
  CHECK(stdfs::is_directory(dir.path() / temp.substr(1)));
  const std::string logs(fs.host.call("fs.data.MkdirTemp", phost::args("/tmp/run", "*-logs")).as_string());
  CHECK(logs.starts_with("/tmp/run/"));
  CHECK(logs.ends_with("-logs"));
  CHECK(stdfs::is_directory(dir.path() / logs.substr(1)));
  CHECK(fs.host.call("fs.data.MkdirTemp", phost::args("/tmp/run", "*-logs")).as_string() != logs);
  const auto slash = fs.error("fs.data.MkdirTemp", phost::args("/tmp", "a/b"));
  CHECK(slash.code == 400);
  CHECK(slash.message == "fs.data.MkdirTemp: argument 2 (pattern) must not contain '/'");
}

TEST_CASE("Remove and RemoveAll return null, missing paths are no error (as gou)") {
  TempDir dir("fs");
  Fs fs(dir);
  plugin_test::write_file(dir / "f", "x");
  stdfs::create_directories(dir / "empty");
  stdfs::create_directories(dir / "full/deeper");
  plugin_test::write_file(dir / "full/deeper/x", "x");
  CHECK(fs.json("fs.data.Remove", phost::args("/f")) == "null");
  CHECK_FALSE(stdfs::exists(dir / "f"));
  CHECK(fs.json("fs.data.Remove", phost::args("/empty")) == "null");
  CHECK_FALSE(stdfs::exists(dir / "empty"));
  CHECK(fs.json("fs.data.Remove", phost::args("/f")) == "null");
  CHECK(fs.json("fs.data.Remove", phost::args("/nope/below")) == "null");
  const auto full = fs.error("fs.data.Remove", phost::args("/full"));
  CHECK(full.code == 409);
  CHECK(full.message == "fs.data.Remove: '/full' is a directory that is not empty (use RemoveAll)");
  CHECK(fs.error("fs.data.Remove", phost::args("/")).code == 400);
  CHECK(fs.error("fs.data.Remove", phost::args("full/..")).code == 400);  // the root again
  CHECK(fs.json("fs.data.RemoveAll", phost::args("/full")) == "null");
  CHECK_FALSE(stdfs::exists(dir / "full"));
  CHECK(fs.json("fs.data.RemoveAll", phost::args("/full")) == "null");
  CHECK(fs.error("fs.data.RemoveAll", phost::args(".")).code == 400);
  CHECK(stdfs::exists(dir.path()));
}

TEST_CASE("Exists, IsDir, IsFile and IsLink") {
  TempDir dir("fs");
  Fs fs(dir);
  plugin_test::write_file(dir / "f", "x");
  stdfs::create_directory(dir / "d");
  stdfs::create_symlink("f", dir / "l");
  stdfs::create_symlink("nothing", dir / "dangling");
  REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
  struct Row {
    const char* path;
    const char *exists, *is_dir, *is_file, *is_link;
  };
  const Row rows[] = {{"/f", "true", "false", "true", "false"},      {"/d", "true", "true", "false", "false"},
                      {"/l", "true", "false", "true", "true"},       {"/dangling", "false", "false", "false", "true"},
                      {"/nope", "false", "false", "false", "false"}, {"/f/x", "false", "false", "false", "false"},
                      {"/", "true", "true", "false", "false"},       {"/fifo", "true", "false", "true", "false"}};
  for (const Row& r : rows) {
    CAPTURE(r.path);
    CHECK(fs.json("fs.data.Exists", phost::args(r.path)) == r.exists);
    CHECK(fs.json("fs.data.IsDir", phost::args(r.path)) == r.is_dir);
    CHECK(fs.json("fs.data.IsFile", phost::args(r.path)) == r.is_file);
    CHECK(fs.json("fs.data.IsLink", phost::args(r.path)) == r.is_link);
  }
}

TEST_CASE("Size, Mode, Chmod and ModTime") {
  TempDir dir("fs");
  Fs fs(dir);
  plugin_test::write_file(dir / "f", "12345");
  stdfs::create_symlink("f", dir / "l");
  CHECK(fs.json("fs.data.Size", phost::args("/f")) == "5");
  CHECK(fs.json("fs.data.Size", phost::args("/l")) == "5");  // follows links, as os.Stat
  CHECK(fs.json("fs.data.Chmod", phost::args("/f", 0640)) == "null");
  CHECK(mode_of(dir / "f") == 0640);
  CHECK(fs.json("fs.data.Mode", phost::args("/f")) == std::to_string(0640));
  CHECK(fs.json("fs.data.Chmod", phost::args("/l", 0600)) == "null");  // the target's mode
  CHECK(mode_of(dir / "f") == 0600);
  CHECK(fs.json("fs.data.Chmod", phost::args("/f", 0)) == "null");  // unreadable files too
  CHECK(mode_of(dir / "f") == 0);
  CHECK(fs.json("fs.data.Chmod", phost::args("/f", 0644)) == "null");
  const auto missing_perm = fs.error("fs.data.Chmod", phost::args("/f"));
  CHECK(missing_perm.code == 400);
  CHECK(missing_perm.message == "fs.data.Chmod: argument 2 (perm) is missing");
  CHECK(fs.error("fs.data.Chmod", phost::args("/nope", 0644)).code == 404);
  const int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
  CHECK(std::abs(fs.host.call("fs.data.ModTime", phost::args("/f")).as_int() - now_s) < 60);
  CHECK(fs.error("fs.data.Size", phost::args("/nope")).code == 404);
  CHECK(fs.error("fs.data.Mode", phost::args("/nope")).code == 404);
  CHECK(fs.error("fs.data.ModTime", phost::args("/nope")).code == 404);
}

TEST_CASE("MimeType looks at the content") {
  TempDir dir("fs");
  Fs fs(dir);
  static constexpr char kPng[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\1\0\0\0\1\x08\x02\0\0\0";
  plugin_test::write_file(dir / "image.txt", std::string_view(kPng, sizeof kPng - 1));
  plugin_test::write_file(dir / "notes", "plain words\n");
  stdfs::create_directory(dir / "d");
  CHECK(fs.json("fs.data.MimeType", phost::args("/image.txt")) == "\"image/png\"");
  CHECK(fs.host.call("fs.data.MimeType", phost::args("/notes")).as_string().starts_with("text/plain; charset="));
  CHECK(fs.error("fs.data.MimeType", phost::args("/d")).code == 400);
  CHECK(fs.error("fs.data.MimeType", phost::args("/nope")).code == 404);
}

TEST_CASE("BaseName, DirName and ExtName are Go's filepath functions") {
  TempDir dir("fs");
  Fs fs(dir);
  struct Row {
    const char *path, *base, *dirname, *ext;
  };
  const Row rows[] = {{"/a/b/c.txt", "c.txt", "/a/b", "txt"}, {"a.tar.gz", "a.tar.gz", ".", "gz"},
                      {"/a/b/", "b", "/a/b", ""},             {"", ".", ".", ""},
                      {"/", "/", "/", ""},                    {"a/../b/.c", ".c", "b", "c"},
                      {"//x", "x", "/", ""},                  {"dir.d/file", "file", "dir.d", ""}};
  for (const Row& r : rows) {
    CAPTURE(r.path);
    CHECK(fs.host.call("fs.data.BaseName", phost::args(r.path)).as_string() == r.base);
    CHECK(fs.host.call("fs.data.DirName", phost::args(r.path)).as_string() == r.dirname);
    CHECK(fs.host.call("fs.data.ExtName", phost::args(r.path)).as_string() == r.ext);
  }
  CHECK(fs.error("fs.data.BaseName").message == "fs.data.BaseName: argument 1 (path) is missing");
}

TEST_CASE("Move and Copy create what they need, MoveAppend and MoveInsert merge files") {
  TempDir dir("fs");
  Fs fs(dir);
  plugin_test::write_file(dir / "a", "A");
  CHECK(fs.json("fs.data.Move", phost::args("/a", "/new/dir/a")) == "null");
  CHECK(plugin_test::read_file(dir / "new/dir/a") == "A");
  CHECK_FALSE(stdfs::exists(dir / "a"));
  CHECK(fs.error("fs.data.Move", phost::args("/nope", "/x")).code == 404);

  stdfs::create_directories(dir / "src/sub");
  plugin_test::write_file(dir / "src/one", "1");
  plugin_test::write_file(dir / "src/sub/two", "22");
  CHECK(fs.json("fs.data.Copy", phost::args("/src/one", "/copies/one")) == "null");
  CHECK(plugin_test::read_file(dir / "copies/one") == "1");
  CHECK(fs.json("fs.data.Copy", phost::args("/src", "/copies/src")) == "null");
  CHECK(plugin_test::read_file(dir / "copies/src/sub/two") == "22");
  CHECK(plugin_test::read_file(dir / "src/sub/two") == "22");
  plugin_test::write_file(dir / "src/sub/two", "changed");
  CHECK(fs.json("fs.data.Copy", phost::args("/src", "/copies/src")) == "null");  // merges, replacing files
  CHECK(plugin_test::read_file(dir / "copies/src/sub/two") == "changed");
  const auto into = fs.error("fs.data.Copy", phost::args("/src", "/src/sub/again"));
  CHECK(into.code == 400);
  CHECK(contains(into.message, "cannot be copied into itself"));
  stdfs::create_symlink("one", dir / "src/alias");
  CHECK(fs.error("fs.data.Copy", phost::args("/src/one", "/src/alias")).code == 400);  // the same file
  CHECK(plugin_test::read_file(dir / "src/one") == "1");
  CHECK(fs.error("fs.data.Copy", phost::args("/nope", "/x")).code == 404);

  plugin_test::write_file(dir / "part", "-tail");
  plugin_test::write_file(dir / "whole", "head");
  CHECK(fs.json("fs.data.MoveAppend", phost::args("/part", "/whole")) == "null");
  CHECK(plugin_test::read_file(dir / "whole") == "head-tail");
  CHECK_FALSE(stdfs::exists(dir / "part"));
  plugin_test::write_file(dir / "mid", "++");
  CHECK(fs.json("fs.data.MoveInsert", phost::args("/mid", "/whole", 4)) == "null");
  CHECK(plugin_test::read_file(dir / "whole") == "head++-tail");
  CHECK_FALSE(stdfs::exists(dir / "mid"));
  CHECK(fs.error("fs.data.MoveAppend", phost::args("/nope", "/whole")).code == 404);
  CHECK(fs.error("fs.data.MoveAppend", phost::args("/src", "/whole")).code == 400);  // not a file
  CHECK(fs.error("fs.data.MoveInsert", phost::args("/whole", "/x")).message ==
        "fs.data.MoveInsert: argument 3 (offset) is missing");
}

TEST_CASE("Zip packs a directory and Unzip unpacks it, with the files' paths") {
  TempDir dir("fs");
  Fs fs(dir);
  stdfs::create_directories(dir / "src/sub/deeper");
  plugin_test::write_file(dir / "src/a.txt", std::string(5000, 'a'));  // deflated
  std::string binary(3000, '\0');
  for (size_t i = 0; i < binary.size(); ++i) binary[i] = static_cast<char>((i * 7919) % 251);
  plugin_test::write_file(dir / "src/sub/b.bin", binary);
  plugin_test::write_file(dir / "src/sub/deeper/empty", "");
  stdfs::create_symlink("a.txt", dir / "src/alias.txt");  // a link to a file: its content
  stdfs::create_directory_symlink("sub", dir / "src/subdir-link");  // a link to a directory: skipped
  CHECK(fs.json("fs.data.Zip", phost::args("/src", "/out/src.zip")) == "null");
  const std::string archive = plugin_test::read_file(dir / "out/src.zip");
  CHECK(archive.starts_with("PK\x03\x04"));
  CHECK(archive.size() < 5000);  // the 5000 a's compressed
  CHECK(fs.json("fs.data.Unzip", phost::args("/out/src.zip", "/unpacked")) ==
        R"(["/unpacked/a.txt","/unpacked/alias.txt","/unpacked/sub/b.bin","/unpacked/sub/deeper/empty"])");
  CHECK(plugin_test::read_file(dir / "unpacked/a.txt") == std::string(5000, 'a'));
  CHECK(plugin_test::read_file(dir / "unpacked/alias.txt") == std::string(5000, 'a'));
  CHECK(plugin_test::read_file(dir / "unpacked/sub/b.bin") == binary);
  CHECK(stdfs::file_size(dir / "unpacked/sub/deeper/empty") == 0);
  // Another tool's archive (stored files, a directory entry) unpacks too, over existing files.
  plugin_test::write_file(dir / "other.zip", stored_zip({{"dir/", ""}, {"dir/x.txt", "x"}, {"a.txt", "new"}}));
  CHECK(fs.json("fs.data.Unzip", phost::args("/other.zip", "/unpacked")) == R"(["/unpacked/dir/x.txt","/unpacked/a.txt"])");
  CHECK(plugin_test::read_file(dir / "unpacked/a.txt") == "new");

  const auto not_zip = fs.error("fs.data.Unzip", phost::args("/src/a.txt", "/x"));
  CHECK(not_zip.code == 400);
  CHECK(not_zip.message == "fs.data.Unzip: '/src/a.txt' is not a .zip file");
  plugin_test::write_file(dir / "broken.zip", "PK\x03\x04 and then nothing");
  const auto broken = fs.error("fs.data.Unzip", phost::args("/broken.zip", "/x"));
  CHECK(broken.code == 400);
  CHECK(contains(broken.message, "is not a zip archive we can read"));
  std::string corrupt = plugin_test::read_file(dir / "other.zip");
  corrupt[corrupt.find("new")] = 'N';  // the CRC no longer matches
  plugin_test::write_file(dir / "corrupt.zip", corrupt);
  CHECK(contains(fs.error("fs.data.Unzip", phost::args("/corrupt.zip", "/y")).message, "fails its CRC check"));
  CHECK(fs.error("fs.data.Unzip", phost::args("/nope.zip", "/x")).code == 404);
  CHECK(fs.error("fs.data.Zip", phost::args("/src/a.txt", "/x.zip")).code == 400);  // not a directory
  CHECK(fs.error("fs.data.Zip", phost::args("/nope", "/x.zip")).code == 404);
  CHECK(fs.error("fs.data.Zip", phost::args("/src")).message == "fs.data.Zip: argument 2 (target) is missing");
}

TEST_CASE("Unzip refuses entries that climb out of the target (zip-slip) and archives over the limits") {
  TempDir dir("fs");
  Fs fs(dir, R"(, "max_read_bytes": 1000)");
  for (const char* name : {"../escape.txt", "a/../../escape.txt", "/../escape.txt"}) {
    CAPTURE(name);
    plugin_test::write_file(dir / "slip.zip", stored_zip({{"fine.txt", "ok"}, {name, "evil"}}));
    const auto e = fs.error("fs.data.Unzip", phost::args("/slip.zip", "/target"));
    CHECK(e.code == 400);
    CHECK(contains(e.message, "escapes the root ('..' above it)"));
    CHECK_FALSE(stdfs::exists(dir / "escape.txt"));
  }
  // An absolute name is inside the target, as the gou form of paths.
  plugin_test::write_file(dir / "abs.zip", stored_zip({{"/etc/passwd", "not really"}}));
  CHECK(fs.json("fs.data.Unzip", phost::args("/abs.zip", "/target")) == R"(["/target/etc/passwd"])");
  plugin_test::write_file(dir / "big.zip", stored_zip({{"big", std::string(990, 'b')}}));
  CHECK(fs.error("fs.data.Unzip", phost::args("/big.zip", "/t2")).code == 413);  // the archive itself is over 1000
  // A small archive that says it unpacks to more (a zip bomb's shape) is refused before unpacking.
  std::string bomb = stored_zip({{"x", "abc"}});
  const size_t central = bomb.find("PK\x01\x02");
  REQUIRE(central != std::string::npos);
  bomb[central + 24] = '\x88', bomb[central + 25] = '\x13';  // 5000 bytes
  plugin_test::write_file(dir / "bomb.zip", bomb);
  const auto b = fs.error("fs.data.Unzip", phost::args("/bomb.zip", "/t4"));
  CHECK(b.code == 413);
  CHECK(contains(b.message, "holds 'x' of 5000 bytes, over max_read_bytes"));
  plugin_test::write_file(dir / "many.zip", stored_zip({{"1", std::string(400, '1')}, {"2", std::string(400, '2')}}));
  CHECK(fs.json("fs.data.Unzip", phost::args("/many.zip", "/t3")) == R"(["/t3/1","/t3/2"])");
}

}  // TEST_SUITE
