#include "scaffold.hpp"

#include "exit_codes.hpp"

#include <boost/dll/runtime_symbol_info.hpp>

#include <fstream>

namespace phost::cli {
namespace {

constexpr std::string_view kTemplatePluginName = "greeter";

// A plugin's name is a process-name segment and a C identifier; an app's
// becomes a folder name. Lower case keeps both portable.
void check_name(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 64 && name[0] >= 'a' && name[0] <= 'z';
  for (const char c : name) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
  if (!ok) throw Failure(kUsage, "'" + name + "' is not a valid name: a lower-case letter, then letters, digits or _");
}

std::string replace_all(std::string_view text, std::string_view from, std::string_view to) {
  std::string out;
  size_t at = 0;
  for (size_t hit; (hit = text.find(from, at)) != std::string_view::npos; at = hit + from.size())
    out.append(text.substr(at, hit - at)).append(to);
  return out.append(text.substr(at));
}

// The prefix phost runs from (bin/..) when it holds the CMake package, for
// the CMAKE_PREFIX_PATH hint; a phost run from its build tree has none.
std::string own_prefix() {
  std::error_code ec;
  const std::filesystem::path prefix = boost::dll::program_location(ec).parent_path().parent_path();
  if (ec || !std::filesystem::exists(prefix / PHOST_PACKAGE_RELDIR / "phostConfig.cmake", ec))
    return "<where phost is installed>";
  return prefix.string();
}

std::string next_steps(std::string_view kind, const std::string& name, const std::filesystem::path& dir) {
  const std::string d = dir.string();
  if (kind == "app")
    return "  phost --app " + d + " run scripts.hello.Hello '\"world\"'\n"
           "  phost --app " + d + " list\n";
  return "  cmake -S " + d + " -B " + d + "/build -DCMAKE_PREFIX_PATH=" + own_prefix() + "\n"
         "  cmake --build " + d + "/build && ctest --test-dir " + d + "/build\n"
         "  phost --plugin " + d + "/build/" PHOST_MODULE_PREFIX + name + PHOST_MODULE_SUFFIX " run " + name + ".repeat '\"ab\"' 3\n";
}

}  // namespace

std::string scaffold(std::string_view kind, const std::string& name, const std::filesystem::path& parent) {
  check_name(name);
  const std::filesystem::path dir = parent / name;
  std::error_code ec;
  if (std::filesystem::exists(dir, ec)) throw Failure(kUsage, dir.string() + " exists already; pick another NAME");
  std::string created;
  for (const ScaffoldFile& file : scaffold_files()) {
    if (file.kind != kind) continue;
    const std::filesystem::path path = dir / std::filesystem::path(file.path);
    std::filesystem::create_directories(path.parent_path(), ec);
    std::ofstream out(path, std::ios::binary);
    const std::string content =
        kind == "plugin" ? replace_all(file.content, kTemplatePluginName, name) : std::string(file.content);
    out << content;
    out.close();
    if (ec || !out) throw Failure(kIo, "cannot write " + path.string() + (ec ? ": " + ec.message() : ""));
    created += "  " + path.generic_string() + "\n";
  }
  return "created " + std::string(kind) + " " + name + ":\n" + created + "try it:\n" + next_steps(kind, name, dir);
}

}  // namespace phost::cli
