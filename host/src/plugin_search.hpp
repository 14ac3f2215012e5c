// Where load_plugin finds a plugin named without a directory ("fs", "v8",
// "libphost_v8.so"): the folders of $PHOST_PLUGIN_PATH (':'-separated, ';' on
// Windows), then the installed plugin folder next to libphost, and on Windows
// then libphost.dll's own folder (bin/, where phost.exe is). A name with a
// directory in it is a path and is used as given, so the working directory is
// never searched by accident.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace phost {

// <directory of libphost>/PHOST_PLUGIN_RELDIR: lib/phost when installed,
// build/lib/phost in the build tree.
std::filesystem::path installed_plugin_dir();

// The file to load for name_or_path. Throws Error(PHOST_E_NOT_FOUND) naming
// every folder and file name it tried.
std::string find_plugin(std::string_view name_or_path);

}  // namespace phost
