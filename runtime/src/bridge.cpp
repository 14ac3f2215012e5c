#include "bridge.hpp"

#include "bridge_callback.hpp"
#include "globals.hpp"
#include "key_cache.hpp"
#include "lockdown.hpp"
#include "name_cache.hpp"
#include "paren_depth.hpp"
#include "v8_text.hpp"
#include "value_list.hpp"

#include <v8-exception.h>
#include <v8-container.h>
#include <v8-debug.h>
#include <v8-external.h>
#include <v8-function-callback.h>
#include <v8-function.h>
#include <v8-json.h>
#include <v8-object.h>
#include <v8-primitive.h>
#include <v8-script.h>
#include <v8-template.h>

#include <charconv>
#include <cstring>
#include <optional>

namespace phost::v8rt {
namespace {

constexpr auto kFixed = static_cast<v8::PropertyAttribute>(v8::ReadOnly | v8::DontDelete);
// Context embedder data: the stack trace formatter; whether set-up is over;
// the scripts' implicit globals ({script id: {name: value}}).
constexpr int kFormatterIndex = 1;
constexpr int kSealedIndex = 2;
constexpr int kImplicitIndex = 3;
constexpr int kStateIndex = 4;  // the context's BridgeState (an aligned pointer)

void process(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  const BridgeState& state = state_of(info.Data());
  callback(isolate, state, [&] {
    v8::Local<v8::Context> context = isolate->GetCurrentContext();
    if (info.Length() < 1 || !info[0]->IsString())
      throw Error(400, "Process(name, ...args): name must be a string", PHOST_E_INVALID_ARG);
    if (info[0].As<v8::String>()->Length() > 256)
      throw Error(400, "Process(name, ...args): a process name has at most 256 characters", PHOST_E_INVALID_ARG);
    // At most 256 UTF-16 units, so at most 768 bytes of UTF-8: no heap string.
    char name_bytes[3 * 256];
    std::string_view name;
    bool allowed = false;
    std::optional<NameCache::Pin> handle;  // the name's call handle, kept for this call
    KeyCache* cache = KeyCache::of(isolate);
    if (const NameCache::Name* known = cache ? cache->names().find(info[0].As<v8::String>()) : nullptr) {
      // A nested call may take the entry's slot while this one runs: the
      // pinned handle's copy of the name stays, else it is copied here.
      allowed = known->allowed;
      handle.emplace(known->shared);
      if (const ProcessHandle* pinned = handle->handle()) {
        name = pinned->name();
      } else {
        std::memcpy(name_bytes, known->utf8.data(), known->utf8.size());
        name = std::string_view(name_bytes, known->utf8.size());
      }
    } else {
      name = std::string_view(name_bytes, static_cast<size_t>(info[0].As<v8::String>()->WriteUtf8(
                                              isolate, name_bytes, sizeof name_bytes, nullptr,
                                              v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8)));
      allowed = state.services.options.rules.allows(name);
      if (cache) {
        ProcessHandle looked_up;
        // Only for names scripts may call; a name nothing takes yet is called
        // by name (its 404 is the call's to give).
        if (allowed && PHOST_API_HAS(&api(), lookup)) try {
            looked_up = ProcessHandle(state.services.self, name);
          } catch (const Error&) {
          }
        handle.emplace(cache->names().remember(info[0].As<v8::String>(), name, allowed, std::move(looked_up)).shared);
      }
    }
    if (!allowed)
      throw Error(403, "Process('" + std::string(name) + "'): scripts may not call this process (the runtime's process_allow " +
                           "and process_deny options)",
                  PHOST_E_PROCESS);
    ValueList items;
    items.reserve(static_cast<size_t>(info.Length() - 1));
    {
      // Only an object's conversion runs JS (its getters): one TryCatch for
      // all from the first object on; the first argument that fails ends the loop.
      // The arguments share one value's limits, as one array would.
      std::optional<v8::TryCatch> getter;
      ValueLimits left = state.limits;
      for (int i = 1; i < info.Length(); ++i) {
        if (!getter && info[i]->IsObject()) getter.emplace(isolate);
        try {
          items.push(from_v8_within(context, info[i], left));
        } catch (const Error& e) {
          if (isolate->IsExecutionTerminating()) return;
          if (getter && getter->HasCaught()) {  // a getter threw: its own error goes on
            getter->ReThrow();
            return;
          }
          throw Error(e.code(), "Process('" + std::string(name) + "'): argument " + std::to_string(i) + ": " + e.what() +
                                    (i > 1 && e.code() == 413 ? " (the limits hold for all the arguments together)" : ""));
        }
      }
    }
    const Value args = items.array();
    Value result;
    if (!call_for_script(isolate, state, name, args.get(), result, PHOST_OK, handle ? handle->handle() : nullptr))
      return;
    try {
      info.GetReturnValue().Set(to_v8(context, result.get(), state.limits));
    } catch (const Error& e) {
      throw Error(e.code(), "Process('" + std::string(name) + "'): result: " + e.what(), e.status());
    }
  });
}

void exception(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  const BridgeState& state = state_of(info.Data());
  callback(isolate, state, [&] {
    v8::Local<v8::Context> context = isolate->GetCurrentContext();
    v8::Local<v8::String> message = v8::String::Empty(isolate);
    if (info.Length() > 0 && !info[0]->ToString(context).ToLocal(&message)) return;  // its exception is pending
    int32_t code = 500;
    if (info.Length() > 1 && info[1]->IsNumber()) {
      code = info[1]->Int32Value(context).FromMaybe(500);
    } else if (info.Length() > 1 && info[1]->IsString() && info[1].As<v8::String>()->Length() <= 10) {
      // gou keeps the code as given and reads it back from "Exception|<code>"
      // with Atoi: a string of digits is that number, anything else 500.
      const std::string digits = utf8(isolate, info[1].As<v8::String>());
      int32_t parsed = 0;
      const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), parsed);
      if (ec == std::errc() && end == digits.data() + digits.size()) code = parsed;
    }
    v8::Local<v8::Object> error;
    if (state.errors->make(context, message, code, true).ToLocal(&error)) info.GetReturnValue().Set(error);
  });
}

