// The V8 fuzz targets' host: libphost_v8 loaded once per process (V8 is
// initialised once per process anyway) with one isolate and a short
// timeout, and helpers to load scripts and call processes.
#pragma once

#include "fuzz_support.hpp"

namespace fuzz {

struct Outcome {
  phost_status status = PHOST_OK;
  Ref value;
  Err error;
};

inline Ref json_value(std::string_view text) {
  phost_value* v = nullptr;
  if (api().value_from_json(S(text), &v) != PHOST_OK) fail(__FILE__, __LINE__, "json_value", std::string(text));
  return Ref(v);
}

inline Ref string_value(std::string_view s) {
  phost_value* v = nullptr;
  if (api().value_string(S(s), &v) != PHOST_OK) return nullptr;
  return Ref(v);
}

// An array of the given values (each retained).
inline Ref args_of(std::initializer_list<const phost_value*> items) {
  phost_value* array = nullptr;
  if (api().value_array(items.size(), &array) != PHOST_OK) std::abort();
  for (const phost_value* item : items) {
    api().value_retain(item);
    if (api().value_push(array, const_cast<phost_value*>(item)) != PHOST_OK) std::abort();
  }
  return Ref(array);
}

class V8Host {
public:
  explicit V8Host(int timeout_ms) {
    phost_host_config config{};
    config.struct_size = sizeof config;
    // Script errors are expected by the thousand; only the host's own errors are shown.
    config.log = [](void*, int32_t level, phost_str logger, phost_str message) {
      if (level >= PHOST_LOG_ERROR)
        std::fprintf(stderr, "%.*s: %.*s\n", int(logger.len), logger.ptr, int(message.len), message.ptr);
    };
    config.log_level = PHOST_LOG_WARN;
    if (phost_host_create(&config, &host_) != PHOST_OK) fail(__FILE__, __LINE__, "host", last_error().message);
    const Ref plugin_config =
        json_value("{\"isolates\":1,\"timeout_ms\":" + std::to_string(timeout_ms) + "}");
    if (phost_load_plugin(host_, S(PHOST_V8_PLUGIN), plugin_config.get()) != PHOST_OK)
      fail(__FILE__, __LINE__, "loading " PHOST_V8_PLUGIN, last_error().message);
  }
  // Never destroyed: V8 lives for the whole process, and libFuzzer exits
  // without running the fuzz targets' cleanup in the common paths.

  Outcome call(std::string_view name, const phost_value* args, int64_t timeout_ms = 0) {
    phost_value* out = nullptr;
    Outcome o;
    phost_call_options options{};
    options.struct_size = sizeof options;
    options.timeout_ms = timeout_ms;
    o.status = phost_call(host_, S(name), args, &options, &out);
    o.value.reset(out);
    o.error = last_error();
    return o;
  }

  Outcome load(std::string_view id, std::string_view source) {
    const Ref id_v = string_value(id), source_v = string_value(source), file_v = string_value(std::string(id) + ".js");
    if (!source_v) fail(__FILE__, __LINE__, "load", "source is not UTF-8");
    const Ref args = args_of({id_v.get(), source_v.get(), file_v.get()});
    return call("runtime.load", args.get());
  }

  void must_load(std::string_view id, std::string_view source) {
    const Outcome o = load(id, source);
    if (o.status != PHOST_OK) fail(__FILE__, __LINE__, "must_load", err_text(o.error));
  }

  phost_host* host() const noexcept { return host_; }

private:
  phost_host* host_ = nullptr;
};

}  // namespace fuzz
