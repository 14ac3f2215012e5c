#include "methods.hpp"

#include "base64.hpp"
#include "gopath.hpp"
#include "mime.hpp"
#include "zip.hpp"

#include <dirent.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <random>
#include <string_view>
#include <utility>
#include <vector>

namespace fsplugin {

namespace {

// gou creates files with os.ModePerm (0777, so every file executable before the umask); phost's
// default is 0666 and a perm argument still gives the bits gou would.
constexpr mode_t kDefaultFilePerm = 0666;
constexpr mode_t kDefaultDirPerm = 0777;  // gou's os.ModePerm
constexpr int kMaxDepth = 256;            // Copy, ReadDir and RemoveAll recursion (link loops, stack)
constexpr size_t kMaxGlobSegment = 4096;  // fnmatch's time grows with the pattern, for every entry
constexpr size_t kChunk = size_t{1} << 20;

// One call: its scope, root, configuration and arguments.
struct Ctx {
  Scope s;
  const Root& root;
  const Config& config;
  const phost::Call& call;

  phost::View arg(size_t i) const { return call.args()[i]; }
  bool has(size_t i) const { return arg(i) && !arg(i).is_null(); }

  [[noreturn]] void bad_arg(size_t i, const char* what, const std::string& why) const {
    s.fail(400, phost::argument_name(i) + " (" + what + ") " + why);
  }

  std::string string_arg(size_t i, const char* what) const {
    const phost::View v = arg(i);
    if (!v) bad_arg(i, what, "is missing");
    if (v.kind() != PHOST_STRING) bad_arg(i, what, "must be a string");
    return std::string(v.as_string());
  }
  std::string optional_string_arg(size_t i, const char* what) const {
    return has(i) ? string_arg(i, what) : std::string();
  }
  RelPath path_arg(size_t i, const char* what = "path") const { return parse_path(s, string_arg(i, what)); }

  // Data to write: text; with bytes_ok also bytes; with b64 base64 text, decoded.
  enum class Data { text, text_or_bytes, base64 };
  std::string data_arg(size_t i, Data kind, std::string_view method) const {
    const phost::View v = arg(i);
    if (!v) bad_arg(i, "data", "is missing");
    const phost_kind k = v.kind();
    if (kind == Data::text_or_bytes && (k == PHOST_STRING || k == PHOST_BYTES)) return std::string(v.as_string());
    if (k != PHOST_STRING) {
      if (kind == Data::text_or_bytes) bad_arg(i, "data", "must be a string or bytes");
      bad_arg(i, "data",
              kind == Data::base64 ? "must be a base64 string"
                                   : "must be a string (use " + std::string(method) + "Buffer for bytes)");
    }
    if (kind == Data::text) return std::string(v.as_string());
    std::optional<std::string> decoded = base64::decode(v.as_string());
    if (!decoded) bad_arg(i, "data", "is not valid base64");
    return std::move(*decoded);
  }

  int64_t int_arg(size_t i, const char* what) const {
    const phost::View v = arg(i);
    if (!v) bad_arg(i, what, "is missing");
    if (v.kind() != PHOST_INT || v.as_int() < 0) bad_arg(i, what, "must be a non-negative integer");
    return v.as_int();
  }
  mode_t perm_arg(size_t i, mode_t fallback) const {
    if (!has(i)) return fallback;
    const phost::View v = arg(i);
    if (v.kind() != PHOST_INT || v.as_int() < 0 || v.as_int() > 07777)
      bad_arg(i, "perm", "must be an integer from 0 to 0o7777 (4095)");
    return static_cast<mode_t>(v.as_int());
  }
  bool bool_arg(size_t i, const char* what) const {
    if (!has(i)) return false;
    if (arg(i).kind() != PHOST_BOOL) bad_arg(i, what, "must be true or false");
    return arg(i).as_bool();
  }

  [[noreturn]] void fail_open(const RelPath& p, int err) const { s.fail_errno(p.text, err); }
  Fd open(const RelPath& p, int flags, mode_t mode = 0) const {
    Root::Opened o = root.open(p, flags, mode);
    if (!o.fd.ok()) fail_open(p, o.err);
    return std::move(o.fd);
  }
  struct stat fstat(int fd, const RelPath& p) const {
    struct stat st {};
    if (::fstat(fd, &st) != 0) s.fail_errno(p.text, errno);
    return st;
  }
  void not_root(const RelPath& p, const char* why = "is the root directory") const {
    if (p.is_root()) s.fail_path(400, p.text, why);
  }
  // Ends the call with 408 or 499 once its deadline passed or it was
  // cancelled (the host may be unloading): checked in every loop whose length
  // the file system decides (a tree to copy, a directory of millions).
  void check_running() const {
    if (!call.cancelled()) return;
    const int64_t deadline = call.info().deadline_ns;
    if (deadline && phost::api().clock_ns() >= deadline) s.fail(408, "the call's deadline passed");
    s.fail(499, "the call was cancelled");
  }
};

phost::Value string_value(const Ctx& c, const std::string& text) {
  try {
    return phost::Value::string(text);
  } catch (const phost::Error&) {  // Linux names are bytes; a string value must be UTF-8
    c.s.fail(500, shown(text) + " is not valid UTF-8 and cannot be a string");
  }
}

phost::Value strings_value(const Ctx& c, const std::vector<std::string>& items) {
  phost::Value out = phost::Value::array(items.size());
  for (const std::string& item : items) out.push(string_value(c, item));
  return out;
}

// ---- file contents ----------------------------------------------------------

void write_all(const Ctx& c, const RelPath& p, int fd, std::string_view data, off_t at = -1) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = at < 0 ? ::write(fd, data.data() + done, data.size() - done)
                             : ::pwrite(fd, data.data() + done, data.size() - done, at + static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      c.s.fail_errno(p.text, errno);
    }
    done += static_cast<size_t>(n);
  }
}

