/* Golden layout of every ABI v1.0 struct, on LP64 (x86_64; aarch64 lays these
 * out the same): the offset of each member and each struct's size, and the
 * value of every status, kind, log level and flag. Compiled as C99 and, by
 * offsets_cxx.cpp, as C++, so that both languages are held to the same
 * numbers. A failed check is a compile error naming the line.
 *
 * These numbers never change. A new minor appends members: add their lines
 * and the new sizes, and leave every existing line alone. */
#include <phost/phost.h>
#include <phost/plugin_api.h>

#include <stddef.h>
#include <stdint.h>

#if defined(__cplusplus) || (defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L)
#define ABI_CHECK(cond) static_assert(cond, #cond)
#else
/* C99 has no static_assert: a negative array size fails instead. */
#define ABI_CHECK(cond) ABI_CHECK_AT(cond, __LINE__)
#define ABI_CHECK_AT(cond, line) ABI_CHECK_AT2(cond, line)
#define ABI_CHECK_AT2(cond, line) typedef char abi_check_line_##line[(cond) ? 1 : -1]
#endif

#define OFFSET(type, member, n) ABI_CHECK(offsetof(type, member) == (n))
#define SIZE(type, n) ABI_CHECK(sizeof(type) == (n))

/* Every number below depends on the data model. */
#if UINTPTR_MAX == 0xFFFFFFFFFFFFFFFFu

ABI_CHECK(sizeof(void*) == 8);
ABI_CHECK(sizeof(size_t) == 8);
ABI_CHECK(sizeof(void (*)(void)) == 8);
ABI_CHECK(sizeof(int64_t) == 8 && sizeof(double) == 8);

/* ---- plugin_api.h ---- */

SIZE(phost_status, 4);
SIZE(phost_kind, 4);

OFFSET(phost_str, ptr, 0);
OFFSET(phost_str, len, 8);
SIZE(phost_str, 16);

OFFSET(phost_error, struct_size, 0);
OFFSET(phost_error, status, 4);
OFFSET(phost_error, code, 8);
OFFSET(phost_error, reserved0, 12);
OFFSET(phost_error, message, 16);
#if PHOST_ABI_MINOR >= 2
OFFSET(phost_error, stack, 32);
SIZE(phost_error, 48); /* v1.2 */
#else
SIZE(phost_error, 32); /* v1.0, v1.1 */
#endif

OFFSET(phost_call_info, struct_size, 0);
OFFSET(phost_call_info, depth, 4);
OFFSET(phost_call_info, name, 8);
OFFSET(phost_call_info, id, 24);
OFFSET(phost_call_info, method, 40);
OFFSET(phost_call_info, session, 56);
OFFSET(phost_call_info, subject, 72);
OFFSET(phost_call_info, global, 80);
OFFSET(phost_call_info, deadline_ns, 88);
SIZE(phost_call_info, 96);

OFFSET(phost_process_desc, struct_size, 0);
OFFSET(phost_process_desc, flags, 4);
OFFSET(phost_process_desc, name, 8);
OFFSET(phost_process_desc, description, 24);
OFFSET(phost_process_desc, handler, 40);
OFFSET(phost_process_desc, user_data, 48);
OFFSET(phost_process_desc, finalize, 56);
SIZE(phost_process_desc, 64);

OFFSET(phost_api, struct_size, 0);
OFFSET(phost_api, abi_major, 4);
OFFSET(phost_api, abi_minor, 8);
OFFSET(phost_api, reserved0, 12);
OFFSET(phost_api, last_error, 16);
OFFSET(phost_api, error_set, 24);
OFFSET(phost_api, plugin_config, 32);
OFFSET(phost_api, log, 40);
OFFSET(phost_api, clock_ns, 48);
OFFSET(phost_api, register_process, 56);
OFFSET(phost_api, unregister_process, 64);
OFFSET(phost_api, call, 72);
OFFSET(phost_api, ctx_info, 80);
OFFSET(phost_api, ctx_cancelled, 88);
OFFSET(phost_api, ctx_set_error, 96);
OFFSET(phost_api, value_null, 104);
OFFSET(phost_api, value_bool, 112);
OFFSET(phost_api, value_int, 120);
OFFSET(phost_api, value_double, 128);
OFFSET(phost_api, value_string, 136);
OFFSET(phost_api, value_bytes, 144);
OFFSET(phost_api, value_array, 152);
OFFSET(phost_api, value_object, 160);
OFFSET(phost_api, value_push, 168);
OFFSET(phost_api, value_set, 176);
OFFSET(phost_api, value_retain, 184);
OFFSET(phost_api, value_release, 192);
OFFSET(phost_api, value_kind, 200);
OFFSET(phost_api, value_get_bool, 208);
OFFSET(phost_api, value_get_int, 216);
OFFSET(phost_api, value_get_double, 224);
OFFSET(phost_api, value_get_str, 232);
OFFSET(phost_api, value_len, 240);
OFFSET(phost_api, value_at, 248);
OFFSET(phost_api, value_find, 256);
OFFSET(phost_api, value_from_json, 264);
OFFSET(phost_api, value_to_json, 272);
#if PHOST_ABI_MINOR >= 1 /* v1.0 ends at 280 (the frozen v1.0 header is checked too) */
OFFSET(phost_api, ctx_set_deadline, 280);
OFFSET(phost_api, ctx_within, 288);
#if PHOST_ABI_MINOR >= 2
OFFSET(phost_api, ctx_wait, 296);
OFFSET(phost_api, call_with_deadline, 304);
OFFSET(phost_api, ctx_set_error_stack, 312);
#if PHOST_ABI_MINOR >= 4
OFFSET(phost_api, lookup, 320);
OFFSET(phost_api, call_ref, 328);
OFFSET(phost_api, ref_release, 336);
#if PHOST_ABI_MINOR >= 5
OFFSET(phost_api, value_array_of, 344);
OFFSET(phost_api, value_object_of, 352);
SIZE(phost_api, 360); /* v1.5 */
#else
SIZE(phost_api, 344); /* v1.4 */
#endif
#else
SIZE(phost_api, 320); /* v1.2, v1.3 */
#endif
#else
SIZE(phost_api, 296); /* v1.1 */
#endif
#else
SIZE(phost_api, 280); /* v1.0 */
#endif

