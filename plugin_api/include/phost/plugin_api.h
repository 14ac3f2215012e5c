/* phost plugin ABI, version 1.
 *
 * The whole contract between a phost host and its plugins. C99, no other
 * phost header, no C++ types. A plugin exports exactly one symbol,
 * phost_plugin_entry_v1, and reaches the host only through the phost_api
 * table it receives there; it never links against libphost.
 *
 * Stability rules (see sdk/README.md for the policy):
 *  - A breaking change bumps PHOST_ABI_MAJOR and the entry symbol's suffix.
 *  - Every struct that crosses starts with struct_size; members are only
 *    appended. Test for a member with PHOST_API_HAS / PHOST_HAS_MEMBER.
 *  - Status codes, kinds and flags are never renumbered.
 *  - Whoever allocates frees. Strings cross as borrowed {ptr, len} views.
 *  - No C++ exception may cross any function of this header, either way.
 */
#ifndef PHOST_PLUGIN_API_H
#define PHOST_PLUGIN_API_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifdef _WIN32
#define PHOST_CALL __cdecl
#define PHOST_PLUGIN_EXPORT __declspec(dllexport)
#else
#define PHOST_CALL
#define PHOST_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

#define PHOST_ABI_MAJOR 1
#define PHOST_ABI_MINOR 5

/* ---- handles (opaque; their layout is the host's business) ------------- */

/* A plugin's seat in one host. Valid from entry until on_unload returns. */
typedef struct phost_plugin phost_plugin;
/* One handler invocation. Valid only until the handler returns; never keep it.
 * The handler may hand it to threads of its own that end before it returns
 * (see call and ctx_set_error). */
typedef struct phost_call_ctx phost_call_ctx;
/* A value: refcounted, thread-safe to read and to retain/release. A value may
 * be changed (value_push/value_set) only until it is first shared: retained,
 * put inside another value, passed to a call as its arguments or returned by
 * a handler. From then on it is frozen for good, with everything inside it,
 * whatever its reference count (a count back at 1 does not thaw it). */
typedef struct phost_value phost_value;
/* ABI 1.4. A process name looked up once (lookup) and called many times
 * (call_ref), without parsing the name or searching the registry again. A
 * call through it behaves exactly as a call by that name at the moment of the
 * call: a process registered, removed, aliased or shadowed since the lookup
 * is found again, or the call fails (404) as the name would. It does not keep
 * a process (or its plugin's code) alive. Thread-safe; valid until
 * ref_release, also after its host is destroyed (only released then). */
typedef struct phost_ref phost_ref;

/* ---- status codes ------------------------------------------------------ */

/* Every function that can fail returns one. The detail (a message and an
 * HTTP-like code) is the calling thread's last error, see last_error. */
typedef int32_t phost_status;
#define PHOST_OK 0
#define PHOST_E_INVALID_ARG 1   /* bad argument, malformed name or JSON (400) */
#define PHOST_E_NOT_FOUND 2     /* no such process, file or symbol (404) */
#define PHOST_E_TYPE 3          /* value of another kind than asked (400) */
#define PHOST_E_EXISTS 4        /* name already registered (409) */
#define PHOST_E_UNSUPPORTED 5   /* not available in this host/version (501) */
#define PHOST_E_NO_MEMORY 6     /* allocation failed or memory limit hit (507) */
#define PHOST_E_LIMIT 7         /* size, depth or nesting limit exceeded (413); a serial
                                   process re-entered on its own thread (409) */
#define PHOST_E_TIMEOUT 8       /* the call's deadline passed (408) */
#define PHOST_E_CANCELLED 9     /* the call was cancelled (499); the host is being
                                   destroyed (503) */
#define PHOST_E_PROCESS 10      /* the process failed; code and message say why */
#define PHOST_E_LOAD 11         /* a plugin could not be loaded */
#define PHOST_E_VERSION 12      /* incompatible ABI version */
#define PHOST_E_INTERNAL 13     /* a bug or broken rule; the message says which (500) */

