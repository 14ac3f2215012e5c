#include "plugin_search.hpp"

#include "error.hpp"

#include <boost/dll/runtime_symbol_info.hpp>

#include <algorithm>
#include <cstdlib>
#include <vector>

#ifndef PHOST_PLUGIN_RELDIR
#error "PHOST_PLUGIN_RELDIR: the plugin folder relative to libphost's (host/CMakeLists.txt)"
#endif

namespace phost {
namespace {

#ifdef _WIN32
constexpr char kPathListSeparator = ';';
#else
constexpr char kPathListSeparator = ':';
#endif

bool has_directory(std::string_view name) {
#ifdef _WIN32
  if (name.find_first_of("\\:") != std::string_view::npos) return true;
#endif
  return name.find('/') != std::string_view::npos;
}

// "fs" -> libphost_fs.so, then libfs.so (a third party's plugin); a name
// with the module suffix is a file name already.
std::vector<std::string> file_names(std::string_view name) {
  const std::string prefix = PHOST_MODULE_PREFIX, suffix = PHOST_MODULE_SUFFIX, bare(name);
  if (bare.size() > suffix.size() && bare.ends_with(suffix)) return {bare};
  if (bare.starts_with("phost_")) return {prefix + bare + suffix};
  return {prefix + "phost_" + bare + suffix, prefix + bare + suffix};
}

std::vector<std::filesystem::path> search_dirs() {
  std::vector<std::filesystem::path> dirs;
  if (const char* env = std::getenv("PHOST_PLUGIN_PATH")) {
    std::string_view list = env;
    while (!list.empty()) {
      const size_t end = std::min(list.find(kPathListSeparator), list.size());
      if (end > 0) dirs.emplace_back(list.substr(0, end));
      list.remove_prefix(std::min(end + 1, list.size()));
    }
  }
  dirs.push_back(installed_plugin_dir());
#ifdef _WIN32
  // libphost.dll sits next to the programs that use it (Windows has no rpath):
  // a plugin dropped next to phost.exe is found too, after lib/phost.
  std::error_code ec;
  const std::filesystem::path self = boost::dll::this_line_location(ec);
  if (!ec) dirs.push_back(self.parent_path());
#endif
  return dirs;
}

}  // namespace

std::filesystem::path installed_plugin_dir() {
  std::error_code ec;
  const std::filesystem::path self = boost::dll::this_line_location(ec);
  if (ec) return {};
  return (self.parent_path() / PHOST_PLUGIN_RELDIR).lexically_normal();
}

std::string find_plugin(std::string_view name_or_path) {
  if (name_or_path.empty() || has_directory(name_or_path)) return std::string(name_or_path);
  const std::vector<std::string> names = file_names(name_or_path);
  std::string tried;
  for (const std::filesystem::path& dir : search_dirs()) {
    for (const std::string& name : names) {
      std::error_code ec;
      const std::filesystem::path candidate = dir / name;
      if (std::filesystem::is_regular_file(candidate, ec)) return candidate.string();
    }
    tried += (tried.empty() ? "" : ", ") + dir.string();
  }
  std::string looked_for;
  for (const std::string& name : names) looked_for += (looked_for.empty() ? "" : " or ") + name;
  throw Error(PHOST_E_NOT_FOUND, "no plugin '" + std::string(name_or_path) + "' (" + looked_for + ") in " + tried +
                                     "; set PHOST_PLUGIN_PATH, or give a path such as ./" + names.front());
}

}  // namespace phost
