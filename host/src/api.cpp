// The C boundary: every function here catches everything and turns it into a
// status plus the thread's last error (guard()). No C++ exception leaves.
#define PHOST_BUILDING_HOST 1
#include "api.hpp"

#include "error.hpp"
#include "foreign_call.hpp"
#include "host.hpp"
#include "log.hpp"
#include "process_ref.hpp"
#include "stop_signal.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>

using phost::Error;
using phost::guard;

namespace {

// For functions that cannot fail (logging, error text): NULL reads as empty.
std::string_view view(phost_str s) noexcept { return s.ptr ? std::string_view(s.ptr, s.len) : std::string_view(); }
// For the others: NULL with a length is a caller's bug, refused rather than read as empty.
std::string_view checked(phost_str s, const char* what) {
  if (!s.ptr && s.len)
    throw Error(PHOST_E_INVALID_ARG, std::string(what) + " is NULL with a length of " + std::to_string(s.len));
  return view(s);
}
phost_str str(std::string_view s) noexcept { return phost_str{s.data(), s.size()}; }

// The checks every API function makes inline; their throws out of line, so
// that a check is a compare and a branch (issue 14).
#ifdef _MSC_VER
#define PHOST_COLD __declspec(noinline)
#else
#define PHOST_COLD __attribute__((cold, noinline))
#endif
[[noreturn]] PHOST_COLD void throw_null(const char* what) {
  throw Error(PHOST_E_INVALID_ARG, std::string(what) + " is NULL");
}
[[noreturn]] PHOST_COLD void throw_not_kind(const char* what) {
  throw Error(PHOST_E_TYPE, std::string("value is not ") + what);
}

template <class T>
inline void require(T* p, const char* what) {
  if (!p) [[unlikely]] throw_null(what);
}

template <class Make>
phost_status make(phost_value** out, Make&& fn) noexcept {
  return guard([&] {
    require(out, "out");
    *out = nullptr;
    *out = fn().release();
  });
}

inline const phost_value* kind_checked(const phost_value* v, phost_kind kind, const char* what) {
  require(v, "value");
  if (phost::kind_of(v) != kind) [[unlikely]] throw_not_kind(what);
  return v;
}

// The thread's last error becomes ctx's failed nested call, which the host
// forwards when the handler returns the same status.
void record_nested_failure(phost_call_ctx& ctx) noexcept {
  const phost::LastError& e = phost::last_error();
  std::lock_guard lock(ctx.mutex);
  ctx.nested_status = e.status;
  phost::Failure& nested = phost::made(ctx.nested);
  nested.code = e.code;
  try {
    nested.message = e.message;
    nested.stack = e.stack;
  } catch (...) {
    nested.message.clear();
    nested.stack.clear();
  }
}

// A nested call inherits its parent's scope, with the earliest of the scope's
// deadline, one the parent brought forward (ctx_set_deadline) and deadline_ns
// (0 or less: none of its own). invoke(host, scope) makes the call.
template <class Invoke>
phost_status nested_call(phost_plugin* self, phost_call_ctx* parent, int64_t deadline_ns, phost_value** out,
                         Invoke&& invoke) {
  static const phost::CallScope kNoScope;
  const phost_status status = guard([&] {
    require(out, "out_result");
    *out = nullptr;
    phost::Host* host = parent ? parent->host : self ? &self->host : nullptr;
    require(host, "self");
    phost::CallScope scope = parent ? *parent->scope : kNoScope;
    deadline_ns = deadline_ns > 0 ? deadline_ns : 0;
    if (parent) deadline_ns = phost::earlier(deadline_ns, parent->own_deadline_ns.load(std::memory_order_relaxed));
    scope.deadline_ns = phost::earlier(scope.deadline_ns, deadline_ns);
    *out = invoke(*host, scope);
  });
  if (status != PHOST_OK && parent) record_nested_failure(*parent);
  return phost::counted_call(status);
}

phost_status call_by_name(phost_plugin* self, phost_call_ctx* parent, phost_str name, const phost_value* args,
                          int64_t deadline_ns, phost_value** out) {
  return nested_call(self, parent, deadline_ns, out, [&](phost::Host& host, const phost::CallScope& scope) {
    return host.call(parent, scope, checked(name, "name"), args);
  });
}

// The ref a caller handed over, checked: never NULL, released or of another host.
phost_ref& live_ref(phost_ref* ref, const phost::Host& host) {
  if (!ref) throw Error(PHOST_E_INVALID_ARG, "ref is NULL");
  if (ref->magic != phost_ref::kLive) throw Error(PHOST_E_INVALID_ARG, "ref is not a live phost_ref (released?)");
  if (ref->host != &host || ref->host_id != host.id())
    throw Error(PHOST_E_INVALID_ARG, "ref '" + ref->name + "' was looked up in another host");
  return *ref;
}

phost_status PHOST_CALL call_ref(phost_plugin* self, phost_call_ctx* parent, phost_ref* ref,
                                 const phost_value* args, int64_t deadline_ns, phost_value** out) {
  return nested_call(self, parent, deadline_ns, out, [&](phost::Host& host, const phost::CallScope& scope) {
    return host.call(parent, scope, live_ref(ref, host), args);
  });
}

phost_status PHOST_CALL lookup(phost_plugin* self, phost_str name, phost_ref** out) {
  return guard([&] {
    require(out, "out");
    *out = nullptr;
    require(self, "self");
    *out = self->host.lookup(checked(name, "name")).release();
  });
}

void PHOST_CALL ref_release(phost_ref* ref) { delete ref; }

phost_status PHOST_CALL call_through(phost_plugin* self, phost_call_ctx* parent, phost_str name,
                                     const phost_value* args, phost_value** out) {
  return call_by_name(self, parent, name, args, 0, out);
}

phost_status PHOST_CALL call_with_deadline(phost_plugin* self, phost_call_ctx* parent, phost_str name,
                                           const phost_value* args, int64_t deadline_ns, phost_value** out) {
  return call_by_name(self, parent, name, args, deadline_ns, out);
}

// A top-level call's scope from the application's options (NULL: none).
phost::CallScope scope_of(const phost_call_options* options) {
  phost::CallScope scope;
  if (!options) return scope;
  phost_call_options o{};
  std::memcpy(&o, options, std::min<size_t>(options->struct_size, sizeof o));
  scope.session = checked(o.session, "options->session");
  scope.subject = o.subject;
  scope.global = o.global;
  scope.cancel = o.cancel;
  if (o.global && phost::kind_of(o.global) != PHOST_OBJECT) throw Error(PHOST_E_INVALID_ARG, "options->global must be an object");
  // Past ~146 years the nanosecond deadline would overflow int64 (UB, and
  // in practice a negative deadline that fails the call at once): no deadline.
  constexpr int64_t kMaxTimeoutMs = INT64_MAX / 1'000'000 / 2;
  if (o.timeout_ms < 0)
    throw Error(PHOST_E_INVALID_ARG, "options->timeout_ms is " + std::to_string(o.timeout_ms) + ": milliseconds, 0 for none");
  if (o.timeout_ms > 0 && o.timeout_ms < kMaxTimeoutMs) scope.deadline_ns = phost::clock_ns() + o.timeout_ms * 1'000'000;
  return scope;
}

// The table's functions, in table order.
void PHOST_CALL last_error(phost_error* out) {
  if (!out || out->struct_size < offsetof(phost_error, message) + sizeof(phost_str)) return;
  const phost::LastError& e = phost::last_error();
  out->status = e.status;
  out->code = e.status == PHOST_OK ? 0 : e.code;
  out->message = e.status == PHOST_OK ? phost_str{"", 0} : str(e.message);
  if (PHOST_HAS_MEMBER(out, phost_error, stack)) out->stack = e.status == PHOST_OK ? phost_str{"", 0} : str(e.stack);
}

void PHOST_CALL error_set(phost_status status, int32_t code, phost_str msg) {
  phost::set_last_error(status, code, view(msg));
  phost::counted_call(status);  // a handler's own report: forwarded as a failed call's would be
}

const phost_value* PHOST_CALL plugin_config(const phost_plugin* self) { return self ? self->config.get() : nullptr; }

void PHOST_CALL plugin_log(const phost_plugin* self, int32_t level, phost_str msg) {
  if (!self || !self->logger) return;
  try {
    // During entry the plugin still has the host's logger (its name was not
    // known before the entry ran); name the line after it all the same.
    if (self->logger.get() == &self->host.logger() && !self->path.empty() && self->info.name && *self->info.name) {
      self->host.make_plugin_logger(self->info.name)->log(phost::to_spdlog_level(level), "{}", view(msg));
      return;
    }
    self->logger->log(phost::to_spdlog_level(level), "{}", view(msg));
  } catch (...) {  // A log line is never worth failing the caller.
  }
}

int64_t PHOST_CALL clock_ns() { return phost::clock_ns(); }

phost_status PHOST_CALL register_process(phost_plugin* self, const phost_process_desc* desc) {
  return guard([&] {
    if (!self) {
      if (desc && desc->struct_size >= sizeof(phost_process_desc) && desc->finalize)
        phost::run_foreign([&] { desc->finalize(desc->user_data); });
      throw Error(PHOST_E_INVALID_ARG, "register_process: self is NULL");
    }
    self->host.registry().add(desc, self);
  });
}

phost_status PHOST_CALL unregister_process(phost_plugin* self, phost_str name) {
  return guard([&] {
    require(self, "self");
    self->host.registry().remove(checked(name, "name"), self);
  });
}

phost_status PHOST_CALL ctx_info(const phost_call_ctx* ctx, phost_call_info* out) {
  return guard([&] {
    require(ctx, "ctx");
    require(out, "out");
    phost_call_info info{};
    info.struct_size = static_cast<uint32_t>(std::min<size_t>(out->struct_size, sizeof info));
    info.depth = ctx->depth;
    info.name = str(ctx->name);
    info.id = str(ctx->id);
    info.method = str(ctx->method);
    info.session = str(ctx->scope->session);
    info.subject = ctx->scope->subject;
    info.global = ctx->scope->global;
    info.deadline_ns = phost::earlier(ctx->scope->deadline_ns, ctx->own_deadline_ns.load(std::memory_order_relaxed));
    std::memcpy(out, &info, info.struct_size);
  });
}

int32_t PHOST_CALL ctx_cancelled(const phost_call_ctx* ctx) {
  if (!ctx) return 0;
  // The host waits for its running calls before it unloads any plugin: a
  // handler that polls (a script's watchdog) ends now instead of at its deadline.
  if (ctx->host->closing()) return 1;
  if (phost::scope_stopped(*ctx->scope) != PHOST_OK) return 1;
  const int64_t own = ctx->own_deadline_ns.load(std::memory_order_relaxed);
  return own && phost::deadline_passed(own);
}

phost_status PHOST_CALL ctx_set_deadline(phost_call_ctx* ctx, int64_t deadline_ns) {
  return guard([&] {
    require(ctx, "ctx");
    if (deadline_ns <= 0) return;
    int64_t current = ctx->own_deadline_ns.load(std::memory_order_relaxed);
    while ((!current || deadline_ns < current)) {
      if (ctx->own_deadline_ns.compare_exchange_weak(current, deadline_ns, std::memory_order_relaxed)) {
        ctx->host->deadline_set(ctx, deadline_ns);
        break;
      }
    }
  });
}

phost_status PHOST_CALL ctx_wait(phost_call_ctx* ctx, int64_t until_ns) {
  const phost_status status = guard([&] {
    require(ctx, "ctx");
    switch (phost::wait_while_running(*ctx, until_ns > 0 ? until_ns : 0)) {
      case PHOST_OK: return;
      case PHOST_E_TIMEOUT: throw Error(PHOST_E_TIMEOUT, "deadline passed while '" + std::string(ctx->name) + "' waited");
      default:
        if (ctx->host->closing())
          throw Error(PHOST_E_CANCELLED, "host is being destroyed while '" + std::string(ctx->name) + "' waited", 503);
        throw Error(PHOST_E_CANCELLED, "cancelled while '" + std::string(ctx->name) + "' waited");
    }
  });
  if (status != PHOST_OK && ctx) record_nested_failure(*ctx);
  return status;
}

int32_t PHOST_CALL ctx_within(const phost_call_ctx* ctx, const phost_call_ctx* outer) {
  for (const phost_call_ctx* c = ctx; c && outer; c = c->parent)
    if (c == outer) return 1;
  return 0;
}

void PHOST_CALL ctx_set_error(phost_call_ctx* ctx, int32_t code, phost_str msg) {
  if (!ctx) return;
  std::lock_guard lock(ctx->mutex);
  ctx->has_error = true;
  phost::Failure& error = phost::made(ctx->error);
  error.code = code;
  try {
    error.message = phost::capped_failure_text(view(msg));
  } catch (...) {
    error.message.clear();
  }
}

void PHOST_CALL ctx_set_error_stack(phost_call_ctx* ctx, phost_str stack) {
  if (!ctx) return;
  std::lock_guard lock(ctx->mutex);
  phost::Failure& error = phost::made(ctx->error);
  try {
    error.stack = phost::capped_failure_text(view(stack));
  } catch (...) {
    error.stack.clear();
  }
}

phost_status PHOST_CALL value_null(phost_value** out) {
  return make(out, [] { return phost::make_null(); });
}
phost_status PHOST_CALL value_bool(int32_t b, phost_value** out) {
  return make(out, [b] { return phost::make_bool(b != 0); });
}
phost_status PHOST_CALL value_int(int64_t i, phost_value** out) {
  return make(out, [i] { return phost::make_int(i); });
}
phost_status PHOST_CALL value_double(double d, phost_value** out) {
  return make(out, [d] {
    if (!std::isfinite(d)) throw Error(PHOST_E_INVALID_ARG, "NaN and infinities are not values");
    auto v = phost::make_value(PHOST_DOUBLE);
    v->d = d;
    return v;
  });
}
phost_status PHOST_CALL value_string(phost_str s, phost_value** out) {
  return make(out, [s] { return phost::make_string(checked(s, "the string")); });
}
phost_status PHOST_CALL value_bytes(phost_str b, phost_value** out) {
  return make(out, [b] {
    auto v = phost::make_value(PHOST_BYTES);
    if (!b.ptr && b.len) throw Error(PHOST_E_INVALID_ARG, "the bytes are NULL with a length of " + std::to_string(b.len));
    v->text.assign(view(b));
    return v;
  });
}
phost_status PHOST_CALL value_array(size_t capacity, phost_value** out) {
  return make(out, [capacity] {
    auto v = phost::make_value(PHOST_ARRAY);
    v->items.reserve(std::min<size_t>(capacity, 1 << 20));
    return v;
  });
}
phost_status PHOST_CALL value_object(size_t capacity, phost_value** out) {
  return make(out, [capacity] {
    auto v = phost::make_value(PHOST_OBJECT);
    v->items.reserve(std::min<size_t>(capacity, 1 << 20));
    v->keys.reserve(std::min<size_t>(capacity, 1 << 20));
    return v;
  });
}
// A bulk constructor's call: the n references are taken even when it fails.
template <class Make>
phost_status make_of(phost_value* const* items, size_t n, phost_value** out, Make&& fn) noexcept {
  return guard([&] {
    if (!out) {
      for (size_t i = 0; items && i < n; ++i) phost::release(items[i]);
      throw Error(PHOST_E_INVALID_ARG, "out is NULL");
    }
    *out = nullptr;
    if (!items && n) throw Error(PHOST_E_INVALID_ARG, "items is NULL with n = " + std::to_string(n));
    *out = fn().release();
  });
}
phost_status PHOST_CALL value_array_of(phost_value* const* items, size_t n, phost_value** out) {
  return make_of(items, n, out, [&] { return phost::make_array(items, n); });
}
phost_status PHOST_CALL value_object_of(const phost_str* keys, phost_value* const* items, size_t n,
                                        phost_value** out) {
  return make_of(items, n, out, [&] { return phost::make_object(keys, items, n); });
}
phost_status PHOST_CALL value_push(phost_value* array, phost_value* item) {
  return guard([&] { phost::push(array, item); });
}
phost_status PHOST_CALL value_set(phost_value* object, phost_str key, phost_value* item) {
  return guard([&] {
    std::string_view k;
    try {
      k = checked(key, "key");
    } catch (...) {
      phost::release(item);  // taken unconditionally
      throw;
    }
    phost::set(object, k, item);
  });
}
void PHOST_CALL value_retain(const phost_value* v) { phost::retain(v); }
void PHOST_CALL value_release(const phost_value* v) { phost::release(v); }

phost_kind PHOST_CALL value_kind(const phost_value* v) { return v ? phost::kind_of(v) : PHOST_NULL; }

phost_status PHOST_CALL value_get_bool(const phost_value* v, int32_t* out) {
  return guard([&] {
    require(out, "out");
    *out = phost::bool_of(kind_checked(v, PHOST_BOOL, "a bool"));
  });
}
phost_status PHOST_CALL value_get_int(const phost_value* v, int64_t* out) {
  return guard([&] {
    require(out, "out");
    *out = phost::int_of(kind_checked(v, PHOST_INT, "an int"));
  });
}
phost_status PHOST_CALL value_get_double(const phost_value* v, double* out) {
  return guard([&] {
    require(out, "out");
    require(v, "value");
    if (phost::kind_of(v) == PHOST_INT) {
      *out = static_cast<double>(phost::int_of(v));
      return;
    }
    *out = kind_checked(v, PHOST_DOUBLE, "a number")->d;
  });
}
phost_status PHOST_CALL value_get_str(const phost_value* v, phost_str* out) {
  return guard([&] {
    require(out, "out");
    require(v, "value");
    if (const phost_kind kind = phost::kind_of(v); kind != PHOST_STRING && kind != PHOST_BYTES)
      throw Error(PHOST_E_TYPE, "value is not a string or bytes");
    *out = str(v->text);
  });
}
// Containers are always nodes.
bool is_container(const phost_value* v) noexcept {
  return v && phost::is_node(v) && (v->kind == PHOST_ARRAY || v->kind == PHOST_OBJECT);
}
size_t PHOST_CALL value_len(const phost_value* v) { return is_container(v) ? v->items.size() : 0; }
const phost_value* PHOST_CALL value_at(const phost_value* v, size_t i, phost_str* out_key) {
  if (!is_container(v) || i >= v->items.size()) return nullptr;
  if (out_key) *out_key = v->kind == PHOST_OBJECT ? str(v->keys[i]) : phost_str{"", 0};
  return v->items[i];
}
const phost_value* PHOST_CALL value_find(const phost_value* object, phost_str key) {
  return phost::find(object, view(key));
}
phost_status PHOST_CALL value_from_json(phost_str json, phost_value** out) {
  return make(out, [json] { return phost::from_json(checked(json, "json")); });
}
phost_status PHOST_CALL value_to_json(const phost_value* v, phost_sink_fn sink, void* sink_data) {
  return guard([&] {
    require(sink, "sink");
    const std::string text = phost::to_json(v);
    sink(sink_data, str(text));
  });
}

constexpr phost_api kApi = {
    sizeof(phost_api), PHOST_ABI_MAJOR, PHOST_ABI_MINOR, 0,
    last_error, error_set, plugin_config, plugin_log, clock_ns,
    register_process, unregister_process, call_through,
    ctx_info, ctx_cancelled, ctx_set_error,
    value_null, value_bool, value_int, value_double, value_string, value_bytes, value_array, value_object,
    value_push, value_set, value_retain, value_release,
    value_kind, value_get_bool, value_get_int, value_get_double, value_get_str, value_len, value_at, value_find,
    value_from_json, value_to_json,
    ctx_set_deadline, ctx_within,  // v1.1
    ctx_wait, call_with_deadline, ctx_set_error_stack,  // v1.2
    lookup, call_ref, ref_release,  // v1.4
    value_array_of, value_object_of,  // v1.5
};

}  // namespace