template <int32_t Level>
void console(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  const BridgeState& state = state_of(info.Data());
  callback(isolate, state, [&] {
    v8::Local<v8::Context> context = isolate->GetCurrentContext();
    std::string line = "[scripts.";
    line += running_script(isolate, state.calls).value_or("?");
    line += ']';
    for (int i = 0; i < info.Length(); ++i) {
      v8::Local<v8::Value> text = info[i];
      if (!text->IsString()) {
        v8::TryCatch ignore(isolate);  // cycles and BigInts cannot be stringified
        v8::Local<v8::String> json;
        if (v8::JSON::Stringify(context, info[i]).ToLocal(&json)) text = json;
        else if (isolate->IsExecutionTerminating()) return;
        if (!text->IsString() && !text->ToString(context).ToLocal(&json)) {
          if (isolate->IsExecutionTerminating()) return;
          json = v8_string(isolate, "<unprintable>");
        }
        text = json;
      }
      line += ' ';
      line += utf8_prefix(isolate, text.As<v8::String>(), 64 * 1024);  // a log line is no place for megabytes
      if (line.size() > (1u << 20)) break;
    }
    state.services.log(Level, line);
  });
}

template <int Field>
void context_field(v8::Local<v8::Name>, const v8::PropertyCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  const BridgeState& state = state_of(info.Data());
  // An accessor runs in its caller's context, which may be the result
  // encoder's private one (result_reader.hpp): values, and errors, are made
  // in the context of the object that has the accessor, the script's.
  v8::Local<v8::Context> context;
  if (!info.Holder()->GetCreationContext().ToLocal(&context)) return;
  v8::Context::Scope scope(context);
  callback(isolate, state, [&] {
    const CallFrame* frame = state.calls.top();
    if (!frame || !frame->ctx) return;
    phost_call_info call{};
    call.struct_size = sizeof call;
    if (api().ctx_info(frame->ctx, &call) != PHOST_OK) return;
    switch (Field) {
      case 0: info.GetReturnValue().Set(v8_string(isolate, to_view(call.session))); break;
      case 1:
        info.GetReturnValue().Set(call.global ? to_v8(context, call.global, state.limits)
                                              : v8::Object::New(isolate).As<v8::Value>());
        break;
      case 2:
        info.GetReturnValue().Set(call.subject ? to_v8(context, call.subject, state.limits)
                                               : v8::Null(isolate).As<v8::Value>());
        break;
      case 3: info.GetReturnValue().Set(v8_string(isolate, to_view(call.name))); break;
    }
  });
}

