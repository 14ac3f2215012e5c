/* An application in plain C99, built with only
 * `pkg-config --cflags --libs phost`: registers a process, calls it, and
 * checks the error of a call to a name nobody registered.
 * Prints "app.twice(21) = 42; app.missing: status 2, code 404". */
#include <phost/phost.h>

#include <stdio.h>
#include <string.h>

static phost_str str(const char* s) {
  phost_str out;
  out.ptr = s;
  out.len = strlen(s);
  return out;
}

static phost_status PHOST_CALL twice(void* user_data, phost_call_ctx* ctx, const phost_value* args,
                                     phost_value** out_result) {
  const phost_api* api = (const phost_api*)user_data;
  const phost_value* v = api->value_at(args, 0, NULL);
  int64_t i = 0;
  if (!v || api->value_get_int(v, &i) != PHOST_OK) {
    api->ctx_set_error(ctx, 400, str("app.twice: an integer expected"));
    return PHOST_E_INVALID_ARG;
  }
  return api->value_int(2 * i, out_result);
}

static int fail(const char* what) {
  phost_error e;
  memset(&e, 0, sizeof e);
  e.struct_size = sizeof e;
  phost_last_error(&e);
  fprintf(stderr, "FAILED: %s: status %d, code %d: %.*s\n", what, (int)e.status, (int)e.code, (int)e.message.len,
          e.message.ptr ? e.message.ptr : "");
  return 1;
}

int main(void) {
  const phost_api* api = phost_get_api(PHOST_ABI_MAJOR);
  phost_host* host = NULL;
  phost_process_desc desc;
  phost_value* args = NULL;
  phost_value* result = NULL;
  phost_error e;
  int64_t doubled = 0;
  phost_status missing;

  if (!api) return fail("phost_get_api");
  if (phost_host_create(NULL, &host) != PHOST_OK) return fail("phost_host_create");

  memset(&desc, 0, sizeof desc);
  desc.struct_size = sizeof desc;
  desc.name = str("app.twice");
  desc.handler = twice;
  desc.user_data = (void*)api;
  if (phost_register(host, &desc) != PHOST_OK) return fail("phost_register");

  if (api->value_from_json(str("[21]"), &args) != PHOST_OK) return fail("value_from_json");
  if (phost_call(host, str("app.twice"), args, NULL, &result) != PHOST_OK) return fail("app.twice");
  if (api->value_get_int(result, &doubled) != PHOST_OK) return fail("value_get_int");
  api->value_release(result);
  api->value_release(args);

  result = NULL;
  missing = phost_call(host, str("app.missing"), NULL, NULL, &result);
  memset(&e, 0, sizeof e);
  e.struct_size = sizeof e;
  phost_last_error(&e);

  printf("app.twice(21) = %lld; app.missing: status %d, code %d\n", (long long)doubled, (int)missing, (int)e.code);
  phost_host_destroy(host);
  return 0;
}
