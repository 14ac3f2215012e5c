// phost C++ layer for plugin authors: handlers as C++ callables whose
// exceptions become status + code + message at the boundary, typed argument
// helpers, and PHOST_DECLARE_PLUGIN, which emits the one exported entry.
#pragma once

#include <phost/value.hpp>

#include <algorithm>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <type_traits>

namespace phost {

// "argument 1" for index 0: phost numbers arguments from 1 in every message
// (the SDK, the CLI, the shipped plugins), as a caller counts them.
inline std::string argument_name(size_t index) { return "argument " + std::to_string(index + 1); }

// Throws a 400 when object is not an object or has a key not in known:
// "<where>: unknown key 'root' (known: roots, max_read_bytes)".
inline void check_keys(View object, std::initializer_list<std::string_view> known, std::string_view where) {
  if (object.kind() != PHOST_OBJECT)
    throw Error(400, std::string(where) + " must be an object", PHOST_E_INVALID_ARG);
  for (size_t i = 0; i < object.size(); ++i) {
    const std::string_view key = object.key_at(i);
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    std::string list;
    for (const std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
    throw Error(400, std::string(where) + ": unknown key '" + std::string(key) + "' (known: " +
                         (list.empty() ? "none" : list) + ")", PHOST_E_INVALID_ARG);
  }
}

// A process name looked up once and called many times (ABI 1.4 call handles,
// phost_ref): a call through it is a call by the name at that moment, without
// the host parsing the name and searching its registry again. On a host older
// than 1.4 it calls by name. Move-only; may be called from many threads.
class ProcessHandle {
public:
  ProcessHandle() noexcept = default;
  // Throws Error: 400 for a malformed name, 404 when nothing takes it now (a
  // host older than 1.4 says so at the call instead).
  ProcessHandle(phost_plugin* self, std::string_view name) : self_(self), name_(name) {
    if (!PHOST_API_HAS(&api(), lookup)) return;
    phost_ref* ref = nullptr;
    check(api().lookup(self, to_str(name), &ref));
    ref_.reset(ref);
  }

  const std::string& name() const noexcept { return name_; }
  // The host's handle, or NULL on a host older than 1.4.
  phost_ref* get() const noexcept { return ref_.get(); }

  // As api().call_with_deadline (api().call on a host older than 1.2):
  // parent the calling handler's ctx or NULL, deadline_ns 0 for none.
  phost_status call(phost_call_ctx* parent, const phost_value* args, int64_t deadline_ns,
                    phost_value** out) const noexcept {
    if (ref_) return api().call_ref(self_, parent, ref_.get(), args, deadline_ns, out);
    if (PHOST_API_HAS(&api(), call_with_deadline))
      return api().call_with_deadline(self_, parent, to_str(name_), args, deadline_ns, out);
    return api().call(self_, parent, to_str(name_), args, out);
  }

private:
  struct Release {
    void operator()(phost_ref* r) const noexcept { api().ref_release(r); }
  };
  phost_plugin* self_ = nullptr;
  std::string name_;
  std::unique_ptr<phost_ref, Release> ref_;
};

// One invocation of a handler: its arguments and context.
class Call {
public:
  Call(phost_call_ctx* ctx, const phost_value* args, phost_plugin* self) noexcept
      : ctx_(ctx), args_(args), self_(self) {}

  View args() const noexcept { return args_; }
  size_t arg_count() const noexcept { return args_.size(); }

  // The i-th argument (from 0) as T (bool, int64_t, double,
  // std::string_view, std::string, View). A missing argument or another kind
  // is a 400 error naming it from 1: arg(0) is "argument 1".
  template <class T>
  T arg(size_t i) const {
    const View v = args_[i];
    if (!v) throw Error(400, argument_name(i) + " is missing", PHOST_E_INVALID_ARG);
    try {
      if constexpr (std::is_same_v<T, bool>) return v.as_bool();
      else if constexpr (std::is_integral_v<T>) return static_cast<T>(v.as_int());
      else if constexpr (std::is_floating_point_v<T>) return static_cast<T>(v.as_double());
      else if constexpr (std::is_same_v<T, std::string_view>) return v.as_string();
      else if constexpr (std::is_same_v<T, std::string>) return std::string(v.as_string());
      else return T(v);
    } catch (const Error& e) {
      throw Error(400, argument_name(i) + ": " + e.what(), PHOST_E_TYPE);
    }
  }

  phost_call_info info() const {
    phost_call_info out{};
    out.struct_size = sizeof out;
    check(api().ctx_info(ctx_, &out));
    return out;
  }
  bool cancelled() const noexcept { return api().ctx_cancelled(ctx_) != 0; }

  // A nested call: inherits this call's session, global, subject, deadline.
  Value call(std::string_view name, const Value& call_args = Value()) const {
    phost_value* out = nullptr;
    check(api().call(self_, ctx_, to_str(name), call_args.get(), &out));
    return Value::adopt(out);
  }
  // The same through a handle (Plugin::lookup).
  Value call(const ProcessHandle& process, const Value& call_args = Value()) const {
    phost_value* out = nullptr;
    check(process.call(ctx_, call_args.get(), 0, &out));
    return Value::adopt(out);
  }

  phost_call_ctx* ctx() const noexcept { return ctx_; }

private:
  phost_call_ctx* ctx_;
  View args_;
  phost_plugin* self_;
};

using Handler = std::function<Value(Call&)>;

// Builds the process desc of a C++ handler (the trampoline that turns its
// exceptions into status + code + message) and hands it to register_fn, a
// callable phost_status(const phost_process_desc*) that takes ownership of
// desc->user_data unconditionally: api().register_process for a plugin,
// phost_register for an application. self is the Call's seat for nested
// calls (NULL is fine for an application: the ctx names the host).
template <class RegisterFn>
phost_status register_handler(std::string_view name, std::string_view description, Handler handler,
                              uint32_t flags, phost_plugin* self, RegisterFn&& register_fn) {
  struct Slot {
    Handler handler;
    phost_plugin* self;
  };
  auto slot = std::make_unique<Slot>(Slot{std::move(handler), self});
  phost_process_desc desc{};
  desc.struct_size = sizeof desc;
  desc.flags = flags;
  desc.name = to_str(name);
  desc.description = to_str(description);
  desc.user_data = slot.release();  // the host owns it from here on
  desc.finalize = [](void* data) { delete static_cast<Slot*>(data); };
  desc.handler = [](void* data, phost_call_ctx* ctx, const phost_value* call_args,
                    phost_value** out) -> phost_status {
    auto* s = static_cast<Slot*>(data);
    try {
      Call call(ctx, call_args, s->self);
      *out = s->handler(call).release();
      if (!*out) *out = Value::null().release();
      return PHOST_OK;
    } catch (const Error& e) {
      api().ctx_set_error(ctx, e.code(), to_str(e.what()));
      if (!e.stack().empty() && PHOST_API_HAS(&api(), ctx_set_error_stack))
        api().ctx_set_error_stack(ctx, to_str(e.stack()));
      return e.status() == PHOST_OK ? PHOST_E_PROCESS : e.status();
    } catch (const std::bad_alloc&) {
      api().ctx_set_error(ctx, 507, to_str("out of memory"));
      return PHOST_E_NO_MEMORY;
    } catch (const std::exception& e) {
      api().ctx_set_error(ctx, 500, to_str(e.what()));
      return PHOST_E_PROCESS;
    } catch (...) {
      api().ctx_set_error(ctx, 500, to_str("unknown exception"));
      return PHOST_E_PROCESS;
    }
  };
  return register_fn(static_cast<const phost_process_desc*>(&desc));
}

// A plugin's seat in the host, as C++.
class Plugin {
public:
  explicit Plugin(phost_plugin* self) noexcept : self_(self) {}

  phost_plugin* self() const noexcept { return self_; }
  View config() const noexcept { return View(api().plugin_config(self_)); }

  // The configuration, refusing keys not in known (check_keys): a misspelt
  // key fails the load instead of being silently ignored. An absent
  // configuration reads as an empty view.
  View config(std::initializer_list<std::string_view> known) const {
    const View cfg = config();
    if (cfg) check_keys(cfg, known, "configuration");
    return cfg;
  }

  void log(int32_t level, std::string_view message) const noexcept {
    api().log(self_, level, to_str(message));
  }

  // A handle on name for repeated calls (ProcessHandle).
  ProcessHandle lookup(std::string_view name) const { return ProcessHandle(self_, name); }

  // Registers name (flags: PHOST_PROCESS_GROUP, _SERIAL, _SHARED_STATE).
  void add(std::string_view name, std::string_view description, Handler handler, uint32_t flags = 0) const {
    check(register_handler(name, description, std::move(handler), flags, self_,
                           [this](const phost_process_desc* desc) { return api().register_process(self_, desc); }));
  }

private:
  phost_plugin* self_;
};

// Runs a plugin's init inside the entry's exception boundary.
template <class Init>
phost_status run_entry(const phost_api* table, phost_plugin* self, phost_plugin_info* info, const char* name,
                       const char* version, Init&& init) noexcept {
  set_api(table);
  if (!table || table->abi_major != PHOST_ABI_MAJOR) return PHOST_E_VERSION;
  info->abi_major = PHOST_ABI_MAJOR;
  info->abi_minor = PHOST_ABI_MINOR;
  info->name = name;
  info->version = version;
  try {
    Plugin plugin(self);
    init(plugin, *info);
    return PHOST_OK;
  } catch (const Error& e) {
    table->error_set(e.status(), e.code(), to_str(e.what()));
    return e.status() == PHOST_OK ? PHOST_E_INTERNAL : e.status();
  } catch (const std::exception& e) {
    table->error_set(PHOST_E_INTERNAL, 500, to_str(e.what()));
    return PHOST_E_INTERNAL;
  } catch (...) {
    table->error_set(PHOST_E_INTERNAL, 500, to_str("unknown exception"));
    return PHOST_E_INTERNAL;
  }
}

}  // namespace phost

// Declares the plugin entry. init is a callable
//   void(phost::Plugin& plugin, phost_plugin_info& info)
// that registers processes and may set info.plugin_data / info.on_unload.
#define PHOST_DECLARE_PLUGIN(name, version, init)                                                       \
  extern "C" PHOST_PLUGIN_EXPORT phost_status PHOST_CALL phost_plugin_entry_v1(                         \
      const phost_api* phost_api_table, phost_plugin* phost_self, phost_plugin_info* phost_info) {     \
    return ::phost::run_entry(phost_api_table, phost_self, phost_info, name, version, init);            \
  }