void pread_all(const Ctx& c, const RelPath& p, int fd, char* out, size_t size, off_t at) {
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::pread(fd, out + done, size - done, at + static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) c.s.fail_errno(p.text, errno);
    if (n == 0) c.s.fail_path(500, p.text, "shrank during the call");
    done += static_cast<size_t>(n);
  }
}

void require_regular(const Ctx& c, const RelPath& p, const struct stat& st) {
  if (S_ISDIR(st.st_mode)) c.s.fail_path(400, p.text, "is a directory");
  if (!S_ISREG(st.st_mode)) c.s.fail_path(400, p.text, "is not a regular file");
}

std::string read_file(const Ctx& c, const RelPath& p) {
  // O_NONBLOCK: opening a FIFO must not hang the call; it is refused below.
  Fd fd = c.open(p, O_RDONLY | O_NONBLOCK);
  const struct stat st = c.fstat(fd.get(), p);
  require_regular(c, p, st);
  const int64_t limit = c.config.max_read_bytes;
  auto too_big = [&] { c.s.fail_path(413, p.text, "is larger than max_read_bytes (" + std::to_string(limit) + ")"); };
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
      c.s.fail_errno(p.text, errno);
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  if (static_cast<int64_t>(used) > limit) too_big();
  data.resize(used);
  return data;
}

// ---- directories ------------------------------------------------------------

struct Entry {
  std::string name;
  bool dir;  // the entry itself, not what a link points to
};

// The entries of the directory fd, sorted by name (as Go's os.ReadDir).
std::vector<Entry> list_dir(const Ctx& c, int fd, const RelPath& p) {
  Fd reading(::openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));  // fd may be O_PATH
  if (!reading.ok()) c.s.fail_errno(p.text, errno);
  const std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(reading.get()), ::closedir);
  if (!dir) c.s.fail_errno(p.text, errno);
  reading.release();
  std::vector<Entry> out;
  for (;;) {
    errno = 0;
    const dirent* e = ::readdir(dir.get());
    if (!e) {
      if (errno != 0) c.s.fail_errno(p.text, errno);
      break;
    }
    if ((out.size() & 63) == 0) c.check_running();
    const std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    bool is_dir = e->d_type == DT_DIR;
    if (e->d_type == DT_UNKNOWN) {
      struct stat st {};
      is_dir = ::fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
    }
    out.push_back({std::string(name), is_dir});
  }
  std::sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) { return a.name < b.name; });
  return out;
}

Fd open_dir(const Ctx& c, const RelPath& p) {
  Fd fd = c.open(p, O_RDONLY | O_NONBLOCK);
  if (!S_ISDIR(c.fstat(fd.get(), p).st_mode)) c.s.fail_path(400, p.text, "is not a directory");
  return fd;
}

// Creates p and its missing parents (gou's MkdirAll); nothing when p is a directory already.
void mkdir_all(const Ctx& c, const RelPath& p, mode_t perm) {
  // Nothing deeper than Copy, ReadDir and RemoveAll go: a tree they could
  // not walk would stay for good.
  if (p.parts.size() > static_cast<size_t>(kMaxDepth))
    c.s.fail_path(400, p.text, "is nested too deeply (more than " + std::to_string(kMaxDepth) + " levels)");
  Fd held;
  int dir = c.root.fd();
  for (size_t n = 1; n <= p.parts.size(); ++n) {
    const RelPath prefix = p.prefix(n);
    Root::Opened o = c.root.open(prefix, O_PATH | O_DIRECTORY);
    if (!o.fd.ok() && o.err == ENOENT) {
      if (::mkdirat(dir, p.parts[n - 1].c_str(), perm) != 0 && errno != EEXIST) c.s.fail_errno(p.text, errno);
      o = c.root.open(prefix, O_PATH | O_DIRECTORY);
      if (!o.fd.ok() && o.err == ENOENT)
        c.s.fail_path(409, p.text, "cannot be created: " + shown(prefix.text) + " is a dangling symbolic link");
    }
    if (!o.fd.ok()) {
      if (o.err == ENOTDIR)
        c.s.fail_path(409, p.text, "cannot be created: it or one of its parents exists and is not a directory");
      c.fail_open(p, o.err);
    }
    held = std::move(o.fd);
    dir = held.get();
  }
}

// gou creates the directories a write, move or copy needs.
void ensure_parent(const Ctx& c, const RelPath& p) {
  if (p.parts.size() > 1) mkdir_all(c, p.parent(), kDefaultDirPerm);
}

