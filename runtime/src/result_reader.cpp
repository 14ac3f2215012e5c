#include "result_reader.hpp"

#include "js_error.hpp"
#include "v8_text.hpp"

#include <v8-container.h>
#include <v8-exception.h>
#include <v8-external.h>
#include <v8-function-callback.h>
#include <v8-internal.h>
#include <v8-primitive.h>
#include <v8-script.h>
#include <v8-template.h>
#include <v8-typed-array.h>

#include <algorithm>

namespace phost::v8rt {
namespace {

// The encoder. Tags are ResultReader::Tag; kind() is ResultReader::Kind;
// meta is ResultReader::Meta. Only this file's code runs in its context, but
// an object made here can still reach a script: a callable Proxy used as a
// getter gets its arguments in an array of its caller's realm. So what such
// an array leads to, and what the encoder calls, is frozen first (not with
// lock_down: its typed array chain costs the encoder ~6% of a call), and
// Object.prototype takes no new properties (no setter for an index).
constexpr std::string_view kEncoder = R"JS((function (kind) {
'use strict';
const { freeze, preventExtensions } = Object;
for (const o of [Array.prototype, Array, Map.prototype, String.prototype, Object, Function.prototype, Function])
  freeze(o);
preventExtensions(Object.prototype);
const keysOf = Object.keys, floor = Math.floor, F64 = Float64Array, U8 = Uint8Array;
const MIN = -(2n ** 63n), MAX = 2n ** 63n - 1n;
const meta = new F64(13);  // ResultReader::Meta
const state = [new F64(256), new U8(1024), []];
let out = state[0], bytes = state[1], refs = state[2];
let pos = 0, bpos = 0, items = 0, spent = 0, maxDepth = 0, maxItems = 0, maxBytes = 0, nrefs = 0, deepest = 0;
const stack = [];
// Keys seen before are written as their number; C++ reads new ones from keyList.
const ids = new Map(), keyList = [];
function room(n) {
  if (pos + n <= out.length) return;
  let size = out.length * 2;
  while (size < pos + n) size *= 2;
  const grown = new F64(size);
  grown.set(out);
  out = state[0] = grown;
  meta[2] = 1;
}
function text(s) {
  const n = s.length;
  spent += n;
  if (n <= 64) {
    if (bpos + n > bytes.length) {
      const grown = new U8(bytes.length * 2 + n);
      grown.set(bytes);
      bytes = state[1] = grown;
      meta[2] = 1;
    }
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 127) break;
      bytes[bpos + i] = c;
    }
    if (i === n) {
      out[pos++] = 5;
      out[pos++] = n;
      bpos += n;
      return;
    }
  }
  out[pos++] = 6;
  out[pos++] = nrefs;
  refs[nrefs++] = s;
}
function refuse(v) {
  out[pos++] = 11;
  out[pos++] = nrefs;
  refs[nrefs++] = v;
  meta[3] = 1;
  return false;
}
function handOver(v, depth) {
  out[pos++] = 10;
  out[pos++] = nrefs;
  out[pos++] = depth;
  refs[nrefs++] = v;
  for (let i = 0; i < depth; i++) refs[nrefs++] = stack[i];
  meta[3] = 1;
  return true;
}
function value(v, depth) {
  room(3);
  if (depth > maxDepth) { out[pos++] = 13; return false; }
  switch (typeof v) {
    case 'undefined': if (++items > maxItems) break; out[pos++] = 0; return true;
    case 'boolean': if (++items > maxItems) break; out[pos++] = v ? 2 : 1; return true;
    case 'number':
      if (++items > maxItems) break;
      if (v - v !== 0) { out[pos++] = 0; return true; }  // NaN and the infinities are null, as in JSON
      out[pos++] = floor(v) === v && v <= 9007199254740992 && v >= -9007199254740992 ? 3 : 4;
      out[pos++] = v;
      return true;
    case 'string':
      if (++items > maxItems) break;
      text(v);
      if (spent > maxBytes) { room(1); break; }
      return true;
    case 'bigint':
      if (v < MIN || v > MAX) return refuse(v);
      return handOver(v, depth);
    case 'object':
      if (v === null) { if (++items > maxItems) break; out[pos++] = 0; return true; }
      switch (kind(v)) {
        case 0: if (++items > maxItems) break; return container(v, false, depth);
        case 1: if (++items > maxItems) break; return container(v, true, depth);
        case 2: return handOver(v, depth);
        default: return refuse(v);
      }
      break;
    default: return refuse(v);
  }
  out[pos++] = 14;
  return false;
}
function container(o, list, depth) {
  for (let i = 0; i < depth; i++) if (stack[i] === o) { out[pos++] = 12; return false; }
  stack[depth] = o;
  if (depth >= deepest) deepest = depth + 1;
  if (list) {
    const n = o.length;
    out[pos++] = 7;
    out[pos++] = n;
    items += n;
    if (items > maxItems) { room(1); out[pos++] = 14; return false; }
    for (let i = 0; i < n; i++) if (!value(o[i], depth + 1)) return false;
    return true;
  }
  const keys = keysOf(o), n = keys.length;
  out[pos++] = 8;
  out[pos++] = n;
  items += n;
  if (items > maxItems) { room(1); out[pos++] = 14; return false; }
  for (let i = 0; i < n; i++) {
    const key = keys[i], item = o[key];
    if (item === undefined) continue;
    room(4);
    let id = ids.get(key);
    if (id === undefined && key.length <= 64 && keyList.length < 4096) {
      id = keyList.length;
      keyList.push(key);
      ids.set(key, id);
    }
    if (id !== undefined) {
      spent += key.length;
      out[pos++] = 15;
      out[pos++] = id;
    } else {
      text(key);
    }
    if (spent > maxBytes) { room(1); out[pos++] = 14; return false; }
    if (typeof item === 'number' && item - item === 0 && depth < maxDepth && items < maxItems) {
      ++items;  // a number inline: the common case
      out[pos++] = floor(item) === item && item <= 9007199254740992 && item >= -9007199254740992 ? 3 : 4;
      out[pos++] = item;
      continue;
    }
    if (!value(item, depth + 1)) return false;
  }
  room(1);
  out[pos++] = 9;
  return true;
}
function encode(root, list) {
  pos = 0; bpos = 0; items = 0; spent = 0; nrefs = 0; deepest = 0;
  meta[3] = 0;  // meta[2] (grown) is cleared by C++ once it has the new buffers, whatever happens here
  // A huge value grew the buffers: not kept for the small ones that follow.
  if (out.length > 65536) { out = state[0] = new F64(256); meta[2] = 1; }
  if (bytes.length > 262144) { bytes = state[1] = new U8(1024); meta[2] = 1; }
  maxDepth = meta[4]; maxItems = meta[5]; maxBytes = meta[6];
  try {
    room(3);
    container(root, list, 0);
  } finally {
    meta[0] = pos;
    meta[1] = bpos;
    if (nrefs > 64) meta[3] = 1;
    for (let i = 0; i < deepest; i++) stack[i] = undefined;  // keeps nothing of the value alive
  }
}
// A call's result, encoded by the call itself (ResultReader::Fused): done
// stands for a value written to the stream. After a throw, C++ puts
// meta[7..12] back as they were.
const done = freeze([]);
function result(r) {
  if (meta[8] === 0 || typeof r !== 'object' || r === null) return r;
  const k = kind(r);
  if (k > 1) return r;
  meta[8] = 0;
  meta[7] = 1;
  meta[12] = 1;
  meta[4] = meta[9]; meta[5] = meta[10]; meta[6] = meta[11];
  encode(r, k === 1);
  meta[12] = 0;
  return done;
}
return [encode, () => { refs.length = 0; }, meta, state, keyList, result, done];
}))JS";

