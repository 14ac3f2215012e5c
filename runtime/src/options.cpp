#include "options.hpp"

#include <algorithm>
#include <array>
#include <thread>

namespace phost::v8rt {
namespace {

[[noreturn]] void bad(std::string_view key, std::string_view what) {
  throw Error(400, "runtime config: '" + std::string(key) + "' " + std::string(what), PHOST_E_INVALID_ARG);
}

int64_t integer(View config, std::string_view key, int64_t fallback, int64_t max) {
  const View v = config[key];
  if (!v) return fallback;
  if (v.kind() != PHOST_INT || v.as_int() < 0 || v.as_int() > max)
    bad(key, "must be an integer from 0 to " + std::to_string(max));
  return v.as_int();
}

std::filesystem::path path(View config, std::string_view key) {
  const View v = config[key];
  if (!v) return {};
  if (v.kind() != PHOST_STRING) bad(key, "must be a string");
  return std::filesystem::path(std::string(v.as_string()));
}

std::optional<std::vector<std::string>> patterns(View config, std::string_view key) {
  const View v = config[key];
  if (!v) return std::nullopt;
  if (v.kind() != PHOST_ARRAY) bad(key, "must be an array of process name patterns");
  std::vector<std::string> out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i].kind() != PHOST_STRING) bad(key, "must be an array of process name patterns");
    out.emplace_back(v[i].as_string());
  }
  return out;
}

constexpr std::array kKeys = {"app_dir",  "isolates",      "timeout_ms",      "load_timeout_ms",
                              "heap_mb",  "cache_dir",     "process_allow",   "process_deny",
                              "max_value_items", "max_value_mb", "max_script_mb", "strict", "globals", "watch"};

}  // namespace

Options read_options(View config) {
  Options o;
  if (!config) return read_options(View());
  if (config.kind() != PHOST_OBJECT && config.kind() != PHOST_NULL)
    throw Error(400, "runtime config: must be an object", PHOST_E_INVALID_ARG);
  for (size_t i = 0; i < config.size(); ++i) {
    const std::string_view key = config.key_at(i);
    if (std::find(kKeys.begin(), kKeys.end(), key) == kKeys.end()) {
      std::string known;
      for (const char* k : kKeys) known += (known.empty() ? "" : ", ") + std::string(k);
      bad(key, "is not a runtime option (known: " + known + ")");
    }
  }
  o.app_dir = path(config, "app_dir");
  o.cache_dir = path(config, "cache_dir");
  o.isolates = static_cast<unsigned>(integer(config, "isolates", 0, 64));
  if (o.isolates == 0) o.isolates = std::max(1u, std::thread::hardware_concurrency());
  o.timeout_ms = integer(config, "timeout_ms", o.timeout_ms, 24 * 3600 * 1000);
  o.load_timeout_ms = integer(config, "load_timeout_ms", o.load_timeout_ms, 24 * 3600 * 1000);
  o.heap_mb = static_cast<size_t>(integer(config, "heap_mb", static_cast<int64_t>(o.heap_mb), Options::kMaxHeapMb));
  o.heap_mb = std::max<size_t>(o.heap_mb, 8);
  o.max_value_items = static_cast<size_t>(integer(config, "max_value_items", static_cast<int64_t>(o.max_value_items),
                                                  int64_t{1} << 31));
  o.max_value_bytes = static_cast<size_t>(integer(config, "max_value_mb", 64, 4096)) << 20;
  o.max_script_bytes = static_cast<size_t>(integer(config, "max_script_mb", 2, 64)) << 20;
  if (o.max_script_bytes == 0) bad("max_script_mb", "must be at least 1");
  if (const View strict = config["strict"]) {
    if (strict.kind() != PHOST_BOOL) bad("strict", "must be true or false");
    o.strict = strict.as_bool();
  }
  if (const View globals = config["globals"]) {
    const std::string_view g = globals.kind() == PHOST_STRING ? globals.as_string() : std::string_view();
    if (g != "gou" && g != "minimal") bad("globals", "must be \"gou\" (gou's script library) or \"minimal\" (the bridge only)");
    o.gou_globals = g == "gou";
  }
  if (const View watch = config["watch"]) {
    if (watch.kind() != PHOST_BOOL) bad("watch", "must be true or false");
    o.watch = watch.as_bool();
    if (o.watch && o.app_dir.empty()) bad("watch", "needs an app_dir to watch");
  }
  try {
    o.rules = ProcessRules(patterns(config, "process_allow"), patterns(config, "process_deny"));
  } catch (const std::invalid_argument& e) {
    bad("process_allow/process_deny", e.what());
  }
  return o;
}

}  // namespace phost::v8rt
