#include "transpiler_engine.hpp"

#include "embedded_source.hpp"

#include <v8-array-buffer.h>
#include <v8-container.h>
#include <v8-context.h>
#include <v8-exception.h>
#include <v8-locker.h>
#include <v8-object.h>
#include <v8-primitive.h>
#include <v8-script.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <mutex>
#include <vector>

// The bundle (runtime/js/transpiler.js + sucrase), generated at build time by
// cmake/phost_embed.cmake; ASCII because esbuild runs with --charset=ascii.
extern const unsigned char phost_transpiler_bundle[];
extern const std::size_t phost_transpiler_bundle_size;

namespace phost::v8rt {
namespace {

EmbeddedSource bundle_source(phost_transpiler_bundle, phost_transpiler_bundle_size);

// V8's code cache of the bundle, made once per process after a warm-up call so
// that it holds the functions compiled lazily by a strip and a scan too.
std::mutex code_cache_mutex;
std::shared_ptr<const std::vector<uint8_t>> code_cache;

std::shared_ptr<const std::vector<uint8_t>> cached_bundle_code() {
  std::lock_guard lock(code_cache_mutex);
  return code_cache;
}

void store_bundle_code(std::unique_ptr<v8::ScriptCompiler::CachedData> data) {
  if (!data || data->length <= 0) return;
  auto bytes = std::make_shared<const std::vector<uint8_t>>(data->data, data->data + data->length);
  std::lock_guard lock(code_cache_mutex);
  if (!code_cache) code_cache = std::move(bytes);
}

// Exercises the parser, the TypeScript transform and the scanner before the code cache is made.
constexpr std::string_view kWarmUpSource =
    "import type {T} from './t';\nimport {a} from './a';\nenum E { A, B = 2 }\n"
    "export abstract class C<X> { constructor(private x: X, public y = 1) {} abstract m(): void; }\n"
    "export function f(o?: {p: number}): number { let v = o?.p ?? 0; v ?\?= 1; return v satisfies number; }\n"
    "async function* g() { yield await a(`t${ {k: 1}.k }`); }\nconst r = /re/g.test('x') ? 1 : 2;\n";

v8::MaybeLocal<v8::String> v8_string(v8::Isolate* isolate, std::string_view text) {
  if (text.size() > size_t{std::numeric_limits<int>::max()}) return {};
  return v8::String::NewFromUtf8(isolate, text.data(), v8::NewStringType::kNormal, static_cast<int>(text.size()));
}

std::string std_string(v8::Isolate* isolate, v8::Local<v8::String> text) {
  std::string out(static_cast<size_t>(text->Utf8Length(isolate)), '\0');
  text->WriteUtf8(isolate, out.data(), static_cast<int>(out.size()), nullptr,
                  v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);
  return out;
}

// The message of what a TryCatch caught ("line:col: message" from the bundle).
std::string caught_message(v8::Isolate* isolate, v8::Local<v8::Context> context, const v8::TryCatch& try_catch) {
  v8::Local<v8::Value> exception = try_catch.Exception();
  v8::Local<v8::String> text;
  if (exception.IsEmpty()) return "unknown error";
  if (exception->IsObject()) {
    v8::Local<v8::Value> message;
    if (exception.As<v8::Object>()->Get(context, v8::String::NewFromUtf8Literal(isolate, "message")).ToLocal(&message) &&
        message->IsString()) {
      return std_string(isolate, message.As<v8::String>());
    }
  }
  if (!exception->ToString(context).ToLocal(&text)) return "unknown error";
  return std_string(isolate, text);
}

v8::MaybeLocal<v8::Value> get(v8::Local<v8::Context> context, v8::Local<v8::Value> object, const char* key) {
  v8::Local<v8::String> name;
  if (!object->IsObject() ||
      !v8::String::NewFromUtf8(context->GetIsolate(), key, v8::NewStringType::kInternalized).ToLocal(&name)) {
    return {};
  }
  return object.As<v8::Object>()->Get(context, name);
}

// Every step of reading scan()'s result is checked: a termination may land in any of them.
bool read_scan(v8::Local<v8::Context> context, v8::Local<v8::Value> value, ScanResult& out) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::Local<v8::Value> module, functions, imports;
  if (!get(context, value, "module").ToLocal(&module) || !get(context, value, "functions").ToLocal(&functions) ||
      !get(context, value, "imports").ToLocal(&imports) || !functions->IsArray() || !imports->IsArray()) {
    return false;
  }
  out.module = module->BooleanValue(isolate);
  auto names = functions.As<v8::Array>();
  for (uint32_t i = 0; i < names->Length(); ++i) {
    v8::Local<v8::Value> name;
    if (!names->Get(context, i).ToLocal(&name) || !name->IsString()) return false;
    out.functions.push_back(std_string(isolate, name.As<v8::String>()));
  }
  auto list = imports.As<v8::Array>();
  for (uint32_t i = 0; i < list->Length(); ++i) {
    v8::Local<v8::Value> entry, specifier, line, column;
    if (!list->Get(context, i).ToLocal(&entry) || !get(context, entry, "specifier").ToLocal(&specifier) ||
        !get(context, entry, "line").ToLocal(&line) || !get(context, entry, "column").ToLocal(&column) ||
        !specifier->IsString() || !line->IsInt32() || !column->IsInt32()) {
      return false;
    }
    out.imports.push_back({std_string(isolate, specifier.As<v8::String>()), line.As<v8::Int32>()->Value(),
                           column.As<v8::Int32>()->Value()});
  }
  return true;
}

}  // namespace

