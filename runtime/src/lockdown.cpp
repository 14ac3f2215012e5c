#include "lockdown.hpp"

#include <v8-function-callback.h>
#include <v8-function.h>
#include <v8-primitive.h>
#include <v8-script.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string_view>

namespace phost::v8rt {
namespace {

constexpr char kLockdown[] = R"JS(
'use strict';
(function lockdown(global, jsonTooDeep, isProxy, isConstructor) {
  const { defineProperty, freeze, getOwnPropertyDescriptor, getPrototypeOf, preventExtensions } = Object;
  const ownKeys = Reflect.ownKeys;
  // What assignments commonly override. Not hasOwnProperty, isPrototypeOf or
  // propertyIsEnumerable: hot calls, slower through an accessor, and
  // overridden by class methods (a definition), not by assignment.
  const overridable = ['constructor', 'toString', 'toLocaleString', 'valueOf', 'name', 'message', 'toJSON'];
  const seen = new Set();
  // Overriding toString on a string or number is not done in practice, and
  // an accessor there slows every charCodeAt or slice (measured 3.8x).
  const primitives = new Set([String.prototype, Number.prototype, Boolean.prototype, Symbol.prototype,
                              BigInt.prototype]);
  // The prototypes on a typed array's chain: V8 gives typed arrays slow
  // element access when one of them is frozen with Object.freeze (44x).
  const typedArray = getPrototypeOf(Int8Array.prototype);
  // The typed array constructors, and their prototypes.
  const typedViews = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
                      Float32Array, Float64Array, BigInt64Array, BigUint64Array];
  const typedProtos = typedViews.map((View) => View.prototype);
  const onTypedChain = (o) => o === Object.prototype || o === typedArray ||
                              (typeof o === 'object' && getPrototypeOf(o) === typedArray);

  // Object.freeze keeps an object's fast properties (one transition to a
  // frozen map); defineProperty one property at a time turns a prototype into
  // a dictionary, and its methods are then found by a hash lookup and never
  // inlined (String.prototype's: 2.2x slower). The typed array chain gets
  // Object.freeze's integrity without Object.freeze; Object.isFrozen is true
  // either way.
  function lock(o) {
    if (!onTypedChain(o)) {
      freeze(o);
      return;
    }
    for (const key of ownKeys(o)) {
      const d = getOwnPropertyDescriptor(o, key);
      if (!d.configurable && (!('value' in d) || !d.writable)) continue;
      defineProperty(o, key, 'value' in d ? { writable: false, configurable: false } : { configurable: false });
    }
    preventExtensions(o);
  }

  // Prototypes whose constructor V8 watches: an accessor there turns off its
  // species protector for the whole isolate, and every map, filter, slice,
  // concat or then takes the slow path (map: 16x). Their constructor stays a
  // data property (assigning one on an array or a promise is not done).
  const species = new Set([Array.prototype, Promise.prototype, RegExp.prototype, ArrayBuffer.prototype, typedArray,
                           ...typedProtos]);
  if (typeof SharedArrayBuffer === 'function') species.add(SharedArrayBuffer.prototype);
  function tame(proto) {
    for (const key of overridable) {
      if (key === 'constructor' && species.has(proto)) continue;
      const d = getOwnPropertyDescriptor(proto, key);
      if (!d || !('value' in d) || !d.configurable) continue;
      const value = d.value;
      defineProperty(proto, key, {
        get() { return value; },
        set(replacement) {
          if (this === proto) throw new TypeError(`Cannot assign to '${key}' of a shared built-in`);
          defineProperty(this, key, { value: replacement, writable: true, enumerable: true, configurable: true });
        },
        enumerable: d.enumerable,
        configurable: false,
      });
    }
  }

  function harden(root) {
    const todo = [root];
    while (todo.length) {
      const o = todo.pop();
      if (o === null || o === undefined || (typeof o !== 'object' && typeof o !== 'function') || seen.has(o)) continue;
      seen.add(o);
      for (const key of ownKeys(o)) {
        const d = getOwnPropertyDescriptor(o, key);
        if ('value' in d) todo.push(d.value); else todo.push(d.get, d.set);
      }
      todo.push(getPrototypeOf(o));
      if (typeof o === 'function' && o.prototype && typeof o.prototype === 'object' && !primitives.has(o.prototype))
        tame(o.prototype);
      lock(o);
    }
  }

  // Legacy RegExp statics would show one script the last match of another.
  for (const key of ['input', '$_', 'lastMatch', '$&', 'lastParen', '$+', 'leftContext', '$`', 'rightContext',
                     "$'", '$1', '$2', '$3', '$4', '$5', '$6', '$7', '$8', '$9'])
    delete RegExp[key];
  // WebAssembly memory is reserved outside the heap limit's reach.
  delete global.WebAssembly;
  // Atomics.waitAsync's waiters live outside the heap and past their call,
  // and nothing here runs the platform tasks that would settle them.
  delete Atomics.waitAsync;
  // captureStackTrace defines `stack` on any object, past the global's
  // interceptor: on the global object it would be a name shared by all scripts.
  const capture = Error.captureStackTrace;
  defineProperty(Error, 'captureStackTrace', {
    value: function captureStackTrace(target, constructorOpt) {
      if (target === global) throw new TypeError('captureStackTrace cannot target the global object');
      // Without a frame to stop at, stop at this wrapper: its frame is not the script's.
      return capture(target, constructorOpt === undefined ? captureStackTrace : constructorOpt);
    },
    writable: true, enumerable: false, configurable: true,
  });

  // Array.prototype.sort without a comparator runs in V8's own code, which no
  // deadline stops (3 million numbers, compared as strings: 23 s past a 1 s
  // deadline). A large one gets the same order from the same comparison
  // written in JS, whose calls the deadline reaches.
  const apply = Reflect.apply, isArray = Array.isArray;
  const nativeSortMax = 4096;
  const compareStrings = (a, b) => {
    const x = `${a}`, y = `${b}`;
    return x < y ? -1 : y < x ? 1 : 0;
  };
  const arraySort = Array.prototype.sort;
  defineProperty(Array.prototype, 'sort', {
    value: { sort(comparefn) {
      const large = comparefn === undefined && !(isArray(this) && this.length <= nativeSortMax);
      return apply(arraySort, this, [large ? compareStrings : comparefn]);
    } }.sort,
    writable: true, enumerable: false, configurable: true,
  });

  // Array.from and Array.prototype.fill run in V8's own loops, which no
  // deadline stops: on a huge length they grow a sparse array until V8
  // aborts the process (Array.from({length: 2**32-1}), Array(2**32-1).fill(0)).
  // Their loops run here instead, in JS, where the deadline and the heap
  // limit reach them, for every input whose length the input decides; V8's
  // own keeps built-in iterables of bounded size (a Set, a string, a short
  // array) and small arrays' fills. A large array's fill still fills
  // natively, a slice at a time.
  const fillSlice = 1 << 16;
  const arrayFrom = Array.from, arrayFill = Array.prototype.fill, iteratorKey = Symbol.iterator;
  // Where V8 may read the iterator method again and find the one read here:
  // frozen prototypes that own it, of sources as long as what they hold.
  const nativeIterables = new Set([Set.prototype, Map.prototype, String.prototype, ...typedProtos]);
  const hasOwn = Object.prototype.hasOwnProperty;
  const toLength = (v) => {
    const n = Math.trunc(+v);
    return n > 0 ? (n < Number.MAX_SAFE_INTEGER ? n : Number.MAX_SAFE_INTEGER) : 0;
  };
  // ToIntegerOrInfinity, then a position within length (negative: from the end).
  const position = (v, length) => {
    const n = Math.trunc(+v) || 0;
    return n < 0 ? Math.max(length + n, 0) : Math.min(n, length);
  };
  // Array.from's result of C (its receiver) for an array-like of length
  // items, each stored as the spec's CreateDataPropertyOrThrow stores it.
  // A plain result grows by push: with Array.prototype frozen, a store into a
  // hole or past the end takes V8's slow path (20x), push does not.
  function fromArrayLike(C, length, item) {
    const plain = C === Array || C === undefined || !isConstructor(C);
    if (plain && length > 0xffffffff) throw new RangeError('Invalid array length');
    const out = plain ? [] : new C(length);
    for (let k = 0; k < length; k++) {
      const value = item(k);
      if (plain) out.push(value);  // a fresh array: push is the frozen prototype's
      else defineProperty(out, k, { value, writable: true, enumerable: true, configurable: true });
    }
    out.length = length;
    return out;
  }
  defineProperty(Array, 'from', {
    value: { from(items) {  // length 1, as the native one
      const mapFn = arguments[1], thisArg = arguments[2];
      if (items === null || items === undefined || (mapFn !== undefined && typeof mapFn !== 'function'))
        return apply(arrayFrom, this, arguments);  // V8's own errors
      const using = items[iteratorKey];  // read once
      const map = mapFn === undefined ? (v) => v : (v, k) => apply(mapFn, thisArg, [v, k]);
      if (using === undefined || using === null) {
        const source = Object(items), length = toLength(source.length);
        return fromArrayLike(this, length, (k) => map(source[k], k));
      }
      if (!isProxy(items) && !apply(hasOwn, items, [iteratorKey])) {
        const proto = getPrototypeOf(Object(items));
        if (nativeIterables.has(proto) || (proto === Array.prototype && items.length <= fillSlice))
          return apply(arrayFrom, this, arguments);  // as given: an explicit undefined mapFn is V8's slow path
        if (proto === Array.prototype && (this === Array || this === undefined)) {
          const out = [];  // as the array iterator steps: the length is read at each one
          for (let k = 0; k < items.length; k++) out.push(map(items[k], k));
          return out;
        }
      }
      // Anything else through an iterable that calls the method read above.
      const once = { [iteratorKey]() { return apply(using, items, []); } };
      return mapFn === undefined ? apply(arrayFrom, this, [once]) : apply(arrayFrom, this, [once, mapFn, thisArg]);
    } }.from,
    writable: true, enumerable: false, configurable: true,
  });
  defineProperty(Array.prototype, 'fill', {
    value: { fill(value) {  // length 1, as the native one
      const start = arguments[1], end = arguments[2];
      if (this === null || this === undefined) return apply(arrayFill, this, arguments);
      const array = isArray(this) && !isProxy(this);  // a proxy's length is read once, as V8 reads it
      if (array && this.length <= fillSlice) return apply(arrayFill, this, arguments);
      const o = Object(this), length = toLength(o.length);
      const from = position(start, length), to = end === undefined ? length : position(end, length);
      if (array) {
        for (let k = from; k < to; k += fillSlice) apply(arrayFill, o, [value, k, to - k < fillSlice ? to : k + fillSlice]);
      } else {
        for (let k = from; k < to; k++) o[k] = value;
      }
      return o;
    } }.fill,
    writable: true, enumerable: false, configurable: true,
  });

  // A typed array's join and toLocaleString run in V8's own code, which
  // aborts the process past 2**27 elements (its list of parts is one array:
  // "invalid array length") and which no deadline stops. A large one is
  // joined in slices, each a view of its buffer made here with the intrinsic
  // constructor (a receiver's species could hand back another huge array),
  // so that each native join is small and the deadline lands between them.
  // Array.prototype's versions take typed arrays to the same path.
  const typedGetter = (key) => getOwnPropertyDescriptor(typedArray, key).get;
  const typedTag = typedGetter(Symbol.toStringTag), typedLength = typedGetter('length');
  const typedBuffer = typedGetter('buffer'), typedOffset = typedGetter('byteOffset');
  const views = { __proto__: null };  // by their toStringTag
  for (const View of typedViews) views[View.name] = View;
  const tagOf = (o) => apply(typedTag, o, []);  // undefined unless o is a typed array
  const joinSlice = 1 << 20, localeSlice = 1 << 12;  // each element's toLocaleString is slow (ICU)
  // Whether o is a typed array longer than part that has a view type here;
  // anything else goes to the native method as it is (detached arrays, other
  // receivers and their errors stay V8's own).
  const large = (o, part) => {
    const tag = tagOf(o);
    return tag !== undefined && views[tag] !== undefined && apply(typedLength, o, []) > part;
  };
  // native over views of self's buffer, part elements each, joined by separator.
  function sliced(self, native, args, separator, part) {
    const length = apply(typedLength, self, []);
    const View = views[tagOf(self)], size = View.BYTES_PER_ELEMENT;
    const buffer = apply(typedBuffer, self, []), offset = apply(typedOffset, self, []);
    let out = '';
    for (let i = 0; i < length; i += part) {
      const view = new View(buffer, offset + i * size, length - i < part ? length - i : part);
      out += (i ? separator : '') + apply(native, view, args);
    }
    return out;
  }
  const typedJoin = typedArray.join, typedToLocaleString = typedArray.toLocaleString;
  const joinLarge = (self, separator) => {
    const text = separator === undefined ? ',' : `${separator}`;  // once, as join converts it
    return sliced(self, typedJoin, [text], text, joinSlice);
  };
  const toLocaleStringLarge = (self, args) => sliced(self, typedToLocaleString, args, ',', localeSlice);
  // The wrappers of one native method each (named and sized as it is).
  const joinOf = (native) => ({
    join(separator) { return large(this, joinSlice) ? joinLarge(this, separator) : apply(native, this, [separator]); },
  }).join;
  const toLocaleStringOf = (native) => ({
    toLocaleString(...args) {
      return large(this, localeSlice) ? toLocaleStringLarge(this, args) : apply(native, this, args);
    },
  }).toLocaleString;
  for (const target of [typedArray, Array.prototype]) {
    const wrapped = { join: joinOf(target.join), toLocaleString: toLocaleStringOf(target.toLocaleString) };
    for (const key of ['join', 'toLocaleString'])
      defineProperty(target, key, { value: wrapped[key], writable: true, enumerable: false, configurable: true });
  }

  // JSON.parse keeps its nesting on a stack outside the heap (~60 bytes a
  // level): '['.repeat(2e8) would take 12 GB past the heap limit. A long
  // text has its depth counted first (natively: ~4% of the parse, where JS
  // took 22%).
  const jsonParse = JSON.parse, maxJsonDepth = 100000, countDepthFrom = 1 << 20;
  defineProperty(JSON, 'parse', {
    value: { parse(text, reviver) {
      const source = `${text}`;  // converted once, as JSON.parse does
      if (source.length > countDepthFrom && jsonTooDeep(source, maxJsonDepth))
        throw new SyntaxError(`JSON.parse: the text nests deeper than ${maxJsonDepth} levels`);
      return apply(jsonParse, JSON, [source, reviver]);
    } }.parse,
    writable: true, enumerable: false, configurable: true,
  });

  tame(Object.prototype);
  tame(Error.prototype);
  const segments = typeof Intl === 'object' && Intl.Segmenter ? new Intl.Segmenter().segment('a') : null;
  const hidden = [
    getPrototypeOf([][Symbol.iterator]()), getPrototypeOf(new Map()[Symbol.iterator]()),
    getPrototypeOf(new Set()[Symbol.iterator]()), getPrototypeOf(''[Symbol.iterator]()),
    getPrototypeOf(/x/[Symbol.matchAll]('')), getPrototypeOf(function* () {}),
    getPrototypeOf(async function () {}), getPrototypeOf(async function* () {}),
    getPrototypeOf(Int8Array),
    segments && getPrototypeOf(segments), segments && getPrototypeOf(segments[Symbol.iterator]()),
  ];
  for (const o of hidden) harden(o);
  // The global's own prototype (its template's, with a constructor): what a
  // script put there would answer every other script's undeclared names.
  harden(getPrototypeOf(global));
  for (const key of ownKeys(global)) {
    const d = getOwnPropertyDescriptor(global, key);
    if (!('value' in d)) continue;
    if (key !== 'globalThis') harden(d.value);  // the global itself: its properties are locked here
    if (d.configurable || d.writable) defineProperty(global, key, { writable: false, configurable: false });
  }
})
)JS";

