/* libphost: the C API for applications.
 *
 * An application creates a host, loads plugins into it, registers its own
 * processes and calls processes by name. Values are built and read through
 * the same function table plugins get: phost_get_api(PHOST_ABI_MAJOR).
 * Every function is thread-safe except phost_host_destroy, which must not
 * race with any other use of that host.
 */
#ifndef PHOST_PHOST_H
#define PHOST_PHOST_H

#include <phost/plugin_api.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#if defined(PHOST_BUILDING_HOST)
#define PHOST_API __declspec(dllexport)
#else
#define PHOST_API __declspec(dllimport)
#endif
#else
#define PHOST_API __attribute__((visibility("default")))
#endif

/* One registry, its plugins and their logs. Several may live in a process. */
typedef struct phost_host phost_host;

/* Cancels every call made with it, from any thread. */
typedef struct phost_cancel phost_cancel;

/* Receives every log line of a host (its own and its plugins'). logger is
 * "phost" or "phost.<plugin>". Both views are borrowed for the call. It may
 * be called from any thread, concurrently. */
typedef void(PHOST_CALL* phost_log_fn)(void* log_data, int32_t level, phost_str logger,
                                       phost_str message);

typedef struct phost_host_config {
  uint32_t struct_size;  /* sizeof(phost_host_config) */
  uint32_t max_depth;    /* nested call limit; 0 = 256, at most 4096. A nested
                            call is also refused (PHOST_E_LIMIT, 413) when its
                            thread has less than 128 KiB of stack left. */
  phost_log_fn log;      /* NULL: log to stderr */
  void* log_data;
  int32_t log_level;     /* PHOST_LOG_*; lines below it are dropped */
  uint32_t reserved0;
} phost_host_config;

typedef struct phost_call_options {
  uint32_t struct_size;       /* sizeof(phost_call_options) */
  uint32_t reserved0;
  phost_str session;          /* copied for the call's duration */
  const phost_value* subject; /* authorized subject, borrowed, or NULL */
  const phost_value* global;  /* global map (object), borrowed, or NULL */
  int64_t timeout_ms;         /* 0 = none; negative is refused (400) */
  const phost_cancel* cancel; /* or NULL */
} phost_call_options;

/* The value and call function table (also what plugins receive). NULL for
 * an ABI major this library does not serve. Valid for the process's life. */
PHOST_API const phost_api* PHOST_CALL phost_get_api(uint32_t abi_major);

/* config may be NULL. On failure *out is NULL. */
PHOST_API phost_status PHOST_CALL phost_host_create(const phost_host_config* config,
                                                    phost_host** out);
/* Destroys a host, in this order:
 *  1. From now on every call on this host, from any thread (a plugin's own
 *     threads, a handler still running, an on_unload), fails with
 *     PHOST_E_CANCELLED, code 503, "host is being destroyed: 'name' was not
 *     called", and every registration fails the same way (its finalizer runs).
 *  2. It waits for the calls already running to return (logging a warning
 *     every 5 s while one does not), so no handler runs from here on.
 *  3. For each plugin, last loaded first: its on_unload, then the finalizers
 *     of its processes.
 *  4. The finalizers of the application's processes; then the libraries are
 *     unloaded.
 * Called from inside a call of this host, or again while it is being
 * destroyed (from a finalizer), it logs an error and returns without
 * destroying anything: step 2 would wait for itself. It must not race with
 * the application's own use of the host: a call that starts after this
 * returned uses freed memory. NULL is ignored. */
PHOST_API void PHOST_CALL phost_host_destroy(phost_host* host);

/* Loads a plugin library. path: a file path with a directory in it
 * ("./libfoo.so", "/opt/x/libfoo.so"), used as given; or a bare name ("fs",
 * "v8", "foo", "libfoo.so"), looked up as libphost_<name>.so, then
 * lib<name>.so, in the folders of $PHOST_PLUGIN_PATH (':'-separated, ';' on
 * Windows) and then in the plugin folder installed with libphost
 * (<libdir>/phost), never in the working directory. config: an object
 * handed to the plugin (borrowed; the host keeps its own reference), or NULL.
 * Distinct errors: PHOST_E_NOT_FOUND (no such file), PHOST_E_LOAD (not a
 * shared library, no entry symbol, entry failed, process name taken),
 * PHOST_E_VERSION (built for another ABI major). A failed load leaves
 * nothing registered. The plugin stays loaded until phost_host_destroy. */
PHOST_API phost_status PHOST_CALL phost_load_plugin(phost_host* host, phost_str path,
                                                    const phost_value* config);

/* Where phost_load_plugin_ex runs a plugin. */
#define PHOST_ISOLATION_IN_PROCESS 0u /* in the host's process, as phost_load_plugin */
#define PHOST_ISOLATION_PROCESS 1u    /* in supervised worker processes (Linux only for now) */