TranspilerEngine::TranspilerEngine(const Transpiler::Options& options) : options_(options) {
  v8::Isolate::CreateParams params;
  params.array_buffer_allocator_shared.reset(v8::ArrayBuffer::Allocator::NewDefaultAllocator());
  params.constraints.set_max_old_generation_size_in_bytes(options_.heap_limit);
  isolate_.reset(v8::Isolate::New(params));
  isolate_->AddNearHeapLimitCallback(&TranspilerEngine::near_heap_limit, this);
}

TranspilerEngine::~TranspilerEngine() {
  v8::Locker locker(isolate_.get());
  strip_.Reset();
  scan_.Reset();
  context_.Reset();
}

size_t TranspilerEngine::near_heap_limit(void* data, size_t current, size_t /*initial*/) {
  auto* self = static_cast<TranspilerEngine*>(data);
  self->heap_limit_hit_ = true;
  self->isolate_->TerminateExecution();
  return current * 2;  // room to unwind; the engine is condemned afterwards
}

void TranspilerEngine::forget_code_cache() noexcept {
  std::lock_guard lock(code_cache_mutex);
  code_cache.reset();
}

std::string TranspilerEngine::load() {
  v8::Isolate* isolate = isolate_.get();
  v8::Locker locker(isolate);
  v8::Isolate::Scope isolate_scope(isolate);
  v8::HandleScope handles(isolate);
  v8::Local<v8::Context> context = v8::Context::New(isolate);
  if (context.IsEmpty()) return "cannot create the transpiler's context";
  context->AllowCodeGenerationFromStrings(false);  // the bundle needs no eval; user text must not get one
  v8::Context::Scope context_scope(context);
  v8::TryCatch try_catch(isolate);

  v8::Local<v8::String> code;
  if (!bundle_source.string(isolate).ToLocal(&code)) return "cannot create the transpiler's source string";

  const auto cached = options_.code_cache ? cached_bundle_code() : nullptr;
  v8::ScriptOrigin origin(isolate, v8::String::NewFromUtf8Literal(isolate, "phost:transpiler.js"));
  // Source takes the CachedData, which only borrows the bytes `cached` keeps alive.
  auto cached_data =
      cached ? std::make_unique<v8::ScriptCompiler::CachedData>(cached->data(), static_cast<int>(cached->size()))
             : nullptr;
  v8::ScriptCompiler::Source source(code, origin, cached_data.release());
  v8::Local<v8::Script> script;
  if (!v8::ScriptCompiler::Compile(context, &source,
                                   cached ? v8::ScriptCompiler::kConsumeCodeCache : v8::ScriptCompiler::kNoCompileOptions)
           .ToLocal(&script)) {
    return "the transpiler bundle does not compile: " + caught_message(isolate, context, try_catch);
  }
  if (cached && source.GetCachedData()->rejected) forget_code_cache();  // remade below, after the warm-up

  v8::Local<v8::Value> api, strip, scan;
  if (script->Run(context).IsEmpty() || !get(context, context->Global(), "phostTranspiler").ToLocal(&api) ||
      !get(context, api, "strip").ToLocal(&strip) || !get(context, api, "scan").ToLocal(&scan) ||
      !strip->IsFunction() || !scan->IsFunction()) {
    if (try_catch.HasTerminated()) return "terminated";
    return "the transpiler bundle did not start: " +
           (try_catch.HasCaught() ? caught_message(isolate, context, try_catch) : std::string("no phostTranspiler"));
  }
  context_.Reset(isolate, context);
  strip_.Reset(isolate, strip.As<v8::Function>());
  scan_.Reset(isolate, scan.As<v8::Function>());

  if (options_.code_cache && !cached_bundle_code()) {
    const TranspileResult warm = this->strip(kWarmUpSource, "warm-up.ts");
    if (!warm.ok) return "the transpiler fails its warm-up: " + warm.error;
    if (!this->scan(warm.code, false).ok) return "the transpiler fails its warm-up scan";
    store_bundle_code(std::unique_ptr<v8::ScriptCompiler::CachedData>(
        v8::ScriptCompiler::CreateCodeCache(script->GetUnboundScript())));
  }
  return {};
}

