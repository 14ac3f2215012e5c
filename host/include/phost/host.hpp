// phost C++ API for applications: a thin, header-only layer over phost.h and
// the sdk's values (phost/value.hpp) and handlers (phost/plugin.hpp).
//
//   phost::Host host;                       // sets phost::api() for the sdk wrappers
//   host.load_plugin("echo");             // a bare name: the installed plugin folder
//   host.add("app.hello", "Greets", [](phost::Call& c) { return phost::Value::string("hi"); });
//   phost::Value r = host.call("echo.add", phost::args(2, 3));  // throws phost::Error
//
// spdlog sinks as the log target: phost/host_spdlog.hpp.
// Consumers link phost::host and phost::sdk (and spdlog::spdlog for host_spdlog.hpp).
#pragma once

#include <phost/phost.h>
#include <phost/plugin.hpp>
#include <phost/value.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace phost {

// Receives every log line of a host and its plugins: level (PHOST_LOG_*),
// logger ("phost" or "phost.<plugin>") and the message, both borrowed for the
// call. Runs on any thread, concurrently; exceptions it throws are dropped.
using LogFn = std::function<void(int level, std::string_view logger, std::string_view message)>;

struct HostOptions {
  uint32_t max_depth = 0;           // nested call limit; 0 = the host's default (256); see phost.h
  int32_t log_level = PHOST_LOG_INFO;  // lines below it are dropped
  LogFn log;                        // empty: the host logs to stderr
};

struct CallOptions {
  std::string_view session;            // borrowed for the call
  View subject;                        // authorized subject, or empty
  View global;                         // global map (an object), or empty
  std::chrono::milliseconds timeout{0};  // 0 = none
  const phost_cancel* cancel = nullptr;  // see phost_cancel_new
};

// Where Host::load_plugin runs a plugin (phost_load_options in phost.h).
enum class Isolation : uint32_t {
  in_process = PHOST_ISOLATION_IN_PROCESS,
  process = PHOST_ISOLATION_PROCESS,  // supervised worker processes; Linux only for now
};

struct LoadOptions {
  Isolation isolation = Isolation::in_process;
  uint32_t workers = 0;                // 0: 1
  uint64_t rss_limit_mb = 0;           // per worker; 0: none
  std::chrono::milliseconds grace{0};  // after a deadline or cancellation; 0: 1000 ms
  std::string_view working_dir;        // empty: the host's current directory
};

// One entry of Host::list().
struct ProcessInfo {
  std::string name;         // as registered; a group's bare name ("scripts")
  std::string description;
  std::string plugin;       // the registering plugin's name, or "application"
  bool group = false;       // takes every "<name>.<id>.<Method>"
};

// A process looked up once (Host::lookup) and called many times: a call
// through it is a call by its name at that moment, without the name parsing
// and registry search (phost_lookup). Move-only; usable from many threads at
// once, and released by its destructor (also after its Host is gone; only a
// call needs the Host alive).
class ProcessRef {
public:
  ProcessRef() noexcept = default;
  ProcessRef(ProcessRef&&) noexcept = default;
  ProcessRef& operator=(ProcessRef&&) noexcept = default;

  explicit operator bool() const noexcept { return ref_ != nullptr; }
  phost_ref* get() const noexcept { return ref_.get(); }

  // As Host::call with the name looked up.
  Value call(View args = {}, const CallOptions& options = {}) const;

private:
  friend class Host;
  struct Release {
    void operator()(phost_ref* r) const noexcept { phost_ref_release(r); }
  };
  ProcessRef(phost_host* host, phost_ref* ref) noexcept : host_(host), ref_(ref) {}

  phost_host* host_ = nullptr;
  std::unique_ptr<phost_ref, Release> ref_;
};

// Owns one phost_host. Move-only. Thread-safe like the C API: everything but
// destruction (and moving) may run concurrently from many threads.
class Host {
public:
  using Options = HostOptions;

  Host() : Host(Options{}) {}
  explicit Host(Options options) {
    // The sdk wrappers (Value, View, Call) call through this table.
    const phost_api* table = phost_get_api(PHOST_ABI_MAJOR);
    if (!table) throw Error(500, "libphost does not serve ABI major " + std::to_string(PHOST_ABI_MAJOR),
                            PHOST_E_VERSION);
    set_api(table);
    phost_host_config config{};
    config.struct_size = sizeof config;
    config.max_depth = options.max_depth;
    config.log_level = options.log_level;
    if (options.log) {
      // On the heap so its address survives moves of the Host.
      log_ = std::make_unique<LogFn>(std::move(options.log));
      config.log = &Host::forward_log;
      config.log_data = log_.get();
    }
    phost_host* raw = nullptr;
    check(phost_host_create(&config, &raw));
    host_.reset(raw);
  }

  Host(Host&&) noexcept = default;
  Host& operator=(Host&& other) noexcept {
    // The old host goes first, while the log target it may still use lives.
    host_ = std::move(other.host_);
    log_ = std::move(other.log_);
    return *this;
  }
  // Runs the plugins' on_unload, the finalizers, then unloads the libraries.
  ~Host() = default;

