// Built-ins whose loops a deadline must reach. V8 runs many built-ins in
// loops of its own that check for no interrupt: TerminateExecution waits for
// them. On an input whose length the input decides ({length: 2**53 - 1}, an
// array whose length was set to 2**32 - 1) such a loop wedges the calling
// thread for hours, or grows a list until V8 aborts the process. Here each
// of them runs V8's own code only for inputs that bound its loop; any other
// input takes the same steps written in JS, where the deadline and the heap
// limit reach them. Run once per context, before lockdown freezes it.
'use strict';
(function bound(global, checkJsonShape, isConstructor, namedKeys, nestsTooDeep) {
  const { defineProperty, getOwnPropertyDescriptor, getPrototypeOf } = Object;
  const apply = Reflect.apply, isArray = Array.isArray, ArrayOf = Array, toObject = Object, isView = ArrayBuffer.isView;
  const { trunc, min, max, floor } = Math;
  const hasOwn = Object.prototype.hasOwnProperty;
  const iteratorKey = Symbol.iterator, speciesKey = Symbol.species, spreadKey = Symbol.isConcatSpreadable;
  const maxLength = Number.MAX_SAFE_INTEGER, maxArrayLength = 0xffffffff;

  // Every proxy scripts make, known without a call into C++ (isProxy: ~40 ns,
  // a third of a short map). Proxy and Proxy.revocable are the only makers
  // of proxies in a script's context.
  const proxies = new WeakSet(), NativeProxy = Proxy, revocable = Proxy.revocable;
  let made = 0;  // none yet: no lookup
  const isProxy = (o) => made !== 0 && proxies.has(o);
  // Bound: constructible, and with no prototype property, as Proxy.
  const ProxyMaker = function Proxy(target, handler) {
    if (new.target === undefined) throw new TypeError("Constructor Proxy requires 'new'");
    const proxy = new NativeProxy(target, handler);
    proxies.add(proxy);
    made = 1;
    return proxy;
  }.bind();
  defineProperty(ProxyMaker, 'name', { value: 'Proxy' });
  defineProperty(ProxyMaker, 'revocable', {
    value: { revocable(target, handler) {
      const pair = revocable(target, handler);
      proxies.add(pair.proxy);
      made = 1;
      return pair;
    } }.revocable,
    writable: true, enumerable: false, configurable: true,
  });
  defineProperty(global, 'Proxy', { value: ProxyMaker, writable: true, enumerable: false, configurable: true });

  // A genuine array of at most `bounded` elements: V8's loop over it is short
  // even when it is all holes (1M: ~50 ms). A proxy is never one: it could
  // answer V8's own read of its length with another.
  const bounded = 1 << 20;
  const short = (o) => isArray(o) && !isProxy(o) && o.length <= bounded;

  // The spec's conversions.
  const toInteger = (v) => {
    const n = +v;
    return n !== n ? 0 : trunc(n);
  };
  const toLength = (v) => {
    const n = toInteger(v);
    return n > 0 ? (n < maxLength ? n : maxLength) : 0;
  };
  const lengthOf = (o) => toLength(o.length);
  // A relative index (negative: from the end) within length.
  const position = (v, length) => {
    const n = toInteger(v);
    return n < 0 ? max(length + n, 0) : min(n, length);
  };
  // Whether method (a built-in that refuses receivers without its internal
  // slot) takes receiver: a brand check that runs no script code.
  const accepts = (method, receiver) => {
    try {
      apply(method, receiver, []);
      return true;
    } catch {
      return false;
    }
  };
  const describe = (v) => typeof v === 'symbol' ? v.toString() : v !== null && typeof v === 'object' ? '#<Object>' : `${v}`;
  const callable = (fn) => {
    if (typeof fn !== 'function') throw new TypeError(`${describe(fn)} is not a function`);
  };
  const tooLong = () => new TypeError('Invalid array length: past 2**53 - 1 elements');

  // A result array made as ArraySpeciesCreate(o, n) makes it. A plain one is
  // built by push: with Array.prototype frozen, a store into a hole or past
  // the end takes V8's slow path (20x); push does not.
  function result(o, n) {
    let C;
    if (isArray(o)) {
      C = o.constructor;
      if (C !== null && (typeof C === 'object' || typeof C === 'function')) {
        C = C[speciesKey];
        if (C === null) C = undefined;
      }
    }
    if (C === undefined || C === ArrayOf) {
      if (n > maxArrayLength) throw new RangeError('Invalid array length');
      const array = [];
      return {
        array,
        plain: true,
        put(k, value) {
          if (k === array.length) array.push(value);
          else array[k] = value;
        },
      };
    }
    if (!isConstructor(C)) throw new TypeError('object.constructor[Symbol.species] is not a constructor');
    const array = new C(n);
    return {
      array,
      plain: false,
      put(k, value) { defineProperty(array, k, { value, writable: true, enumerable: true, configurable: true }); },
    };
  }

  // The elements o has below length, in order (holes left out).
  const present = (o, length) => {
    const out = [];
    for (let k = 0; k < length; k++) if (k in o) out.push(o[k]);
    return out;
  };
  // Moves o[from] to o[to], or deletes o[to] where o has no `from`.
  const move = (o, from, to) => {
    if (from in o) o[to] = o[from];
    else delete o[to];
  };

  // The steps of each method in JS, for any receiver (already an object).
  const steps = {
    indexOf(o, [search, from]) {
      const length = lengthOf(o);
      for (let k = length && position(from, length); k < length; k++) if (k in o && o[k] === search) return k;
      return -1;
    },
    lastIndexOf(o, args) {
      const length = lengthOf(o);
      if (length === 0) return -1;
      const n = args.length > 1 ? toInteger(args[1]) : length - 1;
      for (let k = n >= 0 ? min(n, length - 1) : length + n; k >= 0; k--) if (k in o && o[k] === args[0]) return k;
      return -1;
    },
    includes(o, [search, from]) {
      const length = lengthOf(o);
      for (let k = length && position(from, length); k < length; k++) {
        const e = o[k];
        if (e === search || (e !== e && search !== search)) return true;
      }
      return false;
    },
    reverse(o) {
      const length = lengthOf(o), middle = floor(length / 2);
      for (let lower = 0; lower !== middle; lower++) {
        const upper = length - lower - 1;
        const hasLower = lower in o, lowerValue = hasLower ? o[lower] : undefined;
        const hasUpper = upper in o, upperValue = hasUpper ? o[upper] : undefined;
        if (hasUpper) o[lower] = upperValue;
        else if (hasLower) delete o[lower];
        if (hasLower) o[upper] = lowerValue;
        else if (hasUpper) delete o[upper];
      }
      return o;
    },
    shift(o) {
      const length = lengthOf(o);
      if (length === 0) {
        o.length = 0;
        return undefined;
      }
      const first = o[0];
      for (let k = 1; k < length; k++) move(o, k, k - 1);
      delete o[length - 1];
      o.length = length - 1;
      return first;
    },
    unshift(o, items) {
      const length = lengthOf(o), n = items.length;
      if (n > 0) {
        if (length + n > maxLength) throw tooLong();
        for (let k = length; k > 0; k--) move(o, k - 1, k + n - 1);
        for (let j = 0; j < n; j++) o[j] = items[j];
      }
      o.length = length + n;
      return length + n;
    },
    copyWithin(o, [target, start, end]) {
      const length = lengthOf(o);
      let to = position(target, length), from = position(start, length);
      const final = end === undefined ? length : position(end, length);
      let count = min(final - from, length - to), step = 1;
      if (from < to && to < from + count) {
        step = -1;
        from += count - 1;
        to += count - 1;
      }
      for (; count > 0; count--, from += step, to += step) move(o, from, to);
      return o;
    },
    slice(o, [start, end]) {
      const length = lengthOf(o), first = position(start, length);
      const final = end === undefined ? length : position(end, length);
      const out = result(o, max(final - first, 0));
      let n = 0;
      for (let k = first; k < final; k++, n++) if (k in o) out.put(n, o[k]);
      out.array.length = n;
      return out.array;
    },
    splice(o, args) {
      const length = lengthOf(o), start = position(args[0], length), items = max(args.length - 2, 0);
      const deleted = args.length === 0 ? 0 : args.length === 1 ? length - start
                                             : min(max(toInteger(args[1]), 0), length - start);
      if (length + items - deleted > maxLength) throw tooLong();
      const out = result(o, deleted);
      for (let k = 0; k < deleted; k++) if (start + k in o) out.put(k, o[start + k]);
      out.array.length = deleted;
      if (items < deleted) {
        for (let k = start; k < length - deleted; k++) move(o, k + deleted, k + items);
        for (let k = length; k > length - deleted + items; k--) delete o[k - 1];
      } else if (items > deleted) {
        for (let k = length - deleted; k > start; k--) move(o, k + deleted - 1, k + items - 1);
      }
      for (let i = 0; i < items; i++) o[start + i] = args[i + 2];
      o.length = length - deleted + items;
      return out.array;
    },
    concat(o, items) {
      const out = result(o, 0);
      let n = 0;
      for (let i = -1; i < items.length; i++) {
        const e = i < 0 ? o : items[i];
        if (spreads(e)) {
          const length = lengthOf(e);
          if (n + length > maxLength) throw tooLong();
          for (let k = 0; k < length; k++, n++) if (k in e) out.put(n, e[k]);
        } else {
          if (n >= maxLength) throw tooLong();
          out.put(n++, e);
        }
      }
      out.array.length = n;
      return out.array;
    },
    flat(o, [depth]) {
      const length = lengthOf(o), levels = depth === undefined ? 1 : max(toInteger(depth), 0);
      const out = result(o, 0);
      flatten(out, o, length, 0, levels);
      return out.array;
    },
    flatMap(o, [mapper, thisArg]) {
      const length = lengthOf(o);
      callable(mapper);
      const out = result(o, 0);
      flatten(out, o, length, 0, 1, mapper, thisArg);
      return out.array;
    },
    forEach(o, [fn, thisArg]) {
      const length = lengthOf(o);
      callable(fn);
      for (let k = 0; k < length; k++) if (k in o) apply(fn, thisArg, [o[k], k, o]);
      return undefined;
    },
    every(o, [fn, thisArg]) {
      const length = lengthOf(o);
      callable(fn);
      for (let k = 0; k < length; k++) if (k in o && !apply(fn, thisArg, [o[k], k, o])) return false;
      return true;
    },
    some(o, [fn, thisArg]) {
      const length = lengthOf(o);
      callable(fn);
      for (let k = 0; k < length; k++) if (k in o && apply(fn, thisArg, [o[k], k, o])) return true;
      return false;
    },
    map(o, [fn, thisArg]) {
      const length = lengthOf(o);
      callable(fn);
      const out = result(o, length);
      for (let k = 0; k < length; k++) if (k in o) out.put(k, apply(fn, thisArg, [o[k], k, o]));
      if (out.plain) out.array.length = length;  // new Array(length)'s
      return out.array;
    },
    filter(o, [fn, thisArg]) {
      const length = lengthOf(o);
      callable(fn);
      const out = result(o, 0);
      for (let k = 0, n = 0; k < length; k++) {
        if (!(k in o)) continue;
        const value = o[k];
        if (apply(fn, thisArg, [value, k, o])) out.put(n++, value);
      }
      return out.array;
    },
    reduce(o, args) {
      const length = lengthOf(o), fn = args[0];
      callable(fn);
      let k = 0, acc = args[1];
      if (args.length < 2) {
        while (k < length && !(k in o)) k++;
        if (k === length) throw new TypeError('Reduce of empty array with no initial value');
        acc = o[k++];
      }
      for (; k < length; k++) if (k in o) acc = apply(fn, undefined, [acc, o[k], k, o]);
      return acc;
    },
    reduceRight(o, args) {
      const length = lengthOf(o), fn = args[0];
      callable(fn);
      let k = length - 1, acc = args[1];
      if (args.length < 2) {
        while (k >= 0 && !(k in o)) k--;
        if (k < 0) throw new TypeError('Reduce of empty array with no initial value');
        acc = o[k--];
      }
      for (; k >= 0; k--) if (k in o) acc = apply(fn, undefined, [acc, o[k], k, o]);
      return acc;
    },
    join(o, [separator]) {
      if (joining.has(o)) return '';  // a cycle: V8's join gives '' there too
      const length = lengthOf(o), text = separator === undefined ? ',' : `${separator}`;
      joining.add(o);
      try {
        let out = '';
        for (let k = 0; k < length; k++) {
          const e = o[k];
          out += (k ? text : '') + (e === undefined || e === null ? '' : `${e}`);
        }
        return out;
      } finally {
        joining.delete(o);
      }
    },
    toLocaleString(o, args) {
      const length = lengthOf(o);
      let out = '';
      for (let k = 0; k < length; k++) {
        const e = o[k];
        out += (k ? ',' : '') + (e === undefined || e === null ? '' : `${apply(toObject(e).toLocaleString, e, args)}`);
      }
      return out;
    },
  };
  const joining = new Set();  // the receivers of the joins in progress
  // IsConcatSpreadable.
  function spreads(e) {
    if (e === null || (typeof e !== 'object' && typeof e !== 'function')) return false;
    const spread = e[spreadKey];
    return spread !== undefined ? !!spread : isArray(e);
  }
  // FlattenIntoArray: source's elements into out from index `at`; returns the next index.
  function flatten(out, source, length, at, depth, mapper, thisArg) {
    for (let k = 0; k < length; k++) {
      if (!(k in source)) continue;
      let e = source[k];
      if (mapper !== undefined) e = apply(mapper, thisArg, [e, k, source]);
      if (depth > 0 && isArray(e)) {
        at = flatten(out, e, lengthOf(e), at, depth - 1);
      } else {
        if (at >= maxLength) throw tooLong();
        out.put(at++, e);
      }
    }
    return at;
  }

  // method (a method: no constructor) in place of target[name], with the
  // native one's name and length.
  function replace(target, name, method) {
    defineProperty(method, 'length', { value: target[name].length });
    defineProperty(method, 'name', { value: name });
    defineProperty(target, name, { value: method, writable: true, enumerable: false, configurable: true });
    wrappers.add(method);
  }
  const wrappers = new WeakSet();  // the functions here that stand for V8's own
  const arrays = Array.prototype;
  // V8's own method for the receivers fast accepts (null and undefined get
  // V8's own errors), these steps for any other. The
  // arguments are passed on as given, through a rest parameter that nothing
  // else sees: TurboFan then still inlines V8's method, and its callback,
  // into the script's code (named parameters, `arguments`, or the rest array
  // passed to another function cost a short filter or map 3-4x).
  function reroute(name, fast = short) {
    const native = arrays[name], slow = steps[name];
    const other = (self, args) => self === null || self === undefined ? apply(native, self, args)
                                                                      : slow(toObject(self), args);
    replace(arrays, name, { [name](...args) {
      return fast(this) ? apply(native, this, args) : other(this, args);
    } }[name]);
  }
  for (const name of ['indexOf', 'lastIndexOf', 'includes', 'reverse', 'shift', 'unshift', 'copyWithin', 'slice',
                      'splice', 'forEach', 'every', 'some', 'map', 'filter', 'reduce', 'reduceRight'])
    reroute(name);
  // concat: V8's own walks an array by index when an element is an
  // accessor, and the accessor's code may grow an argument V8 has yet to
  // walk (to 2**32 - 1), after any check here. So V8's own concat takes one
  // plain array at a time (Array.prototype its prototype, no constructor or
  // isConcatSpreadable of its own: no script code runs but its elements'
  // getters), each checked just before, onto the result so far; the rest,
  // and calls of more than 16 arguments, take the steps. A plain result of
  // at most 2^20 elements also keeps V8 from sizing a table for all of them
  // at once (past 2^24 it aborted, once isConcatSpreadable had been set on
  // any object).
  const arrayConcat = arrays.concat;
  const plain = (e) => isArray(e) && !isProxy(e) && getPrototypeOf(e) === arrays && !hasOwn.call(e, spreadKey);
  replace(arrays, 'concat', { concat(...items) {
    if (this === null || this === undefined) return apply(arrayConcat, this, items);
    if (items.length > 16 || !plain(this) || hasOwn.call(this, 'constructor') || this.length > bounded)
      return steps.concat(toObject(this), items);
    let out = this.length === 0 ? [] : arrayConcat.call(this);
    for (let i = 0; i < items.length; i++) {
      const e = items[i];
      if (e === null || (typeof e !== 'object' && typeof e !== 'function')) {
        out.push(e);
      } else if (plain(e) && out.length + e.length <= bounded) {
        out = arrayConcat.call(out, e);
      } else {
        out = steps.concat(out, [e]);  // out is a plain array: spread as it is
      }
    }
    return out;
  } }.concat);
  reroute('flat', () => false);
  reroute('flatMap', () => false);

  // sort without a comparator compares in V8's own code, which no deadline
  // stops (3 million numbers compared as strings: 23 s past a 1 s deadline):
  // a large array gets the same order from the same comparison written in JS.
  // A receiver that is not a short array has its elements gathered here first
  // (V8 would make a list as long as its length: a process abort past 2**32).
  const nativeSortMax = 4096;
  const compareStrings = (a, b) => {
    const x = `${a}`, y = `${b}`;
    return x < y ? -1 : y < x ? 1 : 0;
  };
  const arraySort = arrays.sort;
  // Without a comparator V8 compares elements' strings in its own code:
  // more than nativeSortMax elements, or any long string or object among
  // them (each comparison of two 16 MB strings takes milliseconds), compare in JS.
  const longString = (v) => typeof v === 'string' && v.length > 4096;
  const plainItems = (o) => {
    for (let k = 0; k < o.length; k++) {
      const v = o[k];
      if ((typeof v === 'object' && v !== null) || typeof v === 'function' || longString(v)) return false;
    }
    return true;
  };
  const comparison = (comparefn, o) =>
    comparefn !== undefined || (o.length <= nativeSortMax && plainItems(o)) ? comparefn : compareStrings;
  replace(arrays, 'sort', { sort(comparefn) {
    if (this === null || this === undefined || (comparefn !== undefined && typeof comparefn !== 'function'))
      return apply(arraySort, this, [comparefn]);  // V8's own errors
    if (short(this)) return arraySort.call(this, comparison(comparefn, this));
    const o = toObject(this), length = lengthOf(o), items = present(o, length);
    apply(arraySort, items, [comparison(comparefn, items)]);
    let k = 0;
    for (; k < items.length; k++) o[k] = items[k];
    for (; k < length; k++) delete o[k];
    return o;
  } }.sort);

  // Array.from and fill grow or fill in V8's own loops: on a huge length
  // they grow a sparse array until V8 aborts the process
  // (Array.from({length: 2**32-1}), Array(2**32-1).fill(0)). V8's own keeps
  // built-in iterables of bounded size (a Set, a string, a short array) and
  // short arrays' fills; a long array's fill still fills natively, a slice at
  // a time, up to 2^24 elements: past that a fill grows a sparse array's
  // table, and one slice could grow it past V8's largest (an abort, "invalid
  // table size"), where stores one by one meet the heap limit first.
  const fillSlice = 1 << 16, fillSliced = 1 << 24;
  const arrayFrom = Array.from, arrayFill = arrays.fill;
  // Where V8 may read the iterator method again and find the one read here:
  // frozen prototypes that own it, of sources as long as what they hold.
  const typedArray = getPrototypeOf(Int8Array.prototype);
  const typedViews = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
                      Float32Array, Float64Array, BigInt64Array, BigUint64Array];
  const nativeIterables = new Set([Set.prototype, Map.prototype, String.prototype,
                                   ...typedViews.map((View) => View.prototype)]);
  // Array.from's result of C (its receiver) for an array-like of length
  // items, each stored as CreateDataPropertyOrThrow stores it.
  function fromArrayLike(C, length, item) {
    const plain = C === ArrayOf || C === undefined || !isConstructor(C);
    if (plain && length > maxArrayLength) throw new RangeError('Invalid array length');
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
        return apply(arrayFrom, this, [items, mapFn]);  // V8's own errors
      const using = items[iteratorKey];  // read once
      const map = mapFn === undefined ? (v) => v : (v, k) => apply(mapFn, thisArg, [v, k]);
      if (using === undefined || using === null) {
        const source = toObject(items), length = lengthOf(source);
        return fromArrayLike(this, length, (k) => map(source[k], k));
      }
      if (!isProxy(items) && !apply(hasOwn, items, [iteratorKey])) {
        const proto = getPrototypeOf(toObject(items));
        if (nativeIterables.has(proto) || (proto === arrays && items.length <= fillSlice))
          return apply(arrayFrom, this, mapFn === undefined ? [items] : [items, mapFn, thisArg]);
        if (proto === arrays && (this === ArrayOf || this === undefined)) {
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
  replace(arrays, 'fill', { fill(value, start, end) {
    if (this === null || this === undefined) return apply(arrayFill, this, [value, start, end]);
    const array = isArray(this) && !isProxy(this);  // a proxy's length is read once, as V8 reads it
    if (array && this.length <= fillSlice) return arrayFill.call(this, value, start, end);
    const o = toObject(this), length = lengthOf(o);
    const from = position(start, length), to = end === undefined ? length : position(end, length);
    if (array && length <= fillSliced) {
      for (let k = from; k < to; k += fillSlice) apply(arrayFill, o, [value, k, to - k < fillSlice ? to : k + fillSlice]);
    } else {
      for (let k = from; k < to; k++) o[k] = value;
    }
    return o;
  } }.fill);

  // A typed array's join and toLocaleString run in V8's own code, which
  // aborts the process past 2**27 elements (its list of parts is one array)
  // and which no deadline stops. A large one is joined in slices, each a view
  // of its buffer made here with the intrinsic constructor (a receiver's
  // species could hand back another huge array), so that each native join is
  // small and the deadline lands between them. Array.prototype's versions
  // take typed arrays the same way, short arrays to V8, the rest to steps.
  const typedGetter = (key) => getOwnPropertyDescriptor(typedArray, key).get;
  const typedTag = typedGetter(Symbol.toStringTag), typedLength = typedGetter('length');
  const typedBuffer = typedGetter('buffer'), typedOffset = typedGetter('byteOffset');
  const views = { __proto__: null };  // by their toStringTag
  for (const View of typedViews) views[View.name] = View;
  const tagOf = (o) => apply(typedTag, o, []);  // undefined unless o is a typed array
  const joinSlice = 1 << 20, localeSlice = 1 << 12;  // each element's toLocaleString is slow (ICU)
  // Whether o is a typed array longer than part that has a view type here.
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
  // Typed arrays (bounded by their buffer) and short arrays go to V8.
  const nativeJoins = (o) => short(o) || tagOf(o) !== undefined;
  for (const target of [typedArray, arrays]) {
    const join = target.join, toLocaleString = target.toLocaleString, steps_ = target === arrays ? steps : null;
    replace(target, 'join', { join(separator) {
      if (large(this, joinSlice)) {
        const text = separator === undefined ? ',' : `${separator}`;  // once, as join converts it
        return sliced(this, join, [text], text, joinSlice);
      }
      if (steps_ === null || this === null || this === undefined || nativeJoins(this))
        return join.call(this, separator);
      return steps_.join(toObject(this), [separator]);
    } }.join);
    // Locales and options given, each element's toLocaleString reads them
    // again (2,000 locales: 7.5 ms an element): the steps call them one by
    // one. Without, V8's own takes at most localeSlice elements at a time.
    replace(target, 'toLocaleString', { toLocaleString(...args) {
      if (this === null || this === undefined) return apply(toLocaleString, this, args);
      if (args.length > 0 && (args[0] !== undefined || args[1] !== undefined)) return steps.toLocaleString(toObject(this), args);
      if (large(this, localeSlice)) return sliced(this, toLocaleString, args, ',', localeSlice);
      if (steps_ === null || tagOf(this) !== undefined || (short(this) && this.length <= localeSlice))
        return apply(toLocaleString, this, args);
      return steps_.toLocaleString(toObject(this), args);
    } }.toLocaleString);
  }

  // A typed array filled from an array-like that is not iterable reads it
  // in V8's own loop, by its length: Uint8Array.from({length: 2**27}) and
  // set({length: 2**27}) held the thread 10-12 s. from reads one longer than
  // `bounded` here; set reads any array-like here (reading its length once
  // to choose would let a getter give V8 another), arrays up to `bounded`
  // and typed arrays aside.
  const TypedArray = getPrototypeOf(Int8Array), typedFrom = TypedArray.from, typedSet = typedArray.set;
  defineProperty(TypedArray, 'from', {
    value: { from(source) {  // length 1, as the native one
      const mapFn = arguments[1], thisArg = arguments[2];
      if (source !== null && source !== undefined && (mapFn === undefined || typeof mapFn === 'function') &&
          isConstructor(this)) {
        const using = source[iteratorKey];
        const items = toObject(source), length = using === undefined || using === null ? lengthOf(items) : 0;
        if (length > bounded) {
          const target = new this(length);
          if (tagOf(target) === undefined) throw new TypeError('this is not a typed array.');
          if (apply(typedLength, target, []) < length)
            throw new TypeError('Derived TypedArray constructor created an array which was too small');
          for (let k = 0; k < length; k++) target[k] = mapFn === undefined ? items[k] : apply(mapFn, thisArg, [items[k], k]);
          return target;
        }
      }
      return apply(typedFrom, this, arguments);
    } }.from,
    writable: true, enumerable: false, configurable: true,
  });
  wrappers.add(TypedArray.from);
  replace(typedArray, 'set', { set(source) {
    if (typeof source !== 'object' || source === null || isView(source) || short(source) || tagOf(this) === undefined)
      return apply(typedSet, this, arguments);
    const offset = toInteger(arguments[1]);
    if (offset < 0) throw new RangeError('offset is out of bounds');
    const length = lengthOf(source);
    if (length + offset > apply(typedLength, this, [])) throw new RangeError('offset is out of bounds');
    for (let k = 0; k < length; k++) this[offset + k] = source[k];
  } }.set);

  // split makes its list of pieces in one allocation: past 2**27 pieces
  // ('x'.repeat(2**29 - 24).split('')) V8 aborts the process ("invalid
  // size"). A string long enough to give that many is split here, piece by
  // piece, until the heap limit or the deadline. A separator's own splitter
  // (a RegExp's Symbol.split) is called as V8 would call it.
  const stringSplit = String.prototype.split, splitFrom = 1 << 26, splitKey = Symbol.split;
  // A RegExp's own split (RegExp.prototype[Symbol.split]) leaves V8's fast
  // path once RegExp.prototype is frozen, and then runs the regexp once at
  // every position of the string (a 1 MB text: 392 ms, against 1 ms). For a
  // plain RegExp (its prototype's exec, flags and constructor) the same
  // pieces come from a global search, one run of the regexp per piece: its
  // first match from a position is where a sticky run would first match.
  const NativeRegExp = RegExp, regexps = RegExp.prototype, regexpSplit = regexps[splitKey];
  const regexpSource = getOwnPropertyDescriptor(regexps, 'source').get, regexpExec = regexps.exec;
  const plainRegExp = (r) => !isProxy(r) && getPrototypeOf(r) === regexps && !apply(hasOwn, r, ['exec']) &&
                             !apply(hasOwn, r, ['flags']) && !apply(hasOwn, r, ['constructor']) &&
                             accepts(regexpSource, r);
  // The steps of RegExp.prototype[Symbol.split] for a plain RegExp.
  function splitByRegExp(rx, string, limit) {
    const text = `${string}`, flags = `${rx.flags}`;
    const unicode = flags.includes('u'), search = new NativeRegExp(rx, flags.replace('y', '') + (flags.includes('g') ? '' : 'g'));
    const most = limit === undefined ? maxArrayLength : limit >>> 0, out = [], size = text.length;
    if (most === 0) return out;
    if (size === 0) {
      search.lastIndex = 0;
      const z = apply(regexpExec, search, [text]);
      return z !== null && z.index === 0 ? out : [text];
    }
    // Past a position: one code unit, or a code point's two in unicode mode.
    const next = (q) => {
      if (!unicode || q + 1 >= size) return q + 1;
      const c = text.charCodeAt(q);
      return c >= 0xd800 && c <= 0xdbff && (text.charCodeAt(q + 1) & 0xfc00) === 0xdc00 ? q + 2 : q + 1;
    };
    let p = 0, q = 0;
    while (q < size) {
      search.lastIndex = q;
      const z = apply(regexpExec, search, [text]);
      if (z === null || z.index >= size) break;
      const e = min(search.lastIndex, size);
      if (e === p) {  // an empty match where the last piece ended: look one further
        q = next(z.index);
        continue;
      }
      out.push(text.slice(p, z.index));
      if (out.length === most) return out;
      for (let i = 1; i < z.length; i++) {
        out.push(z[i]);
        if (out.length === most) return out;
      }
      p = e;
      q = p;
    }
    out.push(text.slice(p));
    return out;
  }
  replace(String.prototype, 'split', { split(separator, limit) {
    if (this === null || this === undefined) return stringSplit.call(this, separator, limit);
    if (separator !== null && (typeof separator === 'object' || typeof separator === 'function')) {
      const splitter = separator[splitKey];
      if (splitter === regexpSplit && plainRegExp(separator)) return splitByRegExp(separator, this, limit);
      if (splitter !== undefined && splitter !== null) return apply(splitter, separator, [this, limit]);
    }
    const text = `${this}`;
    if (text.length <= splitFrom) return stringSplit.call(text, separator, limit);
    const most = limit === undefined ? maxArrayLength : limit >>> 0, by = `${separator}`, out = [];
    if (most === 0) return out;
    if (separator === undefined) return [text];
    if (by.length === 0) {
      for (let i = 0; i < text.length && i < most; i++) out.push(text[i]);
      return out;
    }
    let from = 0;
    for (let at = text.indexOf(by); at !== -1; at = text.indexOf(by, from)) {
      out.push(text.slice(from, at));
      if (out.length === most) return out;
      from = at + by.length;
    }
    out.push(text.slice(from));
    return out;
  } }.split);

  // JSON.parse nests and allocates outside the heap and never looks at the
  // deadline: a long text is counted first (checkJsonShape throws when it
  // nests or holds too much; runtime/src/json_shape.hpp).
  const jsonParse = JSON.parse, countFrom = 1 << 20;
  defineProperty(JSON, 'parse', {
    value: { parse(text, reviver) {
      const source = `${text}`;  // converted once, as JSON.parse does
      if (source.length > countFrom) checkJsonShape(source);
      return apply(jsonParse, JSON, [source, reviver]);
    } }.parse,
    writable: true, enumerable: false, configurable: true,
  });

  // JSON.stringify reads a replacer array in V8's own loop, keeping its
  // property list outside the heap: Array(2**32 - 1) grew the process by
  // 230 MB a second until the kernel killed it. A long one (or a proxy) is
  // read here into the list V8 would make, and that list is passed on.
  // A replacer of long strings (V8 hashes them by length alone: 4,096 of
  // 20,000 characters took 16 s to set up) is read here too.
  const jsonStringify = JSON.stringify, replacerMax = 1 << 16;
  const longStrings = (list) => {
    for (let k = 0; k < list.length; k++) if (typeof list[k] === 'string' && list[k].length > 16383) return true;
    return false;
  };
  const numberValue = Number.prototype.valueOf, stringValue = String.prototype.valueOf;
  defineProperty(JSON, 'stringify', {
    value: { stringify(value, replacer, space) {
      if (isArray(replacer) && (isProxy(replacer) || replacer.length > replacerMax || longStrings(replacer))) {
        const names = new Set(), length = lengthOf(replacer);
        for (let k = 0; k < length; k++) {
          const v = replacer[k];
          if (typeof v === 'string' || typeof v === 'number' ||
              (typeof v === 'object' && v !== null && (accepts(stringValue, v) || accepts(numberValue, v))))
            names.add(`${v}`);
        }
        replacer = [...names];
      }
      return jsonStringify.call(JSON, value, replacer, space);
    } }.stringify,
    writable: true, enumerable: false, configurable: true,
  });

  // Key lists. V8 lists an object's element indices in a loop of its own,
  // each made a string and kept in a hash set, with no interrupt check:
  // Object.keys of a Uint8Array of 2^26 held its thread over 120 s. The keys
  // of a typed array or a string of more elements than `manyElements` are
  // listed here: the indices (all of its elements, none missing), then its
  // other keys, which V8 lists without walking the elements (namedKeys).
  const manyElements = 1 << 16;
  // How many elements o has when that is over manyElements, else -1.
  const elementCount = (o) => {
    if (typeof o === 'string') return o.length > manyElements ? o.length : -1;
    if (!isView(o) || tagOf(o) === undefined) return -1;
    const n = apply(typedLength, o, []);
    return n > manyElements ? n : -1;
  };
  const enumerableStrings = 0, allStrings = 1, allKeys = 2;
  function keyList(o, n, which) {
    const keys = [];
    for (let k = 0; k < n; k++) keys.push(`${k}`);
    if (typeof o === 'string') {
      if (which !== enumerableStrings) keys.push('length');
      return keys;
    }
    const named = namedKeys(o, which);
    for (let k = 0; k < named.length; k++) keys.push(named[k]);
    return keys;
  }
  const propertyIsEnumerable = Object.prototype.propertyIsEnumerable;
  // take(key, value) of each enumerable string key of o, in a list.
  function eachEnumerable(o, n, take) {
    const keys = keyList(o, n, enumerableStrings), out = [];
    for (let k = 0; k < keys.length; k++) {
      // A getter met on the way may delete a later key: it is skipped, as V8 does.
      if (k >= n && !apply(propertyIsEnumerable, o, [keys[k]])) continue;
      out.push(take(keys[k], o[keys[k]]));
    }
    return out;
  }
  const objectKeys = Object.keys, objectValues = Object.values, objectEntries = Object.entries;
  const ownNames = Object.getOwnPropertyNames, ownDescriptors = Object.getOwnPropertyDescriptors;
  const ownKeys = Reflect.ownKeys, objectAssign = Object.assign;
  replace(Object, 'keys', { keys(o) {
    const n = elementCount(o);
    return n < 0 ? objectKeys(o) : keyList(o, n, enumerableStrings);
  } }.keys);
  replace(Object, 'values', { values(o) {
    const n = elementCount(o);
    return n < 0 ? objectValues(o) : eachEnumerable(o, n, (key, value) => value);
  } }.values);
  replace(Object, 'entries', { entries(o) {
    const n = elementCount(o);
    return n < 0 ? objectEntries(o) : eachEnumerable(o, n, (key, value) => [key, value]);
  } }.entries);
  replace(Object, 'getOwnPropertyNames', { getOwnPropertyNames(o) {
    const n = elementCount(o);
    return n < 0 ? ownNames(o) : keyList(o, n, allStrings);
  } }.getOwnPropertyNames);
  replace(Reflect, 'ownKeys', { ownKeys(o) {
    const n = elementCount(o);
    return n < 0 || typeof o === 'string' ? ownKeys(o) : keyList(o, n, allKeys);  // a string: V8's TypeError
  } }.ownKeys);
  replace(Object, 'getOwnPropertyDescriptors', { getOwnPropertyDescriptors(o) {
    const n = elementCount(o);
    if (n < 0) return ownDescriptors(o);
    const object = toObject(o), out = {}, keys = keyList(o, n, allKeys);
    for (let k = 0; k < keys.length; k++) {
      const descriptor = getOwnPropertyDescriptor(object, keys[k]);
      if (descriptor !== undefined) defineProperty(out, keys[k], { value: descriptor, writable: true, enumerable: true, configurable: true });
    }
    return out;
  } }.getOwnPropertyDescriptors);
  replace(Object, 'assign', { assign(target) {
    let k = 1;
    while (k < arguments.length && elementCount(arguments[k]) < 0) k++;
    if (k === arguments.length) return apply(objectAssign, Object, arguments);
    const to = toObject(target);
    for (let s = 1; s < arguments.length; s++) {
      const source = arguments[s], n = elementCount(source);
      if (n < 0) {
        objectAssign(to, source);
        continue;
      }
      const from = toObject(source), keys = keyList(source, n, allKeys);
      for (let i = 0; i < keys.length; i++)
        if (i < n || apply(propertyIsEnumerable, from, [keys[i]])) to[keys[i]] = from[keys[i]];
    }
    return to;
  } }.assign);

  // A list of locales is read in V8's own loop, by its length, before
  // anything else: Intl.getCanonicalLocales({length: 2**53 - 1}), or the
  // same given to an Intl constructor, localeCompare or toLocaleString, held
  // the thread without end. One that is not a short array (or a string, or
  // an Intl.Locale) is read here first, into the array V8 would make of it.
  if (typeof Intl === 'object') {
    const localeBaseName = getOwnPropertyDescriptor(Intl.Locale.prototype, 'baseName').get;
    // V8 canonicalizes every tag (a long one ~11 us) in one loop: a list
    // of 2^20 took 11 s. A longer list than maxLocales is canonicalized here
    // a slice at a time, without repeats; more distinct tags than that are
    // a RangeError (but for getCanonicalLocales, which only lists them).
    const getCanonicalLocales = Intl.getCanonicalLocales, maxLocales = 1024;
    const canonical = (l) => {
      const o = toObject(l), length = lengthOf(o), seen = new Set(), out = [];
      for (let k = 0; k < length; k += maxLocales) {
        const slice = [];
        for (let i = k; i < min(length, k + maxLocales); i++) if (i in o) slice.push(o[i]);
        for (const tag of apply(getCanonicalLocales, Intl, [slice])) {
          if (!seen.has(tag)) out.push(tag);
          seen.add(tag);
        }
      }
      return out;
    };
    const localeList = (l, listing) => {
      if (l === undefined || l === null || (typeof l !== 'object' && typeof l !== 'function') ||
          (short(l) && l.length <= maxLocales) || accepts(localeBaseName, l))
        return l;  // V8's own reading is short (or its own error)
      const tags = canonical(l);
      if (!listing && tags.length > maxLocales) throw new RangeError(`a list of over ${maxLocales} distinct locales`);
      return tags;
    };
    replace(Intl, 'getCanonicalLocales', { getCanonicalLocales(locales) {
      const list = localeList(locales, true);
      return list === locales ? apply(getCanonicalLocales, Intl, [locales]) : list;  // a list made here is canonical
    } }.getCanonicalLocales);
    // The constructors: called or constructed as V8's own (subclasses too),
    // with their prototype, supportedLocalesOf, name and length.
    for (const name of ['Collator', 'DateTimeFormat', 'NumberFormat', 'PluralRules', 'RelativeTimeFormat',
                        'ListFormat', 'DisplayNames', 'Segmenter', 'v8BreakIterator']) {
      const Native = Intl[name];
      if (typeof Native !== 'function') continue;
      const Made = function (locales, options) {
        const list = localeList(locales);
        return new.target === undefined ? Native(list, options)
                                        : Reflect.construct(Native, [list, options], new.target === Made ? Native : new.target);
      };
      defineProperty(Made, 'prototype', { value: Native.prototype, writable: false });
      defineProperty(Native.prototype, 'constructor', { value: Made, writable: true, enumerable: false, configurable: true });
      const supported = Native.supportedLocalesOf;
      defineProperty(Made, 'supportedLocalesOf', {
        value: { supportedLocalesOf(locales, options) { return supported.call(Native, localeList(locales), options); } }
          .supportedLocalesOf,
        writable: true, enumerable: false, configurable: true,
      });
      wrappers.add(Made.supportedLocalesOf);
      replace(Intl, name, Made);
    }
    // The methods that take locales (and what else they take, as given).
    const takesLocales = [[String.prototype, 'localeCompare', 1], [String.prototype, 'toLocaleLowerCase', 0],
                          [String.prototype, 'toLocaleUpperCase', 0], [Number.prototype, 'toLocaleString', 0],
                          [BigInt.prototype, 'toLocaleString', 0], [Date.prototype, 'toLocaleString', 0],
                          [Date.prototype, 'toLocaleDateString', 0], [Date.prototype, 'toLocaleTimeString', 0]];
    for (const [target, name, at] of takesLocales) {
      const native = target[name];
      replace(target, name, { [name](...args) {
        if (args.length > at) args[at] = localeList(args[at]);
        return apply(native, this, args);
      } }[name]);
    }
    // A string's segments come from a native next. Spread ([...segments]),
    // Array.from or new Set call it in a loop of V8's own with no interrupt
    // check, until the heap limit's room runs out and V8 aborts the process
    // ('a'.repeat(2**26): 10 s, then the abort). A next written here is a JS
    // call each time, where the deadline and the heap limit land.
    if (typeof Intl.Segmenter === 'function') {
      const segmentIterator = getPrototypeOf(new Intl.Segmenter().segment('')[iteratorKey]());
      const next = segmentIterator.next;
      replace(segmentIterator, 'next', { next() { return apply(next, this, []); } }.next);
    }
  }

  // ICU copies each item of an Intl.ListFormat, and its result, outside the
  // heap limit: 2^13 items of 2^18 characters took 5 GB and 19 s, and
  // aborted a process with less address space. Items of over 2^24
  // characters in all are a RangeError.
  if (typeof Intl === 'object' && typeof Intl.ListFormat === 'function') {
    const listFormats = Intl.ListFormat.prototype, maxListChars = 1 << 24;
    for (const name of ['format', 'formatToParts']) {
      const native = listFormats[name];
      replace(listFormats, name, { [name](list) {
        if (list === undefined) return apply(native, this, [list]);
        const items = [...list];  // iterated once, here, as V8 would
        let chars = 0;
        for (const item of items) if (typeof item === 'string') chars += item.length;
        if (chars > maxListChars) throw new RangeError(`Intl.ListFormat: the items hold over ${maxListChars} characters`);
        return apply(native, this, [items]);
      } }[name]);
    }
  }

  // normalize and toUpperCase hand ICU the whole string: the NFKD of
  // '\ufdfa'.repeat(2**26) (18 characters each) grew 1-4.5 GB and never
  // ended; the upper case of '\u0390'.repeat(2**26) (three each) took 7 s
  // past the deadline. A text of over 4 slices goes a slice at a time, cut
  // where the result does not change: cutAt(text, end) moves a cut forward.
  const textSlice = 1 << 16;
  const bySlices = (name, native, arity, cutAt) => {  // arity: 0, or 1 for one string
    replace(String.prototype, name, { [name](...args) {
      if (this === null || this === undefined) return apply(native, this, args);
      const text = `${this}`;
      if (text.length <= 4 * textSlice) return apply(native, text, args);
      args = arity > 0 && args[0] !== undefined ? [`${args[0]}`] : [];  // read once
      apply(native, '', args);  // V8's own error for an argument it refuses
      let out = '';
      for (let at = 0, end; at < text.length; at = end) {
        end = cutAt(text, min(text.length, at + textSlice));
        out += apply(native, text.slice(at, end), args);
      }
      return out;
    } }[name]);
  };
  // Normal forms: before a character none of them joins to what precedes it
  // (below U+00A0, CJK ideographs, Hangul syllables), within a slice further.
  const cutsBefore = (c) => c < 0xa0 || (c >= 0x4e00 && c <= 0x9fff) || (c >= 0xac00 && c <= 0xd7a3);
  bySlices('normalize', String.prototype.normalize, 1, (text, end) => {
    for (const last = min(text.length, end + textSlice); end < text.length; end++) {
      if (cutsBefore(text.charCodeAt(end))) return end;
      if (end + 1 === last && last < text.length)
        throw new RangeError(`normalize: ${textSlice} characters in a row, none of which a long text can be cut before`);
    }
    return end;
  });
  // Upper case without a locale looks at no context: anywhere but inside a surrogate pair.
  bySlices('toUpperCase', String.prototype.toUpperCase, 0,
           (text, end) => (text.charCodeAt(end - 1) & 0xfc00) === 0xd800 ? end + 1 : end);

  // String.raw reads its template's raw strings in V8's own loop, by their
  // length: String.raw({raw: {length: 2**30}}) held its thread over 120 s.
  // Anything but a short array of them is read here.
  const stringRaw = String.raw;
  replace(String, 'raw', { raw(template, ...substitutions) {
    if (template === null || template === undefined) return apply(stringRaw, String, [template, ...substitutions]);
    const raw = toObject(template).raw;  // read once: V8's own is given what was checked
    if (raw === null || raw === undefined || short(raw)) return apply(stringRaw, String, [{ raw }, ...substitutions]);
    const count = lengthOf(raw);
    let out = '';
    for (let k = 0; k < count; k++) {
      out += `${raw[k]}`;
      if (k + 1 < count && k < substitutions.length) out += `${substitutions[k]}`;
    }
    return out;
  } }.raw);

  // V8 10.2 compiles a regexp by recursion with no stack check: groups
  // nested a few thousand deep crashed the process (paren_depth.hpp). A
  // pattern whose parentheses nest deeper than 1,000 is a SyntaxError here,
  // wherever a string becomes a regexp: RegExp, compile, and match,
  // matchAll and search given a string. (Literals are checked as their
  // script loads.) A pattern given as a RegExp was checked when it was made.
  const maxNesting = 1000;
  const checkedPattern = (pattern) => {
    if (pattern.length > maxNesting && nestsTooDeep(pattern))
      throw new SyntaxError(`Invalid regular expression: /${pattern.slice(0, 40)}.../: groups nested deeper than ${maxNesting}`);
    return pattern;
  };
  const matchKey = Symbol.match;
  const isRegExp = (o) => {  // o an object
    const matcher = o[matchKey];
    return matcher !== undefined ? !!matcher : accepts(regexpSource, o);
  };
  // Called or constructed as V8's own (subclasses too); pattern and flags
  // are read here once, as V8 reads them, and V8 is given strings.
  const RegExpMaker = function RegExp(pattern, flags) {
    const object = pattern !== null && (typeof pattern === 'object' || typeof pattern === 'function');
    const patternIsRegExp = object && isRegExp(pattern);
    if (new.target === undefined && patternIsRegExp && flags === undefined && pattern.constructor === RegExpMaker)
      return pattern;
    const target = new.target === undefined || new.target === RegExpMaker ? NativeRegExp : new.target;
    if (object && accepts(regexpSource, pattern)) return Reflect.construct(NativeRegExp, [pattern, flags], target);
    let source = pattern;
    if (patternIsRegExp) {
      source = pattern.source;
      if (flags === undefined) flags = pattern.flags;
    }
    source = source === undefined ? '' : `${source}`;
    flags = flags === undefined ? '' : `${flags}`;
    return Reflect.construct(NativeRegExp, [checkedPattern(source), flags], target);
  };
  defineProperty(RegExpMaker, 'prototype', { value: regexps, writable: false });
  defineProperty(RegExpMaker, speciesKey, getOwnPropertyDescriptor(NativeRegExp, speciesKey));
  defineProperty(regexps, 'constructor', { value: RegExpMaker, writable: true, enumerable: false, configurable: true });
  defineProperty(global, 'RegExp', { value: RegExpMaker, writable: true, enumerable: false, configurable: true });
  wrappers.add(RegExpMaker);
  if (typeof regexps.compile === 'function') {
    const compile = regexps.compile;
    replace(regexps, 'compile', { compile(pattern, flags) {
      if (accepts(regexpSource, pattern)) return apply(compile, this, [pattern, flags]);
      return apply(compile, this, [checkedPattern(pattern === undefined ? '' : `${pattern}`), flags]);
    } }.compile);
  }
  for (const [name, key] of [['match', matchKey], ['matchAll', Symbol.matchAll], ['search', Symbol.search]]) {
    const native = String.prototype[name];
    replace(String.prototype, name, { [name](regexp) {
      if (this === null || this === undefined) return apply(native, this, [regexp]);  // V8's own error first
      if (typeof regexp === 'string') regexp = checkedPattern(regexp);
      else if (regexp !== null && (typeof regexp === 'object' || typeof regexp === 'function') && regexp[key] == null)
        regexp = checkedPattern(`${regexp}`);  // what V8 would make a regexp of
      return apply(native, this, [regexp]);
    } }[name]);
  }

  // Each wrapper prints as V8's own function would ("[native code]"): code
  // that checks for a built-in that way (core-js, lodash's isNative) takes
  // it for one.
  for (const f of [ProxyMaker, ProxyMaker.revocable, Array.from, JSON.parse, JSON.stringify]) wrappers.add(f);
  const functionToString = Function.prototype.toString;
  replace(Function.prototype, 'toString', { toString() {
    return wrappers.has(this) ? `function ${this.name}() { [native code] }` : functionToString.call(this);
  } }.toString);
})
