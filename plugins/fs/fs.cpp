// fs: file access sandboxed to configured roots, written only against sdk/ as
// a third party would. One group process, "fs": fs.<root>.<Method>(args...).
//
// Config: {"roots": {"data": "/srv/data", "tmp": "/tmp/x"}, "max_read_bytes": 67108864}
// Methods and errors: plugins/fs/README.md.
//
// The sandbox. A path is relative to its root and is first normalised
// lexically: absolute paths, NUL bytes and any ".." that climbs above the root
// are refused (400). Then every symbolic link on the way is resolved the way
// the kernel would (resolve_physical), and the result must still lie inside
// the canonical root (400 otherwise). This is std::filesystem::weakly_canonical
// plus one thing it does not do: follow *dangling* links (weakly_canonical
// stops at the first component that does not exist, yet open(O_CREAT) follows
// a dangling link and would create its target outside the root). The
// operation then runs on the resolved, link-free path, and opens use
// O_NOFOLLOW so a link swapped in for the last component is refused rather
// than followed. Operations on an entry itself (Remove, RemoveAll, Move) do not
// follow a link in the last component: they act on the link, never its target.
// Not covered: a process that races us by swapping directories for links
// inside a root between the check and the operation (openat2 with
// RESOLVE_BENEATH would close that; roots are expected to be written only
// through phost or by trusted parties).
#include <phost/plugin.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace {

namespace stdfs = std::filesystem;

constexpr int64_t kDefaultMaxReadBytes = int64_t{64} << 20;
constexpr int kMaxSymlinkHops = 40;  // as Linux's MAXSYMLINKS

struct Config {
  std::map<std::string, stdfs::path, std::less<>> roots;  // lower-case name -> canonical directory
  int64_t max_read_bytes = kDefaultMaxReadBytes;
};

phost_status status_of(int32_t code) {
  switch (code) {
    case 400: return PHOST_E_INVALID_ARG;
    case 404: return PHOST_E_NOT_FOUND;
    case 413: return PHOST_E_LIMIT;
    default: return PHOST_E_PROCESS;
  }
}

[[noreturn]] void fail(int32_t code, const std::string& message) {
  throw phost::Error(code, message, status_of(code));
}

// A path as shown in messages: control bytes (NUL among them) as '?', long ones cut.
std::string shown(std::string_view path) {
  std::string out(path.substr(0, 200));
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '?';
  if (path.size() > 200) out += "...";
  return "'" + out + "'";
}

// An errno as an HTTP-like code.
int32_t code_of_errno(int err) {
  switch (err) {
    case ENOENT:
    case ENOTDIR: return 404;
    case EACCES:
    case EPERM:
    case EROFS: return 403;
    case EEXIST:
    case ENOTEMPTY: return 409;
    case EISDIR:
    case ELOOP:
    case ENAMETOOLONG:
    case EINVAL:
    case ENXIO:
    case EXDEV: return 400;
    case EFBIG: return 413;
    case ENOSPC:
    case EDQUOT:
    case ENOMEM: return 507;
    default: return 500;
  }
}

// One call: where it is ("fs.data.ReadFile") and its root, for paths and messages.
struct Scope {
  std::string where;
  const stdfs::path* root;
  const Config* config;

  [[noreturn]] void fail_path(int32_t code, std::string_view path, const std::string& why) const {
    fail(code, where + ": " + shown(path) + " " + why);
  }
  [[noreturn]] void fail_errno(std::string_view path, int err, std::string_view what = {}) const {
    std::string why;
    switch (err) {
      case ENOENT: why = "not found"; break;
      case ENOTDIR: why = "not found (a parent is not a directory)"; break;
      case ENOTEMPTY:
      case EEXIST: why = what == "remove" ? "is a directory that is not empty (use RemoveAll)" : "already exists"; break;
      case EISDIR: why = "is a directory"; break;
      case ELOOP: why = "is a symbolic link that changed during the call, or a link loop"; break;
      case ENXIO: why = "is not a regular file"; break;
      default: why = std::strerror(err);
    }
    fail_path(code_of_errno(err), path, why);
  }
};