// The global object takes no new properties once set up: a getter planted
// with defineProperty, or a name, would reach every script of a shared
// context. An interceptor, because V8 refuses preventExtensions on a global
// with one.
void refuse_new_global(v8::Local<v8::Name> name, const v8::PropertyCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  if (isolate->IsExecutionTerminating()) return;
  if (!isolate->GetCurrentContext()->GetEmbedderData(kSealedIndex)->IsTrue()) return;  // the bridge's own set-up
  const std::string text = name.IsEmpty() ? std::string("an index")
                           : name->IsString() ? utf8_prefix(isolate, name.As<v8::String>(), 200)
                                              : std::string("a symbol");
  isolate->ThrowException(v8::Exception::ReferenceError(v8_string_or_empty(
      isolate, text + " is not defined: scripts cannot create globals (declare it with let, const or var)")));
}

// Sloppy gou scripts assign undeclared names (`total = 0`) and read them
// back in later calls. Such a name becomes the running script's own: kept
// for that script (across its calls and versions), invisible to every other
// one. Empty when there is no call or no script's code running, or name is a
// symbol.
v8::Local<v8::Object> implicit_globals(v8::Isolate* isolate, v8::Local<v8::Name> name,
                                       const v8::PropertyCallbackInfo<v8::Value>& info, bool create) {
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  if (!name->IsString() || !context->GetEmbedderData(kSealedIndex)->IsTrue()) return {};
  const CallStack& calls = state_of(info.Data()).calls;
  if (!calls.top()) return {};
  const std::optional<std::string_view> script = running_script(isolate, calls);
  if (!script) return {};
  v8::Local<v8::Value> all = context->GetEmbedderData(kImplicitIndex);
  v8::Local<v8::String> id;
  v8::Local<v8::Value> own;
  if (!all->IsObject() || !v8::String::NewFromUtf8(isolate, script->data(), v8::NewStringType::kNormal,
                                                   static_cast<int>(script->size()))
                               .ToLocal(&id) ||
      !all.As<v8::Object>()->Get(context, id).ToLocal(&own))
    return {};
  if (own->IsObject()) return own.As<v8::Object>();
  if (!create) return {};
  v8::Local<v8::Object> fresh = v8::Object::New(isolate, v8::Null(isolate), nullptr, nullptr, 0);
  if (!all.As<v8::Object>()->CreateDataProperty(context, id, fresh).FromMaybe(false)) return {};
  return fresh;
}

void get_implicit_global(v8::Local<v8::Name> name, const v8::PropertyCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  if (isolate->IsExecutionTerminating()) return;
  v8::Local<v8::Object> own = implicit_globals(isolate, name, info, false);
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Value> value;
  if (!own.IsEmpty() && own->HasOwnProperty(context, name).FromMaybe(false) && own->Get(context, name).ToLocal(&value))
    info.GetReturnValue().Set(value);
}

void set_implicit_global(v8::Local<v8::Name> name, v8::Local<v8::Value> value,
                         const v8::PropertyCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  if (isolate->IsExecutionTerminating()) return;
  // Strict code (modules included) gets the ReferenceError the language gives it.
  v8::Local<v8::Object> own = info.ShouldThrowOnError() ? v8::Local<v8::Object>() : implicit_globals(isolate, name, info, true);
  if (own.IsEmpty()) return refuse_new_global(name, info);
  if (own->CreateDataProperty(isolate->GetCurrentContext(), name, value).FromMaybe(false))
    info.GetReturnValue().Set(value);  // intercepted: the global object stays as it is
}