void classify(const v8::FunctionCallbackInfo<v8::Value>& info) {
  if (!info[0]->IsObject()) return info.GetReturnValue().Set(static_cast<int32_t>(ResultReader::kRefuse));
  info.GetReturnValue().Set(static_cast<int32_t>(ResultReader::kind(info[0].As<v8::Object>())));
}

// The memory of the encoder's typed array view, or nullptr if it is not one
// (nothing a script can reach changes them; checked all the same).
std::shared_ptr<v8::BackingStore> store_of(v8::Local<v8::Value> view, bool doubles) {
  if (doubles ? !view->IsFloat64Array() : !view->IsUint8Array()) return nullptr;
  return view.As<v8::ArrayBufferView>()->Buffer()->GetBackingStore();
}

}  // namespace

// As FromV8::convert (convert.cpp) sorts objects: what it would walk as a
// plain object or array is walked by the encoder; what it converts otherwise
// or refuses is handed back untouched. Objects made from templates (the
// bridge's, with native accessors and interceptors that read the current
// context) and global proxies are API wrappers: handed back.
ResultReader::Kind ResultReader::kind(v8::Local<v8::Object> o) {
  // An ordinary object (JS_OBJECT_TYPE: no proxy, array, API wrapper, Date,
  // Map, Error...) is told by its instance type, read as V8's own inline
  // checks read it, instead of by twenty calls into V8 (~300 instructions).
  using I = v8::internal::Internals;
  if (I::GetInstanceType(*reinterpret_cast<const v8::internal::Address*>(*o)) == I::kJSObjectType) return kPlain;
  if (o->IsProxy() || o->IsPromise() || o->IsRegExp() || o->IsWeakMap() || o->IsWeakSet() ||
      o->IsGeneratorObject() || o->IsMapIterator() || o->IsSetIterator() || o->IsSymbolObject() ||
      o->IsFunction())
    return kRefuse;
  if (o->IsApiWrapper() || o->IsArrayBufferView() || o->IsArrayBuffer() || o->IsSharedArrayBuffer() ||
      o->IsDate() || o->IsNumberObject() || o->IsStringObject() || o->IsBooleanObject() || o->IsBigIntObject() ||
      o->IsNativeError() || o->IsMap() || o->IsSet())
    return kHandOver;
  return o->IsArray() ? kList : kPlain;
}

