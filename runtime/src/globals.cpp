#include "globals.hpp"

#include "bridge_callback.hpp"
#include "embedded_source.hpp"
#include "limited_allocator.hpp"
#include "structured_clone.hpp"
#include "task_pool.hpp"
#include "v8_text.hpp"

#include <openssl/evp.h>

#include <v8-array-buffer.h>
#include <v8-container.h>
#include <v8-exception.h>
#include <v8-function.h>
#include <v8-primitive.h>
#include <v8-script.h>
#include <v8-typed-array.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <memory>
#include <mutex>
#include <vector>

extern const unsigned char phost_globals_js[];
extern const std::size_t phost_globals_js_size;

namespace phost::v8rt {
namespace {

constexpr size_t kMaxTasks = 1024;  // per All/Any/Race call

v8::Local<v8::Uint8Array> new_bytes(v8::Isolate* isolate, std::string_view bytes) {
  v8::Local<v8::Uint8Array> array;
  if (!counted_bytes(isolate, bytes).ToLocal(&array))
    throw Error(507, std::to_string(bytes.size()) + " bytes do not fit in the script heap", PHOST_E_NO_MEMORY);
  return array;
}

// The bytes of a Uint8Array (globals.js passes nothing else), copied.
std::string bytes_of(v8::Local<v8::Value> value) {
  if (!value->IsUint8Array()) throw Error(400, "expected a Uint8Array", PHOST_E_INVALID_ARG);
  v8::Local<v8::Uint8Array> array = value.As<v8::Uint8Array>();
  std::string out(array->ByteLength(), '\0');
  array->CopyContents(out.data(), out.size());
  return out;
}

bool valid_utf8(std::string_view s) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    const unsigned char c = *p;
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (!n || size_t(end - p) < n) return false;
    uint32_t cp = n == 1 ? c : c & (0x7f >> n);
    for (size_t k = 1; k < n; ++k) {
      if ((p[k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (p[k] & 0x3f);
    }
    constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    p += n;
  }
  return true;
}

// ---- the natives; globals.js is their only caller -------------------------

void script_id(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  const BridgeState& state = state_of(info.Data());
  callback(isolate, state, [&] {
    info.GetReturnValue().Set(v8_string(isolate, running_script(isolate, state.calls).value_or("?")));
  });
}

void encode_utf8(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  callback(isolate, state_of(info.Data()), [&] {
    if (!info[0]->IsString()) throw Error(400, "expected a string", PHOST_E_INVALID_ARG);
    // Refused before the copies no deadline can stop: the string flattened
    // in the heap (2 bytes a unit at worst), and its UTF-8 (1 to 3 bytes a
    // unit) outside it and in the buffer; counted exactly when 3 may not fit.
    const v8::Local<v8::String> text = info[0].As<v8::String>();
    const size_t units = static_cast<size_t>(text->Length());
    const size_t room = counted_room(isolate);
    if (units > room || !string_fits(isolate, units) ||
        (3 * units > room && static_cast<size_t>(text->Utf8Length(isolate)) > room))
      throw Error(507, "the UTF-8 of a string of " + std::to_string(units) + " characters does not fit in the script heap",
                  PHOST_E_NO_MEMORY);
    with_utf8(isolate, text, [&](std::string_view bytes) { info.GetReturnValue().Set(new_bytes(isolate, bytes)); });
  });
}

// (bytes, fatal, ignoreBOM)
void decode_utf8(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  callback(isolate, state_of(info.Data()), [&] {
    const std::string bytes = bytes_of(info[0]);
    std::string_view text = bytes;
    if (!info[2]->IsTrue() && text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
    if (info[1]->IsTrue() && !valid_utf8(text)) {
      isolate->ThrowException(v8::Exception::TypeError(
          v8_string(isolate, "TextDecoder.decode: the data is not valid UTF-8 (the decoder is fatal)")));
      return;
    }
    info.GetReturnValue().Set(v8_string(isolate, text));  // invalid sequences become U+FFFD
  });
}

// Throws 408 once the running call's deadline has passed: for natives that
// work through large inputs, where V8's termination cannot land.
void check_deadline(const BridgeState& state, std::string_view what) {
  const CallFrame* frame = state.calls.top();
  if (frame && frame->deadline_ns && api().clock_ns() >= frame->deadline_ns)
    throw Error(408, std::string(what) + ": the call's deadline passed", PHOST_E_TIMEOUT);
}

// btoa(text): the base64 of text's UTF-8, encoded in slices between which the
// deadline is checked, into a one-byte string (base64 is ASCII).
void base64_encode(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  const BridgeState& state = state_of(info.Data());
  callback(isolate, state, [&] {
    if (!info[0]->IsString()) throw Error(400, "btoa(text): text must be a string", PHOST_E_INVALID_ARG);
    v8::Local<v8::String> text = info[0].As<v8::String>();
    // Refused before the copies no deadline can stop: the flattened text and
    // its base64 must fit in the heap (its UTF-8 has 1 to 3 bytes a unit:
    // counted exactly when 3 may not fit).
    const size_t least = static_cast<size_t>(text->Length());
    const auto base64_fits = [&](size_t utf8) { return string_fits(isolate, 4 * ((utf8 + 2) / 3)); };
    if (!string_fits(isolate, least) ||
        (!base64_fits(3 * least) && !base64_fits(static_cast<size_t>(text->Utf8Length(isolate)))))
      throw Error(507, "btoa(text): the base64 of a string of " + std::to_string(least) +
                           " characters does not fit in the script heap", PHOST_E_NO_MEMORY);
    with_utf8(isolate, text, [&](std::string_view bytes) {
      check_deadline(state, "btoa(text)");  // the UTF-8 took long: the deadline says why the call ends
      if (bytes.size() > size_t(INT_MAX / 2)) throw Error(413, "btoa(text): text is too long", PHOST_E_LIMIT);
      const size_t encoded = 4 * ((bytes.size() + 2) / 3);
      if (!string_fits(isolate, encoded))
        throw Error(507, "btoa(text): its " + std::to_string(encoded) + " bytes of base64 do not fit in the script heap",
                    PHOST_E_NO_MEMORY);
      constexpr size_t kSlice = 3 << 20;  // a multiple of 3: no padding before the end
      const auto out = std::make_unique_for_overwrite<unsigned char[]>(encoded + 1);  // EVP adds a NUL
      size_t written = 0;
      for (size_t at = 0; at < bytes.size(); at += kSlice) {
        check_deadline(state, "btoa(text)");
        const size_t n = std::min(kSlice, bytes.size() - at);
        written += static_cast<size_t>(EVP_EncodeBlock(out.get() + written,
                                                       reinterpret_cast<const unsigned char*>(bytes.data() + at),
                                                       static_cast<int>(n)));
      }
      check_deadline(state, "btoa(text)");
      v8::Local<v8::String> result;
      if (!v8::String::NewFromOneByte(isolate, out.get(), v8::NewStringType::kNormal, static_cast<int>(written))
               .ToLocal(&result))
        throw Error(507, "btoa(text): no memory for " + std::to_string(written) + " bytes of base64", PHOST_E_NO_MEMORY);
      info.GetReturnValue().Set(result);
    });
  });
}

// atob(data): data read in slices into a byte per character (a character
// outside ASCII is refused in the first slice that holds one), then decoded.
// Refused before any copy when what it decodes to cannot fit.
void base64_decode(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  const BridgeState& state = state_of(info.Data());
  callback(isolate, state, [&] {
    if (!info[0]->IsString()) throw Error(400, "atob(data): data must be a string", PHOST_E_INVALID_ARG);
    v8::Local<v8::String> data = info[0].As<v8::String>();
    const auto bad = [] { return Error(400, "atob(data): data is not valid base64", PHOST_E_INVALID_ARG); };
    const size_t length = static_cast<size_t>(data->Length());
    if (length % 4 != 0) throw bad();
    if (const size_t most = length / 4 * 3; most > counted_room(isolate))
      throw Error(507, "atob(data): the " + std::to_string(most) + " bytes it decodes to do not fit in the script heap",
                  PHOST_E_NO_MEMORY);
    std::string text;
    text.reserve(length);
    for_each_slice(isolate, data, [&](const auto* units, size_t n) {
      if (std::any_of(units, units + n, [](auto unit) { return unit > 0x7f; })) throw bad();
      text.append(units, units + n);
      return true;
    });
    check_deadline(state, "atob(data)");
    std::string out(length / 4 * 3, '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
    if (n < 0) throw bad();
    size_t padding = 0;  // EVP_DecodeBlock counts '=' as zero bytes
    for (size_t i = text.size(); i > 0 && text[i - 1] == '=' && padding < 2; --i) ++padding;
    out.resize(static_cast<size_t>(n) - padding);
    check_deadline(state, "atob(data)");
    info.GetReturnValue().Set(new_bytes(isolate, out));
  });
}

// $L's translation: the application's lang.Translate process, or the text
// itself when there is none (or the rules keep scripts from it).
void translate(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  const BridgeState& state = state_of(info.Data());
  callback(isolate, state, [&] {
    info.GetReturnValue().Set(info[0]);
    constexpr std::string_view kProcess = "lang.Translate";
    if (!info[0]->IsString() || !state.services.options.rules.allows(kProcess)) return;
    // A text longer than any process may be passed (max_value_mb) stays as
    // it is, before a copy of it is made.
    if (static_cast<size_t>(info[0].As<v8::String>()->Length()) > state.limits.bytes) return;
    Value args = Value::array(1);
    args.push(Value::string(utf8(isolate, info[0].As<v8::String>())));
    Value result;
    if (!call_for_script(isolate, state, kProcess, args.get(), result, PHOST_E_NOT_FOUND)) return;
    info.GetReturnValue().Set(to_v8(isolate->GetCurrentContext(), result.get(), state.limits));
  });
}

// Spends what value holds out of left as to_v8 will (an item each, the
// bytes of strings and keys); false when it does not fit.
bool spend(View value, ValueLimits& left) {
  std::vector<View> pending{value};
  auto take = [](size_t& from, size_t n) {
    if (n > from) return false;
    from -= n;
    return true;
  };
  while (!pending.empty()) {
    const View v = pending.back();
    pending.pop_back();
    if (!take(left.items, 1)) return false;
    switch (v.kind()) {
      case PHOST_STRING:
      case PHOST_BYTES:
        if (!take(left.bytes, v.as_string().size())) return false;
        break;
      case PHOST_ARRAY:
      case PHOST_OBJECT:
        for (size_t i = 0, n = v.size(); i < n; ++i) {
          if (v.kind() == PHOST_OBJECT && !take(left.bytes, v.key_at(i).size())) return false;
          pending.push_back(v[i]);
        }
        break;
      default: break;
    }
  }
  return true;
}

// [[process, args, timeout_s], ...] -> [{data, index[, error, code]}], every
// task run to its end in parallel, as gou's All/Any/Race do.
void parallel(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  const BridgeState& state = state_of(info.Data());
  callback(isolate, state, [&] {
    v8::Local<v8::Context> context = isolate->GetCurrentContext();
    const Value tasks = from_v8(context, info[0], state.limits);
    const size_t n = tasks.size();
    if (n > kMaxTasks)
      throw Error(413, std::to_string(n) + " tasks: at most " + std::to_string(kMaxTasks) + " run in one call",
                  PHOST_E_LIMIT);
    struct Outcome {
      Value data;
      int32_t code = 0;
      std::string error;
    };
    std::vector<Outcome> outcomes(n);
    // Read now: a task run on this thread may push frames (a nested call
    // into this isolate), which can move the stack's storage.
    const CallFrame* frame = state.calls.top();
    phost_call_ctx* const ctx = frame ? frame->ctx : nullptr;
    const int64_t inherited_deadline = frame ? frame->deadline_ns : 0;
    const int64_t now = api().clock_ns();
    // The results together are one value's worth at most: once they are
    // over, a result is dropped as it comes and no further task starts
    // (a thousand tasks of 64 MB each were all kept, 7.5 GB).
    std::mutex spent;
    ValueLimits left = state.limits;
    std::atomic<bool> over{false};
    const auto too_much = [&](Outcome& outcome) {
      outcome.data = Value();
      outcome.code = 413;
      outcome.error = "the results of the tasks together are over the limits of one value (max_value_items, max_value_mb)";
    };
    state.services.tasks.run(n, [&](size_t i) {
      Outcome& outcome = outcomes[i];
      if (over.load(std::memory_order_relaxed)) return too_much(outcome);
      try {
        const View task = tasks[i];
        const std::string_view name = task[0].as_string();
        if (!state.services.options.rules.allows(name)) {
          outcome.code = 403;
          outcome.error = "Process('" + std::string(name) + "'): scripts may not call this process";
          return;
        }
        const double timeout_s = std::min(task[2].as_double(), 1e9);
        int64_t deadline = timeout_s > 0 ? now + static_cast<int64_t>(timeout_s * 1e9) : 0;
        if (inherited_deadline && (!deadline || inherited_deadline < deadline)) deadline = inherited_deadline;
        phost_value* out = nullptr;
        const phost_status status =
            api().call_with_deadline(state.services.self, ctx, to_str(name), task[1].get(), deadline, &out);
        outcome.data = Value::adopt(out);
        if (outcome.data) {
          std::lock_guard lock(spent);
          if (over.load(std::memory_order_relaxed) || !spend(outcome.data, left)) {
            over.store(true, std::memory_order_relaxed);
            return too_much(outcome);
          }
        }
        if (status != PHOST_OK) {
          phost_error e{};
          e.struct_size = sizeof e;
          api().last_error(&e);
          outcome.code = e.code;
          outcome.error = std::string(to_view(e.message));
        }
      } catch (const std::exception& e) {
        outcome.code = 500;
        outcome.error = e.what();
      }
    });
    if (isolate->IsExecutionTerminating()) return;
    Value results = Value::array(n);
    for (size_t i = 0; i < n; ++i) {
      Value entry = Value::object(4);
      entry.set("data", outcomes[i].data ? std::move(outcomes[i].data) : Value::null());
      entry.set("index", Value::integer(static_cast<int64_t>(i)));
      if (!outcomes[i].error.empty() || outcomes[i].code) {
        entry.set("error", Value::string(outcomes[i].error));
        entry.set("code", Value::integer(outcomes[i].code));
      }
      results.push(std::move(entry));
    }
    info.GetReturnValue().Set(to_v8(context, results.get(), state.limits));
  });
}

void clone(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  callback(isolate, state_of(info.Data()), [&] {
    v8::Local<v8::Value> copy;
    if (structured_clone(isolate->GetCurrentContext(), info[0]).ToLocal(&copy)) info.GetReturnValue().Set(copy);
  });
}

}  // namespace

void install_gou_globals(v8::Local<v8::Context> context, v8::Local<v8::Value> process, const BridgeState& state) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::Local<v8::External> data = v8::External::New(isolate, const_cast<BridgeState*>(&state));
  v8::TryCatch try_catch(isolate);
  const auto failed = [&](const char* what) {
    std::string why = "unknown error";
    v8::Local<v8::String> text;
    if (try_catch.HasCaught() && try_catch.Exception()->ToString(context).ToLocal(&text)) why = utf8(isolate, text);
    return Error(500, std::string("setting up gou's globals: ") + what + ": " + why, PHOST_E_INTERNAL);
  };

  v8::Local<v8::Object> natives = v8::Object::New(isolate);
  const std::pair<const char*, v8::FunctionCallback> functions[] = {
      {"scriptId", script_id},       {"encodeUtf8", encode_utf8},     {"decodeUtf8", decode_utf8},
      {"base64Encode", base64_encode}, {"base64Decode", base64_decode}, {"translate", translate},
      {"parallel", parallel},        {"clone", clone}};
  for (const auto& [name, fn] : functions) {
    v8::Local<v8::Function> f;
    if (!v8::Function::New(context, fn, data).ToLocal(&f) ||
        !natives->CreateDataProperty(context, v8_string(isolate, name), f).FromMaybe(false))
      throw failed(name);
  }
  if (!natives->CreateDataProperty(context, v8_string(isolate, "maxEvalSource"), v8::Integer::New(isolate, Bridge::kMaxEvalSource))
           .FromMaybe(false))
    throw failed("maxEvalSource");

  v8::ScriptOrigin origin(isolate, v8_string(isolate, kGlobalsFile));
  v8::Local<v8::Script> script;
  // Eval's: a direct eval in a sloppy function of its own, so what a source
  // declares lives in that call's scope, never on the shared global object,
  // and the source sees no binding of globals.js.
  v8::Local<v8::Value> eval_local;
  if (!v8::Script::Compile(context, v8_string(isolate, "(function (source) { return eval(source); })"), &origin)
           .ToLocal(&script) ||
      !script->Run(context).ToLocal(&eval_local) ||
      !natives->CreateDataProperty(context, v8_string(isolate, "evalLocal"), eval_local).FromMaybe(false))
    throw failed("evalLocal");

  static EmbeddedSource embedded(phost_globals_js, phost_globals_js_size);
  v8::Local<v8::String> source;
  if (!embedded.string(isolate).ToLocal(&source)) throw failed("source");
  v8::Local<v8::Value> factory, made;
  v8::Local<v8::Value> argv[] = {process, natives};
  if (!v8::Script::Compile(context, source, &origin).ToLocal(&script) || !script->Run(context).ToLocal(&factory) ||
      !factory->IsFunction() ||
      !factory.As<v8::Function>()->Call(context, v8::Undefined(isolate), 2, argv).ToLocal(&made) || !made->IsObject())
    throw failed("globals.js");

  constexpr auto kFixed = static_cast<v8::PropertyAttribute>(v8::ReadOnly | v8::DontDelete);
  v8::Local<v8::Array> names;
  if (!made.As<v8::Object>()->GetOwnPropertyNames(context).ToLocal(&names)) throw failed("globals");
  const v8::Local<v8::String> get = v8_string(isolate, "get"), value = v8_string(isolate, "value");
  for (uint32_t i = 0; i < names->Length(); ++i) {
    v8::Local<v8::Value> name, descriptor, getter, plain;
    if (!names->Get(context, i).ToLocal(&name) ||
        !made.As<v8::Object>()->GetOwnPropertyDescriptor(context, name.As<v8::String>()).ToLocal(&descriptor) ||
        !descriptor.As<v8::Object>()->Get(context, get).ToLocal(&getter) ||
        !descriptor.As<v8::Object>()->Get(context, value).ToLocal(&plain))
      throw failed("defining a global");
    bool defined;
    if (getter->IsFunction()) {  // enumerable, not configurable, no setter
      v8::PropertyDescriptor accessor(getter, v8::Undefined(isolate));
      accessor.set_enumerable(true);
      accessor.set_configurable(false);
      defined = context->Global()->DefineProperty(context, name.As<v8::String>(), accessor).FromMaybe(false);
    } else {
      defined = context->Global()->DefineOwnProperty(context, name.As<v8::String>(), plain, kFixed).FromMaybe(false);
    }
    if (!defined) throw failed("defining a global");
  }
}

}  // namespace phost::v8rt
