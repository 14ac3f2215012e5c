// gou's script library: the globals gou installs in every context (log, time,
// FS, http, Store, Query, $L, All/Any/Race, Authorized, Eval, Use, atob/btoa,
// the __yao_data a call shares) and the web ones scripts expect
// (TextEncoder/TextDecoder, structuredClone, queueMicrotask).
// Every capability is a call of a named process (log.Info, time.Sleep,
// fs.<name>.*, stores.<name>.*, query.<engine>.*, http.*, lang.Translate), so
// an application can see, replace or deny each one with its process rules.
//
// Evaluated once per context, before the context is hardened, as a function of
// the bridge's Process and the runtime's natives; returns the globals to define
// (a getter there is defined as one).
(function (Process, natives) {
  'use strict';
  const { defineProperty, freeze } = Object;
  freeze(natives);
  const apply = Reflect.apply;
  const isArray = Array.isArray;
  const stringify = JSON.stringify;

  const fail = (where, message) => {
    const error = new TypeError(`${where}: ${message}`);
    defineProperty(error, 'code', { value: 400, enumerable: true });
    return error;
  };

  // ---- log: Go's fmt verbs -------------------------------------------------
  const jsonOf = (value) => {
    try {
      const text = stringify(value, (k, v) => (typeof v === 'bigint' ? `${v}` : v));
      return text === undefined ? String(value) : text;
    } catch (e) {
      // A cycle, a getter or toJSON that throws, a Proxy's trap: say which, briefly.
      let why = 'cannot be written as JSON';
      try {
        if (e instanceof Error) why = `${e.message}`.split('\n')[0].slice(0, 200);
      } catch {}
      return `[unprintable: ${why}]`;
    }
  };
  const plain = (value) => {
    if (value === null || value === undefined) return '<nil>';
    if (typeof value === 'string') return value;
    if (typeof value === 'object') return value instanceof Error ? `${value.name}: ${value.message}` : jsonOf(value);
    return String(value);
  };
  const typeName = (value) => (value === null ? 'null' : isArray(value) ? 'array' : typeof value);
  const pad = (text, flags, width) => {
    if (!width || text.length >= width) return text;
    if (flags.includes('-')) return text + ' '.repeat(width - text.length);
    if (flags.includes('0') && /^[+-]?[0-9.]/.test(text)) {
      const sign = /^[+-]/.test(text) ? text[0] : '';
      return sign + '0'.repeat(width - text.length) + text.slice(sign.length);
    }
    return ' '.repeat(width - text.length) + text;
  };
  const verb = (v, flags, precision, value) => {
    const bad = () => `%!${v}(${typeName(value)}=${plain(value)})`;
    const num = typeof value === 'number' || typeof value === 'bigint';
    const sign = (text) => (flags.includes('+') && !text.startsWith('-') ? '+' + text : text);
    switch (v) {
      case 'v': return flags.includes('#') && typeof value === 'string' ? stringify(value) : plain(value);
      case 's': return precision === undefined ? plain(value) : plain(value).slice(0, precision);
      case 'q': return typeof value === 'string' ? stringify(value) : bad();
      case 'd':
        if (typeof value === 'bigint') return sign(`${value}`);
        return typeof value === 'number' && Number.isFinite(value) ? sign(`${Math.trunc(value)}`) : bad();
      case 'f': case 'F':
        return typeof value === 'number' ? sign(value.toFixed(precision === undefined ? 6 : Math.min(precision, 100))) : bad();
      case 'e': case 'E': {
        if (typeof value !== 'number') return bad();
        const text = value.toExponential(precision === undefined ? 6 : Math.min(precision, 100)).replace(/e([+-])(\d)$/, 'e$10$2');
        return sign(v === 'E' ? text.toUpperCase() : text);
      }
      case 'g': case 'G': return num ? sign(String(value)) : bad();
      case 't': return typeof value === 'boolean' ? String(value) : bad();
      case 'x': case 'X': {
        let text;
        if (typeof value === 'number' && Number.isInteger(value)) text = value < 0 ? '-' + (-value).toString(16) : value.toString(16);
        else if (typeof value === 'bigint') text = value.toString(16);
        else if (typeof value === 'string') text = [...natives.encodeUtf8(value)].map((b) => (b < 16 ? '0' : '') + b.toString(16)).join('');
        else return bad();
        return v === 'X' ? text.toUpperCase() : text;
      }
      case 'o': return typeof value === 'number' && Number.isInteger(value) ? value.toString(8) : bad();
      case 'b': return typeof value === 'number' && Number.isInteger(value) ? value.toString(2) : bad();
      case 'c': return typeof value === 'number' && value >= 0 && value <= 0x10ffff ? String.fromCodePoint(value) : bad();
      case 'T': return typeName(value);
      default: return `%!${v}(${typeName(value)}=${plain(value)})`;
    }
  };
  // fmt.Sprintf(format, ...args); arguments no verb consumed are appended,
  // separated by spaces (Go would print %!(EXTRA ...)).
  const sprintf = (format, args) => {
    if (typeof format !== 'string') return [format, ...args].map(plain).join(' ');
    let next = 0;
    const out = format.replace(/%([-+# 0]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])/g, (all, flags, width, precision, v) => {
      if (v === '%') return '%';
      if (next >= args.length) return `%!${v}(MISSING)`;
      const text = verb(v, flags, precision === undefined ? undefined : +precision, args[next++]);
      return pad(text, flags, width === undefined ? 0 : Math.min(+width, 1000));
    });
    return next < args.length ? [out, ...args.slice(next).map(plain)].join(' ') : out;
  };
  const logAt = (level) => function (format, ...args) {
    if (arguments.length < 1) throw fail(`log.${level}(format, ...args)`, 'format is missing');
    Process(`log.${level}`, `[scripts.${natives.scriptId()}] ${sprintf(format, args)}`);
    return null;
  };
  const log = freeze({
    Trace: logAt('Trace'), Debug: logAt('Debug'), Info: logAt('Info'), Warn: logAt('Warn'),
    Error: logAt('Error'), Fatal: logAt('Fatal'), Panic: logAt('Panic'),
  });

  // ---- time ------------------------------------------------------------------
  // gou reads the duration as V8's Integer() does: undefined, a non-number
  // string and a negative number sleep for no time, '20' for 20 ms. Longer
  // than the time.Sleep process takes is that longest (the deadline comes first).
  const maxSleepMs = 7 * 24 * 3600 * 1000;
  const { trunc, min } = Math;
  const sleepMs = (ms) => {
    const n = trunc(Number(ms));
    return n > 0 ? min(n, maxSleepMs) : 0;
  };
  const time = freeze({
    Sleep(ms) { Process('time.Sleep', sleepMs(ms)); return null; },
    After(ms, process, ...args) { Process('time.After', ms, process, ...args); return null; },
  });

  // ---- named resources: FS, Store and Query -----------------------------
  const resourceName = (where, name) => {
    if (typeof name !== 'string' || !/^[A-Za-z0-9_$-]{1,64}$/.test(name))
      throw fail(where, `name must be a string of 1 to 64 letters, digits, '_', '$' or '-', not ${plain(name)}`);
    return name.toLowerCase();
  };
  const methods = (Class, group, names) => {
    for (const method of names)
      defineProperty(Class.prototype, method, {
        value: { [method](...args) { return Process(`${group}.${this.name}.${method}`, ...args); } }[method],
        writable: true, configurable: true,
      });
    return Class;
  };

  // new FS("system" | "data" | "app" | <name>): the fs plugin's root <name>.
  const FS = methods(class FS {
    constructor(name = 'system') {
      if (new.target === undefined) throw new TypeError("Class constructor FS cannot be invoked without 'new'");
      defineProperty(this, 'name', { value: resourceName('new FS(name)', name), enumerable: true });
    }
  }, 'fs', ['Exists', 'IsDir', 'IsFile', 'IsLink', 'ReadFile', 'ReadFileBuffer', 'ReadFileBase64', 'WriteFile',
            'WriteFileBuffer', 'WriteFileBase64', 'AppendFile', 'AppendBuffer', 'AppendBase64', 'InsertFile',
            'InsertBuffer', 'InsertBase64', 'Remove', 'RemoveAll', 'ReadDir', 'Mkdir', 'MkdirAll', 'MkdirTemp',
            'Chmod', 'BaseName', 'DirName', 'ExtName', 'MimeType', 'Mode', 'Size', 'ModTime', 'Move', 'Copy',
            'MoveAppend', 'MoveInsert', 'Abs', 'Zip', 'Unzip', 'Glob']);

  // new Store("name"): the store plugin's store <name>; ttl in seconds as in gou.
  const Store = methods(class Store {
    constructor(name) {
      if (new.target === undefined) throw new TypeError("Class constructor Store cannot be invoked without 'new'");
      defineProperty(this, 'name', { value: resourceName('new Store(name)', name), enumerable: true });
    }
    GetSet(key, make, ttl) {
      if (typeof make !== 'function') throw fail('Store.GetSet(key, fn[, ttl])', 'fn must be a function');
      if (this.Has(key)) return this.Get(key);
      const value = make.call('', key);  // as gou calls it
      if (ttl === undefined) this.Set(key, value); else this.Set(key, value, ttl);
      return value;
    }
  }, 'stores', ['Get', 'Set', 'Has', 'Del', 'GetDel', 'Len', 'Keys', 'Clear', 'Incr', 'Decr', 'Push', 'Pop', 'Pull',
                'PullAll', 'AddToSet', 'ArrayLen', 'ArrayGet', 'ArraySet', 'ArraySlice', 'ArrayPage', 'ArrayAll']);

  // new Query(engine = "default"): the application's query engine <engine>,
  // reached as the processes query.<engine>.<Method>(dsl): phost has no
  // database of its own, an application registers the engine it has.
  const Query = methods(class Query {
    constructor(engine = 'default') {
      if (new.target === undefined) throw new TypeError("Class constructor Query cannot be invoked without 'new'");
      defineProperty(this, 'name', { value: resourceName('new Query(engine)', engine), enumerable: true });
    }
  }, 'query', ['Get', 'First', 'Paginate', 'Run', 'Lint', 'Schema', 'Validate']);

  // ---- http --------------------------------------------------------------------
  const http = freeze({
    Get: (...args) => Process('http.Get', ...args),
    Post: (...args) => Process('http.Post', ...args),
    Put: (...args) => Process('http.Put', ...args),
    Patch: (...args) => Process('http.Patch', ...args),
    Delete: (...args) => Process('http.Delete', ...args),
    Head: (...args) => Process('http.Head', ...args),
    Send: (...args) => Process('http.Send', ...args),
    // The handler is a process name (a script function), not a function: it crosses Process().
    Stream: (...args) => Process('http.Stream', ...args),
  });

  // ---- $L: gou's "::" prefix marks a text to translate -----------------------------
  const $L = function $L(text) {
    if (typeof text !== 'string') return text;
    return natives.translate(text.startsWith('::') ? text.slice(2) : text);
  };

  // ---- All, Any, Race: [{process, args, timeout}] in parallel -----------------------
  const checkTask = (where, task, i) => {
    if (task === null || typeof task !== 'object') throw fail(where, `task ${i}: expected an object with a 'process' field`);
    const { process, args, timeout } = task;
    if (typeof process !== 'string' || process === '') throw fail(where, `task ${i}: 'process' must be a non-empty string`);
    if (args !== undefined && !isArray(args)) throw fail(where, `task ${i}: 'args' must be an array`);
    if (timeout !== undefined && (typeof timeout !== 'number' || !(timeout >= 0)))
      throw fail(where, `task ${i}: 'timeout' must be a number of seconds`);
    return [process, args === undefined ? [] : args, timeout === undefined ? 0 : timeout];
  };
  const tasks = (where, list) => {
    if (!isArray(list)) throw fail(where, 'tasks must be an array of {process, args, timeout}');
    // By index, not with list.map: an Array subclass's own map would hand
    // the natives whatever it returns, unchecked.
    const checked = [];
    for (let i = 0; i < list.length; i++) checked.push(checkTask(where, list[i], i));
    return checked;
  };
  const All = function All(list) { return natives.parallel(tasks('All(tasks)', list)); };
  const Any = function Any(list) { return natives.parallel(tasks('Any(tasks)', list)); };
  const Race = function Race(list) { return natives.parallel(tasks('Race(tasks)', list)); };

  const Authorized = function Authorized() {
    const subject = Context.authorized;
    return subject === undefined ? null : subject;
  };

  // ---- gou's Eval and Use --------------------------------------------------
  // Eval(source, ...args): gou turns each `function name(params) {` into an
  // arrow function, evaluates the source (with eval's own limits) and calls
  // the function it gives with args. What the source declares stays its own
  // (gou put it on the global object every script shares).
  // gou's pattern has [^)]* for the parameters; [^()]* keeps the search
  // linear ('function a('.repeat(9e4) scanned to the end from every head).
  const evalLocal = natives.evalLocal;  // called bare: the source's `this` is not natives
  const functionHead = /function\s+\w+\s*\(([^()]*)\)\s*\{/g;
  const Eval = function Eval(source, ...args) {
    const where = 'Eval(source, ...args)';
    if (arguments.length < 1) throw fail(where, 'missing parameters');
    if (typeof source !== 'string') throw fail(where, 'the first parameter should be a string');
    // A source eval refuses goes to it as it is: the rewrite is not spent on it.
    const fn = evalLocal(source.length > natives.maxEvalSource ? source : source.replace(functionHead, '($1) => {'));
    if (typeof fn !== 'function') throw fail(where, 'the source must evaluate to a function');
    return fn(...args);
  };

  // Use(Constructor, ...args, callback): callback(new Constructor(...args)),
  // then the instance's __release(), whatever the callback did. A failure of
  // __release is ignored, as in gou; the callback's own error goes on as is.
  const Use = function Use(Constructor, ...rest) {
    const where = 'Use(Constructor, ...args, callback)';
    if (rest.length < 1) throw fail(where, 'needs at least a constructor and a callback');
    if (typeof Constructor !== 'function') throw fail(where, 'the first argument must be a constructor');
    const callback = rest[rest.length - 1];
    if (typeof callback !== 'function') throw fail(where, 'the last argument must be a callback function');
    const instance = new Constructor(...rest.slice(0, -1));
    try {
      return callback(instance);
    } finally {
      try {
        const release = instance.__release;
        if (typeof release === 'function') apply(release, instance, []);
      } catch {}
    }
  };

  // ---- gou's atob/btoa: base64 of a string's UTF-8 --------------------------------
  const btoa = function btoa(text) {
    if (arguments.length < 1) throw fail('btoa(text)', 'text is missing');
    if (typeof text !== 'string') throw fail('btoa(text)', 'text must be a string');
    return natives.base64Encode(text);
  };
  const atob = function atob(data) {
    if (arguments.length < 1) throw fail('atob(data)', 'data is missing');
    if (typeof data !== 'string') throw fail('atob(data)', 'data must be a string');
    return natives.decodeUtf8(natives.base64Decode(data), false, true);
  };

  // ---- TextEncoder / TextDecoder (UTF-8 only) ------------------------------------
  class TextEncoder {
    get encoding() { return 'utf-8'; }
    encode(input = '') { return natives.encodeUtf8(`${input}`); }
    encodeInto(source, destination) {
      if (!(destination instanceof Uint8Array)) throw new TypeError('TextEncoder.encodeInto: destination must be a Uint8Array');
      const text = `${source}`;
      let read = 0, written = 0;
      while (read < text.length) {
        let cp = text.codePointAt(read);
        const units = cp > 0xffff ? 2 : 1;
        if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
        const n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        if (written + n > destination.length) break;
        if (n === 1) destination[written] = cp;
        else {
          for (let k = n - 1; k > 0; k--) { destination[written + k] = 0x80 | (cp & 0x3f); cp >>= 6; }
          destination[written] = [0, 0, 0xc0, 0xe0, 0xf0][n] | cp;
        }
        read += units;
        written += n;
      }
      return { read, written };
    }
  }
  const utf8Labels = ['utf-8', 'utf8', 'unicode-1-1-utf-8'];
  class TextDecoder {
    #fatal;
    #ignoreBOM;
    constructor(label = 'utf-8', options = {}) {
      if (!utf8Labels.includes(`${label}`.trim().toLowerCase()))
        throw new RangeError(`TextDecoder: the encoding '${label}' is not supported (only utf-8)`);
      this.#fatal = !!(options && options.fatal);
      this.#ignoreBOM = !!(options && options.ignoreBOM);
    }
    get encoding() { return 'utf-8'; }
    get fatal() { return this.#fatal; }
    get ignoreBOM() { return this.#ignoreBOM; }
    decode(input, options) {
      if (options && options.stream) throw new TypeError('TextDecoder.decode: {stream: true} is not supported');
      if (input === undefined) return '';
      if (!ArrayBuffer.isView(input) && !(input instanceof ArrayBuffer) && !(input instanceof SharedArrayBuffer))
        throw new TypeError('TextDecoder.decode: input must be an ArrayBuffer or a view of one');
      const bytes = ArrayBuffer.isView(input) ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength)
                                              : new Uint8Array(input);
      return natives.decodeUtf8(bytes, this.#fatal, this.#ignoreBOM);
    }
  }

  const structuredClone = function structuredClone(value) {
    if (arguments.length < 1) throw new TypeError('structuredClone: 1 argument required, but only 0 present');
    return natives.clone(value);
  };

  const queueMicrotask = function queueMicrotask(callback) {
    if (typeof callback !== 'function') throw new TypeError('queueMicrotask: callback must be a function');
    Promise.resolve().then(() => callback());
  };

  return {
    log, time, FS, Store, Query, http, $L, All, Any, Race, Authorized, Eval, Use, atob, btoa,
    TextEncoder, TextDecoder, structuredClone, queueMicrotask,
    // gou's share data, read-only here (gou trusted whatever a script wrote in
    // it): a fresh object per read, undefined outside a call. No script is root.
    get __yao_data() {
      const sid = Context.sid;
      if (sid === undefined) return undefined;
      const data = { SID: sid, ROOT: false, DATA: Context.global, ISO: '' };
      const subject = Context.authorized;
      if (subject !== null && subject !== undefined) data.AUTHORIZED = subject;
      return data;
    },
  };
})
