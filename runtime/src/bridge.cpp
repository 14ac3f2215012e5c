#include "bridge.hpp"

#include "convert.hpp"
#include "lockdown.hpp"
#include "runtime.hpp"
#include "isolate_slot.hpp"

#include <phost/value.hpp>

#include <v8-exception.h>
#include <v8-external.h>
#include <v8-function-callback.h>
#include <v8-json.h>
#include <v8-object.h>
#include <v8-primitive.h>

namespace phost::v8rt {
namespace {

v8::Local<v8::String> v8_str(v8::Isolate* isolate, std::string_view s) {
  return v8::String::NewFromUtf8(isolate, s.data(), v8::NewStringType::kNormal, static_cast<int>(s.size()))
      .ToLocalChecked();
}

IsolateSlot& slot_of(v8::Local<v8::Value> data) { return *static_cast<IsolateSlot*>(data.As<v8::External>()->Value()); }

void throw_error(v8::Isolate* isolate, std::string_view message, int32_t code) {
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  auto error = v8::Exception::Error(v8_str(isolate, message)).As<v8::Object>();
  error->Set(context, v8_str(isolate, "code"), v8::Integer::New(isolate, code)).Check();
  isolate->ThrowException(error);
}

constexpr auto kFixed = static_cast<v8::PropertyAttribute>(v8::ReadOnly | v8::DontDelete);

}  // namespace

// Friend of Worker: reads its call stack.
struct BridgeCallbacks {
  static void process(const v8::FunctionCallbackInfo<v8::Value>& info) {
    v8::Isolate* isolate = info.GetIsolate();
    IsolateSlot& w = slot_of(info.Data());
    v8::Local<v8::Context> context = isolate->GetCurrentContext();
    if (info.Length() < 1 || !info[0]->IsString()) {
      throw_error(isolate, "Process(name, ...args): name must be a string", 400);
      return;
    }
    const v8::String::Utf8Value name(isolate, info[0]);
    phost_value* out = nullptr;
    phost_status status;
    {
      Value args;
      try {
        args = Value::array(static_cast<size_t>(info.Length() - 1));
        for (int i = 1; i < info.Length(); ++i) args.push(Value::adopt(from_v8(context, info[i])));
      } catch (const ConversionError& e) {
        throw_error(isolate, "Process('" + std::string(*name) + "'): argument: " + e.what(), e.code);
        return;
      } catch (const Error& e) {
        throw_error(isolate, "Process('" + std::string(*name) + "'): argument: " + e.what(), e.code());
        return;
      }
      phost_call_ctx* parent = w.call_stack_.empty() ? nullptr : w.call_stack_.back();
      status = api().call(w.runtime_.self(), parent, phost_str{*name, static_cast<size_t>(name.length())},
                          args.get(), &out);
    }
    if (isolate->IsExecutionTerminating()) {  // a timeout: just unwind
      api().value_release(out);
      return;
    }
    if (status != PHOST_OK) {
      phost_error e{};
      e.struct_size = sizeof e;
      api().last_error(&e);
      auto error = v8::Exception::Error(v8_str(isolate, to_view(e.message))).As<v8::Object>();
      error->Set(context, v8_str(isolate, "code"), v8::Integer::New(isolate, e.code)).Check();
      error->SetPrivate(context, w.forwarded_key_.Get(isolate), v8::True(isolate)).Check();
      isolate->ThrowException(error);
      return;
    }
    Value result = Value::adopt(out);
    try {
      info.GetReturnValue().Set(to_v8(context, result.get()));
    } catch (const ConversionError& e) {
      throw_error(isolate, "Process('" + std::string(*name) + "'): result: " + e.what(), e.code);
    }
  }

  static void exception(const v8::FunctionCallbackInfo<v8::Value>& info) {
    v8::Isolate* isolate = info.GetIsolate();
    v8::Local<v8::Context> context = isolate->GetCurrentContext();
    v8::Local<v8::String> message;
    if (info.Length() < 1 || !info[0]->ToString(context).ToLocal(&message)) message = v8_str(isolate, "");
    int32_t code = 500;
    if (info.Length() > 1 && info[1]->IsNumber()) code = info[1]->Int32Value(context).FromMaybe(500);
    auto error = v8::Exception::Error(message).As<v8::Object>();
    error->Set(context, v8_str(isolate, "code"), v8::Integer::New(isolate, code)).Check();
    error->Set(context, v8_str(isolate, "name"), v8_str(isolate, "Exception")).Check();
    info.GetReturnValue().Set(error);
  }

