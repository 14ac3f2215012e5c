// Loading a plugin into worker processes (phost_load_plugin_ex,
// "isolation": "process"): the plugin runs in phost-worker processes and its
// processes are registered here under the names its first worker announced.
#include "error.hpp"
#include "host.hpp"
#include "isolation.hpp"
#include "plugin_search.hpp"

#ifndef _WIN32
#include "worker/pool.hpp"
#endif

#include <filesystem>

namespace phost {

#ifdef _WIN32

void Host::load_isolated(std::string_view path, const phost_value*, const Isolation&) {
  throw Error(PHOST_E_UNSUPPORTED, "plugin '" + std::string(path) +
                                       "': process isolation is Linux-only for now; load it in-process");
}

#else

void Host::load_isolated(std::string_view path_text, const phost_value* config, const Isolation& isolation) {
  std::error_code ec;
  const std::string found = find_plugin(path_text);
  if (!std::filesystem::is_regular_file(found, ec)) throw Error(PHOST_E_NOT_FOUND, "plugin file not found: " + found);
  // The worker runs in a directory of its own: it gets the path whole.
  const std::string path = std::filesystem::absolute(found, ec).lexically_normal().string();

  auto plugin = std::make_unique<phost_plugin>(*this, path);
  plugin->info.struct_size = sizeof(phost_plugin_info);
  if (config) {
    retain(config);
    plugin->config.reset(const_cast<phost_value*>(config));
  }
  plugin->logger = logger_;
  auto pool = std::make_unique<worker::Pool>(*this, path, config, isolation);
  const worker::Ready& ready = pool->start();
  plugin->info.name = ready.plugin_name.c_str();
  plugin->info.version = ready.plugin_version.c_str();
  plugin->info.abi_major = PHOST_ABI_MAJOR;
  plugin->info.abi_minor = PHOST_ABI_MINOR;
  for (const worker::Ready::Entry& e : ready.processes) {
    phost_process_desc desc{};
    desc.struct_size = sizeof desc;
    desc.flags = e.flags;
    desc.name = phost_str{e.name.data(), e.name.size()};
    desc.description = phost_str{e.description.data(), e.description.size()};
    desc.handler = &worker::Pool::handle;
    desc.user_data = pool->proxy(e);
    try {
      registry_.add(&desc, plugin.get());
    } catch (const Error& error) {
      registry_.remove_owned_by(plugin.get());
      throw Error(PHOST_E_LOAD, "plugin " + path + " failed to initialise (in worker processes): " + error.message(),
                  error.code());
    }
  }
  plugin->logger = make_plugin_logger(plugin->info.name);
  pool->set_logger(plugin->logger);
  plugin->info.on_unload = &worker::Pool::unload;
  plugin->info.plugin_data = pool.release();
  logger_->info("loaded plugin '{}' {} from {} in {} worker process(es)", plugin->info.name, plugin->info.version,
                path, isolation.workers);
  std::lock_guard lock(plugins_mutex_);
  plugins_.push_back(std::move(plugin));
}

#endif

}  // namespace phost