/* ---- plain data -------------------------------------------------------- */

/* UTF-8 text or bytes, borrowed: not NUL-terminated, valid as documented at
 * the function that hands it out. */
typedef struct phost_str {
  const char* ptr;
  size_t len;
} phost_str;

typedef enum phost_kind {
  PHOST_NULL = 0,
  PHOST_BOOL = 1,
  PHOST_INT = 2,    /* int64_t */
  PHOST_DOUBLE = 3,
  PHOST_STRING = 4, /* valid UTF-8 */
  PHOST_BYTES = 5,
  PHOST_ARRAY = 6,
  PHOST_OBJECT = 7, /* string keys, insertion order kept, keys unique */
  PHOST_KIND_MAX_ = 0x7FFFFFFF
} phost_kind;

/* The calling thread's last error. message (and stack) are valid until the
 * next call into the host on this thread. code is HTTP-like (400, 404, 408,
 * 500, ...). */
typedef struct phost_error {
  uint32_t struct_size;
  phost_status status;
  int32_t code;
  uint32_t reserved0;
  phost_str message;
  /* ---- v1.0 ends here; check with PHOST_HAS_MEMBER(out, phost_error, m) ---- */
  /* v1.2: where the failure happened, innermost first, one frame a line
   * ("    at Total (orders/total.ts:12:5)"), across nested calls; empty when
   * the failing handler gave none (ctx_set_error_stack). A host of an older
   * minor leaves it as the caller set it. */
  phost_str stack;
} phost_error;

/* Log levels, as spdlog's. */
#define PHOST_LOG_TRACE 0
#define PHOST_LOG_DEBUG 1
#define PHOST_LOG_INFO 2
#define PHOST_LOG_WARN 3
#define PHOST_LOG_ERROR 4

/* What a handler may read about its call. Every string is borrowed for the
 * duration of the handler. */
typedef struct phost_call_info {
  uint32_t struct_size;   /* set by the caller of ctx_info to its capacity */
  uint32_t depth;         /* 1 for a call from the application, +1 per hop */
  phost_str name;         /* the name as called, e.g. "scripts.orders.Total" */
  phost_str id;           /* group handlers: "orders" (lower case); else empty */
  phost_str method;       /* group handlers: "Total" (case kept); else empty */
  phost_str session;      /* session id, may be empty */
  const phost_value* subject; /* authorized subject (any kind), or NULL */
  const phost_value* global;  /* the call's global map (object), or NULL */
  int64_t deadline_ns;    /* monotonic clock (clock_ns), 0 = none */
} phost_call_info;

/* Handler of a process. args is an array, borrowed and frozen with all its
 * items, even when the caller held the only reference. On success it
 * stores a new reference in *out_result (the host takes it) and returns
 * PHOST_OK; storing nothing is an error. On failure it returns a non-OK
 * status, preferably after ctx_set_error; returning the status of a failed
 * nested call forwards that call's error unchanged. It may run on any
 * thread, concurrently with itself unless PHOST_PROCESS_SERIAL is set.
 * It must not throw or longjmp across this boundary. */
typedef phost_status(PHOST_CALL* phost_handler_fn)(void* user_data, phost_call_ctx* ctx,
                                                   const phost_value* args,
                                                   phost_value** out_result);

/* Runs exactly once for every desc passed to register_process, even when the
 * registration fails, on whichever thread drops the last use of the process. */
typedef void(PHOST_CALL* phost_finalize_fn)(void* user_data);

/* The process is a group: the handler takes every "name.<id>.<Method>". */
#define PHOST_PROCESS_GROUP 0x1u
/* The host runs at most one call of this process at a time. A caller waiting
 * for its turn keeps its deadline and cancellation (PHOST_E_TIMEOUT,
 * PHOST_E_CANCELLED). A call from the thread that is running it (the handler
 * calling itself, directly or through other processes) fails at once with
 * PHOST_E_LIMIT, code 409, naming the process, instead of deadlocking. */
