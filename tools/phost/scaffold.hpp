// phost new plugin NAME / phost new app NAME: a project that builds and runs
// at once. The files are the SDK's own templates, compiled into phost
// (tools/CMakeLists.txt): sdk/template with its plugin name "greeter" replaced
// by NAME, and sdk/app_template.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace phost::cli {

struct ScaffoldFile {
  std::string_view kind;  // "plugin" or "app"
  std::string_view path;  // relative to the project folder, '/'-separated
  std::string_view content;
};

// Generated from the templates (scaffold_files.cpp in the build tree).
const std::vector<ScaffoldFile>& scaffold_files();

// Writes project NAME of kind into parent/NAME, which must not exist yet.
// Returns what to tell the user: the files and the commands to try them.
// Throws Failure: kUsage for a bad NAME, kIo when a file cannot be written.
std::string scaffold(std::string_view kind, const std::string& name, const std::filesystem::path& parent);

}  // namespace phost::cli
