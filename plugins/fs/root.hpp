// One configured root and the sandbox that keeps every path inside it.
//
// A path names an entry of the root: "notes/a.txt" and gou's "/notes/a.txt"
// are the same. It is first normalised lexically (RelPath): NUL bytes and any
// ".." that climbs above the root are refused; ".." applies to the path as
// written, before links are followed ("a/link/.." is "a").
//
// Then Root::open resolves it, following symbolic links, never outside the
// root. Where the kernel has openat2(2) (Linux 5.6+), the kernel does it
// relative to the root's directory fd with RESOLVE_BENEATH |
// RESOLVE_NO_MAGICLINKS: no check-then-use race, whatever another process
// swaps in meanwhile. RESOLVE_BENEATH refuses every absolute link, even one
// that points back inside the root, so on EXDEV the link chain is resolved in
// user space to tell the two apart; a target inside is then opened with
// RESOLVE_NO_SYMLINKS added, so the kernel refuses any link met on that
// (link-free) path: a link swapped in meanwhile fails the call, never escapes.
//
// Without openat2 (ENOSYS, EPERM under seccomp, not Linux, or "openat2":
// false in the config), the fallback resolves the links in user space
// (resolve_physical) and opens the resulting path with O_NOFOLLOW: safe
// against everything but a process that swaps a directory for a link between
// the check and the open.
//
// Operations on an entry itself (mkdir, unlink, rename, lstat) run with the
// *at() calls on its parent directory's fd, opened through Root::open, and a
// single-component name: they never follow a link in the last component.
#pragma once

#include "errors.hpp"

#include <fcntl.h>
#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fsplugin {

class Fd {
public:
  Fd() noexcept = default;
  explicit Fd(int fd) noexcept : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd();
  int get() const noexcept { return fd_; }
  bool ok() const noexcept { return fd_ >= 0; }
  int release() noexcept { return std::exchange(fd_, -1); }

private:
  int fd_ = -1;
};

// A path inside a root: its components after lexical normalisation, and the text as given (for messages).
struct RelPath {
  std::vector<std::string> parts;
  std::string text;

  bool is_root() const noexcept { return parts.empty(); }
  std::string joined() const;  // "a/b", or "." for the root
  std::string gou() const;     // "/a/b", or "/" for the root: gou's form of results
  RelPath parent() const;      // the directory holding it; precondition: !is_root()
  RelPath child(std::string_view name) const;
  RelPath prefix(size_t n) const;  // the first n components
};

// Splits and normalises path; 400 for NUL bytes and escapes above the root.
RelPath parse_path(const Scope& s, std::string_view path);

class Root {
public:
  // dir: a canonical directory. use_openat2: unless false, openat2 when the kernel has it. Throws on failure.
  Root(std::filesystem::path dir, bool read_only, bool use_openat2);

  const std::filesystem::path& path() const noexcept { return path_; }
  bool read_only() const noexcept { return read_only_; }
  bool uses_openat2() const noexcept { return openat2_; }
  int fd() const noexcept { return fd_.get(); }

  struct Opened {
    Fd fd;
    int err = 0;  // when !fd.ok(): an errno; EXDEV: resolves outside the root; ELOOP: too many links
  };
  // Opens p following every link, never outside the root. O_CLOEXEC is added.
  Opened open(const RelPath& p, int flags, mode_t mode = 0) const;
  // The directory holding p (O_PATH), for the *at() calls on p's last component.
  Opened parent(const RelPath& p) const { return open(p.parent(), O_PATH | O_DIRECTORY); }

private:
  Opened open_checked(const RelPath& p, int flags, mode_t mode) const;

  std::filesystem::path path_;
  Fd fd_;
  bool read_only_;
  bool openat2_ = false;
};

}  // namespace fsplugin
