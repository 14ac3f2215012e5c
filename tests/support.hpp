// Helpers shared by the libphost tests: RAII for hosts and values, the last
// error as a struct, JSON in and out, app handlers from lambdas, log capture.
// Tests use only the public C API (phost.h + the phost_api table).
#pragma once

#include "c_api_support.hpp"

#include <phost/phost.h>

#include <doctest/doctest.h>

#include <functional>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace test {

struct HostDestroy {
  void operator()(phost_host* h) const { phost_host_destroy(h); }
};
using HostPtr = std::unique_ptr<phost_host, HostDestroy>;

struct CancelFree {
  void operator()(phost_cancel* c) const { phost_cancel_free(c); }
};
using CancelPtr = std::unique_ptr<phost_cancel, CancelFree>;

inline std::ostream& operator<<(std::ostream& os, const Err& e) {
  return os << "{status " << e.status << ", code " << e.code << ", \"" << e.message << "\"}";
}

// Every log line of a host, captured (thread-safe).
struct LogLine {
  int32_t level;
  std::string logger, message;
};
class LogCapture {
public:
  static void PHOST_CALL sink(void* data, int32_t level, phost_str logger, phost_str message) {
    auto* self = static_cast<LogCapture*>(data);
    std::lock_guard lock(self->mutex_);
    self->lines_.push_back({level, std::string(V(logger)), std::string(V(message))});
  }
  std::vector<LogLine> lines() const {
    std::lock_guard lock(mutex_);
    return lines_;
  }

private:
  mutable std::mutex mutex_;
  std::vector<LogLine> lines_;
};

// A host; logs go to capture when given, else nowhere (to keep test output clean).
inline HostPtr make_host(LogCapture* capture = nullptr, uint32_t max_depth = 0) {
  phost_host_config config{};
  config.struct_size = sizeof config;
  config.max_depth = max_depth;
  config.log = capture ? &LogCapture::sink : [](void*, int32_t, phost_str, phost_str) {};
  config.log_data = capture;
  config.log_level = PHOST_LOG_TRACE;
  phost_host* host = nullptr;
  REQUIRE(phost_host_create(&config, &host) == PHOST_OK);
  REQUIRE(host != nullptr);
  return HostPtr(host);
}

inline Ref json(std::string_view text) {
  phost_value* v = nullptr;
  const phost_status status = api().value_from_json(S(text), &v);
  INFO(last_error());
  REQUIRE(status == PHOST_OK);
  return Ref(v);
}

inline std::string to_json(const phost_value* v) {
  std::string out;
  const phost_status status = api().value_to_json(
      v, [](void* sink, phost_str piece) { static_cast<std::string*>(sink)->append(piece.ptr, piece.len); }, &out);
  INFO(last_error());
  REQUIRE(status == PHOST_OK);
  return out;
}

inline Ref str_value(std::string_view s) {
  phost_value* v = nullptr;
  REQUIRE(api().value_string(S(s), &v) == PHOST_OK);
  return Ref(v);
}

inline Ref int_value(int64_t i) {
  phost_value* v = nullptr;
  REQUIRE(api().value_int(i, &v) == PHOST_OK);
  return Ref(v);
}

inline std::string get_string(const phost_value* v) {
  phost_str s{};
  REQUIRE(api().value_get_str(v, &s) == PHOST_OK);
  return std::string(V(s));
}

inline int64_t get_int(const phost_value* v) {
  int64_t i = 0;
  INFO(last_error());
  REQUIRE(api().value_get_int(v, &i) == PHOST_OK);
  return i;
}

inline const phost_value* field(const phost_value* object, std::string_view key) {
  return api().value_find(object, S(key));
}

// The outcome of one call: its status, its value (OK) or its error (not OK).
struct Outcome {
  phost_status status;
  Ref value;
  Err error;
};
inline std::ostream& operator<<(std::ostream& os, const Outcome& o) { return os << o.error; }

inline Outcome call(phost_host* host, std::string_view name, const phost_value* args = nullptr,
                    const phost_call_options* options = nullptr) {
  phost_value* out = nullptr;
  Outcome o{phost_call(host, S(name), args, options, &out), Ref(out), {}};
  o.error = last_error();
  return o;
}
inline Outcome call_json(phost_host* host, std::string_view name, std::string_view args_json) {
  Ref args = json(args_json);
  return call(host, name, args.get());
}

// An application handler from a lambda; the host finalizes (deletes) it.
using HandlerFn = std::function<phost_status(phost_call_ctx* ctx, const phost_value* args, phost_value** out)>;

inline phost_process_desc lambda_desc(std::string_view name, HandlerFn fn, uint32_t flags = 0) {
  phost_process_desc desc{};
  desc.struct_size = sizeof desc;
  desc.flags = flags;
  desc.name = S(name);
  desc.handler = [](void* data, phost_call_ctx* ctx, const phost_value* args, phost_value** out) {
    return (*static_cast<HandlerFn*>(data))(ctx, args, out);
  };
  desc.user_data = new HandlerFn(std::move(fn));
  desc.finalize = [](void* data) { delete static_cast<HandlerFn*>(data); };
  return desc;
}

inline phost_status add(phost_host* host, std::string_view name, HandlerFn fn, uint32_t flags = 0) {
  const phost_process_desc desc = lambda_desc(name, std::move(fn), flags);
  return phost_register(host, &desc);
}

// Registers name, failing the test when the host refuses.
inline void must_add(phost_host* host, std::string_view name, HandlerFn fn, uint32_t flags = 0) {
  const phost_status status = add(host, name, std::move(fn), flags);
  INFO(last_error());
  REQUIRE(status == PHOST_OK);
}

// A handler returning a constant string.
inline HandlerFn returns(std::string text) {
  return [text = std::move(text)](phost_call_ctx*, const phost_value*, phost_value** out) {
    return api().value_string(S(text), out);
  };
}

// For use inside handlers: never throws (a failed REQUIRE must not cross the host).
inline phost_call_info info_of(const phost_call_ctx* ctx) {
  phost_call_info info{};
  info.struct_size = sizeof info;
  CHECK(api().ctx_info(ctx, &info) == PHOST_OK);
  return info;
}

// The value under config key "probe" for fixtures/probe.h.
template <class Probe>
Ref probe_config(Probe* probe) {
  return json("{\"probe\":" + std::to_string(reinterpret_cast<intptr_t>(probe)) + "}");
}

inline phost_status load(phost_host* host, std::string_view path, const phost_value* config = nullptr) {
  return phost_load_plugin(host, S(path), config);
}

inline void must_load(phost_host* host, std::string_view path, const phost_value* config = nullptr) {
  const phost_status status = load(host, path, config);
  INFO(last_error());
  REQUIRE(status == PHOST_OK);
}

}  // namespace test
