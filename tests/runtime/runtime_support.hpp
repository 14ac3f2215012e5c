// Helpers for the runtime tests: a host with the V8 plugin loaded, scripts
// loaded through runtime.load, calls that return the value or the error.
#pragma once

#include <phost/host.hpp>

#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

namespace rt_test {

// A fresh folder of the system's temp directory, for an app or a cache.
inline std::filesystem::path temp_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("phost-test-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

inline void write(const std::filesystem::path& file, const std::string& text) {
  std::filesystem::create_directories(file.parent_path());
  std::ofstream(file) << text;
}

struct Options {
  int isolates = 1;
  int timeout_ms = 5000;
  int heap_mb = 0;  // 0: the plugin's default
  std::string app_dir, cache_dir;
  std::vector<std::string> process_allow;  // empty: the plugin's default
  int load_timeout_ms = 0;                 // 0: the plugin's default
  std::string globals;                     // empty: the plugin's default
  // Registered by the application before the runtime is loaded.
  std::vector<std::pair<std::string, phost::Handler>> processes;
  std::vector<std::pair<std::string, std::string>> plugins;  // path, JSON config: loaded before the runtime
  bool watch = false;
  int max_value_mb = 0;   // 0: the plugin's default
  int max_script_mb = 0;  // 0: the plugin's default
};

struct Failure {
  int32_t code = 0;
  phost_status status = PHOST_OK;
  std::string message;
  std::string stack;
};

class Runtime {
public:
  explicit Runtime(const Options& o = {}) : host_(host_options()) {
    phost::Value config = phost::Value::object();
    config.set("isolates", phost::Value::integer(o.isolates));
    config.set("timeout_ms", phost::Value::integer(o.timeout_ms));
    if (o.heap_mb) config.set("heap_mb", phost::Value::integer(o.heap_mb));
    if (!o.app_dir.empty()) config.set("app_dir", phost::Value::string(o.app_dir));
    if (!o.cache_dir.empty()) config.set("cache_dir", phost::Value::string(o.cache_dir));
    if (o.load_timeout_ms) config.set("load_timeout_ms", phost::Value::integer(o.load_timeout_ms));
    if (o.watch) config.set("watch", phost::Value::boolean(true));
    if (o.max_value_mb) config.set("max_value_mb", phost::Value::integer(o.max_value_mb));
    if (o.max_script_mb) config.set("max_script_mb", phost::Value::integer(o.max_script_mb));
    if (!o.process_allow.empty()) {
      phost::Value allow = phost::Value::array();
      for (const std::string& p : o.process_allow) allow.push(phost::Value::string(p));
      config.set("process_allow", std::move(allow));
    }
    if (!o.globals.empty()) config.set("globals", phost::Value::string(o.globals));
    for (const auto& [name, handler] : o.processes)
      host_.add(name, "", handler, name.find('.') == std::string::npos ? PHOST_PROCESS_GROUP : 0);
    for (const auto& [path, plugin_config] : o.plugins) host_.load_plugin(path, phost::Value::from_json(plugin_config));
    host_.load_plugin(PHOST_V8_PLUGIN, config);
  }

  phost::Host& host() { return host_; }

  // A process that returns its first argument, keeping each one's JSON in
  // seen when it is given.
  void add_echo(const std::string& name, std::vector<std::string>* seen = nullptr) {
    host_.add(name, "", [seen](phost::Call& call) {
      if (seen) seen->push_back(call.args()[0].to_json());
      return call.args()[0].retain();
    });
  }

  // Loads a script; fails the test if it does not load.
  void load(std::string_view id, std::string_view source, std::string_view file = "") {
    const Failure f = load_error(id, source, file);
    REQUIRE_MESSAGE(f.code == 0, "loading ", id, ": ", f.message);
  }
  Failure load_error(std::string_view id, std::string_view source, std::string_view file = "") {
    return error_of("runtime.load", phost::args(id, source, file.empty() ? std::string(id) + ".js" : std::string(file)));
  }

  // The result as JSON; fails the test on an error.
  std::string json(std::string_view name, const phost::Value& args = phost::args(),
                   const phost::CallOptions& options = {}) {
    try {
      return host_.call(name, args, options).to_json();
    } catch (const phost::Error& e) {
      FAIL("call ", name, " failed with ", e.code(), ": ", e.what());
      return {};
    }
  }

  // The result as JSON, or "error <code>: <message>": for a check repeated
  // until it holds, through states where the call may fail for a while.
  std::string outcome(std::string_view name, const phost::Value& args = phost::args()) {
    try {
      return host_.call(name, args).to_json();
    } catch (const phost::Error& e) {
      return "error " + std::to_string(e.code()) + ": " + e.what();
    }
  }

  // The error; code 0 when the call succeeded.
  Failure error_of(std::string_view name, const phost::Value& args = phost::args(),
                   const phost::CallOptions& options = {}) {
    try {
      host_.call(name, args, options);
      return {};
    } catch (const phost::Error& e) {
      return {e.code(), e.status(), e.what(), e.stack()};
    }
  }

  std::vector<std::string> log_lines() const {
    std::lock_guard lock(*log_mutex_);
    return *log_;
  }

private:
  phost::HostOptions host_options() {
    phost::HostOptions o;
    o.log_level = PHOST_LOG_DEBUG;
    auto lines = log_;
    auto mutex = log_mutex_;
    o.log = [lines, mutex](int, std::string_view logger, std::string_view message) {
      std::lock_guard lock(*mutex);
      lines->push_back(std::string(logger) + ": " + std::string(message));
    };
    return o;
  }

  std::shared_ptr<std::vector<std::string>> log_ = std::make_shared<std::vector<std::string>>();
  std::shared_ptr<std::mutex> log_mutex_ = std::make_shared<std::mutex>();
  phost::Host host_;
};

}  // namespace rt_test