#define PHOST_PROCESS_SERIAL 0x2u
/* ABI 1.3. The process changes state that every copy of the plugin must hold
 * (the V8 runtime's runtime.load). Where the host runs the plugin in several
 * worker processes, each successful call is recorded and run again, in order,
 * in every other worker before that worker serves its next call, and in every
 * worker started later; a replayed call must therefore give the same state
 * when run twice. A later call with the same name and the same first argument
 * (when it is a string) replaces the earlier record. In-process the flag
 * changes nothing. Hosts older than 1.3 refuse it: check api->abi_minor. */
#define PHOST_PROCESS_SHARED_STATE 0x4u

typedef struct phost_process_desc {
  uint32_t struct_size;  /* sizeof(phost_process_desc) as the plugin knows it */
  uint32_t flags;        /* PHOST_PROCESS_* */
  phost_str name;        /* copied by the host; dotted, case-insensitive */
  phost_str description; /* copied, invalid UTF-8 replaced by U+FFFD; shown by `phost describe` */
  phost_handler_fn handler;
  void* user_data;
  phost_finalize_fn finalize; /* may be NULL */
} phost_process_desc;

/* Receives JSON text in pieces; the piece is borrowed for the call only. */
typedef void(PHOST_CALL* phost_sink_fn)(void* sink_data, phost_str piece);

/* ---- the host function table ------------------------------------------- */

/* Owned by the host, immutable, valid until the plugin's on_unload returns.
 * Every function is thread-safe unless it says otherwise. */