// "a/./b//c/../d" -> {a, b, d}; refuses what cannot be a path inside a root.
std::vector<std::string> split_relative(const Scope& s, std::string_view path) {
  if (path.find('\0') != std::string_view::npos) s.fail_path(400, path, "contains a NUL byte");
  if (!path.empty() && path.front() == '/')
    s.fail_path(400, path, "is absolute; paths are relative to the root");
  std::vector<std::string> parts;
  for (size_t begin = 0; begin <= path.size();) {
    size_t end = path.find('/', begin);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view segment = path.substr(begin, end - begin);
    if (segment == "..") {
      if (parts.empty()) s.fail_path(400, path, "escapes the root ('..' above it)");
      parts.pop_back();
    } else if (!segment.empty() && segment != ".") {
      parts.emplace_back(segment);
    }
    begin = end + 1;
  }
  return parts;
}

bool within(const stdfs::path& root, const stdfs::path& p) {
  return std::mismatch(root.begin(), root.end(), p.begin(), p.end()).first == root.end();
}

// base/parts with every symbolic link resolved, dangling ones included; base
// must be absolute and free of links. With follow_last false a link in the
// last component stays unresolved. Components that do not exist are kept as
// they are (a path to be created). Empty optional-like result: too many links.
bool resolve_physical(const stdfs::path& base, const std::vector<std::string>& parts, bool follow_last,
                      stdfs::path& out) {
  std::deque<std::string> pending(parts.begin(), parts.end());
  stdfs::path current = base;
  int hops = 0;
  while (!pending.empty()) {
    std::string segment = std::move(pending.front());
    pending.pop_front();
    if (segment.empty() || segment == ".") continue;
    if (segment == "..") {  // current is link-free, so its lexical parent is its real parent
      current = current.parent_path();
      continue;
    }
    stdfs::path next = current / segment;
    if (follow_last || !pending.empty()) {
      std::error_code ec;
      const stdfs::file_status st = stdfs::symlink_status(next, ec);
      if (st.type() == stdfs::file_type::symlink) {
        if (++hops > kMaxSymlinkHops) return false;
        const stdfs::path target = stdfs::read_symlink(next, ec);
        if (ec) return false;
        std::vector<std::string> target_parts;
        for (const stdfs::path& p : target.relative_path()) target_parts.push_back(p.string());
        pending.insert(pending.begin(), target_parts.begin(), target_parts.end());
        if (target.is_absolute()) current = target.root_path();
        continue;
      }
    }
    current = std::move(next);
  }
  out = std::move(current);
  return true;
}

struct Target {
  stdfs::path real;   // link-free (but see follow_last) absolute path inside the root
  bool is_root = false;
};

Target resolve(const Scope& s, std::string_view path, bool follow_last) {
  const std::vector<std::string> parts = split_relative(s, path);
  Target t;
  t.is_root = parts.empty();
  if (!resolve_physical(*s.root, parts, follow_last, t.real))
    s.fail_path(400, path, "has too many symbolic links (or a link loop)");
  if (!within(*s.root, t.real)) s.fail_path(400, path, "resolves outside the root through a symbolic link");
  return t;
}

std::string path_arg(const phost::Call& call, size_t i, const char* what = "path") {
  const phost::View v = call.args()[i];
  if (!v) fail(400, phost::argument_name(i) + " (" + what + ") is missing");
  if (v.kind() != PHOST_STRING) fail(400, phost::argument_name(i) + " (" + what + ") must be a string");
  return std::string(v.as_string());
}

// Data to write: text, or with allow_bytes also bytes.
std::string_view data_arg(const Scope& s, const phost::Call& call, size_t i, bool allow_bytes) {
  const phost::View v = call.args()[i];
  if (!v) fail(400, s.where + ": " + phost::argument_name(i) + " (data) is missing");
  const phost_kind k = v.kind();
  if (k == PHOST_STRING || (allow_bytes && k == PHOST_BYTES)) return v.as_string();
  fail(400, s.where + ": " + phost::argument_name(i) +
                (allow_bytes ? " must be a string or bytes" : " must be a string (use WriteFileBytes for bytes)"));
}

class Fd {
public:
  explicit Fd(int fd) noexcept : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const noexcept { return fd_; }

private:
  int fd_;
};