// Counts a JSON text's nesting (brackets inside strings do not count).
class JsonDepth {
public:
  explicit JsonDepth(int32_t limit) : limit_(limit) {}
  // False once the text nests deeper than the limit.
  template <class Char>
  bool scan(const Char* text, int n) {
    for (int i = 0; i < n; ++i) {
      const unsigned c = text[i];
      if (escaped_) {  // whatever follows a backslash (\n, \u0041...) is taken
        escaped_ = false;
        continue;
      }
      if (c > 0x7f || !kSpecial[c]) continue;  // most characters
      if (quoted_) {
        escaped_ = c == '\\';
        quoted_ = c != '"';
      } else if (c == '"') {
        quoted_ = true;
      } else if (c == '[' || c == '{') {
        if (++depth_ > limit_) return false;
      } else if (c == ']' || c == '}') {
        --depth_;
      }
    }
    return true;
  }

private:
  static constexpr auto kSpecial = [] {
    std::array<bool, 128> special{};
    for (const char c : std::string_view("\"\\[]{}")) special[static_cast<unsigned char>(c)] = true;
    return special;
  }();
  int32_t limit_, depth_ = 0;
  bool quoted_ = false, escaped_ = false;
};

// Whether the JSON text info[0] nests deeper than info[1] levels. Read in
// slices: no copy of a whole text.
void is_proxy(const v8::FunctionCallbackInfo<v8::Value>& info) {
  info.GetReturnValue().Set(info.Length() > 0 && info[0]->IsProxy());
}

