#include "errors.hpp"

#include <cerrno>
#include <cstring>

namespace fsplugin {

std::string shown(std::string_view path) {
  std::string out(path.substr(0, 200));
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '?';
  if (path.size() > 200) out += "...";
  return "'" + out + "'";
}

int32_t code_of_errno(int err) noexcept {
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
    case EAGAIN: return 503;
    default: return 500;
  }
}

void Scope::fail(int32_t code, const std::string& why) const { phost::fail(code, where + ": " + why); }

void Scope::fail_path(int32_t code, std::string_view path, const std::string& why) const {
  phost::fail(code, where + ": " + shown(path) + " " + why);
}

void Scope::fail_errno(std::string_view path, int err, std::string_view what) const {
  std::string why;
  switch (err) {
    case ENOENT: why = "not found"; break;
    case ENOTDIR: why = "not found (a parent is not a directory)"; break;
    case ENOTEMPTY:
    case EEXIST: why = what == "remove" ? "is a directory that is not empty (use RemoveAll)" : "already exists"; break;
    case EISDIR: why = "is a directory"; break;
    case ELOOP: why = "has too many symbolic links (or a link loop, or a link swapped in during the call)"; break;
    case ENXIO: why = "is not a regular file"; break;
    case EXDEV: why = "resolves outside the root through a symbolic link"; break;
    case EAGAIN: why = "could not be resolved safely while the file system kept changing; try again"; break;
    default: why = std::strerror(err);
  }
  fail_path(code_of_errno(err), path, why);
}

}  // namespace fsplugin