Fd open_parent(const Ctx& c, const RelPath& p) {
  Root::Opened o = c.root.parent(p);
  if (!o.fd.ok()) c.fail_open(p, o.err);
  return std::move(o.fd);
}

// ---- writes -------------------------------------------------------------------

int64_t write_file(const Ctx& c, const RelPath& p, std::string_view data, mode_t perm, bool append) {
  c.not_root(p);
  ensure_parent(c, p);
  Fd fd = c.open(p, O_WRONLY | O_CREAT | O_NONBLOCK | (append ? O_APPEND : 0), perm);
  require_regular(c, p, c.fstat(fd.get(), p));
  if (!append && ::ftruncate(fd.get(), 0) != 0) c.s.fail_errno(p.text, errno);
  write_all(c, p, fd.get(), data);
  return static_cast<int64_t>(data.size());
}

// Inserts data at offset (the end when the file is shorter), in place: the tail moves right a
// chunk at a time from the back, so memory stays bounded. A missing file is created, as gou does.
int64_t insert_file(const Ctx& c, const RelPath& p, int64_t offset, std::string_view data, mode_t perm) {
  c.not_root(p);
  Root::Opened o = c.root.open(p, O_RDWR | O_NONBLOCK);
  if (!o.fd.ok() && o.err == ENOENT) return write_file(c, p, data, perm, false);
  if (!o.fd.ok()) c.fail_open(p, o.err);
  const int fd = o.fd.get();
  const struct stat st = c.fstat(fd, p);
  require_regular(c, p, st);
  const off_t at = std::min<off_t>(static_cast<off_t>(offset), st.st_size);
  std::string buffer(std::min<size_t>(kChunk, static_cast<size_t>(st.st_size - at)), '\0');
  for (off_t end = st.st_size; end > at;) {
    c.check_running();
    const size_t chunk = std::min<size_t>(buffer.size(), static_cast<size_t>(end - at));
    const off_t start = end - static_cast<off_t>(chunk);
    pread_all(c, p, fd, buffer.data(), chunk, start);
    write_all(c, p, fd, std::string_view(buffer.data(), chunk), start + static_cast<off_t>(data.size()));
    end = start;
  }
  write_all(c, p, fd, data, at);
  return static_cast<int64_t>(data.size());
}

// gou's Remove: a file, link or empty directory; a missing one is no error.
void remove_one(const Ctx& c, const RelPath& p) {
  c.not_root(p, "is the root directory, which cannot be removed");
  Root::Opened dir = c.root.parent(p);
  if (!dir.fd.ok()) {
    if (dir.err == ENOENT || dir.err == ENOTDIR) return;
    c.fail_open(p, dir.err);
  }
  const char* name = p.parts.back().c_str();
  if (::unlinkat(dir.fd.get(), name, 0) == 0) return;
  int err = errno;
  if (err == EISDIR) {
    if (::unlinkat(dir.fd.get(), name, AT_REMOVEDIR) == 0) return;
    err = errno;
  }
  if (err != ENOENT) c.s.fail_errno(p.text, err, "remove");
}

// Removes name in dir and everything below it, never following a link.
void remove_tree(const Ctx& c, int dir, const std::string& name, const RelPath& p, int depth) {
  if (depth > kMaxDepth) c.s.fail_path(400, p.text, "is nested too deeply");
  c.check_running();
  struct stat st {};
  if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return;
    c.s.fail_errno(p.text, errno);
  }
  if (S_ISDIR(st.st_mode)) {
    Fd sub(::openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!sub.ok()) {
      if (errno == ENOENT) return;
      c.s.fail_errno(p.text, errno);
    }
    for (const Entry& e : list_dir(c, sub.get(), p)) remove_tree(c, sub.get(), e.name, p.child(e.name), depth + 1);
    if (::unlinkat(dir, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) c.s.fail_errno(p.text, errno, "remove");
  } else if (::unlinkat(dir, name.c_str(), 0) != 0 && errno != ENOENT) {
    c.s.fail_errno(p.text, errno);
  }
}

void remove_all(const Ctx& c, const RelPath& p) {
  c.not_root(p, "is the root directory, which cannot be removed");
  Root::Opened dir = c.root.parent(p);
  if (!dir.fd.ok()) {
    if (dir.err == ENOENT || dir.err == ENOTDIR) return;
    c.fail_open(p, dir.err);
  }
  remove_tree(c, dir.fd.get(), p.parts.back(), p, 0);
}