  static void console(const v8::FunctionCallbackInfo<v8::Value>& info) {
    v8::Isolate* isolate = info.GetIsolate();
    v8::Local<v8::Context> context = isolate->GetCurrentContext();
    auto* w = static_cast<IsolateSlot*>(isolate->GetData(0));
    const int32_t level = info.Data().As<v8::Int32>()->Value();
    std::string line = "[scripts.";
    line += w->script_stack_.empty() ? std::string_view("?") : w->script_stack_.back();
    line += ']';
    for (int i = 0; i < info.Length(); ++i) {
      v8::Local<v8::Value> text = info[i];
      if (!text->IsString()) {
        v8::TryCatch ignore(isolate);  // cycles and BigInts cannot be stringified
        v8::Local<v8::String> json;
        text = v8::JSON::Stringify(context, info[i]).ToLocal(&json) && !json.IsEmpty() ? json.As<v8::Value>()
                                                                                        : info[i];
      }
      const v8::String::Utf8Value utf8(isolate, text);
      line += ' ';
      line.append(*utf8 ? *utf8 : "<unprintable>", *utf8 ? static_cast<size_t>(utf8.length()) : 13);
    }
    w->runtime_.log(level, line);
  }

  template <int Field>
  static void context_field(v8::Local<v8::Name>, const v8::PropertyCallbackInfo<v8::Value>& info) {
    IsolateSlot& w = slot_of(info.Data());
    if (w.call_stack_.empty()) return;
    phost_call_info call{};
    call.struct_size = sizeof call;
    if (api().ctx_info(w.call_stack_.back(), &call) != PHOST_OK) return;
    v8::Isolate* isolate = info.GetIsolate();
    v8::Local<v8::Context> context = isolate->GetCurrentContext();
    try {
      switch (Field) {
        case 0: info.GetReturnValue().Set(v8_str(isolate, to_view(call.session))); break;
        case 1: info.GetReturnValue().Set(call.global ? to_v8(context, call.global) : v8::Object::New(isolate).As<v8::Value>()); break;
        case 2: info.GetReturnValue().Set(call.subject ? to_v8(context, call.subject) : v8::Null(isolate).As<v8::Value>()); break;
        case 3: info.GetReturnValue().Set(v8_str(isolate, to_view(call.name))); break;
      }
    } catch (const ConversionError& e) {
      throw_error(isolate, e.what(), e.code);
    }
  }
};

v8::Local<v8::Context> Bridge::new_context(v8::Isolate* isolate, IsolateSlot& slot) {
  v8::EscapableHandleScope scope(isolate);
  v8::Local<v8::External> self = v8::External::New(isolate, &slot);
  v8::Local<v8::ObjectTemplate> global = v8::ObjectTemplate::New(isolate);
  global->Set(v8_str(isolate, "Process"), v8::FunctionTemplate::New(isolate, BridgeCallbacks::process, self), kFixed);
  global->Set(v8_str(isolate, "Exception"), v8::FunctionTemplate::New(isolate, BridgeCallbacks::exception), kFixed);

  v8::Local<v8::ObjectTemplate> console = v8::ObjectTemplate::New(isolate);
  const std::pair<const char*, int32_t> levels[] = {
      {"log", PHOST_LOG_INFO}, {"info", PHOST_LOG_INFO}, {"warn", PHOST_LOG_WARN},
      {"error", PHOST_LOG_ERROR}, {"debug", PHOST_LOG_DEBUG}};
  for (const auto& [name, level] : levels)
    console->Set(v8_str(isolate, name),
                 v8::FunctionTemplate::New(isolate, BridgeCallbacks::console, v8::Integer::New(isolate, level)), kFixed);

  v8::Local<v8::ObjectTemplate> call = v8::ObjectTemplate::New(isolate);
  call->SetNativeDataProperty(v8_str(isolate, "sid"), BridgeCallbacks::context_field<0>, nullptr, self, kFixed);
  call->SetNativeDataProperty(v8_str(isolate, "global"), BridgeCallbacks::context_field<1>, nullptr, self, kFixed);
  call->SetNativeDataProperty(v8_str(isolate, "authorized"), BridgeCallbacks::context_field<2>, nullptr, self, kFixed);
  call->SetNativeDataProperty(v8_str(isolate, "process"), BridgeCallbacks::context_field<3>, nullptr, self, kFixed);
  global->Set(v8_str(isolate, "Context"), call, kFixed);
  v8::Local<v8::Context> context = v8::Context::New(isolate, nullptr, global);
  // V8 installs its own console (silent without an inspector) after the
  // template is applied, so ours replaces it on the live global.
  v8::Local<v8::Object> console_object = console->NewInstance(context).ToLocalChecked();
  context->Global()->DefineOwnProperty(context, v8_str(isolate, "console"), console_object, kFixed).Check();
  {
    v8::Context::Scope enter(context);
    v8::TryCatch try_catch(isolate);
    if (!lock_down(context)) {
      const v8::String::Utf8Value why(isolate, try_catch.Exception());
      slot.runtime_.log(PHOST_LOG_ERROR, std::string("hardening the context's built-ins failed: ") +
                                               (*why ? *why : "unknown error"));
    }
  }
  return scope.Escape(context);
}

}  // namespace phost::v8rt
