// Types of the globals phost's V8 runtime gives every script (docs/scripts.md), for editors and
// `tsc --noEmit`. Installed in <prefix>/share/phost/types/ with yao-runtime.d.ts, the same names as the
// module gou's scripts import them from. In an app's tsconfig.json:
//   "compilerOptions": { "paths": { "@yao/runtime": ["<prefix>/share/phost/types/yao-runtime.d.ts"] } }
// At run time phost drops such imports, as gou does: the names are these globals.

type PhostValue = null | boolean | number | bigint | string | Uint8Array | PhostValue[] | { [key: string]: PhostValue };

/** The result of one task of All, Any or Race. */
interface PhostTaskResult {
  data: any;
  index: number;
  /** Set when the task failed: its message and HTTP-like code. */
  error?: string;
  code?: number;
}

interface PhostTask {
  /** The process to call, e.g. "scripts.orders.Total". */
  process: string;
  args?: any[];
  /** Seconds; the caller's deadline still applies. */
  timeout?: number;
}

interface PhostHttpResponse {
  status: number;
  code: number;
  data: any;
  headers: { [name: string]: string | string[] };
  message?: string;
}

interface PhostLog {
  /** Go's fmt verbs: %s %d %v %+v %#v %f %.2f %q %t %x %T %%. */
  Trace(format: any, ...args: any[]): null;
  Debug(format: any, ...args: any[]): null;
  Info(format: any, ...args: any[]): null;
  Warn(format: any, ...args: any[]): null;
  Error(format: any, ...args: any[]): null;
  Fatal(format: any, ...args: any[]): null;
  Panic(format: any, ...args: any[]): null;
}

interface PhostTime {
  /** Blocks this script for ms milliseconds, never past its call's deadline. */
  Sleep(ms: number): null;
  /** Calls process with args after ms milliseconds, outside the current call. */
  After(ms: number, process: string, ...args: any[]): null;
}

interface PhostHttp {
  Get(url: string, query?: any, headers?: any): PhostHttpResponse;
  Post(url: string, payload?: any, files?: any, query?: any, headers?: any): PhostHttpResponse;
  Put(url: string, payload?: any, query?: any, headers?: any): PhostHttpResponse;
  Patch(url: string, payload?: any, query?: any, headers?: any): PhostHttpResponse;
  Delete(url: string, payload?: any, query?: any, headers?: any): PhostHttpResponse;
  Head(url: string, payload?: any, query?: any, headers?: any): PhostHttpResponse;
  Send(method: string, url: string, payload?: any, query?: any, headers?: any, files?: any): PhostHttpResponse;
  /** Each line of the body to the process handler (e.g. "scripts.chat.OnLine"): 0 stops, -1 fails. */
  Stream(method: string, url: string, handler: string, payload?: any, query?: any, headers?: any): PhostHttpResponse;
}

interface PhostFS {
  readonly name: string;
  ReadFile(path: string): string;
  ReadFileBuffer(path: string): Uint8Array;
  WriteFile(path: string, data: string, mode?: number): number;
  WriteFileBuffer(path: string, data: Uint8Array, mode?: number): number;
  AppendFile(path: string, data: string, mode?: number): number;
  AppendBuffer(path: string, data: Uint8Array, mode?: number): number;
  InsertFile(path: string, offset: number, data: string, mode?: number): number;
  InsertBuffer(path: string, offset: number, data: Uint8Array, mode?: number): number;
  Exists(path: string): boolean;
  IsDir(path: string): boolean;
  IsFile(path: string): boolean;
  IsLink(path: string): boolean;
  ReadDir(path: string, recursive?: boolean): string[];
  Mkdir(path: string, mode?: number): null;
  MkdirAll(path: string, mode?: number): null;
  MkdirTemp(path?: string, pattern?: string): string;
  Remove(path: string): null;
  RemoveAll(path: string): null;
  Move(from: string, to: string): null;
  Copy(from: string, to: string): null;
  Size(path: string): number;
  Mode(path: string): number;
  Chmod(path: string, mode: number): null;
  ModTime(path: string): number;
  MimeType(path: string): string;
  BaseName(path: string): string;
  DirName(path: string): string;
  ExtName(path: string): string;
  Glob(pattern: string): string[];
  [method: string]: any;
}

