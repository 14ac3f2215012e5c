// fs: file access sandboxed to configured roots, written only against sdk/ as
// a third party would. One group process, "fs": fs.<root>.<Method>(args...),
// with gou's FS method set (new FS("data").ReadFile(...) in gou scripts is
// Process("fs.data.ReadFile", ...)).
//
// Config: {"roots": {"data": "/srv/data", "app": {"path": "/srv/app", "read_only": true}},
//          "max_read_bytes": 67108864, "openat2": true}
// Methods and errors: plugins/fs/README.md. The sandbox: root.hpp.
#include "methods.hpp"

#include <algorithm>
#include <filesystem>
#include <memory>
#include <system_error>

namespace {

namespace stdfs = std::filesystem;
using fsplugin::Config;

bool valid_root_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '$';
  });
}

std::unique_ptr<Config> read_config(phost::View config) {
  auto out = std::make_unique<Config>();
  auto bad = [](const std::string& why) -> void { throw phost::Error(400, "fs: config: " + why, PHOST_E_INVALID_ARG); };
  if (config.kind() != PHOST_OBJECT) bad("missing; give {\"roots\": {\"data\": \"/srv/data\"}}");
  bool use_openat2 = true;
  if (const phost::View v = config["openat2"]) {
    if (v.kind() != PHOST_BOOL) bad("\"openat2\" must be true or false");
    use_openat2 = v.as_bool();
  }
  const phost::View roots = config["roots"];
  if (roots.kind() != PHOST_OBJECT || roots.size() == 0)
    bad("\"roots\" must be an object of at least one root, e.g. {\"roots\": {\"data\": \"/srv/data\"}}");
  for (size_t i = 0; i < roots.size(); ++i) {
    std::string name(roots.key_at(i));
    for (char& c : name)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');  // ids arrive lower-cased
    if (!valid_root_name(name))
      bad("root name '" + std::string(roots.key_at(i)) + "' must be letters, digits, '_', '-' or '$'");
    phost::View dir_value = roots[i];
    bool read_only = false;
    if (dir_value.kind() == PHOST_OBJECT) {
      phost::check_keys(dir_value, {"path", "read_only"}, "fs: config: root '" + name + "'");
      if (const phost::View ro = dir_value["read_only"]) {
        if (ro.kind() != PHOST_BOOL) bad("root '" + name + "': \"read_only\" must be true or false");
        read_only = ro.as_bool();
      }
      dir_value = dir_value["path"];
    }
    if (dir_value.kind() != PHOST_STRING)
      bad("root '" + name + "' must be a directory path (a string, or {\"path\": ..., \"read_only\": true})");
    const std::string dir(dir_value.as_string());
    std::error_code ec;
    stdfs::path canonical = stdfs::canonical(dir, ec);
    if (ec) bad("root '" + name + "': '" + dir + "': " + ec.message());
    if (!stdfs::is_directory(canonical, ec)) bad("root '" + name + "': '" + dir + "' is not a directory");
    if (out->roots.count(name)) bad("root '" + name + "' is given twice (names are case-insensitive)");
    try {
      out->roots.emplace(name, std::make_unique<fsplugin::Root>(std::move(canonical), read_only, use_openat2));
    } catch (const std::system_error& e) {
      bad("root '" + name + "': " + e.what());
    }
  }
  if (const phost::View max = config["max_read_bytes"]) {
    if (max.kind() != PHOST_INT || max.as_int() <= 0) bad("\"max_read_bytes\" must be a positive integer");
    out->max_read_bytes = max.as_int();
  }
  return out;
}

void init(phost::Plugin& plugin, phost_plugin_info& info) {
  std::unique_ptr<Config> config = read_config(plugin.config({"roots", "max_read_bytes", "openat2"}));
  const Config* c = config.get();
  for (const auto& [name, root] : c->roots)
    plugin.log(PHOST_LOG_DEBUG, "root '" + name + "' -> " + root->path().string() + (root->read_only() ? " (read-only)" : "") +
                                    ", sandbox: " + (root->uses_openat2() ? "openat2" : "checks"));
  info.plugin_data = config.release();
  info.on_unload = [](void* data) { delete static_cast<Config*>(data); };
  plugin.add("fs", "Files under configured roots, gou's FS methods: fs.<root>.<Method>(args): " + fsplugin::method_names(),
             [c](phost::Call& call) { return fsplugin::dispatch(*c, call); }, PHOST_PROCESS_GROUP);
}

}  // namespace

PHOST_DECLARE_PLUGIN("fs", "1.1.0", init)