void move(const Ctx& c, const RelPath& from, const RelPath& to) {
  c.not_root(from, "is the root directory, which cannot be moved");
  c.not_root(to, "is the root directory, which cannot be replaced");
  Fd a = open_parent(c, from);
  struct stat st {};
  if (::fstatat(a.get(), from.parts.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) c.s.fail_errno(from.text, errno);
  ensure_parent(c, to);
  Fd b = open_parent(c, to);
  if (::renameat(a.get(), from.parts.back().c_str(), b.get(), to.parts.back().c_str()) != 0) {
    const int err = errno;
    if (err == EINVAL) c.s.fail_path(400, from.text, "cannot be moved into itself");
    if (err == EEXIST || err == ENOTEMPTY) c.s.fail_path(409, to.text, "is a directory that is not empty");
    if (err == EISDIR || err == ENOTDIR) c.s.fail_path(409, to.text, "exists and is of another kind (file vs directory)");
    if (err == EXDEV) c.s.fail_path(400, from.text, "cannot be moved to another file system (a mount inside the root)");
    c.s.fail_errno(to.text, err);
  }
}

bool inside(const RelPath& outer, const RelPath& p) {
  return p.parts.size() >= outer.parts.size() && std::equal(outer.parts.begin(), outer.parts.end(), p.parts.begin());
}

// gou's Copy: a file, or a directory merged into dst, following links inside the root. Below the
// top, dst is reached by directory fds (dir, name) and never through a link: each level costs one
// open, however deep the tree.
void copy_entry(const Ctx& c, const RelPath& src, const RelPath& dst, int dst_dir, int depth) {
  if (depth > kMaxDepth) c.s.fail_path(400, src.text, "is nested too deeply (a link loop?)");
  c.check_running();
  const std::string& name = dst.parts.back();
  Fd in = c.open(src, O_RDONLY | O_NONBLOCK);
  const struct stat st = c.fstat(in.get(), src);
  auto fail_dst = [&](int err) {
    if (err == ELOOP) c.s.fail_path(400, dst.text, "is a symbolic link, which Copy does not write through");
    if (err == ENOTDIR) c.s.fail_path(409, dst.text, "exists and is not a directory");
    c.s.fail_errno(dst.text, err);
  };
  if (S_ISDIR(st.st_mode)) {
    Fd out;
    if (depth == 0) {
      mkdir_all(c, dst, kDefaultDirPerm);
      out = c.open(dst, O_PATH | O_DIRECTORY);
    } else {
      if (::mkdirat(dst_dir, name.c_str(), kDefaultDirPerm) != 0 && errno != EEXIST) fail_dst(errno);
      out = Fd(::openat(dst_dir, name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!out.ok()) fail_dst(errno);
    }
    for (const Entry& e : list_dir(c, in.get(), src))
      copy_entry(c, src.child(e.name), dst.child(e.name), out.get(), depth + 1);
    return;
  }
  if (!S_ISREG(st.st_mode)) c.s.fail_path(400, src.text, "is not a regular file or directory");
  constexpr int kFlags = O_WRONLY | O_CREAT | O_NONBLOCK;
  Fd out;
  if (depth == 0) {
    ensure_parent(c, dst);
    out = c.open(dst, kFlags, kDefaultFilePerm);
  } else {
    out = Fd(::openat(dst_dir, name.c_str(), kFlags | O_NOFOLLOW | O_CLOEXEC, kDefaultFilePerm));
    if (!out.ok()) fail_dst(errno);
  }
  const struct stat target = c.fstat(out.get(), dst);
  require_regular(c, dst, target);
  if (target.st_dev == st.st_dev && target.st_ino == st.st_ino) c.s.fail_path(400, dst.text, "is the source file itself");
  if (::ftruncate(out.get(), 0) != 0) c.s.fail_errno(dst.text, errno);
  std::string buffer(std::min<size_t>(kChunk, static_cast<size_t>(st.st_size) + 1), '\0');
  for (;;) {
    c.check_running();
    const ssize_t n = ::read(in.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) c.s.fail_errno(src.text, errno);
    if (n == 0) break;
    write_all(c, dst, out.get(), std::string_view(buffer.data(), static_cast<size_t>(n)));
  }
}

void copy(const Ctx& c, const RelPath& src, const RelPath& dst) {
  c.not_root(dst, "is the root directory, which cannot be replaced");
  if (inside(src, dst)) c.s.fail_path(400, dst.text, "is inside " + shown(src.text) + ", which cannot be copied into itself");
  copy_entry(c, src, dst, -1, 0);
}

// gou's MoveAppend and MoveInsert: src's content added to dst, then src removed.
void move_into(const Ctx& c, const RelPath& src, const RelPath& dst, std::optional<int64_t> insert_at) {
  const std::string data = read_file(c, src);
  if (Root::Opened o = c.root.open(dst, O_PATH); o.fd.ok()) require_regular(c, dst, c.fstat(o.fd.get(), dst));
  if (insert_at) insert_file(c, dst, *insert_at, data, kDefaultFilePerm);
  else write_file(c, dst, data, kDefaultFilePerm, true);
  remove_one(c, src);
}

std::string mkdir_temp(const Ctx& c, const RelPath& dir, const std::string& pattern) {
  if (pattern.find('/') != std::string::npos) c.bad_arg(1, "pattern", "must not contain '/'");
  mkdir_all(c, dir, kDefaultDirPerm);
  Fd fd = c.open(dir, O_PATH | O_DIRECTORY);
  const size_t star = pattern.rfind('*');
  const std::string prefix = star == std::string::npos ? pattern : pattern.substr(0, star);
  const std::string suffix = star == std::string::npos ? std::string() : pattern.substr(star + 1);
  std::mt19937 random(std::random_device{}());
  for (int attempt = 0; attempt < 10000; ++attempt) {
    const std::string name = prefix + std::to_string(random()) + suffix;
    if (::mkdirat(fd.get(), name.c_str(), 0700) == 0) return dir.child(name).gou();
    if (errno != EEXIST) c.s.fail_errno(dir.text, errno);
  }
  c.s.fail_path(500, dir.text, "has no unused name for the pattern " + shown(pattern));
}

// gou's Zip: every file under dir (links to files inside the root are followed, directory links
// are not), named relative to dir, into the archive target. Built in memory: at most
// max_read_bytes of files.
void zip_dir(const Ctx& c, const RelPath& dir, const RelPath& target) {
  c.not_root(target);
  Fd top = open_dir(c, dir);
  std::vector<zip::File> files;
  uint64_t total = 0;
  // (fd of a directory, its path, its name in the archive)
  auto walk = [&](auto& self, int fd, const RelPath& p, const std::string& prefix, int depth) -> void {
    if (depth > kMaxDepth) c.s.fail_path(400, p.text, "is nested too deeply");
    for (const Entry& e : list_dir(c, fd, p)) {
      const RelPath child = p.child(e.name);
      if (child.parts == target.parts) continue;  // an archive written over an earlier one
      if (e.dir) {
        Fd sub(::openat(fd, e.name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!sub.ok()) c.s.fail_errno(child.text, errno);
        self(self, sub.get(), child, prefix + e.name + "/", depth + 1);
        continue;
      }
      if (Root::Opened o = c.root.open(child, O_PATH); o.fd.ok() && S_ISDIR(c.fstat(o.fd.get(), child).st_mode))
        continue;  // a link to a directory: not followed, as Go's filepath.Walk
      zip::File f{prefix + e.name, read_file(c, child)};
      total += f.data.size();
      if (total > static_cast<uint64_t>(c.config.max_read_bytes))
        c.s.fail_path(413, dir.text, "holds more than max_read_bytes (" + std::to_string(c.config.max_read_bytes) +
                                         ") of files to zip");
      Root::Opened o = c.root.open(child, O_PATH);
      if (o.fd.ok()) {
        const struct stat st = c.fstat(o.fd.get(), child);
        f.mtime = st.st_mtim.tv_sec;
        f.mode = st.st_mode & 07777;
      }
      files.push_back(std::move(f));
    }
  };
  walk(walk, top.get(), dir, "", 0);
  std::string archive;
  try {
    archive = zip::write(files);
  } catch (const zip::Error& e) {
    c.s.fail_path(e.code(), target.text, e.what());
  }
  write_file(c, target, archive, kDefaultFilePerm, false);
}

// gou's Unzip: the files of the archive under target (created if missing); their paths. An entry
// whose name climbs out of target ("../x", zip-slip) is refused, and every write goes through the
// sandbox.
std::vector<std::string> unzip(const Ctx& c, const RelPath& archive, const RelPath& target) {
  const std::string& last = archive.is_root() ? std::string() : archive.parts.back();
  if (!(last.ends_with(".zip") || last.ends_with(".ZIP"))) c.s.fail_path(400, archive.text, "is not a .zip file");
  const std::string data = read_file(c, archive);
  mkdir_all(c, target, 0755);
  std::vector<std::string> out;
  const auto max = static_cast<uint64_t>(c.config.max_read_bytes);
  try {
    zip::read(data, max, max * 16, [&](const std::string& name, std::string content) {
      const RelPath inner = parse_path(c.s, name);
      if (inner.is_root()) c.s.fail_path(400, archive.text, "holds a file without a name");
      RelPath dst = target;
      dst.parts.insert(dst.parts.end(), inner.parts.begin(), inner.parts.end());
      dst.text = dst.gou();
      write_file(c, dst, content, kDefaultFilePerm, false);
      out.push_back(dst.gou());
    });
  } catch (const zip::Error& e) {
    c.s.fail_path(e.code(), archive.text, e.what());
  }
  return out;
}

// ---- queries -----------------------------------------------------------------

// What p is, following links; nullopt when it does not exist.
std::optional<struct stat> stat_if_exists(const Ctx& c, const RelPath& p) {
  Root::Opened o = c.root.open(p, O_PATH);
  if (!o.fd.ok()) {
    if (o.err == ENOENT || o.err == ENOTDIR) return std::nullopt;
    c.fail_open(p, o.err);
  }
  return c.fstat(o.fd.get(), p);
}

struct stat stat_existing(const Ctx& c, const RelPath& p) { return c.fstat(c.open(p, O_PATH).get(), p); }

bool is_link(const Ctx& c, const RelPath& p) {
  if (p.is_root()) return false;
  Root::Opened dir = c.root.parent(p);
  if (!dir.fd.ok()) {
    if (dir.err == ENOENT || dir.err == ENOTDIR) return false;
    c.fail_open(p, dir.err);
  }
  struct stat st {};
  return ::fstatat(dir.fd.get(), p.parts.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
}

void change_mode(const Ctx& c, const RelPath& p, mode_t mode) {
  Fd fd = c.open(p, O_PATH);
  // chmod through the fd's /proc link acts on exactly the file opened inside the root.
  const std::string proc = "/proc/self/fd/" + std::to_string(fd.get());
  if (::chmod(proc.c_str(), mode) == 0) return;
  int err = errno;
  if (err == ENOENT) {  // no /proc: a descriptor that fchmod takes
    Fd readable = c.open(p, O_RDONLY | O_NONBLOCK | O_NOCTTY);
    if (::fchmod(readable.get(), mode) == 0) return;
    err = errno;
  }
  c.s.fail_errno(p.text, err);
}

std::string mime(const Ctx& c, const RelPath& p) {
  Fd fd = c.open(p, O_RDONLY | O_NONBLOCK);
  require_regular(c, p, c.fstat(fd.get(), p));
  std::string why;
  std::optional<std::string> type = mime_type(fd.get(), why);
  if (!type) c.s.fail_path(500, p.text, "has no known type: " + why);
  return std::move(*type);
}

void read_dir_into(const Ctx& c, int fd, const RelPath& p, bool recursive, std::vector<std::string>& out, int depth) {
  if (depth > kMaxDepth) c.s.fail_path(400, p.text, "is nested too deeply");
  for (const Entry& e : list_dir(c, fd, p)) {
    const RelPath child = p.child(e.name);
    out.push_back(child.gou());
    if (!recursive || !e.dir) continue;
    Fd sub(::openat(fd, e.name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!sub.ok()) c.s.fail_errno(child.text, errno);
    read_dir_into(c, sub.get(), child, true, out, depth + 1);
  }
}

// Go's filepath.Glob inside the root: meta characters in any component; I/O errors (and links
// out of the root) below the pattern's literal part only drop those matches, as Go drops them.
void glob_from(const Ctx& c, const RelPath& at, const std::vector<std::string>& parts, size_t i,
               std::vector<std::string>& out) {
  if (i == parts.size()) {
    out.push_back(at.gou());
    return;
  }
  const std::string& segment = parts[i];
  if (!gopath::has_meta(segment)) {
    if (i + 1 < parts.size()) return glob_from(c, at.child(segment), parts, i + 1, out);
    Root::Opened dir = c.root.open(at, O_PATH | O_DIRECTORY);
    struct stat st {};
    if (dir.fd.ok() && ::fstatat(dir.fd.get(), segment.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0)
      out.push_back(at.child(segment).gou());
    return;
  }
  Root::Opened dir = c.root.open(at, O_RDONLY | O_DIRECTORY);
  if (!dir.fd.ok()) return;
  const std::vector<Entry> entries = list_dir(c, dir.fd.get(), at);
  for (size_t k = 0; k < entries.size(); ++k) {
    if ((k & 63) == 63) c.check_running();
    if (::fnmatch(segment.c_str(), entries[k].name.c_str(), 0) == 0)
      glob_from(c, at.child(entries[k].name), parts, i + 1, out);
  }
}

phost::Value list(const Ctx& c, const RelPath& p) {
  Fd dir = open_dir(c, p);
  const std::vector<Entry> entries = list_dir(c, dir.get(), p);
  phost::Value out = phost::Value::array(entries.size());
  size_t done = 0;
  for (const Entry& e : entries) {
    if ((++done & 63) == 0) c.check_running();  // a stat each
    bool is_dir = false;
    int64_t size = 0;
    // Follows a link only while it stays inside the root; an escaping one shows as {dir: false, size: 0}.
    if (Root::Opened o = c.root.open(p.child(e.name), O_PATH); o.fd.ok()) {
      struct stat st {};
      if (::fstat(o.fd.get(), &st) == 0) {
        is_dir = S_ISDIR(st.st_mode);
        if (S_ISREG(st.st_mode)) size = st.st_size;
      }
    }
    phost::Value entry = phost::Value::object(3);
    entry.set("name", string_value(c, e.name));
    entry.set("dir", phost::Value::boolean(is_dir));
    entry.set("size", phost::Value::integer(size));
    out.push(std::move(entry));
  }
  return out;
}

phost::Value stat_value(const Ctx& c, const RelPath& p) {
  const struct stat st = stat_existing(c, p);
  const bool is_file = S_ISREG(st.st_mode);
  phost::Value out = phost::Value::object(4);
  out.set("size", phost::Value::integer(is_file ? st.st_size : 0));
  out.set("dir", phost::Value::boolean(S_ISDIR(st.st_mode)));
  out.set("file", phost::Value::boolean(is_file));
  out.set("mtime", phost::Value::integer(int64_t{st.st_mtim.tv_sec} * 1000 + st.st_mtim.tv_nsec / 1000000));
  return out;
}

// ---- the method table -----------------------------------------------------------

using Data = Ctx::Data;
using phost::Value;

struct Method {
  std::string_view name;
  bool writes;  // refused on a read-only root
  Value (*run)(const Ctx&);
};

Value write_method(const Ctx& c, Data kind, std::string_view method, bool append) {
  const RelPath p = c.path_arg(0);
  const std::string data = c.data_arg(1, kind, method);
  return Value::integer(write_file(c, p, data, c.perm_arg(2, kDefaultFilePerm), append));
}

Value insert_method(const Ctx& c, Data kind) {
  const RelPath p = c.path_arg(0);
  const int64_t offset = c.int_arg(1, "offset");
  const std::string data = c.data_arg(2, kind, "InsertFile");
  return Value::integer(insert_file(c, p, offset, data, c.perm_arg(3, kDefaultFilePerm)));
}

Value bytes_of(const Ctx& c) { return Value::bytes(read_file(c, c.path_arg(0))); }

// gou's JS object and its processes name a few methods differently (AppendBuffer vs
// AppendFileBuffer): both are here. Lookup ignores case, as gou's process names do.
const Method kMethods[] = {
    {"ReadFile", false,
     [](const Ctx& c) {
       const RelPath p = c.path_arg(0);
       std::string data = read_file(c, p);
       try {
         return Value::string(data);
       } catch (const phost::Error&) {
         c.s.fail_path(400, p.text, "is not valid UTF-8 text (use ReadFileBuffer)");
       }
     }},
    {"ReadFileBuffer", false, bytes_of},
    {"ReadFileBytes", false, bytes_of},
    {"ReadFileBase64", false, [](const Ctx& c) { return Value::string(base64::encode(read_file(c, c.path_arg(0)))); }},
    {"WriteFile", true, [](const Ctx& c) { return write_method(c, Data::text, "WriteFile", false); }},
    {"WriteFileBuffer", true, [](const Ctx& c) { return write_method(c, Data::text_or_bytes, "", false); }},
    {"WriteFileBytes", true, [](const Ctx& c) { return write_method(c, Data::text_or_bytes, "", false); }},
    {"WriteFileBase64", true, [](const Ctx& c) { return write_method(c, Data::base64, "", false); }},
    {"AppendFile", true, [](const Ctx& c) { return write_method(c, Data::text_or_bytes, "", true); }},
    {"AppendFileBuffer", true, [](const Ctx& c) { return write_method(c, Data::text_or_bytes, "", true); }},
    {"AppendBuffer", true, [](const Ctx& c) { return write_method(c, Data::text_or_bytes, "", true); }},
    {"AppendFileBase64", true, [](const Ctx& c) { return write_method(c, Data::base64, "", true); }},
    {"AppendBase64", true, [](const Ctx& c) { return write_method(c, Data::base64, "", true); }},
    {"InsertFile", true, [](const Ctx& c) { return insert_method(c, Data::text_or_bytes); }},
    {"InsertFileBuffer", true, [](const Ctx& c) { return insert_method(c, Data::text_or_bytes); }},
    {"InsertBuffer", true, [](const Ctx& c) { return insert_method(c, Data::text_or_bytes); }},
    {"InsertFileBase64", true, [](const Ctx& c) { return insert_method(c, Data::base64); }},
    {"InsertBase64", true, [](const Ctx& c) { return insert_method(c, Data::base64); }},
    {"ReadDir", false,
     [](const Ctx& c) {
       const RelPath p = c.path_arg(0);
       const bool recursive = c.bool_arg(1, "recursive");
       Fd dir = open_dir(c, p);
       std::vector<std::string> out;
       read_dir_into(c, dir.get(), p, recursive, out, 0);
       return strings_value(c, out);
     }},
    {"Glob", false,
     [](const Ctx& c) {
       const RelPath pattern = c.path_arg(0, "pattern");
       for (const std::string& part : pattern.parts) {  // as Go's filepath.Glob, before any match
         if (!gopath::well_formed(part)) c.s.fail_path(400, pattern.text, "is not a valid pattern (syntax error in pattern)");
         if (part.size() > kMaxGlobSegment)  // a name has at most 255 bytes
           c.s.fail_path(400, pattern.text, "is not a valid pattern (a component longer than " +
                                                std::to_string(kMaxGlobSegment) + " bytes)");
       }
       std::vector<std::string> out;
       glob_from(c, RelPath{}, pattern.parts, 0, out);
       return strings_value(c, out);
     }},
    {"Mkdir", true,
     [](const Ctx& c) {
       const RelPath p = c.path_arg(0);
       const mode_t perm = c.perm_arg(1, kDefaultDirPerm);
       if (p.is_root()) c.s.fail_path(409, p.text, "already exists (the root)");
       Root::Opened dir = c.root.parent(p);
       if (!dir.fd.ok() && dir.err == ENOENT)
         c.s.fail_path(404, p.text, "cannot be created: its parent does not exist (use MkdirAll)");
       if (!dir.fd.ok()) c.fail_open(p, dir.err);
       if (::mkdirat(dir.fd.get(), p.parts.back().c_str(), perm) != 0) c.s.fail_errno(p.text, errno);
       return Value::null();
     }},
    {"MkdirAll", true,
     [](const Ctx& c) {
       const RelPath p = c.path_arg(0);
       mkdir_all(c, p, c.perm_arg(1, kDefaultDirPerm));
       return Value::null();
     }},
    {"MkdirTemp", true,
     [](const Ctx& c) {
       const RelPath dir = parse_path(c.s, c.optional_string_arg(0, "dir"));
       return string_value(c, mkdir_temp(c, dir, c.optional_string_arg(1, "pattern")));
     }},
    {"Remove", true,
     [](const Ctx& c) {
       remove_one(c, c.path_arg(0));
       return Value::null();
     }},
    {"RemoveAll", true,
     [](const Ctx& c) {
       remove_all(c, c.path_arg(0));
       return Value::null();
     }},
    {"Exists", false, [](const Ctx& c) { return Value::boolean(stat_if_exists(c, c.path_arg(0)).has_value()); }},
    {"IsDir", false,
     [](const Ctx& c) {
       const std::optional<struct stat> st = stat_if_exists(c, c.path_arg(0));
       return Value::boolean(st && S_ISDIR(st->st_mode));
     }},
    {"IsFile", false,
     [](const Ctx& c) {  // gou: anything that exists and is not a directory
       const std::optional<struct stat> st = stat_if_exists(c, c.path_arg(0));
       return Value::boolean(st && !S_ISDIR(st->st_mode));
     }},
    {"IsLink", false, [](const Ctx& c) { return Value::boolean(is_link(c, c.path_arg(0))); }},
    {"Chmod", true,
     [](const Ctx& c) {
       const RelPath p = c.path_arg(0);
       if (!c.has(1)) c.bad_arg(1, "perm", "is missing");
       change_mode(c, p, c.perm_arg(1, 0));
       return Value::null();
     }},
    {"Size", false, [](const Ctx& c) { return Value::integer(stat_existing(c, c.path_arg(0)).st_size); }},
    {"Mode", false, [](const Ctx& c) { return Value::integer(stat_existing(c, c.path_arg(0)).st_mode & 0777); }},
    {"ModTime", false, [](const Ctx& c) { return Value::integer(stat_existing(c, c.path_arg(0)).st_mtim.tv_sec); }},
    {"MimeType", false, [](const Ctx& c) { return string_value(c, mime(c, c.path_arg(0))); }},
    {"BaseName", false, [](const Ctx& c) { return string_value(c, gopath::base(c.string_arg(0, "path"))); }},
    {"DirName", false, [](const Ctx& c) { return string_value(c, gopath::dir(c.string_arg(0, "path"))); }},
    {"ExtName", false, [](const Ctx& c) { return string_value(c, gopath::ext(c.string_arg(0, "path"))); }},
    {"Abs", false,
     [](const Ctx& c) {
       const RelPath p = c.path_arg(0);
       return string_value(c, c.root.path().string() + (p.is_root() ? "" : "/" + p.joined()));
     }},
    {"Move", true,
     [](const Ctx& c) {
       const RelPath from = c.path_arg(0, "from");
       move(c, from, c.path_arg(1, "to"));
       return Value::null();
     }},
    {"Copy", true,
     [](const Ctx& c) {
       const RelPath from = c.path_arg(0, "from");
       copy(c, from, c.path_arg(1, "to"));
       return Value::null();
     }},
    {"MoveAppend", true,
     [](const Ctx& c) {
       const RelPath from = c.path_arg(0, "from");
       move_into(c, from, c.path_arg(1, "to"), std::nullopt);
       return Value::null();
     }},
    {"MoveInsert", true,
     [](const Ctx& c) {
       const RelPath from = c.path_arg(0, "from");
       const RelPath to = c.path_arg(1, "to");
       move_into(c, from, to, c.int_arg(2, "offset"));
       return Value::null();
     }},
    {"Zip", true,
     [](const Ctx& c) {
       const RelPath dir = c.path_arg(0, "dir");
       zip_dir(c, dir, c.path_arg(1, "target"));
       return Value::null();
     }},
    {"Unzip", true,
     [](const Ctx& c) {
       const RelPath archive = c.path_arg(0, "file");
       return strings_value(c, unzip(c, archive, c.path_arg(1, "target")));
     }},
    {"List", false, [](const Ctx& c) { return list(c, c.has(0) ? c.path_arg(0) : RelPath{}); }},
    {"Stat", false, [](const Ctx& c) { return stat_value(c, c.path_arg(0)); }},
    {"Sandbox", false, [](const Ctx& c) { return Value::string(c.root.uses_openat2() ? "openat2" : "checks"); }},
};

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char ch) { return ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch; };
           return lower(x) == lower(y);
         });
}

}  // namespace

std::string method_names() {
  std::string out;
  for (const Method& m : kMethods) {
    if (!out.empty()) out += ", ";
    out += m.name;
  }
  return out;
}

phost::Value dispatch(const Config& config, phost::Call& call) {
  const phost_call_info info = call.info();
  const std::string id(phost::to_view(info.id));
  const std::string method(phost::to_view(info.method));
  if (id.empty()) phost::fail(404, "fs: call fs.<root>.<Method>, e.g. fs.data.ReadFile");
  const auto root = config.roots.find(id);
  if (root == config.roots.end()) phost::fail(404, "no fs root '" + id + "'");
  const auto m = std::find_if(std::begin(kMethods), std::end(kMethods),
                              [&](const Method& candidate) { return same_name(candidate.name, method); });
  if (m == std::end(kMethods)) phost::fail(404, "fs has no method '" + method + "' (" + method_names() + ")");
  const Ctx c{Scope{"fs." + id + "." + std::string(m->name)}, *root->second, config, call};
  if (m->writes && root->second->read_only()) c.s.fail(403, "root '" + id + "' is read-only");
  return m->run(c);
}

}  // namespace fsplugin