ResultReader::ResultReader(v8::Isolate* isolate) : isolate_(isolate) {}

ResultReader::~ResultReader() = default;

bool ResultReader::make(v8::Local<v8::Context> caller) {
  if (failed_) return false;
  // Not made while the isolate is stopping (a later conversion tries
  // again); any other failure is for good: the C++ walk reads everything.
  struct Verdict {
    ResultReader& reader;
    ~Verdict() {
      if (reader.encode_.IsEmpty() && reader.isolate_->IsExecutionTerminating()) reader.failed_ = false;
    }
  } verdict{*this};
  failed_ = true;  // until it is made
  v8::TryCatch ignore(isolate_);
  v8::Local<v8::Context> context = v8::Context::New(isolate_);
  if (context.IsEmpty()) return false;
  // A result may be a global proxy, which the encoder hands back; the same
  // token all the same, so that no access check stands between the two.
  context->SetSecurityToken(caller->GetSecurityToken());
  context->AllowCodeGenerationFromStrings(false);  // no eval or Function(text) here either
  v8::Context::Scope scope(context);
  v8::Local<v8::String> source;
  // Named as the bridge, so that an error's stack (a getter's) leaves out the encoder's frames.
  v8::ScriptOrigin origin(isolate_, v8_string(isolate_, kBridgeFile));
  v8::Local<v8::Script> script;
  v8::Local<v8::Value> made, fn;
  v8::Local<v8::Function> kind;
  v8::Local<v8::Value> parts;
  if (!v8::String::NewFromUtf8(isolate_, kEncoder.data(), v8::NewStringType::kNormal, int(kEncoder.size()))
           .ToLocal(&source) ||
      !v8::Script::Compile(context, source, &origin).ToLocal(&script) || !script->Run(context).ToLocal(&made) ||
      !made->IsFunction() || !v8::Function::New(context, classify).ToLocal(&kind))
    return false;
  v8::Local<v8::Value> argv[] = {kind};
  if (!made.As<v8::Function>()->Call(context, v8::Undefined(isolate_), 1, argv).ToLocal(&parts) ||
      !parts->IsArray())
    return false;
  auto list = parts.As<v8::Array>();
  v8::Local<v8::Value> encode, clear, meta, state, refs, keys, result, done;
  if (!list->Get(context, 0).ToLocal(&encode) || !list->Get(context, 1).ToLocal(&clear) ||
      !list->Get(context, 2).ToLocal(&meta) || !list->Get(context, 3).ToLocal(&state) ||
      !list->Get(context, 4).ToLocal(&keys) || !keys->IsArray() ||
      !state.As<v8::Array>()->Get(context, 2).ToLocal(&refs) || !list->Get(context, 5).ToLocal(&result) ||
      !result->IsFunction() || !list->Get(context, 6).ToLocal(&done))
    return false;
  context_.Reset(isolate_, context);
  encode_.Reset(isolate_, encode.As<v8::Function>());
  clear_.Reset(isolate_, clear.As<v8::Function>());
  result_.Reset(isolate_, result.As<v8::Function>());
  done_.Reset(isolate_, done);
  state_.Reset(isolate_, state.As<v8::Array>());
  refs_.Reset(isolate_, refs.As<v8::Array>());
  key_list_.Reset(isolate_, keys.As<v8::Array>());
  meta_ = store_of(meta, true);
  if (!meta_ || meta_->ByteLength() < kMetaSlots * sizeof(double)) return false;
  meta_data_ = static_cast<double*>(meta_->Data());
  refresh(context);
  failed_ = out_ == nullptr || bytes_ == nullptr;
  return !failed_;
}