TranspileResult TranspilerEngine::strip(std::string_view source, std::string_view file) {
  TranspileResult result;
  v8::Isolate* isolate = isolate_.get();
  v8::Locker locker(isolate);
  v8::Isolate::Scope isolate_scope(isolate);
  v8::HandleScope handles(isolate);
  v8::Local<v8::Context> context = context_.Get(isolate);
  v8::Context::Scope context_scope(context);
  v8::TryCatch try_catch(isolate);

  v8::Local<v8::String> js_source, js_file;
  if (!v8_string(isolate, source).ToLocal(&js_source) || !v8_string(isolate, file).ToLocal(&js_file)) {
    result.error = std::string(file) + ":1:1: source too large";
    return result;
  }
  v8::Local<v8::Value> args[] = {js_source, js_file};
  v8::Local<v8::Value> code;
  if (strip_.Get(isolate)->Call(context, v8::Undefined(isolate), 2, args).ToLocal(&code) && code->IsString()) {
    result.ok = true;
    result.code = std_string(isolate, code.As<v8::String>());
  } else if (try_catch.HasTerminated() || isolate->IsExecutionTerminating()) {
    result.error = std::string(file) + ":1:1: terminated";
  } else {
    result.error = caught_message(isolate, context, try_catch);
  }
  return result;
}

ScanResult TranspilerEngine::scan(std::string_view source, bool typescript) {
  ScanResult result;
  v8::Isolate* isolate = isolate_.get();
  v8::Locker locker(isolate);
  v8::Isolate::Scope isolate_scope(isolate);
  v8::HandleScope handles(isolate);
  v8::Local<v8::Context> context = context_.Get(isolate);
  v8::Context::Scope context_scope(context);
  v8::TryCatch try_catch(isolate);

  v8::Local<v8::String> js_source;
  if (!v8_string(isolate, source).ToLocal(&js_source)) {
    result.error = "1:1: source too large";
    return result;
  }
  v8::Local<v8::Value> args[] = {js_source, v8::Boolean::New(isolate, typescript)};
  v8::Local<v8::Value> value;
  if (scan_.Get(isolate)->Call(context, v8::Undefined(isolate), 2, args).ToLocal(&value) &&
      read_scan(context, value, result)) {
    result.ok = true;
  } else if (try_catch.HasTerminated() || isolate->IsExecutionTerminating()) {
    result = {};
    result.error = "1:1: terminated";
  } else if (try_catch.HasCaught()) {
    result = {};
    result.error = caught_message(isolate, context, try_catch);
  } else {
    result = {};
    result.error = "1:1: the scanner returned an unexpected value";
  }
  return result;
}

}  // namespace phost::v8rt
