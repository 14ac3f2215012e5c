#include "options.hpp"

#include <thread>

namespace phost::v8rt {
namespace {

int64_t positive(View config, std::string_view key, int64_t fallback, int64_t max) {
  const View v = config[key];
  if (!v) return fallback;
  if (v.kind() != PHOST_INT || v.as_int() < 0 || v.as_int() > max)
    throw Error(400, "runtime config: '" + std::string(key) + "' must be an integer from 0 to " + std::to_string(max),
                PHOST_E_INVALID_ARG);
  return v.as_int();
}

std::filesystem::path path(View config, std::string_view key) {
  const View v = config[key];
  if (!v) return {};
  if (v.kind() != PHOST_STRING)
    throw Error(400, "runtime config: '" + std::string(key) + "' must be a string", PHOST_E_INVALID_ARG);
  return std::filesystem::path(std::string(v.as_string()));
}

}  // namespace

Options read_options(View config) {
  Options o;
  if (!config) config = View();
  o.app_dir = path(config, "app_dir");
  o.cache_dir = path(config, "cache_dir");
  o.isolates = static_cast<unsigned>(positive(config, "isolates", 0, 64));
  if (o.isolates == 0) o.isolates = std::max(1u, std::thread::hardware_concurrency());
  o.timeout_ms = positive(config, "timeout_ms", o.timeout_ms, 24 * 3600 * 1000);
  o.heap_mb = static_cast<size_t>(positive(config, "heap_mb", static_cast<int64_t>(o.heap_mb), 16384));
  if (o.heap_mb < 8) o.heap_mb = 8;
  return o;
}

}  // namespace phost::v8rt