const phost_api* phost::api_table() noexcept { return &kApi; }

// ---- the application C API ---------------------------------------------

extern "C" {

PHOST_API const phost_api* PHOST_CALL phost_get_api(uint32_t abi_major) {
  return abi_major == PHOST_ABI_MAJOR ? &kApi : nullptr;
}

PHOST_API phost_status PHOST_CALL phost_host_create(const phost_host_config* config, phost_host** out) {
  return guard([&] {
    require(out, "out");
    *out = nullptr;
    phost_host_config c{};
    c.log_level = PHOST_LOG_INFO;
    if (config) {
      if (config->struct_size < sizeof(uint32_t))
        throw Error(PHOST_E_INVALID_ARG, "config->struct_size is not set");
      std::memcpy(&c, config, std::min<size_t>(config->struct_size, sizeof c));
    }
    *out = std::make_unique<phost_host>(c).release();
  });
}

PHOST_API void PHOST_CALL phost_host_destroy(phost_host* host) {
  if (!host) return;
  // Waiting for its own call would never end, and freeing the host under a
  // running handler is worse: refused, the host is left (leaked) instead.
  if (const char* why = host->impl.cannot_destroy()) {
    host->impl.logger().error("phost_host_destroy refused: {}; the host is left as it is", why);
    return;
  }
  delete host;
}

PHOST_API phost_status PHOST_CALL phost_load_plugin(phost_host* host, phost_str path, const phost_value* config) {
  return guard([&] {
    require(host, "host");
    host->impl.load_plugin(checked(path, "path"), config);
  });
}

PHOST_API phost_status PHOST_CALL phost_load_plugin_ex(phost_host* host, phost_str path, const phost_value* config,
                                                       const phost_load_options* options) {
  return guard([&] {
    require(host, "host");
    host->impl.load_plugin(checked(path, "path"), config, options);
  });
}

PHOST_API phost_status PHOST_CALL phost_register(phost_host* host, const phost_process_desc* desc) {
  if (!host) return register_process(nullptr, desc);
  return register_process(&host->impl.application(), desc);
}

PHOST_API phost_status PHOST_CALL phost_unregister(phost_host* host, phost_str name) {
  return guard([&] {
    require(host, "host");
    host->impl.registry().remove(checked(name, "name"), nullptr);
  });
}

PHOST_API phost_status PHOST_CALL phost_alias(phost_host* host, phost_str name, phost_str alias) {
  return guard([&] {
    require(host, "host");
    host->impl.registry().alias(checked(name, "name"), checked(alias, "alias"));
  });
}

PHOST_API phost_status PHOST_CALL phost_call(phost_host* host, phost_str name, const phost_value* args,
                                             const phost_call_options* options, phost_value** out) {
  return phost::counted_call(guard([&] {
    require(out, "out_result");
    *out = nullptr;
    require(host, "host");
    *out = host->impl.call(nullptr, scope_of(options), checked(name, "name"), args);
  }));
}

PHOST_API phost_status PHOST_CALL phost_lookup(phost_host* host, phost_str name, phost_ref** out) {
  return guard([&] {
    require(out, "out");
    *out = nullptr;
    require(host, "host");
    *out = host->impl.lookup(checked(name, "name")).release();
  });
}

PHOST_API phost_status PHOST_CALL phost_call_ref(phost_host* host, phost_ref* ref, const phost_value* args,
                                                 const phost_call_options* options, phost_value** out) {
  return phost::counted_call(guard([&] {
    require(out, "out_result");
    *out = nullptr;
    require(host, "host");
    phost_ref& live = live_ref(ref, host->impl);
    *out = host->impl.call(nullptr, scope_of(options), live, args);
  }));
}

PHOST_API void PHOST_CALL phost_ref_release(phost_ref* ref) { ref_release(ref); }

PHOST_API phost_status PHOST_CALL phost_list(phost_host* host, phost_value** out) {
  return make(out, [host] {
    require(host, "host");
    auto list = phost::make_value(PHOST_ARRAY);
    for (const phost::ProcessListing& p : host->impl.registry().list()) {
      auto entry = phost::make_value(PHOST_OBJECT);
      phost::set(entry.get(), "name", phost::make_string(p.name).release());
      phost::set(entry.get(), "description", phost::make_string(p.description).release());
      const char* plugin = p.owner && p.owner->info.name ? p.owner->info.name : "";
      phost::set(entry.get(), "plugin", phost::make_string(plugin).release());
      phost::set(entry.get(), "group", phost::make_bool(p.group).release());
      phost::push(list.get(), entry.release());
    }
    return list;
  });
}

PHOST_API void PHOST_CALL phost_last_error(phost_error* out) { last_error(out); }

PHOST_API phost_cancel* PHOST_CALL phost_cancel_new(void) { return new (std::nothrow) phost_cancel; }
PHOST_API void PHOST_CALL phost_cancel_trigger(phost_cancel* cancel) {
  if (!cancel) return;
  cancel->cancelled.store(true, std::memory_order_relaxed);
  phost::notify_stop_waiters();
}
PHOST_API void PHOST_CALL phost_cancel_free(phost_cancel* cancel) { delete cancel; }

}  // extern "C"