/* Since phost 1.1. A plugin in worker processes (phost-worker, installed
 * next to the plugins; $PHOST_WORKER overrides) is loaded there through the
 * same ABI; its processes appear in this host under the same names. A call
 * carries its session, global, subject, deadline and cancellation across;
 * values keep every kind; errors keep status, code and message; a call the
 * plugin makes is served by this host, including calls back into the same
 * worker (run by the thread that waits for it there). Each worker serves one
 * call chain at a time; a call waits (within its deadline) for a free one.
 * A worker that dies fails the call it serves (500, or 507 when it ran out
 * of memory) and is replaced; one still running grace_ms after its call's
 * deadline (or cancellation) is killed (408, 499); one whose resident memory
 * passes rss_limit_mb is killed (507). A worker that keeps dying is restarted
 * after a growing delay, and calls meanwhile fail with code 503 saying so.
 * The same settings may be given in the plugin's config object as the keys
 * "isolation" ("process" or "in-process"), "workers", "worker_rss_mb",
 * "worker_grace_ms" and "worker_dir"; when "isolation" is present these keys
 * are taken out before the plugin sees its config. */
typedef struct phost_load_options {
  uint32_t struct_size;   /* sizeof(phost_load_options) */
  uint32_t isolation;     /* PHOST_ISOLATION_*; overrides the config's "isolation" */
  uint32_t workers;       /* worker processes, at most 256; 0 = the config's or 1 */
  uint32_t reserved0;
  uint64_t rss_limit_mb;  /* per worker; 0 = the config's or none */
  int64_t grace_ms;       /* 0 = the config's or 1000 */
  phost_str working_dir;  /* the workers' working directory; empty = the config's or the
                             host's current directory at load time */
} phost_load_options;

/* phost_load_plugin with options (NULL: the same as phost_load_plugin).
 * PHOST_E_UNSUPPORTED for PHOST_ISOLATION_PROCESS on Windows; PHOST_E_LOAD
 * when the worker cannot start or the plugin fails to load in it (the
 * message says which). Since phost 1.1. */
PHOST_API phost_status PHOST_CALL phost_load_plugin_ex(phost_host* host, phost_str path,
                                                       const phost_value* config,
                                                       const phost_load_options* options);

/* Registers an application process (same rules as phost_api.register_process). */
PHOST_API phost_status PHOST_CALL phost_register(phost_host* host, const phost_process_desc* desc);
PHOST_API phost_status PHOST_CALL phost_unregister(phost_host* host, phost_str name);
/* Makes alias another name of the registered process name. */
PHOST_API phost_status PHOST_CALL phost_alias(phost_host* host, phost_str name, phost_str alias);

/* Calls a process. args: an array or NULL, frozen by the call (see
 * phost_value); options may be NULL. On PHOST_OK *out_result is a new,
 * frozen reference; otherwise phost_last_error says why (status, HTTP-like
 * code, message). */
PHOST_API phost_status PHOST_CALL phost_call(phost_host* host, phost_str name,
                                             const phost_value* args,
                                             const phost_call_options* options,
                                             phost_value** out_result);

/* Call handles (phost_ref in plugin_api.h), since phost 1.4 (ABI 1.4): a
 * name looked up once and called many times, without parsing the name or
 * searching the registry again while the registry has not changed. A call
 * through a ref behaves exactly as phost_call with that name at the moment of
 * the call (a process re-registered, removed, aliased or shadowed since the
 * lookup is found again, or the call fails as the name would); it does not
 * keep a process alive. Refs are thread-safe; a plugin's api->call_ref takes
 * the application's refs of the same host, and the other way round.
 *
 * phost_lookup: *out is a new ref, released with phost_ref_release.
 * PHOST_E_INVALID_ARG for a malformed name, PHOST_E_NOT_FOUND when nothing
 * takes it now, PHOST_E_CANCELLED (503) once the host is being destroyed.
 * (struct phost_ref, not the typedef: this header also compiles against the
 * frozen plugin_api.h of older minors, which have none.) */
struct phost_ref;
PHOST_API phost_status PHOST_CALL phost_lookup(phost_host* host, phost_str name, struct phost_ref** out);
/* phost_call through ref. A NULL ref, a released one or one of another host:
 * PHOST_E_INVALID_ARG (400). ref must stay valid until this returns. */
PHOST_API phost_status PHOST_CALL phost_call_ref(phost_host* host, struct phost_ref* ref, const phost_value* args,
                                                 const phost_call_options* options, phost_value** out_result);
/* Frees a ref; NULL is ignored. Never touches the host, so it may come after
 * phost_host_destroy. */
PHOST_API void PHOST_CALL phost_ref_release(struct phost_ref* ref);

/* Every registered name, as an array of objects {name, description,
 * plugin, group}, sorted by name. New reference. Every string in it is valid
 * UTF-8 (descriptions are repaired at registration, plugin names checked at
 * load). */
PHOST_API phost_status PHOST_CALL phost_list(phost_host* host, phost_value** out);

/* The calling thread's last error: status, code, message and (out->struct_size
 * permitting) the stack of the failure, e.g. a script's, innermost frame first. */
PHOST_API void PHOST_CALL phost_last_error(phost_error* out);

PHOST_API phost_cancel* PHOST_CALL phost_cancel_new(void);
PHOST_API void PHOST_CALL phost_cancel_trigger(phost_cancel* cancel);
PHOST_API void PHOST_CALL phost_cancel_free(phost_cancel* cancel);

#ifdef __cplusplus
}
#endif

#endif /* PHOST_PHOST_H */