std::string read_file(const Scope& s, std::string_view path) {
  const Target t = resolve(s, path, true);
  // O_NONBLOCK: opening a FIFO must not hang the call; it is refused below.
  Fd fd(::open(t.real.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (fd.get() < 0) s.fail_errno(path, errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) s.fail_errno(path, errno);
  if (S_ISDIR(st.st_mode)) s.fail_path(400, path, "is a directory");
  if (!S_ISREG(st.st_mode)) s.fail_path(400, path, "is not a regular file");
  const int64_t limit = s.config->max_read_bytes;
  auto too_big = [&] {
    s.fail_path(413, path, "is larger than max_read_bytes (" + std::to_string(limit) + ")");
  };
  if (st.st_size > limit) too_big();
  std::string data;
  data.resize(static_cast<size_t>(st.st_size) + 1);  // one byte more: notices a file that grew
  size_t used = 0;
  for (;;) {
    if (used == data.size()) {
      if (static_cast<int64_t>(used) > limit) too_big();
      data.resize(std::min<size_t>(data.size() * 2 + 4096, static_cast<size_t>(limit) + 1));
    }
    const ssize_t n = ::read(fd.get(), data.data() + used, data.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      s.fail_errno(path, errno);
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  if (static_cast<int64_t>(used) > limit) too_big();
  data.resize(used);
  return data;
}

int64_t write_file(const Scope& s, std::string_view path, std::string_view data, bool append) {
  const Target t = resolve(s, path, true);
  if (t.is_root) s.fail_path(400, path, "is the root directory");
  const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | (append ? O_APPEND : 0);
  Fd fd(::open(t.real.c_str(), flags, 0666));
  if (fd.get() < 0) {
    const int err = errno;
    if (err == ENOENT) s.fail_path(404, path, "cannot be written: its directory does not exist (Mkdir it first)");
    s.fail_errno(path, err);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) s.fail_errno(path, errno);
  if (!S_ISREG(st.st_mode)) s.fail_path(400, path, "is not a regular file");
  if (!append && ::ftruncate(fd.get(), 0) != 0) s.fail_errno(path, errno);
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd.get(), data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      s.fail_errno(path, errno);
    }
    done += static_cast<size_t>(n);
  }
  return static_cast<int64_t>(done);
}

// Kind and size of a directory entry, following a link only while it stays inside the root.
void describe_entry(const Scope& s, const stdfs::path& dir, const std::string& name, bool& is_dir, int64_t& size) {
  is_dir = false;
  size = 0;
  stdfs::path real;
  if (!resolve_physical(dir, {name}, true, real) || !within(*s.root, real)) return;
  struct stat st {};
  if (::stat(real.c_str(), &st) != 0) return;  // dangling link, or gone meanwhile
  is_dir = S_ISDIR(st.st_mode);
  if (S_ISREG(st.st_mode)) size = st.st_size;
}

phost::Value list(const Scope& s, std::string_view path) {
  const Target t = resolve(s, path, true);
  struct stat st {};
  if (::stat(t.real.c_str(), &st) != 0) s.fail_errno(path, errno);
  if (!S_ISDIR(st.st_mode)) s.fail_path(400, path, "is not a directory");
  std::error_code ec;
  std::vector<std::string> names;
  for (stdfs::directory_iterator it(t.real, ec), end; !ec && it != end; it.increment(ec))
    names.push_back(it->path().filename().string());
  if (ec) s.fail_errno(path, ec.value());
  std::sort(names.begin(), names.end());
  phost::Value out = phost::Value::array(names.size());
  for (const std::string& name : names) {
    bool is_dir = false;
    int64_t size = 0;
    describe_entry(s, t.real, name, is_dir, size);
    phost::Value entry = phost::Value::object(3);
    // Names are bytes on Linux; one that is not UTF-8 cannot be a string value.
    try {
      entry.set("name", phost::Value::string(name));
    } catch (const phost::Error&) {
      fail(500, s.where + ": " + shown(path) + " holds an entry whose name is not valid UTF-8: " + shown(name));
    }
    entry.set("dir", phost::Value::boolean(is_dir));
    entry.set("size", phost::Value::integer(size));
    out.push(std::move(entry));
  }
  return out;
}

phost::Value stat_path(const Scope& s, std::string_view path) {
  const Target t = resolve(s, path, true);
  struct stat st {};
  if (::stat(t.real.c_str(), &st) != 0) s.fail_errno(path, errno);
  const bool is_dir = S_ISDIR(st.st_mode);
  const bool is_file = S_ISREG(st.st_mode);
  const int64_t mtime_ms = int64_t{st.st_mtim.tv_sec} * 1000 + st.st_mtim.tv_nsec / 1000000;
  phost::Value out = phost::Value::object(4);
  out.set("size", phost::Value::integer(is_file ? st.st_size : 0));
  out.set("dir", phost::Value::boolean(is_dir));
  out.set("file", phost::Value::boolean(is_file));
  out.set("mtime", phost::Value::integer(mtime_ms));
  return out;
}

bool exists(const Scope& s, std::string_view path) {
  const Target t = resolve(s, path, true);
  struct stat st {};
  if (::stat(t.real.c_str(), &st) == 0) return true;
  if (errno == ENOENT || errno == ENOTDIR) return false;
  s.fail_errno(path, errno);
}

bool make_dirs(const Scope& s, std::string_view path) {
  const Target t = resolve(s, path, true);
  std::error_code ec;
  const bool created = stdfs::create_directories(t.real, ec);
  if (ec) {
    if (ec.value() == EEXIST || ec.value() == ENOTDIR || ec == std::errc::file_exists)
      s.fail_path(409, path, "cannot be created: it or one of its parents exists and is not a directory");
    s.fail_errno(path, ec.value());
  }
  return created;
}

void remove_one(const Scope& s, std::string_view path) {
  const Target t = resolve(s, path, false);
  if (t.is_root) s.fail_path(400, path, "is the root directory, which cannot be removed");
  std::error_code ec;
  if (!stdfs::remove(t.real, ec)) {
    if (!ec) s.fail_path(404, path, "not found");
    s.fail_errno(path, ec.value(), "remove");
  }
}

int64_t remove_all(const Scope& s, std::string_view path) {
  const Target t = resolve(s, path, false);
  if (t.is_root) s.fail_path(400, path, "is the root directory, which cannot be removed");
  std::error_code ec;
  const std::uintmax_t n = stdfs::remove_all(t.real, ec);
  if (ec) s.fail_errno(path, ec.value());
  return static_cast<int64_t>(n);
}

void move(const Scope& s, std::string_view from, std::string_view to) {
  const Target a = resolve(s, from, false);
  const Target b = resolve(s, to, false);
  if (a.is_root) s.fail_path(400, from, "is the root directory, which cannot be moved");
  if (b.is_root) s.fail_path(400, to, "is the root directory, which cannot be replaced");
  struct stat st {};
  if (::lstat(a.real.c_str(), &st) != 0) s.fail_errno(from, errno);
  if (::rename(a.real.c_str(), b.real.c_str()) != 0) {
    const int err = errno;
    if (err == ENOENT) s.fail_path(404, to, "cannot be created: its directory does not exist");
    if (err == EINVAL) s.fail_path(400, from, "cannot be moved into itself");
    if (err == EEXIST || err == ENOTEMPTY) s.fail_path(409, to, "is a directory that is not empty");
    if (err == EISDIR || err == ENOTDIR) s.fail_path(409, to, "exists and is of another kind (file vs directory)");
    s.fail_errno(to, err);
  }
}

phost::Value dispatch(const Config& config, phost::Call& call) {
  const phost_call_info info = call.info();
  const std::string id(phost::to_view(info.id));
  const std::string method(phost::to_view(info.method));
  if (id.empty()) fail(404, "fs: call fs.<root>.<Method>, e.g. fs.data.ReadFile");
  const auto root = config.roots.find(id);
  if (root == config.roots.end()) fail(404, "no fs root '" + id + "'");
  const Scope s{"fs." + id + "." + method, &root->second, &config};

  if (method == "ReadFile") {
    const std::string path = path_arg(call, 0);
    std::string data = read_file(s, path);
    try {
      return phost::Value::string(data);
    } catch (const phost::Error&) {
      s.fail_path(400, path, "is not valid UTF-8 text (use ReadFileBytes)");
    }
  }
  if (method == "ReadFileBytes") return phost::Value::bytes(read_file(s, path_arg(call, 0)));
  if (method == "WriteFile")
    return phost::Value::integer(write_file(s, path_arg(call, 0), data_arg(s, call, 1, false), false));
  if (method == "WriteFileBytes")
    return phost::Value::integer(write_file(s, path_arg(call, 0), data_arg(s, call, 1, true), false));
  if (method == "AppendFile")
    return phost::Value::integer(write_file(s, path_arg(call, 0), data_arg(s, call, 1, true), true));
  if (method == "List") return list(s, call.arg_count() > 0 ? path_arg(call, 0) : std::string());
  if (method == "Stat") return stat_path(s, path_arg(call, 0));
  if (method == "Exists") return phost::Value::boolean(exists(s, path_arg(call, 0)));
  if (method == "Mkdir") return phost::Value::boolean(make_dirs(s, path_arg(call, 0)));
  if (method == "Remove") {
    remove_one(s, path_arg(call, 0));
    return phost::Value::boolean(true);
  }
  if (method == "RemoveAll") return phost::Value::integer(remove_all(s, path_arg(call, 0)));
  if (method == "Move") {
    move(s, path_arg(call, 0, "from"), path_arg(call, 1, "to"));
    return phost::Value::boolean(true);
  }
  fail(404, "fs has no method '" + method +
                "' (ReadFile, ReadFileBytes, WriteFile, WriteFileBytes, AppendFile, List, Stat, Exists, Mkdir, "
                "Remove, RemoveAll, Move)");
}

bool valid_root_name(std::string_view name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '$';
  });
}

