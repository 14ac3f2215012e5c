// Loading plugins with Boost.DLL: resolve the versioned entry, negotiate the
// ABI, run the entry; a failed load leaves nothing behind.
#include "api.hpp"
#include "error.hpp"
#include "foreign_call.hpp"
#include "host.hpp"
#include "isolation.hpp"
#include "plugin_search.hpp"
#include "utf8.hpp"

#include <boost/dll/shared_library.hpp>

#ifdef _WIN32
#include <windows.h>
#else
#include <dlfcn.h>
#endif

#include <cstring>
#include <exception>
#include <filesystem>
#include <optional>
#include <type_traits>

namespace phost {
namespace {

using EntryFn = std::remove_pointer_t<phost_plugin_entry_v1_fn>;

// A plugin's name shows in listings, log names and messages.
constexpr size_t kMaxPluginName = 256;

// Why the system loader refused a library.
std::string loader_message([[maybe_unused]] const boost::dll::fs::error_code& ec) {
#ifdef _WIN32
  // Boost.DLL keeps LoadLibrary's error code. The file itself exists (checked
  // before), so "module not found" means one of its own DLLs: say so, rather
  // than the system's text that reads like the plugin is missing.
  const auto code = static_cast<DWORD>(ec.value());
  const std::string number = " (Windows error " + std::to_string(code) + ")";
  if (code == ERROR_BAD_EXE_FORMAT) return "not a DLL for this system" + number;
  if (code == ERROR_MOD_NOT_FOUND) return "a DLL it depends on is missing" + number;
  if (code == ERROR_PROC_NOT_FOUND) return "a DLL it depends on lacks a function it imports" + number;
  char* text = nullptr;
  const DWORD length = FormatMessageA(
      FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, nullptr, code,
      0, reinterpret_cast<char*>(&text), 0, nullptr);
  std::string message(text ? text : "", length);
  LocalFree(text);
  while (!message.empty() && (message.back() == '\n' || message.back() == '\r' || message.back() == ' '))
    message.pop_back();
  if (message.empty()) message = "the system loader refused it";
  return message + number;
#else
  if (const char* detail = dlerror()) return detail;
  return "the system loader refused it";
#endif
}

// A plugin that exports only phost_plugin_entry_vN for a later N.
uint32_t newer_major(const boost::dll::shared_library& library) {
  for (uint32_t major = PHOST_ABI_MAJOR + 1; major < PHOST_ABI_MAJOR + 16; ++major)
    if (library.has("phost_plugin_entry_v" + std::to_string(major))) return major;
  return 0;
}

}  // namespace

std::string plugin_label(const phost_plugin* plugin) {
  if (!plugin) return "nobody";
  if (plugin->path.empty()) return "the application";
  if (plugin->info.name) return "plugin '" + std::string(plugin->info.name) + "' (" + plugin->path + ")";
  return "plugin " + plugin->path;
}

void Host::load_plugin(std::string_view path_text, const phost_value* config, const phost_load_options* options) {
  if (config && kind_of(config) != PHOST_OBJECT)
    throw Error(PHOST_E_INVALID_ARG, "config of plugin '" + std::string(path_text) + "' must be an object");
  // Isolation keys in the config are the host's, never the plugin's.
  Isolation isolation;
  const ValuePtr plugin_config = config ? take_isolation(config, isolation) : nullptr;
  if (plugin_config) config = plugin_config.get();
  apply_load_options(options, isolation);
  if (!isolation.process && !isolation.worker_key.empty())
    throw Error(PHOST_E_INVALID_ARG, "plugin config: '" + isolation.worker_key + "' applies to worker processes, " +
                                         "but plugin '" + std::string(path_text) + "' is loaded in-process " +
                                         "(set \"isolation\": \"process\")");
  if (isolation.process) {
    if (std::error_code ec; !isolation.directory.empty() && !std::filesystem::is_directory(isolation.directory, ec))
      throw Error(PHOST_E_INVALID_ARG, "the workers' directory '" + isolation.directory +
                                           "' (worker_dir, options->working_dir) is not a directory");
    load_isolated(path_text, config, isolation);
    return;
  }
  const std::string path = find_plugin(path_text);
  std::error_code fs_error;
  if (!std::filesystem::is_regular_file(path, fs_error)) {
    if (!std::filesystem::exists(path, fs_error)) throw Error(PHOST_E_NOT_FOUND, "plugin file not found: " + path);
    throw Error(PHOST_E_LOAD, "cannot load plugin " + path + ": " +
                                  (std::filesystem::is_directory(path, fs_error) ? "it is a directory"
                                                                                 : "it is not a regular file"));
  }

  auto library = std::make_unique<boost::dll::shared_library>();
  boost::dll::fs::error_code ec;
  library->load(path, ec, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  if (ec) throw Error(PHOST_E_LOAD, "cannot load plugin " + path + ": " + loader_message(ec));
  if (!library->has(PHOST_PLUGIN_ENTRY_SYMBOL)) {
    if (const uint32_t major = newer_major(*library))
      throw Error(PHOST_E_VERSION, "plugin " + path + " was built for phost ABI " + std::to_string(major) +
                                       "; this host serves ABI " + std::to_string(PHOST_ABI_MAJOR));
    throw Error(PHOST_E_LOAD, "plugin " + path + " is not a phost plugin: it exports no " +
                                  PHOST_PLUGIN_ENTRY_SYMBOL);
  }
  EntryFn& entry = library->get<EntryFn>(PHOST_PLUGIN_ENTRY_SYMBOL);

  auto plugin = std::make_unique<phost_plugin>(*this, path);
  plugin->info.struct_size = sizeof(phost_plugin_info);
  if (config) {
    retain(config);
    plugin->config.reset(const_cast<phost_value*>(config));
  }
  plugin->logger = logger_;

  clear_last_error();
  auto undo = [&] {
    if (plugin->info.on_unload) run_foreign([&] { plugin->info.on_unload(plugin->info.plugin_data); });
    registry_.remove_owned_by(plugin.get());
  };
  phost_status status = PHOST_E_INTERNAL;
  std::optional<std::string> thrown;  // what an entry that broke the ABI's rule threw
  try {
    status = entry(api_table(), plugin.get(), &plugin->info);
  } catch (const std::exception& e) {
    thrown = e.what();
  } catch (...) {
    thrown = "an exception that is not a std::exception";
  }
  if (thrown) {
    undo();
    throw Error(PHOST_E_LOAD, "plugin " + path + " failed to initialise: its entry threw (the C ABI forbids it): " +
                                  replace_invalid_utf8(thrown->substr(0, 1000)));
  }
  const LastError why = last_error();

  if (status != PHOST_OK) {
    undo();
    std::string message = "plugin " + path + " failed to initialise: ";
    message += why.status != PHOST_OK && !why.message.empty() ? why.message : status_name(status);
    throw Error(PHOST_E_LOAD, message, why.status != PHOST_OK ? why.code : 0);
  }
  if (plugin->info.abi_major != PHOST_ABI_MAJOR) {
    undo();
    throw Error(PHOST_E_VERSION, "plugin " + path + " declares phost ABI " +
                                     std::to_string(plugin->info.abi_major) + "." +
                                     std::to_string(plugin->info.abi_minor) + "; this host serves ABI " +
                                     std::to_string(PHOST_ABI_MAJOR) + "." + std::to_string(PHOST_ABI_MINOR));
  }
  if (!plugin->info.name || !*plugin->info.name) {
    undo();
    throw Error(PHOST_E_LOAD, "plugin " + path + " did not set info->name");
  }
  // The name shows in listings, log names and messages; a version only in a log line.
  if (!valid_utf8(plugin->info.name)) {
    undo();
    throw Error(PHOST_E_LOAD, "plugin " + path + " set an info->name that is not valid UTF-8");
  }
  if (const size_t length = std::strlen(plugin->info.name); length > kMaxPluginName) {
    undo();
    throw Error(PHOST_E_LOAD, "plugin " + path + " set an info->name of " + std::to_string(length) +
                                  " bytes; at most " + std::to_string(kMaxPluginName) + " are allowed");
  }
  plugin->logger = make_plugin_logger(plugin->info.name);
  plugin->library = std::move(library);
  logger_->info("loaded plugin '{}' {} from {}", plugin->info.name,
                plugin->info.version ? plugin->info.version : "", path);
  std::lock_guard lock(plugins_mutex_);
  plugins_.push_back(std::move(plugin));
}

}  // namespace phost

phost_plugin::phost_plugin(phost::Host& owner, std::string library_path)
    : host(owner), path(std::move(library_path)) {}

phost_plugin::~phost_plugin() = default;