OFFSET(phost_plugin_info, struct_size, 0);
OFFSET(phost_plugin_info, abi_major, 4);
OFFSET(phost_plugin_info, abi_minor, 8);
OFFSET(phost_plugin_info, reserved0, 12);
OFFSET(phost_plugin_info, name, 16);
OFFSET(phost_plugin_info, version, 24);
OFFSET(phost_plugin_info, plugin_data, 32);
OFFSET(phost_plugin_info, on_unload, 40);
SIZE(phost_plugin_info, 48);

/* ---- phost.h ---- */

OFFSET(phost_host_config, struct_size, 0);
OFFSET(phost_host_config, max_depth, 4);
OFFSET(phost_host_config, log, 8);
OFFSET(phost_host_config, log_data, 16);
OFFSET(phost_host_config, log_level, 24);
OFFSET(phost_host_config, reserved0, 28);
SIZE(phost_host_config, 32);

OFFSET(phost_call_options, struct_size, 0);
OFFSET(phost_call_options, reserved0, 4);
OFFSET(phost_call_options, session, 8);
OFFSET(phost_call_options, subject, 24);
OFFSET(phost_call_options, global, 32);
OFFSET(phost_call_options, timeout_ms, 40);
OFFSET(phost_call_options, cancel, 48);
SIZE(phost_call_options, 56);

/* phost 1.1 */
OFFSET(phost_load_options, struct_size, 0);
OFFSET(phost_load_options, isolation, 4);
OFFSET(phost_load_options, workers, 8);
OFFSET(phost_load_options, reserved0, 12);
OFFSET(phost_load_options, rss_limit_mb, 16);
OFFSET(phost_load_options, grace_ms, 24);
OFFSET(phost_load_options, working_dir, 32);
SIZE(phost_load_options, 48);

#endif /* LP64 */

/* ---- numbers that are part of the ABI on every platform ---- */

ABI_CHECK(PHOST_ABI_MAJOR == 1);
ABI_CHECK(PHOST_ABI_MINOR >= 0);

ABI_CHECK(PHOST_OK == 0);
ABI_CHECK(PHOST_E_INVALID_ARG == 1);
ABI_CHECK(PHOST_E_NOT_FOUND == 2);
ABI_CHECK(PHOST_E_TYPE == 3);
ABI_CHECK(PHOST_E_EXISTS == 4);
ABI_CHECK(PHOST_E_UNSUPPORTED == 5);
ABI_CHECK(PHOST_E_NO_MEMORY == 6);
ABI_CHECK(PHOST_E_LIMIT == 7);
ABI_CHECK(PHOST_E_TIMEOUT == 8);
ABI_CHECK(PHOST_E_CANCELLED == 9);
ABI_CHECK(PHOST_E_PROCESS == 10);
ABI_CHECK(PHOST_E_LOAD == 11);
ABI_CHECK(PHOST_E_VERSION == 12);
ABI_CHECK(PHOST_E_INTERNAL == 13);

ABI_CHECK(PHOST_NULL == 0);
ABI_CHECK(PHOST_BOOL == 1);
ABI_CHECK(PHOST_INT == 2);
ABI_CHECK(PHOST_DOUBLE == 3);
ABI_CHECK(PHOST_STRING == 4);
ABI_CHECK(PHOST_BYTES == 5);
ABI_CHECK(PHOST_ARRAY == 6);
ABI_CHECK(PHOST_OBJECT == 7);
ABI_CHECK(PHOST_KIND_MAX_ == 0x7FFFFFFF);
ABI_CHECK(sizeof(phost_kind) == sizeof(int32_t));

ABI_CHECK(PHOST_LOG_TRACE == 0);
ABI_CHECK(PHOST_LOG_DEBUG == 1);
ABI_CHECK(PHOST_LOG_INFO == 2);
ABI_CHECK(PHOST_LOG_WARN == 3);
ABI_CHECK(PHOST_LOG_ERROR == 4);

ABI_CHECK(PHOST_PROCESS_GROUP == 0x1u);
ABI_CHECK(PHOST_PROCESS_SERIAL == 0x2u);
ABI_CHECK(PHOST_ISOLATION_IN_PROCESS == 0u);
ABI_CHECK(PHOST_ISOLATION_PROCESS == 1u);

/* The loader looks the entry up by this name; v2 would be a new symbol. */
ABI_CHECK(sizeof(PHOST_PLUGIN_ENTRY_SYMBOL) == sizeof("phost_plugin_entry_v1"));

/* Reports the language this copy was compiled as, so that the test runs it. */
#ifdef __cplusplus
extern "C" int phost_abi_offsets_cxx(void);
int phost_abi_offsets_cxx(void) { return (int)sizeof(phost_api); }
#else
int phost_abi_offsets_c(void);
int phost_abi_offsets_c(void) { return (int)sizeof(phost_api); }
#endif