void is_constructor(const v8::FunctionCallbackInfo<v8::Value>& info) {
  info.GetReturnValue().Set(info.Length() > 0 && info[0]->IsObject() && info[0].As<v8::Object>()->IsConstructor());
}

void json_too_deep(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  if (info.Length() < 2 || !info[0]->IsString() || !info[1]->IsInt32()) return;
  const v8::Local<v8::String> text = info[0].As<v8::String>();
  JsonDepth depth(info[1].As<v8::Int32>()->Value());
  const int length = text->Length();
  constexpr int kSlice = 4096;  // 12 KB of buffers: this runs within V8's stack margin
  const bool one_byte = text->IsOneByte();
  uint8_t bytes[kSlice];
  uint16_t units[kSlice];
  for (int start = 0; start < length; start += kSlice) {
    const int n = std::min(kSlice, length - start);
    bool within = true;
    if (one_byte) {
      text->WriteOneByte(isolate, bytes, start, n, v8::String::NO_NULL_TERMINATION);
      within = depth.scan(bytes, n);
    } else {
      text->Write(isolate, units, start, n, v8::String::NO_NULL_TERMINATION);
      within = depth.scan(units, n);
    }
    if (!within) return info.GetReturnValue().Set(true);
  }
  info.GetReturnValue().Set(false);
}

}  // namespace