void ResultReader::refresh(v8::Local<v8::Context> context) {
  v8::Local<v8::Array> state = state_.Get(isolate_);
  v8::Local<v8::Value> out, bytes;
  if (state->Get(context, 0).ToLocal(&out) && state->Get(context, 1).ToLocal(&bytes)) {
    out_ = store_of(out, true);
    bytes_ = store_of(bytes, false);
    if (out_ && bytes_) {
      meta_data_[kGrown] = 0;
      return;
    }
  }
  // Not read while terminating: meta[2] stays set for the next time.
  if (!isolate_->IsExecutionTerminating()) failed_ = true;  // not typed arrays: the C++ walk from now on
}

bool ResultReader::encode(v8::Local<v8::Context> context, v8::Local<v8::Object> root, bool list, int max_depth,
                          double items, double bytes, Stream& out) {
  if (failed_ || (encode_.IsEmpty() && !make(context))) return false;
  double* meta = meta_data_;
  meta[kDepth] = max_depth;
  meta[kItems] = items;
  meta[kBytes] = bytes;
  v8::Local<v8::Value> argv[] = {root, v8::Boolean::New(isolate_, list)};
  const bool ok = !encode_.Get(isolate_)->Call(context, v8::Undefined(isolate_), 2, argv).IsEmpty();
  written(context, out);
  return ok;
}

ResultReader::Fused::Fused(ResultReader& reader, v8::Local<v8::Context> context, int max_depth, double items,
                           double bytes)
    : reader_(reader) {
  if (reader.busy() || reader.failed_ || (reader.encode_.IsEmpty() && !reader.make(context))) return;
  meta_ = reader.meta_data_;
  std::copy(meta_ + kConverting, meta_ + kMetaSlots, saved_);
  meta_[kConverting] = 0;
  meta_[kArmed] = 1;
  meta_[kFusedLimits] = max_depth;
  meta_[kFusedLimits + 1] = items;
  meta_[kFusedLimits + 2] = bytes;
}

ResultReader::Fused::~Fused() {
  if (meta_) std::copy(saved_, saved_ + kSaved, meta_ + kConverting);
}

v8::Local<v8::Function> ResultReader::Fused::function() const {
  return meta_ ? reader_.result_.Get(reader_.isolate_) : v8::Local<v8::Function>();
}

bool ResultReader::Fused::encoded(v8::Local<v8::Context> context, v8::Local<v8::Value> result, Stream& out) {
  if (!meta_ || result != reader_.done_.Get(reader_.isolate_)) return false;
  reader_.written(context, out);
  return true;
}

bool ResultReader::Fused::converting() const noexcept { return meta_ && meta_[kConverting] != 0; }

void ResultReader::written(v8::Local<v8::Context> context, Stream& out) {
  const double* meta = meta_data_;
  if (meta[kGrown] != 0) refresh(context);
  if (!out_ || !bytes_ || meta[kGrown] != 0) {
    out = {};  // decoding it fails: the value reader stopped early
    return;
  }
  const auto written = static_cast<size_t>(meta[kWritten]);
  out.tags = std::span<const double>(static_cast<const double*>(out_->Data()),
                                     std::min(written, out_->ByteLength() / sizeof(double)));
  out.bytes = static_cast<const uint8_t*>(bytes_->Data());
  out.byte_count = std::min(static_cast<size_t>(meta[kWrittenBytes]), bytes_->ByteLength());
}

bool ResultReader::handed_over() const noexcept {
  return meta_data_ && !failed_ && meta_data_[kRelease] != 0;
}

void ResultReader::release(v8::Local<v8::Context> context) {
  // Values handed over may hold much (an Error's stack keeps its functions):
  // not kept until the next conversion.
  v8::TryCatch ignore(isolate_);
  v8::Local<v8::Value> ignored;
  if (!clear_.Get(isolate_)->Call(context, v8::Undefined(isolate_), 0, nullptr).ToLocal(&ignored)) return;
}

bool ResultReader::own_exception(v8::Local<v8::Value> exception) {
  if (exception.IsEmpty() || !exception->IsObject()) return false;
  v8::Local<v8::Context> made;
  return exception.As<v8::Object>()->GetCreationContext().ToLocal(&made) && made == context_.Get(isolate_);
}

const std::string* ResultReader::key(v8::Local<v8::Context> context, uint32_t id) {
  while (keys_.size() <= id) {
    v8::Local<v8::Value> key;
    if (!key_list_.Get(isolate_)->Get(context, static_cast<uint32_t>(keys_.size())).ToLocal(&key) ||
        !key->IsString())
      return nullptr;
    keys_.push_back(utf8(isolate_, key.As<v8::String>()));
  }
  return &keys_[id];
}

v8::Local<v8::Value> ResultReader::ref(v8::Local<v8::Context> context, uint32_t i) {
  v8::Local<v8::Value> v;
  if (!refs_.Get(isolate_)->Get(context, i).ToLocal(&v)) return {};
  return v;
}

}  // namespace phost::v8rt