// JS of the bridge, compiled once per context under kBridgeFile.
constexpr char kBridgeJs[] = R"JS((function (processNative) {
  'use strict';
  // A strict frame between a script and whatever Process() calls: V8 hides a
  // strict caller from Function.prototype.caller and .arguments.
  const Process = function Process(name, ...args) { return processNative(name, ...args); };
  const errorToString = Error.prototype.toString;
  const apply = Reflect.apply;
  const formatStack = function (error, sites) {
    let out;
    try { out = apply(errorToString, error, []); } catch { out = 'Error'; }
    for (let i = 0; i < sites.length; i++) {
      const site = sites[i];
      const file = site.getFileName();
      if (file === 'phost:bridge') break;  // where this script was called from another
      if (file === 'phost:globals') continue;
      out += '\n    at ' + site;
    }
    return out;
  };
  return [Process, formatStack];
}))JS";

}  // namespace

// Past phost's own frames (its wrappers of built-ins) to the innermost one V8
// compiled for a script; a frame of no script's (eval'd code, or a Function
// made from text) ends the search: the frames below may be the caller's.
std::optional<std::string_view> running_script(v8::Isolate* isolate, const CallStack& calls) {
  if (!calls.top()) return std::nullopt;
  if (!calls.running_jobs()) return calls.top()->script;
  constexpr auto kWhat = static_cast<v8::StackTrace::StackTraceOptions>(v8::StackTrace::kScriptId |
                                                                        v8::StackTrace::kScriptName);
  for (const int limit : {1, 32}) {
    const v8::Local<v8::StackTrace> trace = v8::StackTrace::CurrentStackTrace(isolate, limit, kWhat);
    const int n = trace->GetFrameCount();
    for (int i = 0; i < n; ++i) {
      const v8::Local<v8::StackFrame> frame = trace->GetFrame(isolate, i);
      if (const std::string* owner = calls.owner(frame->GetScriptId())) return *owner;
      const v8::Local<v8::String> file = frame->GetScriptName();
      if (file.IsEmpty() || !utf8_prefix(isolate, file, 16).starts_with("phost:")) return std::nullopt;
    }
    if (n < limit) break;
  }
  return std::nullopt;
}