bool lock_down(v8::Local<v8::Context> context) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::Local<v8::String> source, name;
  v8::Local<v8::Script> script;
  v8::Local<v8::Value> lockdown, result;
  v8::Local<v8::Function> too_deep, proxy, constructor;
  if (!v8::String::NewFromUtf8(isolate, kLockdown, v8::NewStringType::kNormal, sizeof kLockdown - 1)
           .ToLocal(&source) ||
      !v8::String::NewFromUtf8(isolate, kBuiltinsFile.data(), v8::NewStringType::kNormal,
                               static_cast<int>(kBuiltinsFile.size()))
           .ToLocal(&name)) {
    return false;
  }
  v8::ScriptOrigin origin(isolate, name);
  if (!v8::Script::Compile(context, source, &origin).ToLocal(&script) || !script->Run(context).ToLocal(&lockdown) ||
      !lockdown->IsFunction() ||
      !v8::Function::New(context, json_too_deep, {}, 2, v8::ConstructorBehavior::kThrow).ToLocal(&too_deep) ||
      !v8::Function::New(context, is_proxy, {}, 1, v8::ConstructorBehavior::kThrow).ToLocal(&proxy) ||
      !v8::Function::New(context, is_constructor, {}, 1, v8::ConstructorBehavior::kThrow).ToLocal(&constructor))
    return false;
  v8::Local<v8::Value> argv[] = {context->Global(), too_deep, proxy, constructor};
  return lockdown.As<v8::Function>()->Call(context, v8::Undefined(isolate), 4, argv).ToLocal(&result);
}

}  // namespace phost::v8rt
