// The module gou's scripts import the runtime's globals from (`import { log } from "@yao/runtime"`):
// the globals of phost.d.ts under the same names. Map "@yao/runtime" (and "@yaoapps/client" or the like)
// to this file in tsconfig.json's "paths".
/// <reference path="./phost.d.ts" />

export declare const Process: typeof globalThis.Process;
export declare const Exception: typeof globalThis.Exception;
export declare const Context: typeof globalThis.Context;
export declare const log: typeof globalThis.log;
export declare const time: typeof globalThis.time;
export declare const http: typeof globalThis.http;
export declare const FS: typeof globalThis.FS;
export type FS = PhostFS;
export declare const Store: typeof globalThis.Store;
export type Store = PhostStore;
export declare const $L: typeof globalThis.$L;
export declare const All: typeof globalThis.All;
export declare const Any: typeof globalThis.Any;
export declare const Race: typeof globalThis.Race;
export declare const Authorized: typeof globalThis.Authorized;
export declare const btoa: typeof globalThis.btoa;
export declare const atob: typeof globalThis.atob;
export declare const TextEncoder: typeof globalThis.TextEncoder;
export declare const TextDecoder: typeof globalThis.TextDecoder;
export declare const structuredClone: typeof globalThis.structuredClone;
export declare const queueMicrotask: typeof globalThis.queueMicrotask;
