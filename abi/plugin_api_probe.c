/* Not a plugin: plugin_api.h has no library of its own, so this one exports
 * a function for every type the header declares, and abidw records their
 * layout from its debug info (tools/abi-check.sh diffs that against
 * abi/plugin_api.abi). Built with -O0: at -O2 GCC folds identical functions
 * into aliases, and abidw then drops the alias's parameter types.
 *
 * When plugin_api.h gains a type, a status, a kind or a flag, add it here
 * too, then refresh the baseline (abi/README.md). */
#include <phost/plugin_api.h>

/* The header's macros are invisible to abidw; as enumerators they are
 * recorded, so renumbering one fails the check. */
enum phost_abi_probe_version {
  PROBE_ABI_MAJOR = PHOST_ABI_MAJOR,
  PROBE_ABI_MINOR = PHOST_ABI_MINOR
};

enum phost_abi_probe_status {
  PROBE_OK = PHOST_OK,
  PROBE_E_INVALID_ARG = PHOST_E_INVALID_ARG,
  PROBE_E_NOT_FOUND = PHOST_E_NOT_FOUND,
  PROBE_E_TYPE = PHOST_E_TYPE,
  PROBE_E_EXISTS = PHOST_E_EXISTS,
  PROBE_E_UNSUPPORTED = PHOST_E_UNSUPPORTED,
  PROBE_E_NO_MEMORY = PHOST_E_NO_MEMORY,
  PROBE_E_LIMIT = PHOST_E_LIMIT,
  PROBE_E_TIMEOUT = PHOST_E_TIMEOUT,
  PROBE_E_CANCELLED = PHOST_E_CANCELLED,
  PROBE_E_PROCESS = PHOST_E_PROCESS,
  PROBE_E_LOAD = PHOST_E_LOAD,
  PROBE_E_VERSION = PHOST_E_VERSION,
  PROBE_E_INTERNAL = PHOST_E_INTERNAL
};

enum phost_abi_probe_log_level {
  PROBE_LOG_TRACE = PHOST_LOG_TRACE,
  PROBE_LOG_DEBUG = PHOST_LOG_DEBUG,
  PROBE_LOG_INFO = PHOST_LOG_INFO,
  PROBE_LOG_WARN = PHOST_LOG_WARN,
  PROBE_LOG_ERROR = PHOST_LOG_ERROR
};

enum phost_abi_probe_process_flags {
  PROBE_PROCESS_GROUP = PHOST_PROCESS_GROUP,
  PROBE_PROCESS_SERIAL = PHOST_PROCESS_SERIAL,
  PROBE_PROCESS_SHARED_STATE = PHOST_PROCESS_SHARED_STATE
};

/* Distinct bodies, so that no two functions could be merged even if the
 * flags change. */
PHOST_PLUGIN_EXPORT uint32_t PHOST_CALL phost_abi_probe_api(const phost_api* api) {
  return api ? api->struct_size : 1u;
}
PHOST_PLUGIN_EXPORT uint32_t PHOST_CALL phost_abi_probe_plugin_info(phost_plugin_info* info) {
  return info ? info->struct_size : 2u;
}
PHOST_PLUGIN_EXPORT uint32_t PHOST_CALL phost_abi_probe_process_desc(const phost_process_desc* desc) {
  return desc ? desc->struct_size : 3u;
}
PHOST_PLUGIN_EXPORT uint32_t PHOST_CALL phost_abi_probe_call_info(const phost_call_info* info) {
  return info ? info->struct_size : 4u;
}
PHOST_PLUGIN_EXPORT uint32_t PHOST_CALL phost_abi_probe_error(const phost_error* error) {
  return error ? error->struct_size : 5u;
}
PHOST_PLUGIN_EXPORT size_t PHOST_CALL phost_abi_probe_str(phost_str s) { return s.len + 6u; }
PHOST_PLUGIN_EXPORT phost_kind PHOST_CALL phost_abi_probe_kind(phost_kind kind) {
  return kind == PHOST_NULL ? PHOST_OBJECT : kind;
}
PHOST_PLUGIN_EXPORT phost_status PHOST_CALL phost_abi_probe_status(phost_status status) { return status + 7; }
PHOST_PLUGIN_EXPORT int PHOST_CALL phost_abi_probe_handles(phost_plugin* self, phost_call_ctx* ctx,
                                                           phost_value* value) {
  return (self != NULL) + (ctx != NULL) + (value != NULL) + 8;
}
/* v1.4 */
PHOST_PLUGIN_EXPORT int PHOST_CALL phost_abi_probe_ref(phost_ref* ref) { return (ref != NULL) + 11; }
PHOST_PLUGIN_EXPORT int PHOST_CALL phost_abi_probe_callbacks(phost_handler_fn handler, phost_finalize_fn finalize,
                                                             phost_sink_fn sink, phost_plugin_entry_v1_fn entry) {
  return (handler != NULL) + (finalize != NULL) + (sink != NULL) + (entry != NULL) + 9;
}
PHOST_PLUGIN_EXPORT int PHOST_CALL phost_abi_probe_constants(enum phost_abi_probe_version version,
                                                             enum phost_abi_probe_status status,
                                                             enum phost_abi_probe_log_level level,
                                                             enum phost_abi_probe_process_flags flags) {
  return (int)version + (int)status + (int)level + (int)flags + 10;
}