v8::Local<v8::Context> Bridge::new_context(v8::Isolate* isolate, const BridgeState& state) {
  v8::EscapableHandleScope scope(isolate);
  v8::Local<v8::External> data = v8::External::New(isolate, const_cast<BridgeState*>(&state));
  v8::Local<v8::ObjectTemplate> global = v8::ObjectTemplate::New(isolate);
  // No Object.setPrototypeOf(globalThis, ...): a prototype planted there would
  // answer every undeclared name of every script.
  global->SetImmutableProto();
  global->SetHandler(v8::IndexedPropertyHandlerConfiguration(
      nullptr,
      [](uint32_t index, v8::Local<v8::Value>, const v8::PropertyCallbackInfo<v8::Value>& info) {
        refuse_new_global(v8::Integer::NewFromUnsigned(info.GetIsolate(), index)->ToString(info.GetIsolate()->GetCurrentContext()).FromMaybe(v8::Local<v8::String>()), info);
      },
      nullptr, nullptr, nullptr,
      [](uint32_t index, const v8::PropertyDescriptor&, const v8::PropertyCallbackInfo<v8::Value>& info) {
        refuse_new_global(v8::Integer::NewFromUnsigned(info.GetIsolate(), index)->ToString(info.GetIsolate()->GetCurrentContext()).FromMaybe(v8::Local<v8::String>()), info);
      },
      nullptr, v8::Local<v8::Value>(), v8::PropertyHandlerFlags::kNonMasking));
  global->SetHandler(v8::NamedPropertyHandlerConfiguration(
      get_implicit_global, set_implicit_global, nullptr, nullptr, nullptr,
      [](v8::Local<v8::Name> name, const v8::PropertyDescriptor&, const v8::PropertyCallbackInfo<v8::Value>& info) {
        // A global the runtime fixed (non-configurable): V8's own "Cannot
        // redefine property" says it, not "is not defined".
        const v8::Maybe<v8::PropertyAttribute> fixed =
            info.Holder()->GetRealNamedPropertyAttributes(info.GetIsolate()->GetCurrentContext(), name);
        if (fixed.IsJust() && (fixed.FromJust() & v8::DontDelete)) return;
        refuse_new_global(name, info);
      },
      nullptr, data, v8::PropertyHandlerFlags::kNonMasking));
  global->Set(v8_string(isolate, "Exception"), v8::FunctionTemplate::New(isolate, exception, data), kFixed);

  v8::Local<v8::ObjectTemplate> console_template = v8::ObjectTemplate::New(isolate);
  auto add = [&](const char* name, v8::FunctionCallback fn) {
    console_template->Set(v8_string(isolate, name), v8::FunctionTemplate::New(isolate, fn, data), kFixed);
  };
  add("log", console<PHOST_LOG_INFO>);
  add("info", console<PHOST_LOG_INFO>);
  add("warn", console<PHOST_LOG_WARN>);
  add("error", console<PHOST_LOG_ERROR>);
  add("debug", console<PHOST_LOG_DEBUG>);

  v8::Local<v8::ObjectTemplate> call = v8::ObjectTemplate::New(isolate);
  call->SetNativeDataProperty(v8_string(isolate, "sid"), context_field<0>, nullptr, data, kFixed);
  call->SetNativeDataProperty(v8_string(isolate, "global"), context_field<1>, nullptr, data, kFixed);
  call->SetNativeDataProperty(v8_string(isolate, "authorized"), context_field<2>, nullptr, data, kFixed);
  call->SetNativeDataProperty(v8_string(isolate, "process"), context_field<3>, nullptr, data, kFixed);
  global->Set(v8_string(isolate, "Context"), call, kFixed);

  v8::Local<v8::Context> context = v8::Context::New(isolate, nullptr, global);
  context->SetEmbedderData(kSealedIndex, v8::False(isolate));
  context->SetAlignedPointerInEmbedderData(kStateIndex, const_cast<BridgeState*>(&state));
  v8::Context::Scope enter(context);
  context->SetEmbedderData(kImplicitIndex, v8::Object::New(isolate, v8::Null(isolate), nullptr, nullptr, 0));
  v8::TryCatch try_catch(isolate);
  auto failed = [&](const char* what) {
    std::string why = "unknown error";
    if (try_catch.HasCaught()) {
      v8::Local<v8::String> text;
      if (try_catch.Exception()->ToString(context).ToLocal(&text)) why = utf8(isolate, text);
    }
    return Error(500, std::string("setting up a script context: ") + what + ": " + why, PHOST_E_INTERNAL);
  };

  // V8 installs its own console (silent without an inspector) after the
  // template is applied, so ours replaces it on the live global.
  v8::Local<v8::Object> console_object;
  if (!console_template->NewInstance(context).ToLocal(&console_object) ||
      !context->Global()->DefineOwnProperty(context, v8_string(isolate, "console"), console_object, kFixed).FromMaybe(false))
    throw failed("console");

  v8::ScriptOrigin origin(isolate, v8_string(isolate, kBridgeFile));
  v8::Local<v8::Script> script;
  v8::Local<v8::Value> factory, made, process_fn, formatter;
  v8::Local<v8::Function> native;
  v8::Local<v8::Value> argv[1];
  if (!v8::Script::Compile(context, v8_string(isolate, kBridgeJs), &origin).ToLocal(&script) ||
      !script->Run(context).ToLocal(&factory) || !factory->IsFunction() ||
      !v8::Function::New(context, process, data).ToLocal(&native))
    throw failed("bridge");
  argv[0] = native;
  if (!factory.As<v8::Function>()->Call(context, v8::Undefined(isolate), 1, argv).ToLocal(&made) ||
      !made->IsArray() || !made.As<v8::Array>()->Get(context, 0).ToLocal(&process_fn) ||
      !made.As<v8::Array>()->Get(context, 1).ToLocal(&formatter) ||
      !context->Global()->DefineOwnProperty(context, v8_string(isolate, "Process"), process_fn, kFixed).FromMaybe(false))
    throw failed("Process");
  context->SetEmbedderData(kFormatterIndex, formatter);
  if (state.services.options.gou_globals) install_gou_globals(context, process_fn, state);

  if (!lock_down(context)) throw failed("hardening the built-ins");
  context->AllowCodeGenerationFromStrings(false);  // code_from_string decides
  context->SetErrorMessageForCodeGenerationFromStrings(
      v8_string(isolate, "eval and Function take at most " + std::to_string(kMaxEvalSource) +
                             " characters of source here (V8 parses them past the heap limit and the deadline), with"
                             " parentheses nested at most " + std::to_string(kMaxParenDepth) +
                             " deep (a regexp that deep crashes V8's compiler)"));
  context->SetEmbedderData(kSealedIndex, v8::True(isolate));
  return scope.Escape(context);
}