interface PhostStore {
  readonly name: string;
  Get(key: string): any;
  /** ttl in seconds, as in gou. */
  Set(key: string, value: PhostValue, ttl?: number): null;
  Has(key: string): boolean;
  Del(key: string): null;
  GetDel(key: string): any;
  /** The value under key, or fn(key) stored (for ttl seconds) and returned. */
  GetSet(key: string, fn: (key: string) => PhostValue, ttl?: number): any;
  Len(): number;
  Keys(): string[];
  Clear(): null;
  [method: string]: any;
}

interface PhostContext {
  readonly sid: string | undefined;
  readonly global: { [key: string]: any } | undefined;
  readonly authorized: any;
  readonly process: string | undefined;
}

interface PhostTextEncoder {
  readonly encoding: 'utf-8';
  encode(input?: string): Uint8Array;
  encodeInto(source: string, destination: Uint8Array): { read: number; written: number };
}

interface PhostTextDecoder {
  readonly encoding: 'utf-8';
  readonly fatal: boolean;
  readonly ignoreBOM: boolean;
  decode(input?: ArrayBuffer | ArrayBufferView): string;
}

/** Calls a process by name; its failure throws an Error with its HTTP-like code. */
declare function Process(name: string, ...args: any[]): any;
/** An Error with an HTTP-like code: throw new Exception("no such order", 404). */
declare var Exception: {
  new (message?: string, code?: number): Error & { code: number };
  (message?: string, code?: number): Error & { code: number };
};
declare var Context: PhostContext;
declare var log: PhostLog;
declare var time: PhostTime;
declare var http: PhostHttp;
/** A root the fs plugin's configuration names: "system", "data", "app" or your own. */
declare var FS: { new (name?: string): PhostFS; prototype: PhostFS };
/** A store the store plugin's configuration names. */
declare var Store: { new (name: string): PhostStore; prototype: PhostStore };
/** The application's query engine (default "default"): each method calls query.<engine>.<Method>(dsl). */
declare var Query: {
  new (engine?: string): {
    readonly name: string;
    Get(dsl: any): any; First(dsl: any): any; Paginate(dsl: any): any; Run(dsl: any): any;
    Lint(source: string): any; Schema(): any; Validate(dsl: any): any;
  };
};
/** gou's i18n: "::Text" is translated by the application's lang.Translate process, if any. */
declare function $L<T>(text: T): T;
/** Runs every task in parallel and returns when all have ended; each result keeps its index. */
declare function All(tasks: PhostTask[]): PhostTaskResult[];
declare function Any(tasks: PhostTask[]): PhostTaskResult[];
declare function Race(tasks: PhostTask[]): PhostTaskResult[];
/** The current call's authorized subject, or null. */
declare function Authorized(): any;
/** gou's share data of the current call (read-only; undefined outside a call). */
declare const __yao_data:
  | { SID: string; ROOT: boolean; DATA: Record<string, any>; ISO: string; AUTHORIZED?: any }
  | undefined;
/** Evaluates source (a function, `function name(...) {...}` or an arrow) and calls it with args. */
declare function Eval(source: string, ...args: any[]): any;
/** callback(new Constructor(...args)), then the instance's __release(), also when callback throws. */
declare function Use(Constructor: new (...args: any[]) => any, ...argsAndCallback: any[]): any;
/** gou's: base64 of the UTF-8 of text, and back. */
declare function btoa(text: string): string;
declare function atob(data: string): string;
declare var TextEncoder: { new (): PhostTextEncoder; prototype: PhostTextEncoder };
declare var TextDecoder: {
  new (label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean }): PhostTextDecoder;
  prototype: PhostTextDecoder;
};
declare function structuredClone<T>(value: T): T;
declare function queueMicrotask(callback: () => void): void;
