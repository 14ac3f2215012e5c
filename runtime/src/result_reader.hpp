// Reads a plain object or array out of V8 in one call: a generic encoder in
// JS, running in a private context of the isolate (unhardened built-ins, no
// script can reach it), walks the value and writes a tagged stream into
// typed arrays that C++ decodes (convert.cpp). Walking in C++ pays an API
// round trip per key list, key and property (GetOwnPropertyNames alone
// ~2,100 instructions); the encoder's walk is JIT-compiled.
//
// The encoder only runs what the C++ walk would run, in the same order:
// Object.keys (own enumerable string keys, the order of
// GetOwnPropertyNames), then each property's getter once. It never touches a
// Proxy or any object that is not plain data: a native classifier (kind())
// hands those to the C++ walk as references, untouched.
//
// Stream (doubles): see the Tag enum. Object keys are numbered once per
// isolate (at most 4,096 keys of at most 64 characters); strings of at most
// 64 ASCII characters are in the byte buffer; others, and the values handed to C++,
// are in refs(). A handed-over value is followed in refs() by its ancestors
// (root first), so that the C++ walk checks cycles against the whole path.
#pragma once

#include <v8-array-buffer.h>
#include <v8-context.h>
#include <v8-function.h>
#include <v8-isolate.h>
#include <v8-local-handle.h>
#include <v8-object.h>
#include <v8-persistent-handle.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>

namespace phost::v8rt {

class ResultReader {
public:
  enum Tag : int {
    kNull = 0,
    kFalse,
    kTrue,
    kInt,      // value
    kDouble,   // value
    kAscii,    // length; the bytes follow in the byte buffer
    kRef,      // index in refs(): a string
    kArray,    // n; n values follow
    kObject,   // key count; (key, value) pairs follow (undefined values skipped), then kEnd
    kEnd,
    kOther,    // index in refs(), ancestor count: a value for the C++ walk (Date, Map, BigInt...)
    kFail,     // index in refs(): a value the C++ walk refuses (Proxy, NaN, symbol...); nothing follows
    kCycle,    // the object is one of its ancestors; nothing follows
    kDeep,     // deeper than the limit; nothing follows
    kStop,     // the encoder's own count passed the budget; nothing follows
    kKey,      // an object key by number (key())
  };

  // The encoder's meta array (doubles), shared by JS and C++; the JS
  // encoder (result_reader.cpp) uses the same numbers.
  enum Meta : size_t {
    kWritten = 0,      // doubles written to the stream
    kWrittenBytes,     // bytes written to the byte buffer
    kGrown,            // the buffers were replaced: set by JS, cleared by C++ once it has the new ones
    kRelease,          // values were handed over: release() lets them go
    kDepth,            // encode()'s limits: depth, items left, bytes left
    kItems,
    kBytes,
    kConverting = 7,   // Fused: the call returned; a throw from here on is the conversion's
    kArmed,            // Fused: result() encodes
    kFusedLimits,      // Fused: its three limits, copied to kDepth.. by result()
    kEncoding = 12,    // Fused: result() is encoding (busy)
    kMetaSlots,
  };

  // What kind() tells the encoder about an object.
  enum Kind : int { kPlain = 0, kList, kHandOver, kRefuse };
  static Kind kind(v8::Local<v8::Object> object);

  explicit ResultReader(v8::Isolate* isolate);
  ~ResultReader();  // the isolate alive and locked
  ResultReader(const ResultReader&) = delete;
  ResultReader& operator=(const ResultReader&) = delete;

  struct Stream {
    std::span<const double> tags;
    const uint8_t* bytes;
    size_t byte_count;
  };

  // Encodes root (kPlain or kList). Empty when the encoder threw (the
  // exception is caught by the caller's TryCatch, out holds what was
  // written before it) or could not be made. The caller marks it busy()
  // until it has decoded out: meanwhile other conversions walk in C++.
  bool encode(v8::Local<v8::Context> context, v8::Local<v8::Object> root, bool list, int max_depth, double items,
              double bytes, Stream& out);
  // The encoder armed for the result of one call made through a shape's
  // trampoline (shape_cache.hpp), which passes the script function's result
  // to function(): a plain object or array is encoded there, in the same JS
  // call, and comes back as a marker that encoded() recognizes; anything
  // else comes back as it is. One C++ -> JS call less per such call.
  // Restores the state of an outer call's armed encoder (nested calls).
  class Fused {
  public:
    // The limits as encode()'s. Not armed (function() empty) while the
    // reader is busy or could not be made.
    Fused(ResultReader& reader, v8::Local<v8::Context> context, int max_depth, double items, double bytes);
    ~Fused();
    Fused(const Fused&) = delete;
    Fused& operator=(const Fused&) = delete;

    v8::Local<v8::Function> function() const;
    // True when result is the marker; out is then the stream to decode.
    bool encoded(v8::Local<v8::Context> context, v8::Local<v8::Value> result, Stream& out);
    // The call threw while its result was being encoded (by a getter, or
    // the encoder's own failure): the script function itself returned.
    bool converting() const noexcept;

  private:
    static constexpr size_t kSaved = kMetaSlots - kConverting;  // Fused's slots
    ResultReader& reader_;
    double* meta_ = nullptr;  // set when armed
    double saved_[kSaved] = {};
  };

  // Decoding a stream (set_busy), or encoding a result inside a call (Fused).
  bool busy() const noexcept { return busy_ || (meta_data_ && meta_data_[kEncoding] != 0); }
  void set_busy(bool busy) noexcept { busy_ = busy; }
  // True when the pending exception came from the encoder itself (its
  // private context must not reach a script), not from a getter.
  bool own_exception(v8::Local<v8::Value> exception);

  // Object key number id as UTF-8, nullptr if there is no such key.
  const std::string* key(v8::Local<v8::Context> context, uint32_t id);
  // A value in refs(), empty if it cannot be read.
  v8::Local<v8::Value> ref(v8::Local<v8::Context> context, uint32_t i);
  // Whether the last encode handed values over or wrote many strings;
  // release() lets them go (a few strings stay until they are overwritten).
  bool handed_over() const noexcept;
  void release(v8::Local<v8::Context> context);

private:
  bool make(v8::Local<v8::Context> caller);
  void refresh(v8::Local<v8::Context> context);
  void written(v8::Local<v8::Context> context, Stream& out);

  v8::Isolate* isolate_;
  bool busy_ = false;
  bool failed_ = false;  // making it failed once: do not try again
  v8::Global<v8::Context> context_;
  v8::Global<v8::Function> encode_;
  v8::Global<v8::Function> clear_;
  v8::Global<v8::Function> result_;  // Fused::function()
  v8::Global<v8::Value> done_;       // its marker
  v8::Global<v8::Array> state_;  // [out, bytes, refs]: the buffers, replaced when they grow
  v8::Global<v8::Array> refs_, key_list_;
  std::deque<std::string> keys_;  // key_list_ as UTF-8, read as far as needed (stable references)
  std::shared_ptr<v8::BackingStore> meta_, out_, bytes_;  // meta: kMetaSlots doubles (Meta)
  double* meta_data_ = nullptr;  // meta_'s
};

}  // namespace phost::v8rt