v8::ModifyCodeGenerationFromStringsResult Bridge::code_from_string(v8::Local<v8::Context> context,
                                                                  v8::Local<v8::Value> source, bool) {
  v8::ModifyCodeGenerationFromStringsResult result;
  const bool script_context = context->GetNumberOfEmbedderDataFields() > kSealedIndex &&
                              context->GetEmbedderData(kSealedIndex)->IsTrue();
  result.codegen_allowed = script_context && (!source->IsString() || source.As<v8::String>()->Length() <= kMaxEvalSource);
  if (result.codegen_allowed && source->IsString())  // for its regexp literals
    result.codegen_allowed = !parens_too_deep(context->GetIsolate(), source.As<v8::String>());
  if (result.codegen_allowed)
    static_cast<const BridgeState*>(context->GetAlignedPointerFromEmbedderData(kStateIndex))->evaled = true;
  return result;
}

void Bridge::drop_eval_globals(v8::Local<v8::Context> context, const BridgeState& state) {
  state.evaled = false;
  v8::Isolate* isolate = context->GetIsolate();
  v8::HandleScope scope(isolate);
  v8::TryCatch ignore(isolate);
  v8::Local<v8::Object> global = context->Global();
  v8::Local<v8::Array> names;
  if (!global->GetOwnPropertyNames(context, v8::PropertyFilter::ALL_PROPERTIES, v8::KeyConversionMode::kKeepNumbers)
           .ToLocal(&names))
    return;
  const v8::Local<v8::String> configurable = v8_string(isolate, "configurable"), value = v8_string(isolate, "value");
  for (uint32_t i = 0; i < names->Length(); ++i) {
    v8::Local<v8::Value> name, descriptor;
    if (!names->Get(context, i).ToLocal(&name) || !name->IsName() ||
        !global->GetOwnPropertyDescriptor(context, name.As<v8::Name>()).ToLocal(&descriptor) || !descriptor->IsObject())
      continue;
    v8::Local<v8::Object> d = descriptor.As<v8::Object>();
    // lock_down left every data property of the global non-configurable.
    if (d->Get(context, configurable).FromMaybe(v8::Local<v8::Value>())->IsTrue() &&
        d->HasOwnProperty(context, value).FromMaybe(false))
      global->Delete(context, name).FromMaybe(false);
  }
}

v8::MaybeLocal<v8::Value> Bridge::prepare_stack_trace(v8::Local<v8::Context> context, v8::Local<v8::Value> error,
                                                      v8::Local<v8::Array> sites) {
  v8::Isolate* isolate = context->GetIsolate();
  if (isolate->IsExecutionTerminating()) return {};
  v8::Local<v8::Value> formatter = context->GetEmbedderData(kFormatterIndex);
  if (formatter.IsEmpty() || !formatter->IsFunction()) return v8::String::Empty(isolate);
  v8::Local<v8::Value> argv[] = {error, sites};
  return formatter.As<v8::Function>()->Call(context, v8::Undefined(isolate), 2, argv);
}

}  // namespace phost::v8rt
