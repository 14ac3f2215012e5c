// Go's path/filepath functions on Unix, as gou's fs.BaseName, DirName and ExtName return them:
// pure string functions that never touch a file system.
#pragma once

#include <string>
#include <string_view>

namespace fsplugin::gopath {

std::string clean(std::string_view path);  // filepath.Clean
std::string base(std::string_view path);   // filepath.Base: "" -> ".", "/" -> "/", "a/b/" -> "b"
std::string dir(std::string_view path);    // filepath.Dir: "a" -> ".", "/a" -> "/", "a/b/" -> "a/b"
std::string ext(std::string_view path);    // filepath.Ext without the dot (gou's ExtName): "a.tar.gz" -> "gz"

// Whether a glob pattern segment holds a meta character (filepath's hasMeta).
bool has_meta(std::string_view pattern);
// Whether filepath.Match would take the pattern segment, rather than return
// ErrBadPattern: every '[' closed, no empty class, no trailing '\\'.
bool well_formed(std::string_view pattern);

}  // namespace fsplugin::gopath