typedef struct phost_api {
  uint32_t struct_size; /* the host's sizeof(phost_api) */
  uint32_t abi_major;
  uint32_t abi_minor;
  uint32_t reserved0;

  /* -- errors -- */
  /* Copies the calling thread's last error into *out (out->struct_size set
   * by the caller). Functions that return a phost_status set it on failure
   * and clear it on success; the others leave it alone. */
  void(PHOST_CALL* last_error)(phost_error* out);
  /* Sets the calling thread's last error (msg copied; code 0, or any code
   * outside 100-999, means the status's usual code). Every message the host hands out is valid UTF-8:
   * invalid sequences in msg (here, in ctx_set_error) become U+FFFD. For a plugin entry to explain a failed load: call
   * it last, since any later successful call clears the last error.
   * Handlers use ctx_set_error. */
  void(PHOST_CALL* error_set)(phost_status status, int32_t code, phost_str msg);

  /* -- the plugin itself -- */
  /* The configuration the application passed when loading the plugin (an
   * object, borrowed for the plugin's life), or NULL. */
  const phost_value*(PHOST_CALL* plugin_config)(const phost_plugin* self);
  /* Logs through the host's logger "phost.<plugin name>". msg is copied. */
  void(PHOST_CALL* log)(const phost_plugin* self, int32_t level, phost_str msg);
  /* Monotonic nanoseconds, the clock of deadline_ns. */
  int64_t(PHOST_CALL* clock_ns)(void);

  /* -- registry -- */
  /* Ownership of desc->user_data passes to the host unconditionally: on
   * failure finalize has already run when this returns. (Only a desc too
   * short to hold finalize, struct_size below v1.0's, is refused without it.)
   * PHOST_E_EXISTS when the name is taken, PHOST_E_INVALID_ARG when it is
   * malformed, PHOST_E_CANCELLED (code 503) once the host is being destroyed. */
  phost_status(PHOST_CALL* register_process)(phost_plugin* self, const phost_process_desc* desc);
  /* Removes a process this plugin registered. Calls in flight finish; the
   * finalizer runs after the last one. */
  phost_status(PHOST_CALL* unregister_process)(phost_plugin* self, phost_str name);

  /* -- calls -- */
  /* Calls a process. parent: the ctx of the handler making the call, so that
   * session, global, subject, deadline and cancellation are inherited; NULL
   * from outside any handler. args: an array or NULL (no arguments);
   * borrowed and frozen by the call. On PHOST_OK *out_result holds a new
   * reference the caller releases; otherwise last_error tells why and a
   * handler may return the same status to forward the error.
   * Several threads of one handler may use its ctx as parent at once (a
   * fan-out); a failure the handler forwards is then the last one recorded.
   * Once the host is being destroyed every call fails with PHOST_E_CANCELLED,
   * code 503, before reaching any handler. */
  phost_status(PHOST_CALL* call)(phost_plugin* self, phost_call_ctx* parent, phost_str name,
                                 const phost_value* args, phost_value** out_result);

  /* -- the current call -- */
  /* Fills *out (out->struct_size set by the caller). */
  phost_status(PHOST_CALL* ctx_info)(const phost_call_ctx* ctx, phost_call_info* out);
  /* Non-zero once the call is cancelled or past its deadline, or the host is
   * being destroyed. Cheap. */
  int32_t(PHOST_CALL* ctx_cancelled)(const phost_call_ctx* ctx);
  /* Sets the error this handler returns: code is HTTP-like (0, or any code
   * outside 100-999, means the returned status's usual code, e.g. 400 for
   * PHOST_E_INVALID_ARG, 500 for PHOST_E_PROCESS). msg is copied (past 1 MiB,
   * cut, saying its length). Return a non-OK status afterwards. Safe
   * from several threads with one ctx; the last call wins. */
  void(PHOST_CALL* ctx_set_error)(phost_call_ctx* ctx, int32_t code, phost_str msg);

  /* -- values: construction; each *out is a new reference (count 1) -- */
  phost_status(PHOST_CALL* value_null)(phost_value** out);
  phost_status(PHOST_CALL* value_bool)(int32_t b, phost_value** out);
  phost_status(PHOST_CALL* value_int)(int64_t i, phost_value** out);
  phost_status(PHOST_CALL* value_double)(double d, phost_value** out); /* NaN/Inf refused */
  phost_status(PHOST_CALL* value_string)(phost_str s, phost_value** out); /* UTF-8 checked */
  phost_status(PHOST_CALL* value_bytes)(phost_str b, phost_value** out);
  phost_status(PHOST_CALL* value_array)(size_t capacity, phost_value** out);
  phost_status(PHOST_CALL* value_object)(size_t capacity, phost_value** out);
  /* Appends to an array that is not frozen. Takes item's reference
   * unconditionally (released on failure) and freezes item; item cannot be
   * the array itself. */
  phost_status(PHOST_CALL* value_push)(phost_value* array, phost_value* item);
  /* Sets key in an object that is not frozen; an existing key is replaced in
   * place (only that key, even when its item also sits under other keys).
   * Takes item's reference unconditionally and freezes it, as value_push. */
  phost_status(PHOST_CALL* value_set)(phost_value* object, phost_str key, phost_value* item);
  void(PHOST_CALL* value_retain)(const phost_value* v);
  void(PHOST_CALL* value_release)(const phost_value* v); /* NULL is ignored */

  /* -- values: reading; borrowed results live as long as v -- */
  phost_kind(PHOST_CALL* value_kind)(const phost_value* v);
  phost_status(PHOST_CALL* value_get_bool)(const phost_value* v, int32_t* out);
  phost_status(PHOST_CALL* value_get_int)(const phost_value* v, int64_t* out);
  /* Also reads a PHOST_INT, converted. */
  phost_status(PHOST_CALL* value_get_double)(const phost_value* v, double* out);
  /* PHOST_STRING and PHOST_BYTES; the view is borrowed. */
  phost_status(PHOST_CALL* value_get_str)(const phost_value* v, phost_str* out);
  /* Items of an array or entries of an object; 0 for other kinds. */
  size_t(PHOST_CALL* value_len)(const phost_value* v);
  /* The i-th item (array) or entry (object, key in *out_key if not NULL);
   * NULL when out of range. Borrowed. */
  const phost_value*(PHOST_CALL* value_at)(const phost_value* v, size_t i, phost_str* out_key);
  /* The value under key in an object, NULL if absent. Borrowed. */
  const phost_value*(PHOST_CALL* value_find)(const phost_value* object, phost_str key);

  /* -- values: JSON escape hatch (not the hot path) -- */
  /* Integers that fit int64 become PHOST_INT, other numbers PHOST_DOUBLE. */
  phost_status(PHOST_CALL* value_from_json)(phost_str json, phost_value** out);
  /* Bytes are written as base64 strings. */
  phost_status(PHOST_CALL* value_to_json)(const phost_value* v, phost_sink_fn sink, void* sink_data);

  /* ---- v1.0 ends here; append-only below, check with PHOST_API_HAS ---- */

  /* -- v1.1: the current call -- */
  /* Brings this call's deadline forward to deadline_ns (the clock of
   * clock_ns; 0 or a later one changes nothing): ctx_info and ctx_cancelled
   * report it, and nested calls made with ctx as their parent inherit it. For
   * a handler with a time limit of its own (the V8 runtime's timeout_ms), so
   * that the processes it calls see the time they really have. */
  phost_status(PHOST_CALL* ctx_set_deadline)(phost_call_ctx* ctx, int64_t deadline_ns);
  /* 1 when outer is ctx itself or a call ctx is nested in (on any thread),
   * else 0. outer is compared, never read, so it may be another thread's
   * ctx. For a handler that must not wait for something its own call chain
   * holds (the V8 runtime's isolates). */
  int32_t(PHOST_CALL* ctx_within)(const phost_call_ctx* ctx, const phost_call_ctx* outer);

  /* -- v1.2: waiting, calling within a call, error stacks -- */
  /* Blocks until until_ns (the clock of clock_ns; 0 = no limit of its own) or
   * until the call of ctx is stopped, whichever comes first, without
   * polling: PHOST_OK at until_ns; PHOST_E_TIMEOUT (code 408) when its deadline
   * came first; PHOST_E_CANCELLED when it was cancelled (code 499) or its
   * host is being destroyed (code 503). A failure is recorded as a failed
   * nested call would be: the handler may return the same status to forward
   * it. For a handler that sleeps or waits (a script's time.Sleep). */
  phost_status(PHOST_CALL* ctx_wait)(phost_call_ctx* ctx, int64_t until_ns);
  /* As call, with a deadline of the callee's own: the earlier of deadline_ns
   * (0 = none) and the one it inherits. For fan-outs with a time limit per
   * task. */
  phost_status(PHOST_CALL* call_with_deadline)(phost_plugin* self, phost_call_ctx* parent, phost_str name,
                                               const phost_value* args, int64_t deadline_ns,
                                               phost_value** out_result);
  /* Sets the stack of the error this handler returns (phost_error.stack:
   * innermost frame first, one a line, e.g. a script's stack trace). stack is
   * copied; invalid UTF-8 becomes U+FFFD. Use it with ctx_set_error, in
   * either order. A handler that forwards a failed nested call's status
   * forwards that call's stack too. Safe from several threads with one ctx;
   * the last call wins. */
  void(PHOST_CALL* ctx_set_error_stack)(phost_call_ctx* ctx, phost_str stack);

  /* -- v1.4: call handles (phost_ref) -- */
  /* Looks name up in self's host: *out is a new ref the caller releases with
   * ref_release. PHOST_E_INVALID_ARG when the name is malformed,
   * PHOST_E_NOT_FOUND when nothing takes it now, PHOST_E_CANCELLED (503) once
   * the host is being destroyed. */
  phost_status(PHOST_CALL* lookup)(phost_plugin* self, phost_str name, phost_ref** out);
  /* call_with_deadline through a ref of the same host: the same inheritance,
   * errors, limits and forwarding. ref must stay valid until this returns.
   * A NULL ref, a released one or one of another host: PHOST_E_INVALID_ARG
   * (400). */
  phost_status(PHOST_CALL* call_ref)(phost_plugin* self, phost_call_ctx* parent, phost_ref* ref,
                                     const phost_value* args, int64_t deadline_ns, phost_value** out_result);
  /* Frees a ref; NULL is ignored. Never touches its host. */
  void(PHOST_CALL* ref_release)(phost_ref* ref);

  /* -- v1.5: building a container in one call -- */
  /* An array of the n items in order: value_array, then value_push of each.
   * Takes every item's reference unconditionally (all are released on
   * failure) and freezes the items; the array itself is not frozen. items may
   * be NULL when n is 0. A NULL item: PHOST_E_INVALID_ARG. */
  phost_status(PHOST_CALL* value_array_of)(phost_value* const* items, size_t n, phost_value** out);
  /* An object of n entries: value_object, then value_set(keys[i], items[i])
   * for each i in order (a repeated key keeps its first place and takes the
   * later item). The same ownership and errors as value_array_of, and keys
   * are checked as value_set checks them. */
  phost_status(PHOST_CALL* value_object_of)(const phost_str* keys, phost_value* const* items, size_t n,
                                            phost_value** out);
} phost_api;

