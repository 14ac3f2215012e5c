#include "isolation.hpp"

#include "api.hpp"
#include "error.hpp"

#include <algorithm>
#include <cstring>
#include <new>

namespace phost {
namespace {

constexpr std::string_view kKeys[] = {"isolation", "workers", "worker_rss_mb", "worker_grace_ms", "worker_dir",
                                      "worker_seccomp"};

// Read through the ABI table: this file does not depend on the value model's layout.
const phost_api& api() noexcept { return *api_table(); }

const phost_value* member(const phost_value* object, std::string_view key) {
  return api().value_find(object, phost_str{key.data(), key.size()});
}

std::string_view text(const phost_value* v) {
  phost_str s{};
  if (api().value_kind(v) != PHOST_STRING || api().value_get_str(v, &s) != PHOST_OK) return {};
  return std::string_view(s.ptr, s.len);
}

int64_t integer(const phost_value* v, std::string_view key, int64_t min, int64_t max) {
  int64_t i = 0;
  if (api().value_get_int(v, &i) != PHOST_OK || i < min || i > max)
    throw Error(PHOST_E_INVALID_ARG, "plugin config: '" + std::string(key) + "' must be an integer from " +
                                         std::to_string(min) + " to " + std::to_string(max));
  return i;
}

}  // namespace

ValuePtr take_isolation(const phost_value* config, Isolation& out) {
  for (const std::string_view key : kKeys)
    if (key != "isolation" && member(config, key) && out.worker_key.empty()) out.worker_key = key;
  const phost_value* mode = member(config, "isolation");
  if (!mode && out.worker_key.empty()) return nullptr;
  if (mode) {
    if (text(mode) != "process" && text(mode) != "in-process")
      throw Error(PHOST_E_INVALID_ARG, "plugin config: 'isolation' must be \"process\" or \"in-process\"");
    out.process = text(mode) == "process";
  }
  if (const phost_value* v = member(config, "workers")) out.workers = static_cast<uint32_t>(integer(v, "workers", 1, kMaxWorkers));
  if (const phost_value* v = member(config, "worker_rss_mb"))
    out.rss_limit_mb = static_cast<uint64_t>(integer(v, "worker_rss_mb", 0, int64_t{1} << 40));
  if (const phost_value* v = member(config, "worker_grace_ms"))
    out.grace_ms = integer(v, "worker_grace_ms", 0, 3'600'000);
  if (const phost_value* v = member(config, "worker_dir")) {
    if (text(v).empty()) throw Error(PHOST_E_INVALID_ARG, "plugin config: 'worker_dir' must be a non-empty string");
    out.directory = text(v);
  }
  if (const phost_value* v = member(config, "worker_seccomp")) {
    int32_t on = 0;
    if (api().value_get_bool(v, &on) != PHOST_OK)
      throw Error(PHOST_E_INVALID_ARG, "plugin config: 'worker_seccomp' must be true or false");
    out.seccomp = on != 0;
  }
  phost_value* rest = nullptr;
  if (api().value_object(api().value_len(config), &rest) != PHOST_OK) throw std::bad_alloc();
  ValuePtr owned(rest);
  for (size_t i = 0; i < api().value_len(config); ++i) {
    phost_str key{};
    const phost_value* item = api().value_at(config, i, &key);
    if (std::find(std::begin(kKeys), std::end(kKeys), std::string_view(key.ptr, key.len)) != std::end(kKeys))
      continue;
    api().value_retain(item);
    if (api().value_set(rest, key, const_cast<phost_value*>(item)) != PHOST_OK) throw std::bad_alloc();
  }
  return owned;
}

void apply_load_options(const phost_load_options* options, Isolation& out) {
  if (!options) return;
  if (options->struct_size < offsetof(phost_load_options, working_dir) + sizeof(phost_str))
    throw Error(PHOST_E_INVALID_ARG, "options->struct_size is smaller than phost_load_options of phost 1.1");
  phost_load_options o{};
  std::memcpy(&o, options, std::min<size_t>(options->struct_size, sizeof o));
  if (o.isolation != PHOST_ISOLATION_IN_PROCESS && o.isolation != PHOST_ISOLATION_PROCESS)
    throw Error(PHOST_E_INVALID_ARG, "options->isolation must be PHOST_ISOLATION_IN_PROCESS or PHOST_ISOLATION_PROCESS");
  out.process = o.isolation == PHOST_ISOLATION_PROCESS;
  if (o.workers > kMaxWorkers)
    throw Error(PHOST_E_INVALID_ARG, "options->workers must be at most " + std::to_string(kMaxWorkers));
  if (o.workers) out.workers = o.workers;
  if (o.rss_limit_mb) out.rss_limit_mb = o.rss_limit_mb;
  if (o.grace_ms < 0) throw Error(PHOST_E_INVALID_ARG, "options->grace_ms must not be negative");
  if (o.grace_ms) out.grace_ms = o.grace_ms;
  if (o.working_dir.len) {
    if (!o.working_dir.ptr) throw Error(PHOST_E_INVALID_ARG, "options->working_dir.ptr is NULL");
    out.directory.assign(o.working_dir.ptr, o.working_dir.len);
  }
}

}  // namespace phost
