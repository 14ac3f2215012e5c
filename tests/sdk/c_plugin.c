/* A plugin in plain C99 with nothing but the installed phost/plugin_api.h: no
 * SDK, no CMake package, no version script. The "sdk: a C99 plugin ..." test
 * builds it with cc -std=c99 -pedantic -Wall -Werror -shared -fPIC and runs it
 * in the installed phost CLI.
 *
 *   cabi.add(a, b) -> a + b (integers); 400 for anything else or on overflow
 */
#include <phost/plugin_api.h>

#include <stdint.h>
#include <stdlib.h>

/* Per process, not global: one library may serve several hosts. */
typedef struct adder {
  const phost_api* api;
} adder;

static phost_str str(const char* s, size_t len) {
  phost_str out;
  out.ptr = s;
  out.len = len;
  return out;
}
#define STR(literal) str(literal, sizeof literal - 1)

static phost_status PHOST_CALL add(void* user_data, phost_call_ctx* ctx, const phost_value* args,
                                   phost_value** out_result) {
  const phost_api* api = ((const adder*)user_data)->api;
  const phost_value* va = api->value_at(args, 0, NULL);
  const phost_value* vb = api->value_at(args, 1, NULL);
  int64_t a = 0;
  int64_t b = 0;
  if (!va || !vb || api->value_get_int(va, &a) != PHOST_OK || api->value_get_int(vb, &b) != PHOST_OK) {
    api->ctx_set_error(ctx, 400, STR("cabi.add: two integers expected"));
    return PHOST_E_INVALID_ARG;
  }
  if ((b > 0 && a > INT64_MAX - b) || (b < 0 && a < INT64_MIN - b)) {
    api->ctx_set_error(ctx, 400, STR("cabi.add: the sum overflows int64"));
    return PHOST_E_INVALID_ARG;
  }
  return api->value_int(a + b, out_result);
}

static void PHOST_CALL free_adder(void* user_data) { free(user_data); }

PHOST_PLUGIN_EXPORT phost_status PHOST_CALL phost_plugin_entry_v1(const phost_api* api, phost_plugin* self,
                                                                  phost_plugin_info* info) {
  phost_process_desc desc = {0};
  adder* state;
  if (api->abi_major != PHOST_ABI_MAJOR) return PHOST_E_VERSION;
  info->abi_major = PHOST_ABI_MAJOR;
  info->abi_minor = PHOST_ABI_MINOR;
  info->name = "cabi";
  info->version = "1.0.0";

  state = (adder*)malloc(sizeof *state);
  if (!state) {
    api->error_set(PHOST_E_NO_MEMORY, 0, STR("cabi: out of memory"));
    return PHOST_E_NO_MEMORY;
  }
  state->api = api;
  desc.struct_size = sizeof desc;
  desc.name = STR("cabi.add");
  desc.description = STR("cabi.add(a, b): a + b");
  desc.handler = add;
  desc.user_data = state;
  desc.finalize = free_adder; /* the host owns state from here on, even if this fails */
  return api->register_process(self, &desc);
}