/* True when the table has member m and it is set (a host of an older minor
 * has a shorter table). */
#define PHOST_HAS_MEMBER(ptr, type, m) \
  ((ptr)->struct_size >= offsetof(type, m) + sizeof(((type*)0)->m))
#define PHOST_API_HAS(api, m) (PHOST_HAS_MEMBER(api, phost_api, m) && (api)->m != NULL)

/* ---- the plugin entry --------------------------------------------------- */

/* Filled by the plugin during entry. The host sets struct_size to its own
 * sizeof(phost_plugin_info) and zeroes the rest; write only members below
 * that size. */
typedef struct phost_plugin_info {
  uint32_t struct_size;
  uint32_t abi_major;  /* PHOST_ABI_MAJOR the plugin was built with */
  uint32_t abi_minor;  /* PHOST_ABI_MINOR the plugin was built with */
  uint32_t reserved0;
  const char* name;    /* static NUL-terminated UTF-8, e.g. "fs"; required */
  const char* version; /* static NUL-terminated string, e.g. "1.2.0" */
  void* plugin_data;   /* yours; passed to on_unload. Keep state here, not in globals:
                          one library may be loaded by several hosts. */
  /* Runs once when the host is destroyed (the order: phost_host_destroy in
   * phost.h): no call is running any more and every new call or registration
   * fails (PHOST_E_CANCELLED, code 503). Then this plugin's processes are
   * removed and their finalizers run; the library is unloaded last. Join your
   * own threads here. May be NULL. */
  void(PHOST_CALL* on_unload)(void* plugin_data);
} phost_plugin_info;

/* The only symbol a plugin exports:
 *   PHOST_PLUGIN_EXPORT phost_status PHOST_CALL
 *   phost_plugin_entry_v1(const phost_api* api, phost_plugin* self, phost_plugin_info* info);
 * Called once per host that loads the plugin, on the loading thread. Register
 * processes here (or later, from any thread). Returning non-OK (explained
 * with error_set) makes the load fail: the host runs on_unload if it was
 * set, then unregisters whatever the plugin registered. */
typedef phost_status(PHOST_CALL* phost_plugin_entry_v1_fn)(const phost_api* api, phost_plugin* self,
                                                           phost_plugin_info* info);
#define PHOST_PLUGIN_ENTRY_SYMBOL "phost_plugin_entry_v1"

#ifdef __cplusplus
}
#endif

#endif /* PHOST_PLUGIN_API_H */