std::unique_ptr<Config> read_config(phost::View config) {
  auto out = std::make_unique<Config>();
  auto bad = [](const std::string& why) -> void { throw phost::Error(400, "fs: config: " + why, PHOST_E_INVALID_ARG); };
  if (config.kind() != PHOST_OBJECT) bad("missing; give {\"roots\": {\"data\": \"/srv/data\"}}");
  const phost::View roots = config["roots"];
  if (roots.kind() != PHOST_OBJECT || roots.size() == 0)
    bad("\"roots\" must be an object of at least one root, e.g. {\"roots\": {\"data\": \"/srv/data\"}}");
  for (size_t i = 0; i < roots.size(); ++i) {
    std::string name(roots.key_at(i));
    for (char& c : name)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');  // ids arrive lower-cased
    if (!valid_root_name(name))
      bad("root name '" + std::string(roots.key_at(i)) + "' must be letters, digits, '_', '-' or '$'");
    if (roots[i].kind() != PHOST_STRING) bad("root '" + name + "' must be a directory path (a string)");
    const std::string dir(roots[i].as_string());
    std::error_code ec;
    stdfs::path canonical = stdfs::canonical(dir, ec);
    if (ec) bad("root '" + name + "': '" + dir + "': " + ec.message());
    if (!stdfs::is_directory(canonical, ec)) bad("root '" + name + "': '" + dir + "' is not a directory");
    if (!out->roots.emplace(name, std::move(canonical)).second)
      bad("root '" + name + "' is given twice (names are case-insensitive)");
  }
  const phost::View max = config["max_read_bytes"];
  if (max) {
    if (max.kind() != PHOST_INT || max.as_int() <= 0) bad("\"max_read_bytes\" must be a positive integer");
    out->max_read_bytes = max.as_int();
  }
  return out;
}

void init(phost::Plugin& plugin, phost_plugin_info& info) {
  std::unique_ptr<Config> config = read_config(plugin.config({"roots", "max_read_bytes"}));
  const Config* c = config.get();
  for (const auto& [name, dir] : c->roots) plugin.log(PHOST_LOG_DEBUG, "root '" + name + "' -> " + dir.string());
  info.plugin_data = config.release();
  info.on_unload = [](void* data) { delete static_cast<Config*>(data); };
  plugin.add("fs",
             "Files under configured roots: fs.<root>.ReadFile(path), ReadFileBytes, WriteFile(path, text), "
             "WriteFileBytes, AppendFile, List, Stat, Exists, Mkdir, Remove, RemoveAll, Move(from, to)",
             [c](phost::Call& call) { return dispatch(*c, call); }, PHOST_PROCESS_GROUP);
}

}  // namespace

PHOST_DECLARE_PLUGIN("fs", "1.0.0", init)