  phost_host* get() const noexcept { return host_.get(); }

  // Loads a plugin by path or bare name ("v8", "fs"; see phost_load_plugin);
  // config: an object handed to the plugin, or empty.
  // Throws Error with status PHOST_E_NOT_FOUND, PHOST_E_LOAD or PHOST_E_VERSION.
  void load_plugin(std::string_view path, View config = {}) {
    check(phost_load_plugin(host_.get(), to_str(path), config.get()));
  }
  // The same, in worker processes for Isolation::process:
  //   host.load_plugin("v8", config, {.isolation = phost::Isolation::process, .workers = 4});
  void load_plugin(std::string_view path, View config, const LoadOptions& options) {
    phost_load_options o{};
    o.struct_size = sizeof o;
    o.isolation = static_cast<uint32_t>(options.isolation);
    o.workers = options.workers;
    o.rss_limit_mb = options.rss_limit_mb;
    o.grace_ms = options.grace.count();
    o.working_dir = to_str(options.working_dir);
    check(phost_load_plugin_ex(host_.get(), to_str(path), config.get(), &o));
  }

  // Registers one of the application's own processes (flags:
  // PHOST_PROCESS_GROUP, PHOST_PROCESS_SERIAL). Handler exceptions become the
  // call's error: a phost::Error keeps its code, anything else is a 500.
  void add(std::string_view name, std::string_view description, Handler handler, uint32_t flags = 0) {
    phost_host* host = host_.get();
    check(register_handler(name, description, std::move(handler), flags, nullptr,
                           [host](const phost_process_desc* desc) { return phost_register(host, desc); }));
  }

  // Removes a process (calls in flight finish first).
  void remove(std::string_view name) { check(phost_unregister(host_.get(), to_str(name))); }
  // Makes alias another name of the registered process name.
  void alias(std::string_view name, std::string_view alias) {
    check(phost_alias(host_.get(), to_str(name), to_str(alias)));
  }

  // Calls a process with args (an array, or empty for none). Throws Error
  // with the process's code, message and stack (Error::stack(), empty when
  // the process gave none) when the call fails.
  Value call(std::string_view name, View args = {}, const CallOptions& options = {}) {
    const phost_call_options o = c_options(options);
    phost_value* out = nullptr;
    check(phost_call(host_.get(), to_str(name), args.get(), given(options, o), &out));
    return Value::adopt(out);
  }

  // A handle on name for repeated calls (ProcessRef). Throws Error: 400 for a
  // malformed name, 404 when nothing takes it now.
  ProcessRef lookup(std::string_view name) const {
    phost_ref* ref = nullptr;
    check(phost_lookup(host_.get(), to_str(name), &ref));
    return ProcessRef(host_.get(), ref);
  }

  // NULL for the defaults: the host then has nothing to read or check.
  static const phost_call_options* given(const CallOptions& options, const phost_call_options& o) noexcept {
    const bool plain = options.session.empty() && !options.subject.get() && !options.global.get() &&
                       options.timeout.count() == 0 && !options.cancel;
    return plain ? nullptr : &o;
  }
  static phost_call_options c_options(const CallOptions& options) noexcept {
    phost_call_options o{};
    o.struct_size = sizeof o;
    o.session = to_str(options.session);
    o.subject = options.subject.get();
    o.global = options.global.get();
    o.timeout_ms = options.timeout.count();
    o.cancel = options.cancel;
    return o;
  }

  // Every registered name, sorted by name.
  std::vector<ProcessInfo> list() const {
    phost_value* raw = nullptr;
    check(phost_list(host_.get(), &raw));
    const Value entries = Value::adopt(raw);
    std::vector<ProcessInfo> out;
    out.reserve(entries.size());
    for (size_t i = 0; i < entries.size(); ++i) {
      const View e = entries[i];
      out.push_back({std::string(e["name"].as_string()), std::string(e["description"].as_string()),
                     std::string(e["plugin"].as_string()), e["group"].as_bool()});
    }
    return out;
  }

private:
  struct Destroy {
    void operator()(phost_host* h) const noexcept { phost_host_destroy(h); }
  };

  static void PHOST_CALL forward_log(void* data, int32_t level, phost_str logger, phost_str message) {
    try {
      (*static_cast<const LogFn*>(data))(level, to_view(logger), to_view(message));
    } catch (...) {  // A log line is never worth unwinding through the host.
    }
  }

  // Declared before host_: destroyed after it, so late log lines still land.
  std::unique_ptr<LogFn> log_;
  std::unique_ptr<phost_host, Destroy> host_;
};

inline Value ProcessRef::call(View args, const CallOptions& options) const {
  const phost_call_options o = Host::c_options(options);
  phost_value* out = nullptr;
  check(phost_call_ref(host_, ref_.get(), args.get(), Host::given(options, o), &out));
  return Value::adopt(out);
}

}  // namespace phost
