#include "root.hpp"

#include <sys/stat.h>
#include <unistd.h>

#if defined(__linux__) && __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#include <sys/syscall.h>
#define PHOST_FS_HAVE_OPENAT2 1
#endif

#include <algorithm>
#include <cerrno>
#include <deque>
#include <stdexcept>
#include <system_error>

namespace fsplugin {

namespace stdfs = std::filesystem;

namespace {

constexpr int kMaxSymlinkHops = 40;  // as Linux's MAXSYMLINKS

bool within(const stdfs::path& root, const stdfs::path& p) {
  return std::mismatch(root.begin(), root.end(), p.begin(), p.end()).first == root.end();
}

// base/parts with every symbolic link resolved, dangling ones included (open(O_CREAT) follows a
// dangling link and would create its target); base must be absolute and free of links. Components
// that do not exist are kept as they are (a path to be created). false: too many links.
bool resolve_physical(const stdfs::path& base, const std::vector<std::string>& parts, stdfs::path& out) {
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
    std::error_code ec;
    if (stdfs::symlink_status(next, ec).type() == stdfs::file_type::symlink) {
      if (++hops > kMaxSymlinkHops) return false;
      const stdfs::path target = stdfs::read_symlink(next, ec);
      if (ec) return false;
      std::vector<std::string> target_parts;
      for (const stdfs::path& p : target.relative_path()) target_parts.push_back(p.string());
      pending.insert(pending.begin(), target_parts.begin(), target_parts.end());
      if (target.is_absolute()) current = target.root_path();
      continue;
    }
    current = std::move(next);
  }
  out = std::move(current);
  return true;
}

#ifdef PHOST_FS_HAVE_OPENAT2
// RESOLVE_BENEATH fails with EAGAIN when a rename anywhere in the system raced a ".." step (one
// in a link's target): the kernel could not prove it stayed beneath. Retrying is the documented answer.
constexpr int kEagainRetries = 64;

int sys_openat2(int dirfd, const char* path, int flags, mode_t mode, uint64_t resolve) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags);
  how.mode = (flags & O_CREAT) ? mode : 0;
  how.resolve = resolve;
  for (int attempt = 0;; ++attempt) {
    const int fd = static_cast<int>(::syscall(SYS_openat2, dirfd, path, &how, sizeof how));
    if (fd >= 0 || (errno != EAGAIN && errno != EINTR) || attempt == kEagainRetries) return fd;
  }
}
#endif

}  // namespace

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

std::string RelPath::joined() const {
  if (parts.empty()) return ".";
  std::string out;
  for (const std::string& p : parts) {
    if (!out.empty()) out += '/';
    out += p;
  }
  return out;
}

std::string RelPath::gou() const { return parts.empty() ? "/" : "/" + joined(); }

RelPath RelPath::parent() const { return prefix(parts.size() - 1); }

RelPath RelPath::child(std::string_view name) const {
  RelPath out{parts, text};
  out.parts.emplace_back(name);
  out.text = out.gou();
  return out;
}

RelPath RelPath::prefix(size_t n) const {
  RelPath out{std::vector<std::string>(parts.begin(), parts.begin() + static_cast<ptrdiff_t>(n)), {}};
  out.text = out.gou();
  return out;
}

RelPath parse_path(const Scope& s, std::string_view path) {
  if (path.find('\0') != std::string_view::npos) s.fail_path(400, path, "contains a NUL byte");
  RelPath out{{}, std::string(path)};
  for (size_t begin = 0; begin <= path.size();) {
    size_t end = path.find('/', begin);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view segment = path.substr(begin, end - begin);
    if (segment == "..") {
      if (out.parts.empty()) s.fail_path(400, path, "escapes the root ('..' above it)");
      out.parts.pop_back();
    } else if (!segment.empty() && segment != ".") {
      out.parts.emplace_back(segment);
    }
    begin = end + 1;
  }
  return out;
}

Root::Root(stdfs::path dir, bool read_only, bool use_openat2) : path_(std::move(dir)), read_only_(read_only) {
  fd_ = Fd(::open(path_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd_.ok()) throw std::system_error(errno, std::generic_category(), path_.string());
#ifdef PHOST_FS_HAVE_OPENAT2
  // ENOSYS before 5.6, EPERM under a seccomp filter that does not know it: keep the fallback.
  if (use_openat2) openat2_ = Fd(sys_openat2(fd_.get(), ".", O_PATH | O_CLOEXEC, 0, RESOLVE_BENEATH)).ok();
#else
  (void)use_openat2;
#endif
}

Root::Opened Root::open(const RelPath& p, int flags, mode_t mode) const {
  flags |= O_CLOEXEC;
#ifdef PHOST_FS_HAVE_OPENAT2
  if (openat2_) {
    Opened out{Fd(sys_openat2(fd_.get(), p.joined().c_str(), flags, mode, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS))};
    if (out.fd.ok()) return out;
    out.err = errno;
    if (out.err != EXDEV) return out;
    // An escape, or an absolute link that stays inside (RESOLVE_BENEATH refuses them all): see root.hpp.
    stdfs::path real;
    if (!resolve_physical(path_, p.parts, real)) return {Fd(), ELOOP};
    if (!within(path_, real)) return {Fd(), EXDEV};
    const stdfs::path rel = real.lexically_relative(path_);
    out.fd = Fd(sys_openat2(fd_.get(), rel.empty() ? "." : rel.c_str(), flags, mode,
                            RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS));
    out.err = out.fd.ok() ? 0 : errno;
    return out;
  }
#endif
  return open_checked(p, flags, mode);
}

Root::Opened Root::open_checked(const RelPath& p, int flags, mode_t mode) const {
  stdfs::path real;
  if (!resolve_physical(path_, p.parts, real)) return {Fd(), ELOOP};
  if (!within(path_, real)) return {Fd(), EXDEV};
  // real is link-free: O_NOFOLLOW refuses a link swapped in for its last component.
  Opened out{Fd(::open(real.c_str(), flags | O_NOFOLLOW, mode))};
  out.err = out.fd.ok() ? 0 : errno;
  return out;
}

}  // namespace fsplugin
